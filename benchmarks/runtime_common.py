"""What the runtime benchmarks share: the workload, the meters, the moto server, the result rows.

Every side of ``runtime_overhead.py`` (dynamodel sync and async, raw boto3 and aiobotocore, PynamoDB)
runs the same operations (:data:`OPS`) over the same entities (:func:`workload`), each on its own table
of one moto server in a child process, so ``time.process_time()`` of this process is client CPU only.
"""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from access_patterns.shop import Customer, Order, OrderLine
from dynamodel.engine import DUMMY_KEY, REGION, client_config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 6  # measured rounds per side (plus one warm-up round each)
CUSTOMERS = 8  # customers per round
ORDERS = 3  # orders per customer
LINES = 3  # lines per order
PAGE_LIMIT = 2  # page size of the paged read
RUNTIME_TARGET = 1.05  # dynamodel's CPU per call / raw's, sync and async
STATUSES = ("OPEN", "SHIPPED", "CANCELLED")
T0 = datetime(2024, 1, 1, tzinfo=UTC)

# (operation label, pattern it runs or None, what it is)
OPS: tuple[tuple[str, str | None, str], ...] = (
    ("create customer", None, "create(Customer): item + unique-email guard, one TransactWriteItems"),
    ("place_order", "place_order", "write pattern: Order + 3 lines + order_count increment"),
    ("get_customer", "get_customer", "GetItem"),
    ("customer_by_email", "customer_by_email", "Query GSI2 (unique get)"),
    ("orders_of_customer", "orders_of_customer", "Query GSI1, between"),
    ("order_with_lines", "order_with_lines", "Query, item collection"),
    ("customer_with_recent_orders", "customer_with_recent_orders", "Query GSI1, item collection"),
    ("open_orders_by_date", "open_orders_by_date", "3 shard Queries in parallel, merged"),
    ("orders_of_customer (page)", "orders_of_customer", f"one page of {PAGE_LIMIT}, cursor to the end"),
)

_SERVER = """
import sys
from dynamodel.engine import EmbeddedEngine
engine = EmbeddedEngine().start()
print(engine.endpoint_url, flush=True)
sys.stdin.read()
engine.stop()
"""


@dataclass(frozen=True)
class CustomerWork:
    """One customer's entities and the read arguments derived from them."""

    customer: Customer
    orders: tuple[tuple[Order, tuple[OrderLine, ...]], ...]
    lo: datetime
    hi: datetime


def workload(round_no: int) -> list[CustomerWork]:
    """The entities of one round (the same for every side; each side has its own table)."""
    out = []
    for i in range(CUSTOMERS):
        n = round_no * CUSTOMERS + i
        cid = f"c{n:05d}"
        customer = Customer(customer_id=cid, email=f"{cid}@example.com", name=f"Customer {n}", order_count=0)
        orders = []
        for j in range(ORDERS):
            oid = f"o{n:05d}{j}"
            order = Order(
                order_id=oid,
                customer_id=cid,
                status=STATUSES[(n + j) % len(STATUSES)],
                placed_at=T0 + timedelta(hours=n * ORDERS + j),
                total=Decimal(f"{10 + j}.50"),
                customer_name="",
            )
            lines = tuple(OrderLine(order_id=oid, line_no=k, sku=f"sku-{k}", qty=k + 1) for k in range(LINES))
            orders.append((order, lines))
        lo = T0 + timedelta(hours=n * ORDERS)
        out.append(CustomerWork(customer, tuple(orders), lo, lo + timedelta(hours=ORDERS - 1)))
    return out


# ---- measurement ----------------------------------------------------------------------------


@dataclass
class OpStats:
    """Accumulated calls, CPU seconds, wall seconds, requests and items of one operation."""

    calls: int = 0
    cpu: float = 0.0
    wall: float = 0.0
    requests: int = 0
    items: int = 0
    inside: float = 0.0
    """CPU seconds inside botocore's ``_make_api_call`` (sync clients; summed over threads)."""


