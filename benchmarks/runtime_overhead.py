"""Runtime overhead: the shop's put/get/query/page sequence through dynamodel and through raw boto3.

Both sides run the same sequence of requests against one moto server (``dynamodel.engine.EmbeddedEngine``),
each on its own table created from the design (so both tables always hold the same number of items):

* **dynamodel**: ``shop.connect(table, client)`` and its pattern methods, returning pydantic entities;
* **raw boto3**: hand-written ``client.put_item``/``transact_write_items``/``get_item``/``query`` calls that
  send the same requests (same item layout, conditions, unique guard, copy read, shard fan-out in threads,
  ``ClientRequestToken``) and turn the response items into plain dicts of Python values by hand
  (no key escaping, no validation, no pydantic: what a careful hand-written app does at least).

The server runs in a child process, so ``time.process_time()`` of this process is the client's CPU only
(botocore's serialisation, HTTP, parsing, and for dynamodel its request building and decoding). Rounds are
interleaved customer by customer (dynamodel, raw, raw, dynamodel, ...) after one unmeasured warm-up round
per side. Requests are
counted per call with a botocore ``before-send`` hook and compared with the design's ``plan.requests``.

Run: .venv/bin/python benchmarks/runtime_overhead.py [--rounds N]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from design_quality import md_table

from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel.app import App
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.engine import DUMMY_KEY, REGION, client_config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 6  # measured rounds per side (plus one warm-up round each)
CUSTOMERS = 8  # customers per round
ORDERS = 3  # orders per customer
LINES = 3  # lines per order
PAGE_LIMIT = 2  # page size of the paged read
RUNTIME_TARGET = 1.10
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


# ---- the workload ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerWork:
    """One customer's entities and the read arguments derived from them."""

    customer: Customer
    orders: tuple[tuple[Order, tuple[OrderLine, ...]], ...]
    lo: datetime
    hi: datetime


def workload(round_no: int) -> list[CustomerWork]:
    """The entities of one round (the same for both sides; each side has its own table)."""
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


@dataclass
class Meter:
    """Times calls per operation and counts the HTTP requests each sends (botocore hook)."""

    stats: dict[str, OpStats] = field(default_factory=dict)
    current: str = ""
    recording: bool = True

    def attach(self, client: DynamoDBClient) -> None:
        """Count every request the client sends (retries included) under the current operation."""
        client.meta.events.register("before-send.dynamodb", self._count)

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
        self._record(op, c1 - c0, w1 - w0, items)

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
            self._record(op, c1 - c0, w1 - w0, items)

    def _record(self, op: str, cpu: float, wall: float, items: int) -> None:
        if self.recording:
            st = self.stats.setdefault(op, OpStats())
            st.calls += 1
            st.cpu += cpu
            st.wall += wall
            st.items += items


# ---- dynamodel side -------------------------------------------------------------------------


def run_dynamodel(table: Any, meter: Meter, work: list[CustomerWork]) -> None:
    """The sequence through dynamodel's connected table."""

    def create(c: Customer) -> int:
        table.create(c)
        return 1

    def place(o: Order, lines: tuple[OrderLine, ...]) -> int:
        return len(table.place_order(o, lines=list(lines)))

    def get(cid: str) -> int:
        return 1 if table.get_customer(customer_id=cid) else 0

    def by_email(email: str) -> int:
        return 1 if table.customer_by_email(email=email) else 0

    def orders(cid: str, lo: datetime, hi: datetime) -> int:
        return len(table.orders_of_customer(customer_id=cid, lo=lo, hi=hi).items)

    def with_lines(oid: str) -> int:
        return len(table.order_with_lines(order_id=oid).items)

    def recent(cid: str) -> int:
        return len(table.customer_with_recent_orders(customer_id=cid).items)

    def open_orders(lo: datetime, hi: datetime) -> int:
        return len(table.open_orders_by_date(lo=lo, hi=hi).items)

    for w in work:
        cid = w.customer.customer_id
        meter.call("create customer", create, w.customer)
        for order, lines in w.orders:
            meter.call("place_order", place, order, lines)
        meter.call("get_customer", get, cid)
        meter.call("customer_by_email", by_email, w.customer.email)
        meter.call("orders_of_customer", orders, cid, w.lo, w.hi)
        for order, _ in w.orders:
            meter.call("order_with_lines", with_lines, order.order_id)
        meter.call("customer_with_recent_orders", recent, cid)
        meter.call("open_orders_by_date", open_orders, w.lo, w.hi)
        pages = (len(p.items) for p in table.orders_of_customer.pages(customer_id=cid, limit=PAGE_LIMIT))
        meter.pages("orders_of_customer (page)", pages)


