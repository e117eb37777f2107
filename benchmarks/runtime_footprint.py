"""How much Python each call runs outside the client: distinct functions, and calls, per operation.

The CPU benchmark (``runtime_overhead.py``) measures what a call costs on this machine, where a
call's own Python runs right after the thread waited for the server and finds its caches cold:
its cost then follows how much distinct code (and data) it touches far more than how many
instructions it runs. This counts that directly, with no clock: one call of every operation
is traced (``sys.setprofile``) on dynamodel's table and on the raw boto3 side sending the same
requests, and every Python function entered on the calling thread is counted, except inside
the client's own methods (botocore, the HTTP stack), which both sides share. Both sides query
the shards of ``open_orders_by_date`` on pool threads, which are not counted. The figures do
not vary from run to run, so a change to the runtime shows in them exactly.

Run: .venv/bin/python benchmarks/runtime_footprint.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runtime_common import OPS, PAGE_LIMIT, CustomerWork, boto3_client, moto_server, wait_active, workload
from runtime_raw import RawRequests, RawShop

from access_patterns.shop import shop
from dynamodel.emit.boto3_kwargs import render_create_table

__all__ = ["Footprint", "footprint_table", "measure"]

SECRET = b"runtime-benchmark-cursor-secret!"


@dataclass(frozen=True)
class Footprint:
    """One operation's Python outside the client: distinct functions and calls, both sides."""

    op: str
    ours_distinct: int
    ours_calls: int
    raw_distinct: int
    raw_calls: int


class _Tracer:
    """Records every Python function entered on the calling thread while switched on."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, str]] = []
        self.on = False

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and self.on:
            code = frame.f_code
            self.seen.append((code.co_filename, code.co_firstlineno, code.co_name))


class _Unprofiled:
    """A client whose methods run with the tracer switched off (botocore is not counted)."""

    def __init__(self, client: Any, tracer: _Tracer) -> None:
        self._client = client
        self._tracer = tracer
        self.meta = client.meta
        self.exceptions = client.exceptions

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method
        tracer = self._tracer

        def call(**kwargs: Any) -> Any:
            was, tracer.on = tracer.on, False
            try:
                return method(**kwargs)
            finally:
                tracer.on = was

        return call


def _calls(side: Any, w: CustomerWork) -> dict[str, Callable[[], object]]:
    """One call of every operation (the benchmark's labels), on one side."""
    order, lines = w.orders[0]
    cid = w.customer.customer_id
    return {
        "create customer": lambda: side.create_customer(w.customer),
        "place_order": lambda: side.place_order(order, lines),
        "get_customer": lambda: side.get_customer(cid),
        "customer_by_email": lambda: side.customer_by_email(w.customer.email),
        "orders_of_customer": lambda: side.orders_of_customer(cid, w.lo, w.hi),
        "order_with_lines": lambda: side.order_with_lines(order.order_id),
        "customer_with_recent_orders": lambda: side.customer_with_recent_orders(cid),
        "open_orders_by_date": lambda: side.open_orders_by_date(w.lo, w.hi),
        "orders_of_customer (page)": lambda: next(iter(side.orders_pages(cid, PAGE_LIMIT))),
    }


def _trace(tracer: _Tracer, call: Callable[[], object]) -> tuple[int, int]:
    tracer.seen.clear()
    tracer.on = True
    try:
        call()
    finally:
        tracer.on = False
    # The lambda of _calls and the side's own method are the benchmark's, on both sides alike.
    return len(set(tracer.seen)), len(tracer.seen)


def measure(endpoint: str) -> list[Footprint]:
    """Trace one call of every operation on each side (fresh tables on the server at ``endpoint``)."""
    from runtime_overhead import DynamodelShop  # noqa: PLC0415 - it imports this module

    tracer = _Tracer()
    ours_client, raw_client = boto3_client(endpoint), boto3_client(endpoint)
    for client, name in ((ours_client, "fp-dynamodel"), (raw_client, "fp-raw")):
        client.create_table(**render_create_table(shop.design, name))
        wait_active(client, name)
    sys.setprofile(tracer)  # this thread only: the shard threads' work is not counted
    try:
        wrapped: Any = _Unprofiled(ours_client, tracer)
        table = shop.connect("fp-dynamodel", wrapped, cursor_secret=SECRET)
        shards = shop.design.plan("open_orders_by_date").shards
        raw = RawShop(_Unprofiled(raw_client, tracer), RawRequests("fp-raw", shards))  # type: ignore[arg-type]
        warm, traced = workload(0)[:2]
        out: list[Footprint] = []
        ours_warm, raw_warm = _calls(DynamodelShop(table), warm), _calls(raw, warm)
        ours_calls, raw_calls = _calls(DynamodelShop(table), traced), _calls(raw, traced)
        for op, _, _ in OPS:
            ours_warm[op]()  # first calls build caches: the footprint is of the calls after
            raw_warm[op]()
            ours = _trace(tracer, ours_calls[op])
            theirs = _trace(tracer, raw_calls[op])
            out.append(Footprint(op, ours[0], ours[1], theirs[0], theirs[1]))
        table.close()
        raw.pool.shutdown()
        return out
    finally:
        sys.setprofile(None)


def footprint_table(rows: list[Footprint]) -> str:
    """The footprint as a markdown table."""
    lines = [
        "| operation | distinct functions: dynamodel | raw boto3 | calls: dynamodel | raw boto3 |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.op} | {r.ours_distinct} | {r.raw_distinct} | {r.ours_calls} | {r.raw_calls} |" for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    with moto_server() as endpoint:
        print(footprint_table(measure(endpoint)))


if __name__ == "__main__":
    main()
