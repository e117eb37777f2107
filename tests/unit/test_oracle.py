"""The oracle answers patterns independently of the design, and check_result has teeth."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from paths import SHOP_YAML

from dynamodel.keys import component
from dynamodel.spec_file import load_spec_file
from dynamodel.testing import Oracle, check_result
from dynamodel.testing.strategies import adversarial_text, for_entity

SHOP = load_spec_file(SHOP_YAML)
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def order(i: int, customer: str, status: str = "OPEN") -> dict[str, object]:
    return {
        "order_id": f"o{i}",
        "customer_id": customer,
        "status": status,
        "placed_at": T0 + dt.timedelta(days=i),
        "total": Decimal(i),
        "customer_name": "n",
    }


def loaded() -> Oracle:
    o = Oracle(SHOP)
    o.put("Customer", {"customer_id": "c1", "email": "a@x", "name": "A", "order_count": 0})
    for i in range(5):
        o.put("Order", order(i, "c1" if i % 2 == 0 else "c2", "OPEN" if i < 3 else "SHIPPED"))
    return o


def test_query_filters_sorts_and_ranges() -> None:
    o = loaded()
    got = o.answer("orders_of_customer", {"customer_id": "c1", "lo": T0, "hi": T0 + dt.timedelta(days=3)})
    assert [v["order_id"] for _, v in got] == ["o2", "o0"]  # desc, o4 out of range


def test_collection_puts_unsorted_members_first() -> None:
    got = loaded().answer("customer_with_recent_orders", {"customer_id": "c1"})
    assert [e for e, _ in got] == ["Customer", "Order", "Order", "Order"]


def test_where_is_a_static_predicate() -> None:
    got = loaded().answer("open_orders_by_date", {"lo": T0, "hi": T0 + dt.timedelta(days=9)})
    assert [v["order_id"] for _, v in got] == ["o0", "o1", "o2"]


def test_check_result_accepts_ties_in_any_order_and_rejects_wrong_answers() -> None:
    o = loaded()
    args = {"customer_id": "c1"}
    right = o.answer("customer_with_recent_orders", args)
    check_result(o, "customer_with_recent_orders", args, right)
    with pytest.raises(AssertionError, match="items differ"):
        check_result(o, "customer_with_recent_orders", args, right[:-1])
    with pytest.raises(AssertionError, match="order"):
        check_result(o, "customer_with_recent_orders", args, [right[0], *reversed(right[1:])])
    with pytest.raises(AssertionError, match="first"):
        check_result(o, "customer_with_recent_orders", args, [*right[1:], right[0]])


def test_equal_values_in_other_types_are_equal() -> None:
    o = Oracle(SHOP)
    o.put("Order", order(1, "c1"))
    moved = dict(order(1, "c1"))
    moved["placed_at"] = (T0 + dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=5)))
    moved["total"] = Decimal("1.00")
    check_result(
        o,
        "orders_of_customer",
        {"customer_id": "c1", "lo": T0, "hi": T0 + dt.timedelta(days=9)},
        [("Order", moved)],
    )


@given(adversarial_text(SHOP))
def test_adversarial_text_is_encodable(text: str) -> None:
    assert component("str", text).endswith("#")


@given(for_entity(SHOP.entity("Order"), SHOP))
def test_entity_strategy_respects_declared_types(values: dict[str, object]) -> None:
    assert values["status"] in ("OPEN", "SHIPPED", "CANCELLED")
    assert isinstance(values["placed_at"], dt.datetime)
    assert values["placed_at"].tzinfo is not None
    assert isinstance(values["total"], Decimal)
    assert "customer_name" not in values  # copies come from their source


@given(st.data())
def test_oracle_answers_match_a_naive_filter(data: st.DataObject) -> None:
    o = Oracle(SHOP)
    customers = ["c1", "c2", "c#3"]
    rows = data.draw(
        st.lists(
            for_entity(SHOP.entity("Order"), SHOP, fixed={"customer_id": st.sampled_from(customers)}),
            max_size=12,
        )
    )
    for r in rows:
        o.put("Order", {**r, "customer_name": "n"})
    cid = data.draw(st.sampled_from(customers))
    got = o.answer(
        "orders_of_customer", {"customer_id": cid, "lo": T0.replace(year=1900), "hi": T0.replace(year=2300)}
    )
    latest = {r["order_id"]: r for r in rows}
    assert sorted(v["order_id"] for _, v in got) == sorted(
        k for k, r in latest.items() if r["customer_id"] == cid
    )