# ---- raw boto3 side (hand-written) ----------------------------------------------------------


def _dt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _customer(it: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_id": it["customer_id"]["S"],
        "email": it["email"]["S"],
        "name": it["name"]["S"],
        "order_count": int(it["order_count"]["N"]),
    }


def _order(it: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": it["order_id"]["S"],
        "customer_id": it["customer_id"]["S"],
        "status": it["status"]["S"],
        "placed_at": datetime.fromisoformat(it["placed_at"]["S"]),
        "total": Decimal(it["total"]["N"]),
        "customer_name": it["customer_name"]["S"],
    }


def _line(it: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": it["order_id"]["S"],
        "line_no": int(it["line_no"]["N"]),
        "sku": it["sku"]["S"],
        "qty": int(it["qty"]["N"]),
    }


_DECODERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Customer": _customer,
    "Order": _order,
    "OrderLine": _line,
}


def _decode(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_DECODERS[it["_type"]["S"]](it) for it in items]


class RawShop:
    """The shop written by hand against the boto3 client, same layout as the derived design."""

    def __init__(self, client: DynamoDBClient, table: str, shards: int) -> None:
        self.client = client
        self.table = table
        self.shards = shards
        self.pool = ThreadPoolExecutor(max_workers=8)

    def create_customer(self, c: Customer) -> int:
        """Customer + unique-email guard in one transaction."""
        pk, sk = f"CUSTOMER#{c.customer_id}#", "CUSTOMER#"
        item = {
            "customer_id": {"S": c.customer_id},
            "email": {"S": c.email},
            "name": {"S": c.name},
            "order_count": {"N": str(c.order_count)},
            "PK": {"S": pk},
            "SK": {"S": sk},
            "GSI1PK": {"S": pk},
            "GSI1SK": {"S": "B_CUSTOMER#"},
            "GSI2PK": {"S": f"CUSTOMER#{c.email}#"},
            "GSI2SK": {"S": f"CUSTOMER#{c.customer_id}#"},
            "_type": {"S": "Customer"},
            "_version": {"N": "1"},
        }
        guard = {
            "PK": {"S": f"_UNIQUE#CUSTOMER#{c.email}#"},
            "SK": {"S": "_UNIQUE#email#"},
            "owner_pk": {"S": pk},
            "owner_sk": {"S": sk},
            "_type": {"S": "_UNIQUE"},
            "entity": {"S": "Customer"},
        }
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": guard,
                        "ConditionExpression": "attribute_not_exists(PK) OR (owner_pk = :opk AND owner_sk = :osk)",
                        "ExpressionAttributeValues": {":opk": {"S": pk}, ":osk": {"S": sk}},
                    }
                },
            ],
            ClientRequestToken=uuid.uuid4().hex,
        )
        return 1

    def place_order(self, o: Order, lines: tuple[OrderLine, ...]) -> int:
        """Read the customer's name (the copy), then Order + lines + counter in one transaction."""
        ckey = {"PK": {"S": f"CUSTOMER#{o.customer_id}#"}, "SK": {"S": "CUSTOMER#"}}
        got = self.client.get_item(TableName=self.table, Key=ckey, ConsistentRead=True)
        name = got["Item"]["name"]["S"]
        pk, placed = f"ORDER#{o.order_id}#", _dt(o.placed_at)
        item: dict[str, Any] = {
            "order_id": {"S": o.order_id},
            "customer_id": {"S": o.customer_id},
            "status": {"S": o.status},
            "placed_at": {"S": placed},
            "total": {"N": str(o.total)},
            "customer_name": {"S": name},
            "PK": {"S": pk},
            "SK": {"S": "ORDER#"},
            "GSI1PK": {"S": f"CUSTOMER#{o.customer_id}#"},
            "GSI1SK": {"S": f"A_ORDER#{placed}#{o.order_id}#"},
            "_type": {"S": "Order"},
            "_version": {"N": "1"},
        }
        if o.status == "OPEN":
            shard = zlib.crc32((pk + "ORDER#").encode()) % self.shards
            item["GSI2PK"] = {"S": f"ORDER#OPEN#{shard}#"}
            item["GSI2SK"] = {"S": f"ORDER#{placed}#{o.order_id}#"}
        actions: list[Any] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        for ln in lines:
            line_item = {
                "order_id": {"S": ln.order_id},
                "line_no": {"N": str(ln.line_no)},
                "sku": {"S": ln.sku},
                "qty": {"N": str(ln.qty)},
                "PK": {"S": pk},
                "SK": {"S": f"ORDER_LINE#{ln.line_no:05d}#"},
                "_type": {"S": "OrderLine"},
                "_version": {"N": "1"},
            }
            actions.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": line_item,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
        actions.append(
            {
                "Update": {
                    "TableName": self.table,
                    "Key": ckey,
                    "UpdateExpression": "ADD order_count :n, #ver :one",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeNames": {"#ver": "_version"},
                    "ExpressionAttributeValues": {":n": {"N": "1"}, ":one": {"N": "1"}},
                }
            }
        )
        self.client.transact_write_items(TransactItems=actions, ClientRequestToken=uuid.uuid4().hex)
        return 1 + len(lines)

    def get_customer(self, customer_id: str) -> dict[str, Any] | None:
        """GetItem, strongly consistent (as the design's base-table get)."""
        got = self.client.get_item(
            TableName=self.table,
            Key={"PK": {"S": f"CUSTOMER#{customer_id}#"}, "SK": {"S": "CUSTOMER#"}},
            ConsistentRead=True,
        )
        return _customer(got["Item"]) if "Item" in got else None

    def customer_by_email(self, email: str) -> dict[str, Any] | None:
        """Query GSI2 by email."""
        got = self.client.query(
            TableName=self.table,
            IndexName="GSI2",
            KeyConditionExpression="GSI2PK = :pk AND begins_with(GSI2SK, :sk)",
            ExpressionAttributeValues={":pk": {"S": f"CUSTOMER#{email}#"}, ":sk": {"S": "CUSTOMER#"}},
            Limit=2,
        )
        return _customer(got["Items"][0]) if got["Items"] else None

    def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        """Query GSI1 between two dates, newest first."""
        got = self.client.query(
            TableName=self.table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk AND GSI1SK BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": f"CUSTOMER#{customer_id}#"},
                ":lo": {"S": f"A_ORDER#{_dt(lo)}#"},
                ":hi": {"S": f"A_ORDER#{_dt(hi)}$"},
            },
            ScanIndexForward=False,
        )
        return _decode(got["Items"])

    def order_with_lines(self, order_id: str) -> list[dict[str, Any]]:
        """The order's item collection."""
        got = self.client.query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}#"}},
        )
        return _decode(got["Items"])

    def customer_with_recent_orders(self, customer_id: str) -> list[dict[str, Any]]:
        """The customer's GSI1 collection, newest orders first."""
        got = self.client.query(
            TableName=self.table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"CUSTOMER#{customer_id}#"}},
            ScanIndexForward=False,
        )
        return _decode(got["Items"])

    def open_orders_by_date(self, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        """One Query per shard in parallel, merged by sort key."""
        bounds = {":lo": {"S": f"ORDER#{_dt(lo)}#"}, ":hi": {"S": f"ORDER#{_dt(hi)}$"}}

        def shard(i: int) -> list[dict[str, Any]]:
            got = self.client.query(
                TableName=self.table,
                IndexName="GSI2",
                KeyConditionExpression="GSI2PK = :pk AND GSI2SK BETWEEN :lo AND :hi",
                ExpressionAttributeValues={":pk": {"S": f"ORDER#OPEN#{i}#"}, **bounds},
            )
            return got["Items"]

        streams = list(self.pool.map(shard, range(self.shards)))
        merged = heapq.merge(*streams, key=lambda it: str(it["GSI2SK"]["S"]))
        return _decode(list(merged))

    def orders_pages(self, customer_id: str, limit: int) -> Iterator[int]:
        """Pages of the customer's orders, following LastEvaluatedKey to the end."""
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": "GSI1",
                "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :sk)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"CUSTOMER#{customer_id}#"},
                    ":sk": {"S": "A_ORDER#"},
                },
                "ScanIndexForward": False,
                "Limit": limit,
            }
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            got = self.client.query(**kwargs)
            yield len(_decode(got["Items"]))
            start = got.get("LastEvaluatedKey")
            if not start:
                return


