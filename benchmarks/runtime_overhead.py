"""Runtime overhead: the shop's put/get/query/page sequence through dynamodel, raw clients and PynamoDB.

One moto server (``dynamodel.engine.EmbeddedEngine``) in a child process, so ``time.process_time()``
of this process is the clients' CPU only (botocore's serialisation, HTTP, parsing, and each side's
own work). Every side has its own table created from the design and runs the same operations
(``runtime_common.OPS``) over the same entities:

* **sync** (interleaved customer by customer, the order of the sides rotating): dynamodel's
  ``Table``; raw boto3 sending the same requests (``runtime_raw``); raw boto3 "lean" (no
  ``_born``/``_wid``, names inline); PynamoDB (``runtime_pynamodb``);
* **async** (one event loop, interleaved the same way): dynamodel's ``AsyncTable`` and raw
  aiobotocore sending the same requests (``runtime_async``).

Requests are counted per call with a botocore ``before-send`` hook and compared with the design's
``plan.requests``; during the warm-up round the request kwargs are recorded too, and the raw
sides' are checked to have the shape of dynamodel's (same parameters, same item attributes).

Run: .venv/bin/python benchmarks/runtime_overhead.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import runtime_footprint
from runtime_async import AsyncDynamodelShop, AsyncRawShop
from runtime_common import (
    CUSTOMERS,
    ROUNDS,
    CustomerWork,
    Meter,
    boto3_client,
    compare,
    moto_server,
    wait_active,
    workload,
)
from runtime_pynamodb import PynamoShop
from runtime_raw import RawRequests, RawShop
from runtime_report import TITLE, OverheadResult, report, shapes_match, target_rows
from runtime_sequence import run_sequence, run_sequence_async

from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel.app import App
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.engine import EndpointEngine

__all__ = ["ROUNDS", "TITLE", "OverheadResult", "main", "report", "run", "target_rows"]

SECRET = b"runtime-benchmark-cursor-secret!"


class DynamodelShop:
    """The shop through dynamodel's connected table."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def create_customer(self, c: Customer) -> int:
        self.table.create(c)
        return 1

    def place_order(self, o: Order, lines: tuple[OrderLine, ...]) -> int:
        return len(self.table.place_order(o, lines=list(lines)))

    def get_customer(self, customer_id: str) -> int:
        return 1 if self.table.get_customer(customer_id=customer_id) else 0

    def customer_by_email(self, email: str) -> int:
        return 1 if self.table.customer_by_email(email=email) else 0

    def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> int:
        return len(self.table.orders_of_customer(customer_id=customer_id, lo=lo, hi=hi).items)

    def order_with_lines(self, order_id: str) -> int:
        return len(self.table.order_with_lines(order_id=order_id).items)

    def customer_with_recent_orders(self, customer_id: str) -> int:
        return len(self.table.customer_with_recent_orders(customer_id=customer_id).items)

    def open_orders_by_date(self, lo: datetime, hi: datetime) -> int:
        return len(self.table.open_orders_by_date(lo=lo, hi=hi).items)

    def orders_pages(self, customer_id: str, limit: int) -> Iterator[int]:
        return (
            len(p.items) for p in self.table.orders_of_customer.pages(customer_id=customer_id, limit=limit)
        )


def _create(client: Any, name: str) -> None:
    client.create_table(**render_create_table(shop.design, name))
    wait_active(client, name)


def run(rounds: int = ROUNDS, app: App = shop) -> OverheadResult:
    """Start one moto server in a child process and run every side, interleaved."""
    started = time.perf_counter()
    with moto_server() as endpoint:
        sides = _run_sync(endpoint, rounds, app)
        async_sides = asyncio.run(_run_async(endpoint, rounds, app))
        footprint = tuple(runtime_footprint.measure(endpoint)) if app is shop else ()
    plan = lambda p: app.design.plan(p).requests  # noqa: E731 - a one-line lookup
    sync = compare("dynamodel", sides["dynamodel"], "raw boto3", sides["raw"], plan_requests=plan)
    async_ = compare(
        "dynamodel async", async_sides["dynamodel"], "raw aiobotocore", async_sides["raw"], plan_requests=plan
    )
    lean = compare("dynamodel", sides["dynamodel"], "raw boto3 lean", sides["lean"], plan_requests=plan)
    pyn = compare("PynamoDB", sides["pynamodb"], "raw boto3", sides["raw"], plan_requests=plan)
    versus = compare("dynamodel", sides["dynamodel"], "PynamoDB", sides["pynamodb"], plan_requests=plan)
    shapes = shapes_match(sides["dynamodel"], sides["raw"]) and shapes_match(
        async_sides["dynamodel"], async_sides["raw"]
    )
    result = OverheadResult(
        rounds, "", time.perf_counter() - started, sync, async_, lean, pyn, versus, shapes
    )
    notes = []
    if result.requests_ok:
        notes.append("every pattern sent exactly plan.requests requests per call, sync and async")
    else:
        notes.append(f"requests differ: {result.request_summary() or 'between the sides'}")
    if not all(c.same_results for c in (sync, async_, pyn)):
        notes.append("WARNING: the sides returned different item counts")
    return OverheadResult(
        rounds, "; ".join(notes), result.seconds, sync, async_, lean, pyn, versus, shapes, footprint
    )


