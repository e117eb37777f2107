"""The shop's four versions, migrated up one revision at a time and back down to base.

``migrations/`` holds the revisions ``dynamodel migrate new`` wrote from
``access_patterns.shop`` (v1) to ``access_patterns.shop_versions.v4``. Data written by the
v1 code must survive every step: after each one, every item and guard matches the design of
the version the table is at (``verify``), the table's definition matches its design JSON
(``drift``), and every read pattern of that version returns exactly what was written.

Engine assumed: moto in process (``InProcessEngine``), one fresh table per test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from moto.dynamodb.models.table import StreamShard
from moto.dynamodb.models.table import Table as MotoTable
from paths import REPO

from access_patterns.shop import Customer, Order, OrderLine
from access_patterns.shop import shop as v1
from access_patterns.shop_versions.v2 import shop as v2
from access_patterns.shop_versions.v3 import shop as v3
from access_patterns.shop_versions.v4 import shop as v4
from dynamodel.app import App
from dynamodel.cli import main
from dynamodel.design import design_to_dict
from dynamodel.layout import GUARD_TYPE, TYPE_ATTR
from dynamodel.migrate import diff_designs
from dynamodel.migrate.lock import build_lock, design_document
from dynamodel.migrate.ops import FillGuards
from dynamodel.migrate.revisions import Revision, load_history
from dynamodel.migrator.checks import drift, verify
from dynamodel.migrator.runner import MigrationRunner
from dynamodel.model import Entity
from dynamodel.runtime.table import Table
from dynamodel.testing.inprocess import InProcessEngine

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.integration

MIGRATIONS = REPO / "migrations"
VERSIONS: list[tuple[str, App, str]] = [
    ("access_patterns.shop:shop", v1, "Shop v1: the table's indexes, stream and unique email guards"),
    ("access_patterns.shop_versions.v2:shop", v2, "Shop v2: list customers by name (GSI3)"),
    (
        "access_patterns.shop_versions.v3:shop",
        v3,
        "Shop v3: customers by unique phone (GSI4), email copied into orders",
    ),
    ("access_patterns.shop_versions.v4:shop", v4, "Shop v4: drop customers by name and GSI3"),
]
SECRET = b"shop-migrations-test-cursor-key!"
NAMES = ("Ann", "Bob", "Cy", "Dee")
STATUSES: tuple[Literal["OPEN", "SHIPPED", "CANCELLED"], ...] = (
    "OPEN",
    "SHIPPED",
    "OPEN",
    "CANCELLED",
    "OPEN",
)
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

Record = dict[str, Any]


# ---- the data, as written ------------------------------------------------------------------


class Shop:
    """What the test wrote, by entity: the truth every read pattern is compared with."""

    def __init__(self) -> None:
        self.customers: dict[str, Record] = {}
        self.orders: dict[str, Record] = {}
        self.lines: dict[str, list[Record]] = {}

    def customer(self, cid: str) -> tuple[str, Record]:
        return "Customer", self.customers[cid]

    def order(self, oid: str) -> tuple[str, Record]:
        o = self.orders[oid]
        c = self.customers[o["customer_id"]]
        return "Order", {**o, "customer_name": c["name"], "customer_email": c["email"]}

    def orders_of(self, cid: str) -> list[tuple[str, Record]]:
        mine = [o for o in self.orders.values() if o["customer_id"] == cid]
        return [self.order(o["order_id"]) for o in sorted(mine, key=lambda o: o["placed_at"], reverse=True)]


def load_v1(table: Table, shop: Shop) -> None:
    """12 customers (four names, three each), 20 orders, 39 lines, through the v1 runtime."""
    for i in range(12):
        cid, email, name = f"c{i:02d}", f"user{i}@example.com", NAMES[i % 4]
        table.create(Customer(customer_id=cid, email=email, name=name, order_count=0))
        shop.customers[cid] = {
            "customer_id": cid,
            "email": email,
            "name": name,
            "order_count": 0,
            "phone": None,
        }
    for i in range(20):
        order = Order(
            order_id=f"o{i:02d}",
            customer_id=f"c{(i * 7) % 12:02d}",
            status=STATUSES[i % len(STATUSES)],
            placed_at=START + timedelta(hours=5 * i),
            total=Decimal("9.95") * (i + 1),
        )
        lines = [
            OrderLine(order_id=order.order_id, line_no=n, sku=f"SKU-{(i + n) % 6}", qty=n + 1)
            for n in range(1 + i % 3)
        ]
        table.place_order(order, lines=lines)
        shop.orders[order.order_id] = order.model_dump(exclude={"customer_name"})
        shop.lines[order.order_id] = [x.model_dump() for x in lines]
        shop.customers[order.customer_id]["order_count"] += 1


# ---- reading it back through a version's code ---------------------------------------------


def declares(app: App, pattern: str) -> bool:
    return any(p.name == pattern for p in app.spec.patterns)


def fact(item: Entity) -> tuple[str, Record]:
    return type(item).__name__, item.model_dump()


def as_read_by(app: App, expected: list[tuple[str, Record]]) -> list[tuple[str, Record]]:
    """``expected`` with only the attributes ``app``'s entity classes declare."""
    return [(kind, {k: rec[k] for k in app.models[kind].model_fields}) for kind, rec in expected]