def run_raw(raw: RawShop, meter: Meter, work: list[CustomerWork]) -> None:
    """The same sequence through the hand-written raw boto3 code."""

    def count(found: object) -> int:
        return 1 if found else 0

    for w in work:
        cid = w.customer.customer_id
        meter.call("create customer", raw.create_customer, w.customer)
        for order, lines in w.orders:
            meter.call("place_order", raw.place_order, order, lines)
        meter.call("get_customer", lambda cid: count(raw.get_customer(cid)), cid)
        meter.call("customer_by_email", lambda email: count(raw.customer_by_email(email)), w.customer.email)
        meter.call("orders_of_customer", lambda *a: len(raw.orders_of_customer(*a)), cid, w.lo, w.hi)
        for order, _ in w.orders:
            meter.call("order_with_lines", lambda oid: len(raw.order_with_lines(oid)), order.order_id)
        meter.call("customer_with_recent_orders", lambda cid: len(raw.customer_with_recent_orders(cid)), cid)
        meter.call("open_orders_by_date", lambda lo, hi: len(raw.open_orders_by_date(lo, hi)), w.lo, w.hi)
        meter.pages("orders_of_customer (page)", raw.orders_pages(cid, PAGE_LIMIT))


# ---- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpRow:
    """One operation, both sides."""

    op: str
    pattern: str | None
    what: str
    design_requests: int | None
    ours: OpStats
    raw: OpStats

    @property
    def ours_requests(self) -> float:
        """Requests per call through dynamodel."""
        return self.ours.requests / self.ours.calls if self.ours.calls else 0.0

    @property
    def raw_requests(self) -> float:
        """Requests per call through raw boto3."""
        return self.raw.requests / self.raw.calls if self.raw.calls else 0.0


