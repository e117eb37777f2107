"""``max_gsis``: a budget of GSIs the app declares; a design over it is refused, naming why."""

from __future__ import annotations

import pytest

from access_patterns.shop import shop
from dynamodel import App, DefinitionError
from dynamodel.errors import TooManyIndexesError, UnsatisfiablePatternError
from dynamodel.spec_file import dump_spec, parse_spec


def _shop(max_gsis: int | None) -> App:
    return App("shop", list(shop.models.values()), list(shop.spec.patterns), max_gsis=max_gsis)


def test_a_design_within_the_budget_is_the_same_design() -> None:
    assert _shop(2).design.indexes == shop.design.indexes
    assert _shop(None).design.indexes == shop.design.indexes


def test_over_the_budget_each_index_is_named_with_the_patterns_that_force_it() -> None:
    with pytest.raises(TooManyIndexesError) as info:
        _ = _shop(1).design
    err = info.value
    assert err.code == "too-many-indexes"
    assert isinstance(err, UnsatisfiablePatternError)  # what callers caught before still catches it
    text = str(err)
    assert "needs 2 GSIs; max_gsis is 1" in text
    assert "GSI1: customer_with_recent_orders, orders_of_customer" in text
    assert "GSI2: customer_by_email, open_orders_by_date" in text
    assert err.hint


def test_the_budget_round_trips_through_a_spec_file_and_is_checked() -> None:
    dumped = dump_spec(_shop(3).spec)
    assert dumped["max_gsis"] == 3
    assert parse_spec(dumped) == _shop(3).spec
    assert "max_gsis" not in dump_spec(shop.spec)
    for bad in (-1, 21, "two", True):
        with pytest.raises(DefinitionError, match="max_gsis"):
            parse_spec({**dumped, "max_gsis": bad})
