"""A copy stamp belongs to one source: a write that moves a target to another source resets it.

Engine assumed: moto in process (``InProcessEngine``), streams drained by the local driver.
Regression of issue 11 item 4: ``put()`` kept the target's ``_copyver_<Source>`` stamp when
its reference moved to another source; a new source with a lower stamp (created earlier,
so a lower ``_born``) then never reached the copy again, and repair refused to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from stored_items import settle, stored

from access_patterns.shop import Customer, Order, shop
from dynamodel import App, Copy, Entity, Get
from dynamodel.compile import build_item
from dynamodel.layout import COPYVER_PREFIX
from dynamodel.propagate import repair_copies
from dynamodel.runtime import writes
from dynamodel.runtime.table import Table
from dynamodel.testing import app_machine
from dynamodel.testing.inprocess import InProcessEngine, create_test_table

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine() -> InProcessEngine:
    return InProcessEngine()


@pytest.fixture
def shop_table(engine: InProcessEngine) -> Iterator[Table]:
    table = create_test_table(shop, engine.client())
    yield table
    table.client.delete_table(TableName=table.name)


def rename(table: Table, customer_id: str, name: str) -> None:
    customer = table.get_customer(customer_id=customer_id)
    assert customer is not None
    customer.name = name
    table.update(customer)


def test_put_to_an_older_source_then_renaming_it_reaches_the_copy(
    shop_table: Table, engine: InProcessEngine
) -> None:
    table = shop_table
    table.create(Customer(customer_id="old", email="a@example.com", name="Ann", order_count=0))
    table.create(Customer(customer_id="new", email="b@example.com", name="Bob", order_count=0))
    order = Order(order_id="o1", customer_id="new", status="OPEN", placed_at=T0, total=Decimal(1))
    table.place_order(order, lines=[])
    settle(table, engine)  # o1 is stamped with "new"'s stamp (a later _born: a higher stamp)

    moved = Order(order_id="o1", customer_id="old", status="OPEN", placed_at=T0, total=Decimal(1))
    table.put(moved)
    settle(table, engine)
    rename(table, "old", "Ann B")
    settle(table, engine)

    assert stored(table, "Order", order_id="o1")["customer_name"] == {"S": "Ann B"}
    assert repair_copies(table.design, table.name, table.client).fixed == 0


def test_a_moved_target_never_carries_the_stamp_of_its_previous_source(
    shop_table: Table, engine: InProcessEngine
) -> None:
    table = shop_table
    table.create(Customer(customer_id="old", email="a@example.com", name="Ann", order_count=0))
    table.create(Customer(customer_id="new", email="b@example.com", name="Bob", order_count=0))
    table.place_order(
        Order(order_id="o1", customer_id="new", status="OPEN", placed_at=T0, total=Decimal(1)), lines=[]
    )
    settle(table, engine)
    new_stamp = stored(table, "Order", order_id="o1")["_copyver_Customer"]

    table.put(Order(order_id="o1", customer_id="old", status="OPEN", placed_at=T0, total=Decimal(1)))

    assert stored(table, "Order", order_id="o1").get("_copyver_Customer") != new_stamp


# A copy target that is itself a copy source: its versioned update() is an upsert (keeps _born).
class Region(Entity, identity=("region_id",)):
    region_id: str
    label: str


class Store(Entity, identity=("store_id",)):
    store_id: str
    region_id: str
    title: str
    region_label: str = Copy(Region.label)


class Shelf(Entity, identity=("shelf_id",)):
    shelf_id: str
    store_id: str
    store_title: str = Copy(Store.title)


chain = App(
    "chain",
    [Region, Store, Shelf],
    patterns=[Get(Region, by="region_id", name="get_region"), Get(Store, by="store_id", name="get_store")],
)


def test_update_of_a_target_that_is_also_a_source_resets_the_stamp(engine: InProcessEngine) -> None:
    table = create_test_table(chain, engine.client())
    try:
        table.create(Region(region_id="old", label="North"))
        table.create(Region(region_id="new", label="South"))
        store = table.create(Store(store_id="s1", region_id="new", title="Main"))
        settle(table, engine)
        store.region_id = "old"
        table.update(store)
        settle(table, engine)
        north = table.get_region(region_id="old")
        assert north is not None
        north.label = "Far North"
        table.update(north)
        settle(table, engine)

        assert stored(table, "Store", store_id="s1")["region_label"] == {"S": "Far North"}
    finally:
        table.client.delete_table(TableName=table.name)


def _replay_the_frozen_copy() -> None:
    """The steps the AppMachine needs to meet issue 11 item 4 (its random runs rarely do:
    the order must be stamped by a drain before it moves to an older customer)."""
    state: Any = app_machine(shop)()  # rules are attached per app at run time
    check = ("get_customer", 1)
    try:
        old = state.create_Customer(
            check=check, values={"customer_id": "a", "email": "a", "name": "A", "order_count": 0}
        )
        new = state.create_Customer(
            check=check, values={"customer_id": "b", "email": "b", "name": "B", "order_count": 0}
        )
        values = {"order_id": "o", "customer_id": "b", "status": "OPEN", "placed_at": T0, "total": Decimal(1)}
        order = state.create_Order_in_Customer(check=check, parent=new, values=values)
        state.update_Customer(ref=new, changes={"name": "B2"}, mode="update", check=check)  # drains: stamps o
        state.update_Order_in_Customer(ref=order, changes={}, mode="put", check=check, parent=old)
        state.update_Customer(ref=old, changes={"name": "A2"}, mode="update", check=check)
        state.check_table()
    finally:
        state.teardown()


def test_the_app_machine_sees_a_frozen_copy_in_this_replay() -> None:
    _replay_the_frozen_copy()


def test_the_app_machine_fails_this_replay_when_a_write_keeps_the_stamp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Teeth for issue 11 item 4: the bug put back (a write leaves the old source's stamp on
    the target), the machine's own checks fail on the replay above."""

    def keeping_stamps(*args: Any, **kwargs: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        item, remove = build_item(*args, **kwargs)
        return item, tuple(name for name in remove if not name.startswith(COPYVER_PREFIX))

    monkeypatch.setattr(writes, "build_item", keeping_stamps)
    with pytest.raises(AssertionError, match="customer_name"):
        _replay_the_frozen_copy()
