"""Migration fill (issue 13): the runner against a hand-written boto3 loop, its write-unit model against
what the writes consume, and a billion items on paper.

The migration: the shop (``access_patterns/shop.py``) gains ``lines_by_sku``, a Query of OrderLine by
``sku``; ``diff_designs`` gives one operation, ``FillIndexKeys(OrderLine on GSI1)``, which writes GSI1PK and
GSI1SK on every OrderLine item.

1. **Fill throughput.** The data is written once through ``shop.connect`` (customers with ``create``,
   orders and their lines with ``place_order``), scanned back, and copied with BatchWriteItem into a fresh
   table before every fill, so that every fill starts from identical items. Each round fills one copy
   with ``MigrationRunner.up()`` and another with a hand-written loop: the same parallel scan (segments,
   threads, page size, ``_type`` filter) and one plain UpdateItem per item, ``SET`` the values
   ``dynamodel.migrate.steps.item_writes`` renders (the key encoding is dynamodel's) under
   ``attribute_exists(PK)``, no checkpoints. Rounds alternate which side goes first; the ratio is the
   median wall time of the runner over the loop's. The two tables must end identical (bookkeeping items
   aside).
2. **Dry-run model against the writes.** ``up(dry_run=True)`` predicts write units; the real run is
   then metered by botocore hooks (``ReturnConsumedCapacity="TOTAL"`` added to every request that takes
   it, ``ConsumedCapacity`` summed after each call), item writes apart from the runner's bookkeeping
   (requests on the ``_MIGRATION#`` partition).
3. **A billion items on paper**, from the model's unit rule, with the measured item sizes.

The engine is moto in this process (``mock_aws``), with two changes, both for measuring:

* moto deep-copies every table a TransactWriteItems touches before applying it (its rollback), so one
  transaction costs time proportional to the table's size: the runner's checkpoint (one transaction per
  page) would cost seconds on a table of 13,000 items, which DynamoDB does not. The copy is skipped
  (``_NoTableSnapshot``); a cancelled transaction would then be half applied, so any cancellation voids
  the run (``RuntimeError``).
* moto's request handler (``BotocoreStubber.__call__``) is timed with ``time.thread_time()``, so each
  side's CPU splits into the engine's (moto parsing, evaluating, storing) and the client's (botocore,
  dynamodel or the loop): only the client's part would remain with a real DynamoDB.

moto runs in the calling thread and only one thread runs Python at a time, so the threads overlap little:
the ratio compares the work each side does per item, not how well each hides network latency.

Run: .venv/bin/python benchmarks/migrate_fill.py [--items N] [--rounds R]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import math
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from unittest import mock

import boto3
import moto.dynamodb.models as moto_dynamodb
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models.table import Table as MotoTable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from design_quality import md_table

from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel import App, Query
from dynamodel.codec import Item
from dynamodel.design import design_to_dict
from dynamodel.design.model import Design
from dynamodel.layout import MIGRATION_PK, PK, SK, TYPE_ATTR
from dynamodel.migrate.diff import diff_designs
from dynamodel.migrate.ops import FillIndexKeys
from dynamodel.migrate.revisions import Revision
from dynamodel.migrate.steps import item_size, item_writes, write_units
from dynamodel.migrator import MigrationRunner
from dynamodel.migrator.runner import WRITE_UNIT_PRICE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

ITEMS = 10_000  # OrderLine items filled (plus their orders and customers in the table)
ROUNDS = 5  # measured rounds per side (plus a small warm-up round each); the machine may be shared
SEGMENTS = 4
WORKERS = 4
PAGE_SIZE = 100
FILL_TARGET = 1.2  # the runner's time / the loop's
LINES_PER_ORDER = 4
ORDERS_PER_CUSTOMER = 5
WARM_UP_ITEMS = 100
STATUSES = ("OPEN", "SHIPPED", "CANCELLED")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
SECRET = b"migrate-fill-benchmark-cursor-secret"

PAPER_ITEMS = 1_000_000_000
PAPER_BUDGET = 40_000  # WCU/s: also DynamoDB's default per-table on-demand write limit
READ_UNIT_PRICE = 0.125e-6  # US dollars per on-demand read request unit (us-east-1, since November 2024)
KB_ITEM = 1000  # bytes of the "~1 KB" item after the fill: one write unit either side of it
TRANSACTION_FACTOR = 2  # a transaction consumes twice the units of the same writes outside one
WRITE_LATENCY = 0.005  # seconds per UpdateItem round trip assumed for the concurrency estimate

CAPACITY_OPS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "GetItem", "Query", "Scan"}
)
WRITE_OPS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"})


# ---- the apps and the revision ----------------------------------------------------------------


def migration() -> tuple[Design, Revision, FillIndexKeys]:
    """The shop after adding ``lines_by_sku``, the one-revision history, and its fill operation."""
    v2 = App(
        "shop",
        [Customer, Order, OrderLine],
        patterns=[*shop.spec.patterns, Query(OrderLine, by="sku", name="lines_by_sku")],
        baseline=shop,
    )
    ops = diff_designs(design_to_dict(shop.design), design_to_dict(v2.design))
    fills = [op for op in ops if isinstance(op, FillIndexKeys)]
    if len(ops) != 1 or len(fills) != 1 or fills[0].entity != "OrderLine":
        msg = f"expected one FillIndexKeys of OrderLine, the diff gives {ops!r}"
        raise RuntimeError(msg)
    return v2.design, Revision("r1", None, "lines by sku", tuple(ops), Path("r1.py")), fills[0]


# ---- the engine -------------------------------------------------------------------------------


class _NoTableSnapshot:
    """Stands for the ``copy`` module inside moto's DynamoDB backend: tables are not copied."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, MotoTable):
            return value
        return copy.deepcopy(value, memo)