def _run_sync(endpoint: str, rounds: int, app: App) -> dict[str, Meter]:
    shards = app.design.plan("open_orders_by_date").shards
    clients = {n: boto3_client(endpoint) for n in ("dynamodel", "raw", "lean")}
    for name, client in clients.items():
        _create(client, f"bench-{name}")
    _create(clients["raw"], "bench-pynamodb")
    meters = {n: Meter() for n in ("dynamodel", "raw", "lean", "pynamodb")}
    for name, client in clients.items():
        meters[name].attach(client)
    table = app.connect("bench-dynamodel", clients["dynamodel"], cursor_secret=SECRET)
    raw = RawShop(clients["raw"], RawRequests("bench-raw", shards))
    lean = RawShop(clients["lean"], RawRequests("bench-lean", shards, lean=True))
    pyn = PynamoShop("bench-pynamodb", endpoint, shards)
    ours = DynamodelShop(table)
    runners = {
        "dynamodel": lambda w, m: run_sequence(ours, m, w),
        "raw": lambda w, m: run_sequence(raw, m, w),
        "lean": lambda w, m: run_sequence(lean, m, w),
        "pynamodb": lambda w, m: run_sequence(pyn, m, w),
    }
    order = list(runners)
    for name in order:  # warm-up: models, adapters, connections, request shapes
        meters[name].recording = False
        runners[name](workload(0)[:1], meters[name])
        if name == "pynamodb":
            for client in pyn.clients():
                meters[name].attach(client)
            runners[name](workload(0)[1:2], meters[name])
        else:
            runners[name](workload(0)[1:2], meters[name])
    for meter in meters.values():
        meter.recording = True
    gc.collect()
    for r in range(1, rounds + 1):
        for meter in meters.values():
            meter.round = r
        for i, w in enumerate(workload(r)):
            k = (r * CUSTOMERS + i) % len(order)  # rotate which side goes first
            for name in order[k:] + order[:k]:
                runners[name]([w], meters[name])
    table.close()
    raw.pool.shutdown()
    lean.pool.shutdown()
    pyn.pool.shutdown()
    return meters


async def _run_async(endpoint: str, rounds: int, app: App) -> dict[str, Meter]:
    engine = EndpointEngine(endpoint)
    meters = {"dynamodel": Meter(), "raw": Meter()}
    async with engine.async_client() as ours_client, engine.async_client() as raw_client:
        for name, client in (("dynamodel", ours_client), ("raw", raw_client)):
            await client.create_table(**render_create_table(app.design, f"bench-async-{name}"))
            meters[name].attach(client)
        await asyncio.sleep(0.2)
        ours = AsyncDynamodelShop(
            await app.connect_async("bench-async-dynamodel", ours_client, cursor_secret=SECRET)
        )
        raw = AsyncRawShop(
            raw_client, RawRequests("bench-async-raw", app.design.plan("open_orders_by_date").shards)
        )

        async def side(name: str, work: list[CustomerWork]) -> None:
            if name == "dynamodel":
                await run_sequence_async(ours, meters[name], work)
            else:
                await run_sequence_async(raw, meters[name], work)

        for name, meter in meters.items():
            meter.recording = False
            await side(name, workload(0)[:2])
            meter.recording = True
        gc.collect()
        for r in range(1, rounds + 1):
            for meter in meters.values():
                meter.round = r
            for i, w in enumerate(workload(r)):
                for name in ("dynamodel", "raw") if (r + i) % 2 else ("raw", "dynamodel"):
                    await side(name, [w])
    return meters


def main(argv: list[str] | None = None) -> None:
    """Run and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    print(report(run(args.rounds)))


if __name__ == "__main__":
    main()