@dataclass
class Meter:
    """Times calls per operation and counts the HTTP requests each sends (botocore hook)."""

    stats: dict[str, OpStats] = field(default_factory=dict)
    current: str = ""
    recording: bool = True
    shapes: dict[str, list[Any]] = field(default_factory=dict)
    """The first request kwargs of each operation, recorded while not recording (the warm-up)."""
    round: int = 0
    """The measured round the calls being recorded belong to."""
    by_round: dict[int, float] = field(default_factory=dict)
    """CPU seconds of every recorded call, per round (every round runs the same work on each side)."""

    def attach(self, client: Any) -> None:
        """Count every request the client sends (retries included) under the current operation.

        For a sync client, also time the CPU each call spends inside botocore (``OpStats.inside``):
        serialising, signing, sending and parsing, everything but the caller's own Python. It is
        the thread's CPU (``time.thread_time()``), so shard queries on threads add up exactly.
        An async client's calls interleave on one thread, so they are not split.
        """
        client.meta.events.register("before-send.dynamodb", self._count)
        client.meta.events.register("before-parameter-build.dynamodb", self._params)
        if not inspect.iscoroutinefunction(client._make_api_call):
            client._make_api_call = self._timed(client._make_api_call)

    def _timed(
        self, make_api_call: Callable[[str, dict[str, Any]], Any]
    ) -> Callable[[str, dict[str, Any]], Any]:
        def timed(operation: str, params: dict[str, Any]) -> Any:
            op = self.current
            start = time.thread_time()
            try:
                return make_api_call(operation, params)
            finally:
                if self.recording and op:
                    self.stats.setdefault(op, OpStats()).inside += time.thread_time() - start

        return timed

    def _params(self, params: dict[str, Any], **_: Any) -> None:
        if not self.recording and self.current:
            seen = self.shapes.setdefault(self.current, [])
            if len(seen) < 4:
                seen.append(copy.deepcopy(params))

    def _count(self, **_: Any) -> None:
        if self.recording and self.current:
            self.stats.setdefault(self.current, OpStats()).requests += 1

    def call(self, op: str, fn: Callable[..., int], *args: Any) -> None:
        """Run ``fn(*args)`` (returning the number of items it produced) as one call of ``op``."""
        self.current = op
        c0, w0 = time.process_time(), time.perf_counter()
        items = fn(*args)
        c1, w1 = time.process_time(), time.perf_counter()
        self.current = ""
        self.record(op, c1 - c0, w1 - w0, items)

    async def acall(self, op: str, fn: Callable[..., Awaitable[int]], *args: Any) -> None:
        """:meth:`call` for a coroutine function (this process's CPU while it is awaited)."""
        self.current = op
        c0, w0 = time.process_time(), time.perf_counter()
        items = await fn(*args)
        c1, w1 = time.process_time(), time.perf_counter()
        self.current = ""
        self.record(op, c1 - c0, w1 - w0, items)

    def pages(self, op: str, pages: Iterator[int]) -> None:
        """Time each page of a paged read (``next()`` yields its item count) as one call of ``op``."""
        while True:
            self.current = op
            c0, w0 = time.process_time(), time.perf_counter()
            try:
                items = next(pages)
            except StopIteration:  # the end is known from the last page: no request, no call
                self.current = ""
                return
            c1, w1 = time.process_time(), time.perf_counter()
            self.current = ""
            self.record(op, c1 - c0, w1 - w0, items)

    async def apages(self, op: str, pages: AsyncIterator[int]) -> None:
        """:meth:`pages` for an async iterator of pages."""
        while True:
            self.current = op
            c0, w0 = time.process_time(), time.perf_counter()
            try:
                items = await anext(pages)
            except StopAsyncIteration:
                self.current = ""
                return
            c1, w1 = time.process_time(), time.perf_counter()
            self.current = ""
            self.record(op, c1 - c0, w1 - w0, items)

    def record(self, op: str, cpu: float, wall: float, items: int) -> None:
        """Add one call of ``op`` (when recording)."""
        if self.recording:
            self.by_round[self.round] = self.by_round.get(self.round, 0.0) + cpu
            st = self.stats.setdefault(op, OpStats())
            st.calls += 1
            st.cpu += cpu
            st.wall += wall
            st.items += items


# ---- the server and clients -----------------------------------------------------------------