@dataclass
class EngineMeter:
    """CPU seconds moto spent serving requests (all threads, and by operation), cancelled transactions."""

    cpu: float = 0.0
    by_op: dict[str, float] = field(default_factory=dict)
    cancelled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, op: str, seconds: float) -> None:
        with self.lock:
            self.cpu += seconds
            self.by_op[op] = self.by_op.get(op, 0.0) + seconds


@contextlib.contextmanager
def engine() -> Iterator[EngineMeter]:
    """moto in process, transactions without the table copy, its request handling timed."""
    meter = EngineMeter()
    real_call = BotocoreStubber.__call__
    real_transact = moto_dynamodb.DynamoDBBackend.transact_write_items

    def timed(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        op = (target.decode() if isinstance(target, bytes) else str(target)).rpartition(".")[2]
        t0 = time.thread_time()
        try:
            return real_call(self, event_name, request, **kwargs)
        finally:
            meter.add(op, time.thread_time() - t0)

    def counted(self: moto_dynamodb.DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        try:
            real_transact(self, transact_items)
        except TransactionCanceledException:
            meter.cancelled += 1
            raise

    with (
        mock_aws(),
        mock.patch.object(moto_dynamodb, "copy", _NoTableSnapshot()),
        mock.patch.object(BotocoreStubber, "__call__", timed),
        mock.patch.object(moto_dynamodb.DynamoDBBackend, "transact_write_items", counted),
    ):
        yield meter
    if meter.cancelled:
        msg = (
            f"{meter.cancelled} transaction(s) were cancelled while moto's rollback copy was off: "
            "the tables may hold half-applied transactions, so this run measured nothing"
        )
        raise RuntimeError(msg)


def snapshot_seconds(client: DynamoDBClient, table: str) -> float:
    """What stock moto spends copying ``table`` before each transaction that touches it."""
    backend = moto_dynamodb.dynamodb_backends[DEFAULT_ACCOUNT_ID][client.meta.region_name]
    t0 = time.perf_counter()
    copy.deepcopy(backend.tables[table])
    return time.perf_counter() - t0


# ---- the data ---------------------------------------------------------------------------------


def entities(lines: int) -> Iterator[tuple[Customer, list[tuple[Order, list[OrderLine]]]]]:
    """Customers, each with its orders and their lines, ``lines`` OrderLines in all."""
    left, n = lines, 0
    while left > 0:
        cid = f"c{n:06d}"
        customer = Customer(customer_id=cid, email=f"{cid}@example.com", name=f"Customer {n}", order_count=0)
        orders = []
        for j in range(ORDERS_PER_CUSTOMER):
            if left <= 0:
                break
            oid = f"o{n:06d}{j}"
            order = Order(
                order_id=oid,
                customer_id=cid,
                status=STATUSES[(n + j) % len(STATUSES)],
                placed_at=T0 + timedelta(hours=n * ORDERS_PER_CUSTOMER + j),
                total=Decimal(f"{10 + j}.50"),
                customer_name="",
            )
            count = min(LINES_PER_ORDER, left)
            order_lines = [
                OrderLine(order_id=oid, line_no=k, sku=f"sku-{(n * 7 + j * 3 + k) % 500:03d}", qty=k + 1)
                for k in range(count)
            ]
            left -= count
            orders.append((order, order_lines))
        yield customer, orders
        n += 1


def _wait_active(client: DynamoDBClient, name: str) -> None:
    for _ in range(100):
        if client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)


def all_items(client: DynamoDBClient, table: str) -> dict[tuple[str, str], Item]:
    """Every item of the table by (PK, SK)."""
    out: dict[tuple[str, str], Item] = {}
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        for it in page.get("Items", []):
            out[(str(it[PK]["S"]), str(it[SK]["S"]))] = cast(Item, it)
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def written_by_shop(client: DynamoDBClient, lines: int) -> list[Item]:
    """The items the v1 shop writes for ``lines`` order lines (through its connected table)."""
    name = "migrate-fill-source"
    client.create_table(**shop.to_create_table(name))  # type: ignore[arg-type]
    _wait_active(client, name)
    table = shop.connect(name, client, cursor_secret=SECRET)
    for customer, orders in entities(lines):
        table.create(customer)
        for order, order_lines in orders:
            table.place_order(order, lines=order_lines)
    table.close()
    items = list(all_items(client, name).values())
    client.delete_table(TableName=name)
    return items


def fresh_table(client: DynamoDBClient, name: str, items: Sequence[Item]) -> None:
    """A new table of the v1 design holding exactly ``items``."""
    client.create_table(**shop.to_create_table(name))  # type: ignore[arg-type]
    _wait_active(client, name)
    for i in range(0, len(items), 25):
        requests: list[Any] = [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]
        while requests:
            got = client.batch_write_item(RequestItems={name: requests})
            requests = list(got.get("UnprocessedItems", {}).get(name, []))


# ---- the two sides ----------------------------------------------------------------------------


def fill_with_runner(client: DynamoDBClient, table: str, design: Design, rev: Revision) -> tuple[int, int]:
    """``MigrationRunner.up()``: (items read, writes)."""
    runner = MigrationRunner(
        client, table, design, [rev], segments=SEGMENTS, workers=WORKERS, page_size=PAGE_SIZE
    )
    ops = [o for r in runner.up() for o in r.ops]
    return sum(o.seen for o in ops), sum(o.written for o in ops)


def set_values(op: FillIndexKeys, design: Design, item: Item) -> dict[str, Any]:
    """The attributes the fill sets on ``item`` and their values (empty: nothing to write)."""
    out: dict[str, Any] = {}
    for w in item_writes(op, design.app.entity, item):
        names, values = w.kwargs["ExpressionAttributeNames"], w.kwargs["ExpressionAttributeValues"]
        clause = w.kwargs["UpdateExpression"]
        if not clause.startswith("SET ") or " REMOVE " in clause:
            msg = f"the loop only sends SET updates, not {clause!r}"
            raise RuntimeError(msg)
        for pair in clause.removeprefix("SET ").split(", "):
            name, value = pair.split(" = ")
            out[names[name]] = values[value]
    return out


def fill_with_loop(client: DynamoDBClient, table: str, design: Design, op: FillIndexKeys) -> tuple[int, int]:
    """The hand-written fill: parallel scan, one plain conditional UpdateItem per item: (read, writes)."""

    def segment(s: int) -> tuple[int, int]:
        scan: dict[str, Any] = {
            "TableName": table,
            "Segment": s,
            "TotalSegments": SEGMENTS,
            "Limit": PAGE_SIZE,
            "FilterExpression": "#t = :t",
            "ExpressionAttributeNames": {"#t": TYPE_ATTR},
            "ExpressionAttributeValues": {":t": {"S": op.entity}},
        }
        seen = written = 0
        while True:
            page = client.scan(**scan)
            for found in page.get("Items", []):
                item = cast(Item, found)
                seen += 1
                sets = set_values(op, design, item)
                if not sets:
                    continue
                refs = {f":v{i}": v for i, v in enumerate(sets.values())}
                client.update_item(
                    TableName=table,
                    Key={PK: item[PK], SK: item[SK]},
                    UpdateExpression="SET " + ", ".join(f"{n} = :v{i}" for i, n in enumerate(sets)),
                    ConditionExpression=f"attribute_exists({PK})",
                    ExpressionAttributeValues=refs,
                )
                written += 1
            if "LastEvaluatedKey" not in page:
                return seen, written
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    with ThreadPoolExecutor(max_workers=min(WORKERS, SEGMENTS)) as pool:
        found = list(pool.map(segment, range(SEGMENTS)))
    return sum(s for s, _ in found), sum(w for _, w in found)


# ---- part 1: throughput -----------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One fill: wall seconds, process CPU seconds (all threads), moto's share of that CPU."""

    side: str
    wall: float
    cpu: float
    engine_cpu: float
    seen: int
    written: int
    engine_by_op: dict[str, float] = field(default_factory=dict)

    @property
    def client_cpu(self) -> float:
        """CPU outside moto: botocore plus the runner's or the loop's own work."""
        return self.cpu - self.engine_cpu


def timed(side: str, meter: EngineMeter, fill: Callable[[], tuple[int, int]]) -> Timing:
    """Run one fill with the garbage collector settled first."""
    gc.collect()
    ops0 = dict(meter.by_op)
    e0, c0, w0 = meter.cpu, time.process_time(), time.perf_counter()
    seen, written = fill()
    w1, c1, e1 = time.perf_counter(), time.process_time(), meter.cpu
    by_op = {op: t - ops0.get(op, 0.0) for op, t in meter.by_op.items() if t > ops0.get(op, 0.0)}
    return Timing(side, w1 - w0, c1 - c0, e1 - e0, seen, written, by_op)


def _stored(items: dict[tuple[str, str], Item]) -> dict[tuple[str, str], Item]:
    return {k: v for k, v in items.items() if k[0] != MIGRATION_PK}


# ---- part 2: the model against the writes -----------------------------------------------------


@dataclass
class OpUsage:
    """Requests of one operation and the capacity they used."""

    requests: int = 0
    moto_units: float = 0.0  # the sum of ConsumedCapacity moto returned
    units: int = 0  # computed from item sizes (DynamoDB's rule, via write_units)


@dataclass
class CapacityMeter:
    """Adds ``ReturnConsumedCapacity`` to the client's requests and sums what comes back.

    Requests on the ``_MIGRATION#`` partition are the runner's bookkeeping (``books``); the others touch
    the migrated items (``items``). Write units of the bookkeeping are computed here from the items the
    requests carry; those of the item writes afterwards, from the items before and after the run.
    """

    items: dict[str, OpUsage] = field(default_factory=dict)
    books: dict[str, OpUsage] = field(default_factory=dict)
    updated: list[tuple[str, str]] = field(default_factory=list)  # keys of item UpdateItems
    book_items: dict[tuple[str, str], Item] = field(default_factory=dict)
    largest_book_item: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, client: DynamoDBClient) -> Callable[[], None]:
        """Start metering ``client``; returns the function that stops it."""
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", self._before, unique_id="fill-capacity-before")
        events.register("after-call.dynamodb.*", self._after, unique_id="fill-capacity-after")

        def detach() -> None:
            events.unregister("before-parameter-build.dynamodb.*", unique_id="fill-capacity-before")
            events.unregister("after-call.dynamodb.*", unique_id="fill-capacity-after")

        return detach

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if model.name in CAPACITY_OPS:
            params["ReturnConsumedCapacity"] = "TOTAL"
        context["fill_params"] = params

    def _after(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if http_response.status_code >= 300:
            return
        op, params = model.name, context.get("fill_params", {})
        consumed = parsed.get("ConsumedCapacity")
        if isinstance(consumed, dict):
            consumed = [consumed]
        moto_units = sum(float(c.get("CapacityUnits", 0)) for c in consumed or [])
        with self.lock:
            books = _is_books(op, params)
            usage = (self.books if books else self.items).setdefault(op, OpUsage())
            usage.requests += 1
            usage.moto_units += moto_units
            if books:
                usage.units += self._book_units(op, params)
            elif op == "UpdateItem":
                self.updated.append(_key(params["Key"]))

    def _book_units(self, op: str, params: dict[str, Any]) -> int:
        if op == "TransactWriteItems":
            return sum(
                TRANSACTION_FACTOR * self._action_units(kind, body)
                for action in params["TransactItems"]
                for kind, body in action.items()
            )
        if op in WRITE_OPS:
            return self._action_units(op.removesuffix("Item"), params)
        return 0

    def _action_units(self, kind: str, body: dict[str, Any]) -> int:
        if kind == "Put":
            key = _key(body["Item"])
            size = item_size(body["Item"])
            self.largest_book_item = max(self.largest_book_item, size)
            units = write_units(self.book_items.get(key), body["Item"])
            self.book_items[key] = body["Item"]
            return units
        key = _key(body["Key"])
        if kind == "Delete":
            return write_units(self.book_items.pop(key, None), None)
        # An Update renews the lease (``expires``): the item keeps its size.
        return write_units(self.book_items.get(key), self.book_items.get(key))


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return (str(item[PK]["S"]), str(item[SK]["S"]))


def _is_books(op: str, params: dict[str, Any]) -> bool:
    if op == "TransactWriteItems":
        return any(
            _key(body.get("Item") or body["Key"])[0] == MIGRATION_PK
            for action in params["TransactItems"]
            for body in action.values()
        )
    if op in ("PutItem",):
        return bool(params["Item"][PK]["S"] == MIGRATION_PK)
    if op in ("UpdateItem", "DeleteItem", "GetItem"):
        return bool(params["Key"][PK]["S"] == MIGRATION_PK)
    if op == "Query":
        return any(v.get("S") == MIGRATION_PK for v in params.get("ExpressionAttributeValues", {}).values())
    return False


@dataclass(frozen=True)
class ModelCheck:
    """The dry run's prediction next to what the real run wrote."""

    predicted_writes: int
    predicted_units: int
    dry_requests: dict[str, int]  # requests the dry run sent, by operation
    items: dict[str, OpUsage]
    books: dict[str, OpUsage]
    consumed_units: int  # of the item writes, from the sizes before and after
    largest_book_item: int
    line_bytes_before: float  # mean size of an OrderLine before and after the fill
    line_bytes_after: float

    @property
    def item_writes(self) -> int:
        """Item writes the real run sent."""
        return sum(u.requests for op, u in self.items.items() if op in WRITE_OPS)

    @property
    def moto_item_units(self) -> float:
        """What moto's ConsumedCapacity says the item writes used."""
        return sum(u.moto_units for op, u in self.items.items() if op in WRITE_OPS)

    @property
    def book_units(self) -> int:
        """Write units of the bookkeeping (transactions doubled)."""
        return sum(u.units for u in self.books.values())


def check_model(
    client: DynamoDBClient, table: str, design: Design, rev: Revision, op: FillIndexKeys
) -> ModelCheck:
    """Dry run, then the real run under the capacity meter, on a fresh copy of the data in ``table``."""
    before = all_items(client, table)
    runner = MigrationRunner(
        client, table, design, [rev], segments=SEGMENTS, workers=WORKERS, page_size=PAGE_SIZE
    )
    dry = CapacityMeter()
    detach = dry.attach(client)
    reports = runner.up(dry_run=True)
    detach()
    predicted = [o for r in reports for o in r.ops]
    real = CapacityMeter()
    detach = real.attach(client)
    runner.up()
    detach()
    after = all_items(client, table)
    consumed = sum(write_units(before[k], after[k]) for k in real.updated)
    lines = [k for k, v in before.items() if v[TYPE_ATTR]["S"] == op.entity]
    return ModelCheck(
        predicted_writes=sum(o.written for o in predicted),
        predicted_units=sum(o.units for o in predicted),
        dry_requests={op_: u.requests for part in (dry.items, dry.books) for op_, u in part.items()},
        items=real.items,
        books=real.books,
        consumed_units=consumed,
        largest_book_item=real.largest_book_item,
        line_bytes_before=statistics.fmean(item_size(before[k]) for k in lines),
        line_bytes_after=statistics.fmean(item_size(after[k]) for k in lines),
    )


# ---- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FillResult:
    """Everything measured."""

    items: int  # OrderLines filled
    table_items: int  # items in the table (with orders and customers)
    rounds: tuple[tuple[Timing, Timing], ...]  # (runner, loop) per round
    same_tables: bool
    model: ModelCheck
    snapshot_ms: float  # stock moto's table copy per transaction, at this table size
    seconds: float

    @property
    def runner_wall(self) -> float:
        """Median wall seconds of the runner's fills."""
        return statistics.median(r.wall for r, _ in self.rounds)

    @property
    def loop_wall(self) -> float:
        """Median wall seconds of the loop's fills."""
        return statistics.median(lp.wall for _, lp in self.rounds)

    @property
    def ratio(self) -> float:
        """The runner's median wall time over the loop's."""
        return self.runner_wall / self.loop_wall

    def median(self, side: int, what: Callable[[Timing], float]) -> float:
        """Median of ``what`` over the rounds, for side 0 (runner) or 1 (loop)."""
        return statistics.median(what(pair[side]) for pair in self.rounds)

    def per_write_us(self, side: int, what: Callable[[Timing], float]) -> float:
        """Median of ``what`` per item write, in µs (both sides write the same items)."""
        writes = self.rounds[0][side].written
        return self.median(side, what) / writes * 1e6 if writes else 0.0

    @property
    def client_cpu_ratio(self) -> float:
        """The runner's client CPU (outside moto) over the loop's."""
        return self.median(0, _client) / self.median(1, _client)

    @property
    def engine_cpu_ratio(self) -> float:
        """moto's CPU serving the runner over serving the loop."""
        return self.median(0, _engine) / self.median(1, _engine)


def _client(t: Timing) -> float:
    return t.client_cpu


def _engine(t: Timing) -> float:
    return t.engine_cpu


def _engine_in(op: str) -> Callable[[Timing], float]:
    def seconds(t: Timing) -> float:
        return t.engine_by_op.get(op, 0.0)

    return seconds


def run(items: int = ITEMS, rounds: int = ROUNDS) -> FillResult:
    """Load the data, time both sides ``rounds`` times each, then check the runner's unit model."""
    started = time.perf_counter()
    design, rev, op = migration()
    with engine() as meter:
        client = boto3.client("dynamodb", region_name="us-east-1")
        warm = written_by_shop(client, WARM_UP_ITEMS)
        data = written_by_shop(client, items)
        fresh_table(client, "migrate-fill-warm-runner", warm)
        fresh_table(client, "migrate-fill-warm-loop", warm)
        fill_with_runner(client, "migrate-fill-warm-runner", design, rev)
        fill_with_loop(client, "migrate-fill-warm-loop", design, op)
        fresh_table(client, "migrate-fill-model", data)
        snapshot = snapshot_seconds(client, "migrate-fill-model")

        measured: list[tuple[Timing, Timing]] = []
        same = False
        for r in range(rounds):
            runner_table, loop_table = f"migrate-fill-runner-{r}", f"migrate-fill-loop-{r}"
            fresh_table(client, runner_table, data)
            fresh_table(client, loop_table, data)
            sides = {
                "runner": lambda t=runner_table: fill_with_runner(client, t, design, rev),
                "loop": lambda t=loop_table: fill_with_loop(client, t, design, op),
            }
            # Alternating which side goes first spreads the machine's load changes over both.
            order = ("runner", "loop") if r % 2 == 0 else ("loop", "runner")
            got = {side: timed(side, meter, sides[side]) for side in order}
            measured.append((got["runner"], got["loop"]))
            if r == 0:  # a full scan costs seconds in moto: one comparison shows the two fills agree
                same = _stored(all_items(client, runner_table)) == _stored(all_items(client, loop_table))
            client.delete_table(TableName=runner_table)
            client.delete_table(TableName=loop_table)

        model = check_model(client, "migrate-fill-model", design, rev, op)
    return FillResult(
        items=items,
        table_items=len(data),
        rounds=tuple(measured),
        same_tables=same,
        model=model,
        snapshot_ms=snapshot * 1e3,
        seconds=time.perf_counter() - started,
    )


# ---- part 3: on paper -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperCase:
    """A billion items of one size, filled at the budget."""

    name: str
    bytes_after: float  # item size after the fill (the larger side for a fill)
    units: int  # write units per item write

    @property
    def item_units(self) -> int:
        """Write units of the item writes: what the dry run counts."""
        return PAPER_ITEMS * self.units

    @property
    def checkpoint_units(self) -> int:
        """One two-item transaction per page: lease renewal + checkpoint, each under 1 KB."""
        return math.ceil(PAPER_ITEMS / PAGE_SIZE) * 2 * TRANSACTION_FACTOR

    @property
    def gsi_units(self) -> int:
        """Each item enters the index: one write of the projected item (ALL) on the index."""
        return PAPER_ITEMS * max(1, math.ceil(self.bytes_after / 1024))

    @property
    def scan_read_units(self) -> float:
        """Eventually consistent Scan pages: 4 KB read units, half each."""
        per_page = math.ceil(PAGE_SIZE * self.bytes_after / 4096) * 0.5
        return math.ceil(PAPER_ITEMS / PAGE_SIZE) * per_page


def paper_cases(model: ModelCheck) -> list[PaperCase]:
    """The ~1 KB item of the issue and the shop's OrderLine as measured."""
    line_units = max(1, math.ceil(max(model.line_bytes_before, model.line_bytes_after) / 1024))
    return [
        PaperCase("~1 KB item", KB_ITEM, 1),
        PaperCase(f"shop OrderLine ({model.line_bytes_after:.0f} B)", model.line_bytes_after, line_units),
    ]


def _duration(seconds: float) -> str:
    if seconds >= 86_400:
        return f"{seconds:,.0f} s ({seconds / 86_400:.1f} days)"
    return f"{seconds:,.0f} s ({seconds / 3600:.1f} h)"


def _usd(units: float, price: float) -> str:
    return f"${units * price:,.2f}"


def _total_cost(c: PaperCase) -> float:
    writes = c.item_units + c.checkpoint_units + c.gsi_units
    return writes * WRITE_UNIT_PRICE + c.scan_read_units * READ_UNIT_PRICE


def paper_table(cases: Sequence[PaperCase], client_us: float) -> str:
    """A billion items at the budget, per item size."""
    rows: list[list[object]] = []

    def row(label: str, value: Callable[[PaperCase], object]) -> None:
        rows.append([label, *(value(c) for c in cases)])

    row("write units per item write", lambda c: c.units)
    row(
        "physical limit: items x units / budget",
        lambda c: _duration(c.item_units / PAPER_BUDGET),
    )
    row("dry-run model: write units", lambda c: f"{c.item_units:,}")
    row("dry-run model: time at the budget", lambda c: _duration(c.item_units / PAPER_BUDGET))
    row("dry-run model: cost on demand", lambda c: _usd(c.item_units, WRITE_UNIT_PRICE))
    row(
        f"checkpoints: {math.ceil(PAPER_ITEMS / PAGE_SIZE):,} transactions x {2 * TRANSACTION_FACTOR} units",
        lambda c: f"{c.checkpoint_units:,} (+{c.checkpoint_units / c.item_units:.0%})",
    )
    row(
        "table writes with checkpoints: time at the budget",
        lambda c: _duration((c.item_units + c.checkpoint_units) / PAPER_BUDGET),
    )
    row(
        "table writes with checkpoints: cost",
        lambda c: _usd(c.item_units + c.checkpoint_units, WRITE_UNIT_PRICE),
    )
    row(
        "GSI1 writes (in the dry run as `index_units`): units, cost",
        lambda c: f"{c.gsi_units:,}, {_usd(c.gsi_units, WRITE_UNIT_PRICE)}",
    )
    row(
        "Scan reads of one pass (not in the model; a dry run is another): units, cost",
        lambda c: f"{c.scan_read_units:,.0f}, {_usd(c.scan_read_units, READ_UNIT_PRICE)}",
    )
    row(
        "total cost: item writes + checkpoints + GSI1 + one scan",
        lambda c: f"${_total_cost(c):,.2f}",
    )
    row(
        f"requests in flight at {WRITE_LATENCY * 1e3:g} ms per write",
        lambda c: f"{PAPER_BUDGET / c.units * WRITE_LATENCY:,.0f}",
    )
    row(
        f"client CPU at {client_us:.0f} µs per item write (measured here, no HTTP)",
        lambda c: f"{PAPER_BUDGET / c.units * client_us / 1e6:.1f} cores",
    )
    return md_table(["1,000,000,000 items at 40,000 WCU/s", *(c.name for c in cases)], rows)


PAPER_ASSUMPTIONS = (
    f"{PAPER_ITEMS:,} items, all of the filled entity, each written once (no conflicts, no retries); "
    f"the budget ({PAPER_BUDGET:,} WCU/s, the default per-table on-demand limit) is the only limit: the "
    "runner's threads, its clients and the table's partitions keep up with it.",
    "Write units follow the runner's model (`dynamodel.migrate.steps.write_units`: 1 KB steps of the "
    "larger of the item before and after). The ~1 KB item stays at or under 1,024 bytes with its new "
    "keys (1 unit per write); the OrderLine size is the mean measured above, after the fill. The dry "
    "run counts exactly the item writes, so its time equals the physical limit; the rows below it are "
    "what it leaves out.",
    f"Checkpoints: one TransactWriteItems per scanned page of {PAGE_SIZE} items, two items (lease "
    "renewal + segment checkpoint, each under 1 KB: the largest written is given above), doubled as "
    f"every transaction is: {2 * TRANSACTION_FACTOR} units per page. The runner's "
    "`--max-wcu` paces the checkpoints too (4 units each).",
    "GSI1 writes: an item that gains the index's keys is put into the index, one write of the projected "
    "item (ALL: the whole item) on the index (Developer Guide, 'Provisioned throughput considerations for "
    "global secondary indexes'). Billed on demand like table writes; with provisioned capacity the "
    "index needs its own write capacity. The dry run counts them as `index_units` (for an index that projects the whole item), and `--max-wcu` paces them with the item writes.",
    f"Scan reads: eventually consistent pages of {PAGE_SIZE} items, ceil(page bytes / 4 KB) x 0.5 read "
    f"units at ${READ_UNIT_PRICE * 1e6:.3f} per million; a dry run scans the table once more. Not "
    "counted by the dry run.",
    f"Prices: ${WRITE_UNIT_PRICE * 1e6:.3f} per million write request units "
    "(`dynamodel.migrator.runner.WRITE_UNIT_PRICE`), on demand, us-east-1; storage, streams and "
    "data transfer left out.",
    f"Concurrency: each worker thread sends one request at a time, so the number of requests in flight "
    f"is the rate x the round trip (Little's law; {WRITE_LATENCY * 1e3:g} ms assumed). Client CPU: the "
    "runner's client-side CPU per item write measured above (botocore + dynamodel, in process, "
    "without HTTP or TLS, so a lower bound); Python threads of one process share one core.",
)


def _s(seconds: float) -> str:
    return f"{seconds:.2f}"


def _throughput(result: FillResult) -> str:
    rows: list[list[object]] = []
    for n, (r, lp) in enumerate(result.rounds, 1):
        rows.append(
            [
                n,
                "runner" if n % 2 else "loop",
                _s(r.wall),
                _s(lp.wall),
                f"{r.wall / lp.wall:.2f}x",
                f"{_s(r.client_cpu)} + {_s(r.engine_cpu)}",
                f"{_s(lp.client_cpu)} + {_s(lp.engine_cpu)}",
            ]
        )
    rows.append(
        [
            "**median**",
            "",
            _s(result.runner_wall),
            _s(result.loop_wall),
            f"**{result.ratio:.2f}x**",
            f"{_s(result.median(0, _client))} + {_s(result.median(0, _engine))}",
            f"{_s(result.median(1, _client))} + {_s(result.median(1, _engine))}",
        ]
    )
    timing = md_table(
        [
            "round",
            "first",
            "runner s",
            "loop s",
            "runner/loop",
            "runner CPU s: client + moto",
            "loop CPU s: client + moto",
        ],
        rows,
    )
    runner, loop = result.rounds[0]
    writes = runner.written
    ops = sorted({op for pair in result.rounds for t in pair for op in t.engine_by_op})
    by_op: list[list[object]] = []
    for op in ops:
        r_s, l_s = result.median(0, _engine_in(op)), result.median(1, _engine_in(op))
        by_op.append([op, _s(r_s), _s(l_s), f"{r_s / writes * 1e6:.0f}", f"{l_s / writes * 1e6:.0f}"])
    engine_table = md_table(
        ["moto CPU by request (median)", "runner s", "loop s", "runner µs/item", "loop µs/item"], by_op
    )
    r_client, l_client = result.per_write_us(0, _client), result.per_write_us(1, _client)
    r_engine, l_engine = result.per_write_us(0, _engine), result.per_write_us(1, _engine)
    cpu_ratio = result.median(0, lambda t: t.cpu) / result.median(1, lambda t: t.cpu)
    verdict = "met" if result.ratio <= FILL_TARGET else "**NOT met**"
    return (
        f"{timing}\n\n"
        f"Target: the runner's time <= {FILL_TARGET}x the loop's: {result.ratio:.2f}x (median wall times), "
        f"{verdict}; process CPU {cpu_ratio:.2f}x. Per item write (medians): client CPU {r_client:.0f} µs "
        f"for the runner against {l_client:.0f} µs for the loop ({result.client_cpu_ratio:.2f}x); moto's CPU "
        f"{r_engine:.0f} against {l_engine:.0f} µs ({result.engine_cpu_ratio:.2f}x). Items read and written "
        f"per fill: runner {runner.seen:,}/{writes:,}, loop {loop.seen:,}/{loop.written:,}. The two tables "
        f"of the first round ended identical (bookkeeping items aside): "
        f"{'yes' if result.same_tables else '**NO**'}.\n\n"
        f"{engine_table}\n\n"
        "The runner's UpdateItem carries the condition that the item is the one read (`_version`, `_born`, "
        "`_wid`: three more names and values than the loop's `attribute_exists(PK)`), which moto parses "
        "and evaluates per request; TransactWriteItems are its checkpoints (one per page) and the run's "
        "bookkeeping; moto walks the whole table for every Scan page, on both sides alike.\n\n"
        f"Setup: {result.items:,} OrderLine items ({result.table_items:,} items in the table with their "
        f"orders and customers), written by the v1 shop (`create`, `place_order`) and copied into a fresh "
        f"table for every fill; {SEGMENTS} segments on {WORKERS} threads, pages of {PAGE_SIZE}; "
        f"{len(result.rounds)} rounds per side after one warm-up fill each ({WARM_UP_ITEMS} items), "
        "alternating which side goes first. moto in process (`mock_aws`): wall includes moto's time; "
        "'moto' CPU is the time spent in its request handler (`time.thread_time()`), 'client' the rest of "
        "the process (botocore, and the runner or the loop). Stock moto deep-copies the table before every "
        f"TransactWriteItems ({result.snapshot_ms:.0f} ms per copy at this size, once per transaction "
        "item): a cost DynamoDB does not have, skipped here (see the module's docstring), or the runner's "
        "checkpoints alone would dominate."
    )


def report(result: FillResult) -> str:
    """The three parts as markdown."""
    m = result.model
    part1 = _throughput(result) if result.rounds else "Not measured: no rounds."
    r_client = result.per_write_us(0, _client) if result.rounds else 0.0

    model_rows: list[list[object]] = [
        [
            "dry run: predicted item writes (`OpReport`)",
            f"{m.predicted_writes:,}",
            "-",
            f"{m.predicted_units:,}",
        ]
    ]
    for op_name, usage in sorted(m.items.items()):
        label = "item writes" if op_name in WRITE_OPS else "item reads" if op_name == "Scan" else "other"
        model_rows.append(
            [
                f"{label}: {op_name}",
                f"{usage.requests:,}",
                f"{usage.moto_units:g}",
                f"{result.model.consumed_units:,}" if op_name == "UpdateItem" else "-",
            ]
        )
    for op_name, usage in sorted(m.books.items()):
        model_rows.append(
            [
                f"bookkeeping: {op_name}",
                f"{usage.requests:,}",
                f"{usage.moto_units:g}",
                f"{usage.units:,}" if op_name in WRITE_OPS else "-",
            ]
        )
    model = md_table(
        ["requests of the real run", "requests", "moto ConsumedCapacity", "write units"], model_rows
    )
    match = "equal" if m.predicted_units == m.consumed_units else "**different**"
    dry = ", ".join(f"{n} {op}" for op, n in sorted(m.dry_requests.items()))
    part2 = (
        f"{model}\n\n"
        f"Predicted {m.predicted_units:,} write units for {m.predicted_writes:,} writes; the item writes "
        f"consumed {m.consumed_units:,} ({match}); the bookkeeping added {m.book_units:,} "
        f"({m.book_units / max(m.consumed_units, 1):.1%} of the item writes). The dry run sent {dry} and no "
        "write.\n\n"
        "Write units are computed from item sizes, not taken from moto: moto's ConsumedCapacity does not "
        "depend on the item (moto 5.2, `moto/dynamodb/responses.py`): UpdateItem always returns "
        "`CapacityUnits: 0.5` (even without ReturnConsumedCapacity), PutItem, DeleteItem, Query and Scan "
        "a constant 1.0 per request, GetItem 0.5, and TransactWriteItems an empty list. The 'write units' "
        "column is `dynamodel.migrate.steps.write_units(before, after)` of each item the real run updated "
        "(the table scanned before and after the run); for the bookkeeping, of the items its requests "
        "carry, doubled inside transactions. Every bookkeeping item is under 1 KB (largest written: "
        f"{m.largest_book_item} bytes). OrderLine: {m.line_bytes_before:.0f} bytes before the fill, "
        f"{m.line_bytes_after:.0f} after (mean, DynamoDB's size rule as `item_size` computes it)."
    )

    part3 = (
        paper_table(paper_cases(m), r_client)
        + "\n\nAssumptions:\n\n"
        + "\n".join(f"- {a}" for a in PAPER_ASSUMPTIONS)
    )
    return (
        "### Fill throughput: the runner against a hand-written loop\n\n"
        f"{part1}\n\n"
        "### The dry run's write units against the real run's\n\n"
        f"{part2}\n\n"
        "### A billion items on paper\n\n"
        f"{part3}\n\n"
        f"Run time: {result.seconds:.0f} s."
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=ITEMS, help="OrderLine items to fill")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="measured fills per side")
    args = parser.parse_args(argv)
    print(report(run(args.items, args.rounds)))


if __name__ == "__main__":
    main()