@dataclass(frozen=True)
class OverheadResult:
    """The runtime comparison, or why it could not run."""

    rows: tuple[OpRow, ...]
    rounds: int
    cpu_ratio: float | None
    wall_ratio: float | None
    requests_ok: bool
    same_results: bool
    note: str
    seconds: float
    ours_cpu_us: float = 0.0  # CPU per call, all calls
    raw_cpu_us: float = 0.0
    mismatched: tuple[str, ...] = ()

    def request_summary(self) -> str:
        """Operations whose requests per call differ from the design's, with both figures."""
        return "; ".join(
            f"{r.op}: {r.ours_requests:g} per call, design {r.design_requests}"
            for r in self.rows
            if r.op in self.mismatched
        )


def _client(endpoint: str) -> DynamoDBClient:
    session = boto3.session.Session(
        aws_access_key_id=DUMMY_KEY,
        aws_secret_access_key=DUMMY_KEY,
        aws_session_token=DUMMY_KEY,
        region_name=REGION,
    )
    return session.client("dynamodb", endpoint_url=endpoint, config=client_config())


def _wait_active(client: DynamoDBClient, name: str) -> None:
    for _ in range(100):
        if client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)


def run(rounds: int = ROUNDS, app: App = shop) -> OverheadResult:
    """Start one moto server in a child process and run both sides, interleaved."""
    started = time.perf_counter()
    if not hasattr(App, "connect"):
        return OverheadResult((), 0, None, None, False, False, "App.connect is not available", 0.0)
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        if not endpoint.startswith("http"):
            msg = f"the moto server did not start (said {endpoint!r})"
            raise RuntimeError(msg)
        return _run(endpoint, rounds, app, started)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _run(endpoint: str, rounds: int, app: App, started: float) -> OverheadResult:
    design = app.design
    ours_client, raw_client = _client(endpoint), _client(endpoint)
    for client, name in ((ours_client, "bench-dynamodel"), (raw_client, "bench-raw")):
        client.create_table(**render_create_table(design, name))
        _wait_active(client, name)
    ours_meter, raw_meter = Meter(), Meter()
    ours_meter.attach(ours_client)
    raw_meter.attach(raw_client)
    table = app.connect("bench-dynamodel", ours_client)
    raw = RawShop(raw_client, "bench-raw", design.plan("open_orders_by_date").shards)

    def side(which: str, work: list[CustomerWork], record: bool) -> None:
        meter = ours_meter if which == "dynamodel" else raw_meter
        meter.recording = record
        gc.collect()
        if which == "dynamodel":
            run_dynamodel(table, meter, work)
        else:
            run_raw(raw, meter, work)

    warm_up = workload(0)
    side("dynamodel", warm_up, record=False)  # models, adapters, connections
    side("raw", warm_up, record=False)
    for r in range(1, rounds + 1):
        # Interleaved customer by customer, alternating which side goes first, so that changes in
        # the machine's load fall on both sides alike.
        for i, w in enumerate(workload(r)):
            for which in ("dynamodel", "raw") if (r + i) % 2 else ("raw", "dynamodel"):
                side(which, [w], record=True)
    table.close()
    raw.pool.shutdown()

    rows = []
    for op, pattern, what in OPS:
        expected = design.plan(pattern).requests if pattern else None
        rows.append(
            OpRow(
                op,
                pattern,
                what,
                expected,
                ours_meter.stats.get(op, OpStats()),
                raw_meter.stats.get(op, OpStats()),
            )
        )
    ours_cpu = sum(r.ours.cpu for r in rows)
    raw_cpu = sum(r.raw.cpu for r in rows)
    calls = sum(r.ours.calls for r in rows)
    ours_wall = sum(r.ours.wall for r in rows)
    raw_wall = sum(r.raw.wall for r in rows)
    mismatched = [
        r.op for r in rows if r.design_requests is not None and r.ours_requests != r.design_requests
    ]
    same = all(r.ours.items == r.raw.items and r.ours.calls == r.raw.calls for r in rows)
    note = (
        f"requests per call differ from the design's plan.requests for: {', '.join(mismatched)}"
        if mismatched
        else "every pattern sent exactly plan.requests requests per call"
    )
    if not same:
        note += "; WARNING: the two sides returned different item counts"
    return OverheadResult(
        rows=tuple(rows),
        rounds=rounds,
        cpu_ratio=ours_cpu / raw_cpu if raw_cpu else None,
        wall_ratio=ours_wall / raw_wall if raw_wall else None,
        requests_ok=not mismatched,
        same_results=same,
        note=note,
        seconds=time.perf_counter() - started,
        ours_cpu_us=ours_cpu / calls * 1e6 if calls else 0.0,
        raw_cpu_us=raw_cpu / calls * 1e6 if calls else 0.0,
        mismatched=tuple(mismatched),
    )