@contextmanager
def moto_server() -> Iterator[str]:
    """One moto server (``EmbeddedEngine``) in a child process; yields its endpoint URL."""
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        if not endpoint.startswith("http"):
            msg = f"the moto server did not start (said {endpoint!r})"
            raise RuntimeError(msg)
        yield endpoint
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def boto3_client(endpoint: str) -> DynamoDBClient:
    """A boto3 client at ``endpoint`` with the engine's settings (every sync side uses these)."""
    session = boto3.session.Session(
        aws_access_key_id=DUMMY_KEY,
        aws_secret_access_key=DUMMY_KEY,
        aws_session_token=DUMMY_KEY,
        region_name=REGION,
    )
    return session.client("dynamodb", endpoint_url=endpoint, config=client_config())


def wait_active(client: DynamoDBClient, name: str) -> None:
    """Wait until the table ``name`` is ACTIVE."""
    for _ in range(100):
        if client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)


# ---- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpRow:
    """One operation, two sides."""

    op: str
    pattern: str | None
    what: str
    design_requests: int | None
    ours: OpStats
    base: OpStats

    @property
    def ours_requests(self) -> float:
        """Requests per call on the measured side."""
        return self.ours.requests / self.ours.calls if self.ours.calls else 0.0

    @property
    def base_requests(self) -> float:
        """Requests per call on the baseline side."""
        return self.base.requests / self.base.calls if self.base.calls else 0.0


@dataclass(frozen=True)
class Comparison:
    """One side against its baseline, operation by operation (only operations both ran)."""

    ours_name: str
    base_name: str
    rows: tuple[OpRow, ...]
    round_ratios: tuple[float, ...] = ()
    """CPU of each measured round, ours over the baseline's: the spread the total ratio hides."""

    @property
    def calls(self) -> int:
        """Calls per side."""
        return sum(r.ours.calls for r in self.rows)

    @property
    def cpu_ratio(self) -> float | None:
        """CPU of all calls, ours over the baseline's."""
        base = sum(r.base.cpu for r in self.rows)
        return sum(r.ours.cpu for r in self.rows) / base if base else None

    @property
    def wall_ratio(self) -> float | None:
        """Wall time of all calls, ours over the baseline's."""
        base = sum(r.base.wall for r in self.rows)
        return sum(r.ours.wall for r in self.rows) / base if base else None

    def inside_us(self, ours: bool) -> float:
        """CPU µs per call inside botocore, one side (0 where calls are not split: async)."""
        return (
            sum((r.ours if ours else r.base).inside for r in self.rows) / self.calls * 1e6
            if self.calls
            else 0.0
        )

    @property
    def ours_cpu_us(self) -> float:
        """CPU µs per call, all calls, measured side."""
        return sum(r.ours.cpu for r in self.rows) / self.calls * 1e6 if self.calls else 0.0

    @property
    def base_cpu_us(self) -> float:
        """CPU µs per call, all calls, baseline."""
        return sum(r.base.cpu for r in self.rows) / self.calls * 1e6 if self.calls else 0.0

    @property
    def mismatched(self) -> tuple[str, ...]:
        """Operations whose requests per call differ from the design's ``plan.requests``."""
        return tuple(
            r.op for r in self.rows if r.design_requests is not None and r.ours_requests != r.design_requests
        )

    @property
    def same_requests(self) -> bool:
        """Whether both sides sent as many requests per call, operation by operation."""
        return all(r.ours_requests == r.base_requests for r in self.rows)

    @property
    def same_results(self) -> bool:
        """Whether both sides made as many calls and returned as many items."""
        return all(r.ours.items == r.base.items and r.ours.calls == r.base.calls for r in self.rows)


def compare(
    ours_name: str,
    ours: Meter,
    base_name: str,
    base: Meter,
    *,
    plan_requests: Callable[[str], int],
    ops: tuple[tuple[str, str | None, str], ...] = OPS,
) -> Comparison:
    """The rows of two meters over ``ops``, with the design's requests per pattern."""
    rows = [
        OpRow(
            op,
            pattern,
            what,
            plan_requests(pattern) if pattern else None,
            ours.stats.get(op, OpStats()),
            base.stats.get(op, OpStats()),
        )
        for op, pattern, what in ops
    ]
    rounds = sorted(r for r in ours.by_round if base.by_round.get(r))
    return Comparison(
        ours_name, base_name, tuple(rows), tuple(ours.by_round[r] / base.by_round[r] for r in rounds)
    )