def check_reads(app: App, table: Table, shop: Shop) -> None:
    """Every read pattern of ``app`` returns exactly what ``shop`` says (every page followed)."""
    checked: set[str] = set()

    def same(name: str, got: list[tuple[str, Record]], want: list[tuple[str, Record]]) -> None:
        assert got == as_read_by(app, want), name
        checked.add(name)

    def every(pattern: str, /, **args: Any) -> list[tuple[str, Record]]:
        return [fact(x) for x in table.iterate(pattern, **args)]

    def one(pattern: str, /, **args: Any) -> list[tuple[str, Record]]:
        found = table.run(pattern, **args)
        return [] if found is None else [fact(found)]

    # Every customer through the GSIs (its keys there are what migrations write), a few
    # through the base table (which no revision changes).
    for n, (cid, c) in enumerate(shop.customers.items()):
        same("customer_by_email", one("customer_by_email", email=c["email"]), [shop.customer(cid)])
        same(
            "customer_with_recent_orders",
            every("customer_with_recent_orders", customer_id=cid),
            [shop.customer(cid), *shop.orders_of(cid)],
        )
        if n % 4 == 0:
            same("get_customer", one("get_customer", customer_id=cid), [shop.customer(cid)])
            same("orders_of_customer", every("orders_of_customer", customer_id=cid), shop.orders_of(cid))
        if declares(app, "customer_by_phone") and c["phone"] is not None:
            same("customer_by_phone", one("customer_by_phone", phone=c["phone"]), [shop.customer(cid)])
    assert one("customer_by_email", email="nobody@example.com") == []
    busiest = max(shop.customers, key=lambda cid: len(shop.orders_of(cid)))
    lo, hi = START + timedelta(hours=20), START + timedelta(hours=80)
    theirs = [o for o in shop.orders_of(busiest) if lo <= o[1]["placed_at"] <= hi]
    open_orders = sorted(
        (o for o in shop.orders.values() if o["status"] == "OPEN"), key=lambda o: o["placed_at"]
    )
    open_between = [o for o in open_orders if lo <= o["placed_at"] <= hi]
    # Ranges that keep everything or nothing would not test the key condition.
    assert 0 < len(theirs) < len(shop.orders_of(busiest))
    assert 0 < len(open_between) < len(open_orders)
    same("orders_of_customer", every("orders_of_customer", customer_id=busiest, lo=lo, hi=hi), theirs)
    same(
        "open_orders_by_date", every("open_orders_by_date"), [shop.order(o["order_id"]) for o in open_orders]
    )
    same(
        "open_orders_by_date",
        every("open_orders_by_date", lo=lo, hi=hi),
        [shop.order(o["order_id"]) for o in open_between],
    )
    for oid, lines in list(shop.lines.items())[::4]:
        same(
            "order_with_lines",
            every("order_with_lines", order_id=oid),
            [shop.order(oid), *(("OrderLine", x) for x in lines)],
        )
    if declares(app, "customers_by_name"):
        for name in NAMES:
            got = every("customers_by_name", name=name)
            want = [shop.customer(cid) for cid, c in shop.customers.items() if c["name"] == name]
            same("customers_by_name", sorted(got, key=repr), sorted(want, key=repr))
    if declares(app, "customer_by_phone"):
        same("customer_by_phone", one("customer_by_phone", phone="+0 000"), [])
    reads = {p.name for p in app.spec.patterns if p.kind != "write"}
    assert checked == reads, f"read patterns left unchecked: {sorted(reads - checked)}"


# ---- the walk ----------------------------------------------------------------------------------