# ---- rendering ------------------------------------------------------------------------------


def _us(seconds: float, calls: int) -> str:
    return f"{seconds / calls * 1e6:.0f}" if calls else "-"


def _ms(seconds: float, calls: int) -> str:
    return f"{seconds / calls * 1e3:.2f}" if calls else "-"


def _x(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def report(result: OverheadResult) -> str:
    """The per-operation table, the totals and the setup, as markdown."""
    if not result.rows:
        return f"Not measured: {result.note}."
    rows: list[list[object]] = [
        [
            r.op,
            r.ours.calls,
            "-" if r.design_requests is None else r.design_requests,
            f"{r.ours_requests:g}",
            f"{r.raw_requests:g}",
            "-" if r.design_requests is None else r.ours_requests == r.design_requests,
            _us(r.ours.cpu, r.ours.calls),
            _us(r.raw.cpu, r.raw.calls),
            _x(r.ours.cpu, r.raw.cpu),
            _ms(r.ours.wall, r.ours.calls),
            _ms(r.raw.wall, r.raw.calls),
            _x(r.ours.wall, r.raw.wall),
        ]
        for r in result.rows
    ]
    calls = sum(r.ours.calls for r in result.rows)
    ours_cpu, raw_cpu = sum(r.ours.cpu for r in result.rows), sum(r.raw.cpu for r in result.rows)
    ours_wall, raw_wall = sum(r.ours.wall for r in result.rows), sum(r.raw.wall for r in result.rows)
    rows.append(
        [
            "**all calls**",
            calls,
            "",
            "",
            "",
            result.requests_ok,
            _us(ours_cpu, calls),
            _us(raw_cpu, calls),
            _x(ours_cpu, raw_cpu),
            _ms(ours_wall, calls),
            _ms(raw_wall, calls),
            _x(ours_wall, raw_wall),
        ]
    )
    table = md_table(
        [
            "operation",
            "calls/side",
            "requests: design",
            "dynamodel",
            "raw",
            "= design",
            "CPU µs/call dynamodel",
            "raw",
            "CPU ratio",
            "wall ms/call dynamodel",
            "raw",
            "wall ratio",
        ],
        rows,
    )
    ops = "\n".join(f"- `{op}`: {what}" for op, _, what in OPS)
    verdict = "met" if result.cpu_ratio is not None and result.cpu_ratio <= RUNTIME_TARGET else "NOT met"
    return (
        f"{table}\n\n"
        f"Target: dynamodel's CPU per call <= {RUNTIME_TARGET}x raw boto3's: "
        f"{result.cpu_ratio:.3f}x, {verdict}. Wall: {result.wall_ratio:.2f}x. {result.note[0].upper()}"
        f"{result.note[1:]}. Same item counts on both sides: {'yes' if result.same_results else 'NO'}.\n\n"
        f"Setup: the `shop` app (`access_patterns/shop.py`); {result.rounds} measured rounds per side, "
        "interleaved customer by customer (alternating which side goes first), after one warm-up round "
        f"each; per round {CUSTOMERS} customers x {ORDERS} orders x {LINES} lines. "
        "One moto server (`EmbeddedEngine`, real HTTP on 127.0.0.1) in a child process, so CPU is the "
        "client's only (`time.process_time()`, all threads of this process, shard threads included); wall "
        "includes moto's time. Requests counted with a botocore `before-send` hook. The raw side sends the "
        "same requests (same layout, conditions, guard item, strongly consistent copy read, shards in "
        "threads) and decodes items into dicts by hand; dynamodel also validates arguments, escapes key "
        "values, signs cursors and returns pydantic models. Operations:\n\n"
        f"{ops}\n\nRun time: {result.seconds:.0f} s."
    )


def main() -> None:
    """Run and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    print(report(run(args.rounds)))


if __name__ == "__main__":
    main()
