"""Native multi-attribute GSI keys at run time: stored items, queries, shards, copies, machines.

Engine assumed: moto's server on 127.0.0.1 (the integration conftest). moto 5.2.5 executes
multi-attribute GSI keys: equality on every partition attribute, the sort attributes left to
right, a range on the last one used, numbers in numeric order.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

import pytest
from stored_items import stored

from dynamodel import App, Copy, Entity, Get, NonEmptyStr, Query, RequestError
from dynamodel.engine import EmbeddedEngine
from dynamodel.propagate import drain
from dynamodel.testing import machine_settings, run_app_machine
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Shop(Entity, identity=("shop_id",)):
    shop_id: NonEmptyStr
    name: NonEmptyStr


class Sale(Entity, identity=("sale_id",), parent=Shop):
    sale_id: NonEmptyStr
    shop_id: NonEmptyStr
    region: Literal["EU", "US"]
    sold_at: datetime
    amount: Decimal
    shop_name: str = Copy(Shop.name)


def _sales(style: Literal["auto", "native"] = "auto") -> App:
    return App(
        "natsales",
        [Shop, Sale],
        patterns=[
            Get(Shop, by="shop_id", name="get_shop"),
            Get(Sale, by="sale_id", name="get_sale"),
            Query(Sale, by=["shop_id", "region"], sort="sold_at", range="between", name="sales_of_shop"),
            Query(Sale, sort="amount", range="gte", order="desc", name="sales_by_amount"),
            Query(Sale, by="shop_name", sort="sold_at", name="sales_by_shop_name"),
            Query(Sale, where={"region": "EU"}, sort="sold_at", writes_per_s=2500, name="eu_sales"),
        ],
        key_style=style,
    )


AMOUNTS = [Decimal("9"), Decimal("10"), Decimal("-2.5"), Decimal("100.25"), Decimal("0")]


def _fill(table: object, app: App) -> None:
    table.create(Shop(shop_id="s1", name="Corner"))  # type: ignore[attr-defined]
    for i, amount in enumerate(AMOUNTS):
        table.create(  # type: ignore[attr-defined]
            Sale(
                sale_id=f"k{i}",
                shop_id="s1",
                region="EU" if i % 2 == 0 else "US",
                sold_at=T0 + timedelta(hours=i),
                amount=amount,
            )
        )


def test_the_native_indexes_serve_their_queries_in_order(make_table: MakeTable) -> None:
    app = _sales()
    natives = {ix.name for ix in app.design.indexes if ix.native}
    assert {app.design.plan(p).index for p in ("sales_of_shop", "sales_by_amount")} <= natives
    table = make_table(app)
    _fill(table, app)
    eu = table.sales_of_shop.iterate(shop_id="s1", region="EU", lo=T0, hi=T0 + timedelta(hours=3))
    assert [s.sale_id for s in eu] == ["k0", "k2"]
    # Numbers sort as numbers (a string order would put 10 before 9 and 100.25 first).
    top = table.sales_by_amount.iterate(value=Decimal("0"))
    assert [s.amount for s in top] == [Decimal("100.25"), Decimal("10"), Decimal("9"), Decimal("0")]
    # Pages: a cursor continues where the page stopped.
    first = table.sales_by_amount(value=Decimal("-10"), limit=2)
    assert [s.sale_id for s in first.items] == ["k3", "k1"]
    assert first.cursor is not None
    rest = table.sales_by_amount(value=Decimal("-10"), limit=10, cursor=first.cursor)
    assert [s.sale_id for s in rest.items] == ["k0", "k4", "k2"]


def test_a_native_item_carries_no_rendered_index_keys(make_table: MakeTable) -> None:
    app = _sales()
    table = make_table(app)
    _fill(table, app)
    item = stored(table, "Sale", sale_id="k0")
    for ix in app.design.indexes:
        if ix.native:
            assert f"{ix.name}PK" not in item
            assert f"{ix.name}SK" not in item


def test_a_copy_in_a_native_key_re_keys_its_item_when_propagation_refreshes_it(
    make_table: MakeTable, engine: EmbeddedEngine
) -> None:
    app = _sales()
    assert app.design.index(app.design.plan("sales_by_shop_name").index).native
    table = make_table(app)
    streams = engine.streams_client()
    _fill(table, app)
    drain(app.design, table.name, table.client, streams)
    shop = table.get_shop(shop_id="s1")
    assert shop is not None
    shop.name = "Plaza"
    table.update(shop)
    report = drain(app.design, table.name, table.client, streams)
    assert report.dead_letters == []
    assert [s.sale_id for s in table.sales_by_shop_name.iterate(shop_name="Plaza")] == [
        f"k{i}" for i in range(5)
    ]
    assert list(table.sales_by_shop_name.iterate(shop_name="Corner")) == []


def test_native_style_keys_a_sharded_predicate_index_on_the_stored_shard(make_table: MakeTable) -> None:
    app = _sales("native")
    ix = app.design.index(app.design.plan("eu_sales").index)
    assert ix.native
    assert ("_shard", "N") in ix.partition_attributes
    keys = app.design.keys_for("Sale", ix.name)
    assert keys is not None
    assert keys.shards > 1
    table = make_table(app)
    _fill(table, app)
    for i in range(5):
        item = stored(table, "Sale", sale_id=f"k{i}")
        crc = zlib.crc32((item["PK"]["S"] + item["SK"]["S"]).encode()) % keys.shards
        assert item["_shard"] == {"N": str(crc)}
    # Every shard is read and merged by the sort key; only EU sales (the predicate is the key).
    assert [s.sale_id for s in table.eu_sales.iterate()] == ["k0", "k2", "k4"]


def test_an_empty_value_in_a_native_key_is_refused_before_anything_is_sent(make_table: MakeTable) -> None:
    table = make_table(_sales())
    table.create(Shop(shop_id="s1", name="Corner"))
    bad = Sale.model_construct(
        sale_id="", shop_id="s1", region="EU", sold_at=T0, amount=Decimal(1), shop_name="Corner"
    )  # model_construct skips pydantic's check, as data from elsewhere might
    with pytest.raises(RequestError, match=r"Sale\.sale_id is empty, and it keys index GSI"):
        table.create(bad)
    assert table.get_sale(sale_id="") is None


@pytest.mark.parametrize("style", ["auto", "native"])
def test_the_app_machine_agrees_with_the_oracle_on_native_keys(style: Literal["auto", "native"]) -> None:
    run_app_machine(_sales(style), settings=machine_settings(max_examples=4, database=None))


def test_pages_of_a_sharded_native_index_continue_in_order(make_table: MakeTable) -> None:
    """A cursor holds each shard's start key with every key attribute of the native index, and
    the shards merge by the whole sort key (found by the AppMachine: the start key held only the
    first attribute of each part, which DynamoDB refuses)."""
    app = _sales("native")
    table = make_table(app)
    table.create(Shop(shop_id="s1", name="Corner"))
    for i in range(6):  # equal sale times: the order falls to sale_id, the next sort attribute
        table.create(
            Sale(
                sale_id=f"k{i}",
                shop_id="s1",
                region="EU",
                sold_at=T0 + timedelta(hours=i // 2),
                amount=Decimal(i),
            )
        )
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = table.eu_sales(limit=1, cursor=cursor)
        seen += [s.sale_id for s in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == [f"k{i}" for i in range(6)]