@pytest.fixture
def moto_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changes to moto's stream, for this test only, which reads no stream.

    moto 5 keeps a disabled stream's shard, and every later write then fails with a KeyError
    (undoing the first revision turns the stream off); it keeps its label, and enabling the
    stream again is refused ("Cannot enable stream"), where DynamoDB starts a new stream. And
    it copies the whole table, stream records included, for every action of a transaction:
    records kept make the test slow.
    """
    original = MotoTable.set_stream_specification

    def set_stream_specification(self: Any, streams: dict[str, Any] | None) -> None:
        original(self, streams)
        if not (self.stream_specification or {}).get("StreamEnabled"):
            self.stream_shard = None
            self.latest_stream_label = None

    monkeypatch.setattr(MotoTable, "set_stream_specification", set_stream_specification)
    monkeypatch.setattr(StreamShard, "add", lambda *_: None)


def history() -> list[Revision]:
    return load_history(MIGRATIONS)


def at_version(client: DynamoDBClient, name: str, app: App, shop: Shop) -> None:
    """The table is laid out as ``app``'s design says, and ``app``'s code reads what was written."""
    report = verify(client, name, app.design)
    assert report.problems == []
    assert report.items == len(shop.customers) + len(shop.orders) + sum(map(len, shop.lines.values()))
    phones = sum(c["phone"] is not None for c in shop.customers.values())
    guarded = len(shop.customers) + (phones if declares(app, "customer_by_phone") else 0)
    assert report.guards == guarded
    assert drift(client, name, design_to_dict(app.design), app.spec) == []
    # A fresh connection: a running one caches the migration state for 30 s.
    check_reads(app, app.connect(name, client, cursor_secret=SECRET), shop)


def test_each_revision_up_then_each_back_down_to_base(moto_streams: None) -> None:
    revs = history()
    client: DynamoDBClient = InProcessEngine().client()
    name = "shop-migrations"
    template: Any = v1.to_create_table(name)
    client.create_table(**template)
    try:
        shop = Shop()
        load_v1(v1.connect(name, client, cursor_secret=SECRET), shop)

        def runner(app: App) -> MigrationRunner:
            return MigrationRunner(client, name, app.design, revs, segments=2, workers=2)

        def head() -> str | None:
            return runner(v1).status().head

        for (_, app, _), rev in zip(VERSIONS, revs, strict=True):
            reports = runner(app).up(to=rev.revision)
            assert [r.revision for r in reports] == [rev.revision]
            assert head() == rev.revision
            at_version(client, name, app, shop)
            if app is v3:
                # v2 code could not write phones: give some now, then undo and redo v3, so that
                # RemoveGuards and FillGuards meet guards that exist.
                table = v3.connect(name, client, cursor_secret=SECRET)
                for n, cid in enumerate(("c01", "c04", "c09")):
                    found = table.get_customer(customer_id=cid)
                    assert found is not None
                    table.update(found.model_copy(update={"phone": f"+44 20 7946 00{n}"}))
                    shop.customers[cid]["phone"] = f"+44 20 7946 00{n}"
                runner(v3).down()
                assert head() == revs[1].revision
                at_version(client, name, v2, shop)
                redo = runner(v3).up(to=rev.revision)
                (fill,) = [o for r in redo for o in r.ops if isinstance(o.operation, FillGuards)]
                assert fill.written == 3
                at_version(client, name, v3, shop)

        for (_, app, _), (_, before, _), rev in zip(
            reversed(VERSIONS[1:]), reversed(VERSIONS[:-1]), reversed(revs[1:]), strict=True
        ):
            (report,) = runner(app).down()
            assert report.revision == rev.revision
            assert head() == rev.parent
            at_version(client, name, before, shop)

        runner(v1).down()
        assert head() is None
        desc = client.describe_table(TableName=name)["Table"]
        assert desc.get("GlobalSecondaryIndexes", []) == []
        assert not desc.get("StreamSpecification", {}).get("StreamEnabled")
        kinds = [i[TYPE_ATTR]["S"] for i in client.scan(TableName=name)["Items"]]
        assert GUARD_TYPE not in kinds

        # From base, one `up` applies every revision again.
        assert len(runner(v4).up()) == len(revs)
        at_version(client, name, v4, shop)
    finally:
        client.delete_table(TableName=name)


# ---- the files ---------------------------------------------------------------------------------


def test_history_is_four_revisions_in_one_line() -> None:
    revs = history()
    assert [r.message for r in revs] == [m for _, _, m in VERSIONS]
    assert [r.parent for r in revs] == [None, *(r.revision for r in revs[:-1])]
    assert [r.path.name[:4] for r in revs] == ["0001", "0002", "0003", "0004"]


def test_each_revision_is_the_diff_of_its_versions() -> None:
    designs = [json.loads(app.to_json()) for _, app, _ in VERSIONS]
    for rev, old, new in zip(history()[1:], designs[:-1], designs[1:], strict=True):
        assert list(rev.operations) == diff_designs(old, new)
    kinds = [[type(op).__name__ for op in r.operations] for r in history()[1:]]
    assert kinds == [
        ["CreateIndex", "FillIndexKeys"],
        ["CreateIndex", "FillIndexKeys", "FillGuards", "FillCopies"],
        ["DeleteIndex", "RemoveIndexKeys"],
    ]


def test_migrations_folder_is_what_migrate_new_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "migrations"
    # --lock DIR reads as a directory only once it exists.
    out.mkdir()
    for target, _, message in VERSIONS:
        assert main(["migrate", "new", target, "-m", message, "--dir", str(out), "--lock", str(out)]) == 0
    capsys.readouterr()

    def files(folder: Path) -> dict[str, str]:
        return {
            p.name: p.read_text(encoding="utf-8")
            for p in sorted(folder.iterdir())
            if p.suffix in (".py", ".json")
        }

    assert files(out) == files(MIGRATIONS)
    # The apps' own baselines (v4 against v3 against v2 against v1) give the locked design.
    assert build_lock(v4.design)[1] == (MIGRATIONS / "dynamodel.lock.json").read_text(encoding="utf-8")


# ---- a bug found on the way (failed before the fix in migrate/diff.py) --------------------------


def test_copy_attribute_order_is_no_change() -> None:
    locked = design_document(v3.design)
    reordered = json.loads(json.dumps(locked))
    for path in reordered["copy_paths"]:
        path["attributes"] = dict(reversed(path["attributes"].items()))
    assert diff_designs(locked, reordered) == []
