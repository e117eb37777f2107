"""Reads: cursors are bound to their query, typed entry points, iteration, sharded fan-out.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP, except the
sharding tests at the end, which use a scripted client that cuts pages short the way
DynamoDB's 1 MB page limit does (moto never does).
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel import App, Entity, Get
from dynamodel import Query as QueryPattern
from dynamodel.errors import RequestError
from dynamodel.runtime.reads import CollectionPage, Page
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def load_shop(table: Table, orders: int = 12) -> None:
    table.create(Customer(customer_id="c1", email="a@x", name="Ann", order_count=0))
    table.create(Customer(customer_id="c2", email="b@x", name="Bob", order_count=0))
    for i in range(orders):
        o = Order.model_validate(
            {
                "order_id": f"o{i:02d}",
                "customer_id": "c1" if i % 3 else "c2",
                "status": "OPEN" if i % 2 else "SHIPPED",
                "placed_at": T0 + timedelta(hours=i),
                "total": Decimal(i),
            }
        )
        table.place_order(
            o, lines=[OrderLine(order_id=o.order_id, line_no=n, sku="s", qty=1) for n in range(2)]
        )


def test_cursors_are_bound_to_pattern_table_and_arguments(make_table: MakeTable) -> None:
    table = make_table(shop)
    load_shop(table)
    page = table.orders_of_customer(customer_id="c1", limit=3)
    assert page.cursor is not None
    nxt = table.orders_of_customer(customer_id="c1", limit=3, cursor=page.cursor)
    assert {o.order_id for o in nxt.items}.isdisjoint(o.order_id for o in page.items)
    with pytest.raises(RequestError, match="pattern 'orders_of_customer'"):
        table.customer_with_recent_orders(customer_id="c1", cursor=page.cursor)
    with pytest.raises(RequestError, match="other arguments"):
        table.orders_of_customer(customer_id="c2", limit=3, cursor=page.cursor)
    with pytest.raises(RequestError, match="other arguments"):
        table.orders_of_customer(customer_id="c1", lo=T0, limit=3, cursor=page.cursor)
    body, sig = page.cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["pos"]["GSI1SK"]["S"] = "A_ORDER#1999"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=") + "." + sig
    with pytest.raises(RequestError, match="signature"):
        table.orders_of_customer(customer_id="c1", limit=3, cursor=forged)
    for junk in ("", "abc", "a.b.c", page.cursor[:-2], page.cursor + "x"):
        with pytest.raises(RequestError, match="Invalid cursor"):
            table.orders_of_customer(customer_id="c1", limit=3, cursor=junk)
    # Same app, another table: the default secret differs per table.
    other = make_table(shop)
    with pytest.raises(RequestError, match="signature"):
        other.orders_of_customer(customer_id="c1", limit=3, cursor=page.cursor)
    # With one explicit secret for both, the scope check names the table.
    a = shop.connect(table.name, table.client, cursor_secret=b"s3cret")
    b = shop.connect(other.name, other.client, cursor_secret=b"s3cret")
    page = a.orders_of_customer(customer_id="c1", limit=3)
    with pytest.raises(RequestError, match=f"belongs to table '{table.name}'"):
        b.orders_of_customer(customer_id="c1", limit=3, cursor=page.cursor)
    # Sharded cursors are checked the same way.
    sharded = table.open_orders_by_date(limit=2)
    assert sharded.cursor is not None
    with pytest.raises(RequestError, match="pattern 'open_orders_by_date'"):
        table.orders_of_customer(customer_id="c1", cursor=sharded.cursor)


def test_pages_and_iteration_return_everything_once_in_order(make_table: MakeTable) -> None:
    table = make_table(shop)
    load_shop(table, orders=20)
    expected = [f"o{i:02d}" for i in reversed(range(20)) if i % 3]
    assert [o.order_id for o in table.orders_of_customer.iterate(customer_id="c1", limit=4)] == expected
    pages = list(table.orders_of_customer.pages(customer_id="c1", limit=4))
    assert all(len(p) <= 4 for p in pages)
    assert pages[-1].cursor is None
    assert [
        o.model_dump()["order_id"] for o in table.iterate("orders_of_customer", customer_id="c1")
    ] == expected
    open_ids = [f"o{i:02d}" for i in range(20) if i % 2]
    for limit in (1, 2, 3, 7, None):
        got = [o.order_id for o in table.open_orders_by_date.iterate(limit=limit)]
        assert got == open_ids, limit
    lo, hi = T0 + timedelta(hours=4), T0 + timedelta(hours=13)
    got = [o.order_id for o in table.open_orders_by_date.iterate(lo=lo, hi=hi, limit=2)]
    assert got == [x for x in open_ids if 4 <= int(x[1:]) <= 13]


def test_typed_entry_points_and_collections(make_table: MakeTable) -> None:
    table = make_table(shop)
    load_shop(table, orders=4)
    c1 = table.get(Customer, "get_customer", customer_id="c1")
    assert isinstance(c1, Customer)
    assert c1.order_count == 2
    page = table.query(Order, "orders_of_customer", customer_id="c1")
    assert isinstance(page, Page)
    assert all(isinstance(o, Order) for o in page.items)
    coll = table.collection("order_with_lines", order_id="o01")
    assert isinstance(coll, CollectionPage)
    assert list(coll.groups) == ["Order", "OrderLine"]
    assert [type(x).__name__ for x in coll.items] == ["Order", "OrderLine", "OrderLine"]
    recent = table.customer_with_recent_orders(customer_id="c1", limit=2)
    assert [type(x).__name__ for x in recent.items] == ["Customer", "Order"]
    with pytest.raises(RequestError, match="is a get, not a query"):
        table.query(Order, "get_customer", customer_id="c1")
    with pytest.raises(RequestError, match="returns Order"):
        table.query(Customer, "orders_of_customer", customer_id="c1")
    with pytest.raises(RequestError, match="needs 'customer_id'"):
        table.orders_of_customer()
    with pytest.raises(RequestError, match="takes no argument 'status'"):
        table.orders_of_customer(customer_id="c1", status="OPEN")
    with pytest.raises(RequestError, match="fixed by the declaration"):
        table.open_orders_by_date(status="SHIPPED")
    with pytest.raises(AttributeError):
        _ = table.no_such_pattern
    assert table.get_customer(customer_id="nobody") is None
    # Arguments are validated by the declared field types, so strings convert to datetimes.
    iso = (T0 + timedelta(hours=1)).isoformat()
    assert [o.order_id for o in table.orders_of_customer(customer_id="c1", lo=iso, hi=iso).items] == ["o01"]
    with pytest.raises(RequestError, match=r"Order.placed_at cannot be"):
        table.orders_of_customer(customer_id="c1", lo="yesterday")


def test_get_pattern_refuses_broken_uniqueness(make_table: MakeTable) -> None:
    table = make_table(shop)
    load_shop(table, orders=0)
    # Written behind dynamodel's back: a second item with the same email, no guard.
    item: Any = table.client.get_item(
        TableName=table.name, Key={"PK": {"S": "CUSTOMER#c2#"}, "SK": {"S": "CUSTOMER#"}}
    )
    dup = dict(item["Item"])
    dup["GSI2PK"] = {"S": "CUSTOMER#a@x#"}
    table.client.put_item(TableName=table.name, Item=dup)
    with pytest.raises(Exception, match="2 items match"):
        table.customer_by_email(email="a@x")


class Reading(Entity, identity=("sensor", "n")):
    """A reading; 'by label' is declared strongly consistent, which only a Scan can serve."""

    sensor: str
    n: int
    label: str


sensors = App(
    "sensors",
    [Reading],
    patterns=[
        QueryPattern(Reading, by="label", consistency="strong", allow_scan=True, name="by_label"),
        Get(Reading, by=["sensor", "n"], name="reading"),
    ],
)


def test_a_pattern_allowed_to_scan_pages_through_the_filtered_table(make_table: MakeTable) -> None:
    assert sensors.design.plan("by_label").operation == "Scan"
    table = make_table(sensors)
    for n in range(20):
        table.create(Reading(sensor=f"s{n % 3}", n=n, label="hot" if n % 4 == 0 else "cold#hot"))
    params = table.by_label.params(label="hot", limit=3)
    assert params["ConsistentRead"] is True
    assert "FilterExpression" in params
    got = sorted(r.n for r in table.by_label.iterate(label="hot", limit=3))
    assert got == [n for n in range(20) if n % 4 == 0]
    with pytest.raises(RequestError, match="takes no argument"):
        table.by_label(label="hot", value="x")


# ---- sharded fan-out against pages cut short -----------------------------------------------


class ShortPageClient:
    """Answers Query from in-memory partitions, returning fewer items than Limit at random.

    DynamoDB stops a page at 1 MB whatever the Limit, with a LastEvaluatedKey; the merge
    of sharded queries must stay in order when one shard's page ends early.
    """

    def __init__(self, partitions: Mapping[str, list[dict[str, Any]]], sk: str, seed: int) -> None:
        self.partitions = partitions
        self.sk = sk
        self.rng = random.Random(seed)
        self.calls = 0

    def query(self, **kw: Any) -> dict[str, Any]:
        self.calls += 1
        pk = kw["ExpressionAttributeValues"][":pk"]["S"]
        rows = sorted(
            self.partitions.get(pk, []), key=lambda i: i[self.sk]["S"], reverse=not kw["ScanIndexForward"]
        )
        start = kw.get("ExclusiveStartKey")
        if start is not None:
            idx = next(i for i, r in enumerate(rows) if r["PK"] == start["PK"] and r["SK"] == start["SK"])
            rows = rows[idx + 1 :]
        limit = kw.get("Limit") or len(rows) or 1
        # At least one item on a first page; later pages may even come back empty.
        cut = min(len(rows), self.rng.randint(0 if start is not None else 1, limit))
        out: dict[str, Any] = {"Items": rows[:cut]}
        if cut < len(rows):
            last = rows[cut - 1] if cut else None
            out["LastEvaluatedKey"] = (
                start if last is None else {k: last[k] for k in ("PK", "SK", "GSI2PK", "GSI2SK")}
            )
        return out


@settings(max_examples=40, deadline=None)
@given(
    sort_values=st.lists(st.integers(0, 30), min_size=0, max_size=40),
    limit=st.one_of(st.none(), st.integers(1, 6)),
    seed=st.integers(0, 10**6),
)
def test_sharded_pages_merge_in_order_when_shards_return_short_pages(
    sort_values: list[int], limit: int | None, seed: int
) -> None:
    from dynamodel.compile import build_item

    design = shop.design
    partitions: dict[str, list[dict[str, Any]]] = {}
    expected = []
    for n, v in enumerate(sort_values):
        values = {
            "order_id": f"o{n}",
            "customer_id": "c",
            "status": "OPEN",
            "placed_at": T0 + timedelta(minutes=v),
            "total": Decimal(1),
            "customer_name": "x",
        }
        item, _ = build_item(design, "Order", values, version=1)
        partitions.setdefault(item["GSI2PK"]["S"], []).append(item)
        expected.append((item["GSI2SK"]["S"], f"o{n}"))
    fake = ShortPageClient(partitions, "GSI2SK", seed)
    table = shop.connect("fake", fake)  # type: ignore[arg-type]
    got = [o.order_id for o in table.open_orders_by_date.iterate(limit=limit) if isinstance(o, Order)]
    assert sorted(got) == sorted(o for _, o in expected)  # every item once
    keys = {o: k for k, o in expected}
    assert [keys[o] for o in got] == sorted(keys[o] for o in got)  # in sort-key order
