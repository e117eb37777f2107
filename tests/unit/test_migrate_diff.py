"""Design diff → migration operations (issue 13 item 3, the pure half)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from example_apps import discover_apps
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from paths import SHOP_YAML

from access_patterns.shop import shop
from dynamodel.design import derive, design_to_dict
from dynamodel.errors import MigrationError, UnsatisfiablePatternError
from dynamodel.migrate import ops
from dynamodel.migrate.diff import diff_designs
from dynamodel.spec import AppSpec
from dynamodel.spec_file import parse_spec_text

APPS = {app.name: app for app in discover_apps()}


def _without(spec: AppSpec, dropped: frozenset[int]) -> dict[str, Any]:
    """The design JSON of ``spec`` with the read patterns at the ``dropped`` positions left out.

    An edit that leaves a pattern unservable (hr's strong read without the collection that
    keeps its LSI) is not a design: the example is discarded.
    """
    reads = [p for p in spec.patterns if p.kind != "write"]
    gone = {reads[i].name for i in dropped if i < len(reads)}
    kept = tuple(p for p in spec.patterns if p.name not in gone)
    try:
        return design_to_dict(derive(dataclasses.replace(spec, patterns=kept)))
    except UnsatisfiablePatternError:
        assume(False)
        raise


def _diff(a: dict[str, Any], b: dict[str, Any]) -> list[ops.Operation]:
    """``diff_designs``; an edit a live table cannot take (an LSI or index items gained or lost,
    test_local_indexes.py and test_adjacency.py) discards the example."""
    try:
        return diff_designs(a, b)
    except MigrationError:
        assume(False)
        raise


def _key(op: ops.Operation) -> str:
    return repr(op)


@pytest.mark.parametrize("name", sorted(APPS))
def test_a_design_needs_no_migration_to_itself(name: str) -> None:
    design = design_to_dict(APPS[name].design)
    assert diff_designs(design, design) == []


edits = st.tuples(
    st.sampled_from(sorted(APPS)),
    st.frozensets(st.integers(0, 12), max_size=4),
    st.frozensets(st.integers(0, 12), max_size=4),
)


@settings(max_examples=40, deadline=None)
@given(edit=edits)
def test_the_way_back_is_the_reverse_of_the_way_there(
    edit: tuple[str, frozenset[int], frozenset[int]],
) -> None:
    name, drop_a, drop_b = edit
    a, b = _without(APPS[name].spec, drop_a), _without(APPS[name].spec, drop_b)
    there, back = _diff(a, b), _diff(b, a)
    reversed_there: list[ops.Operation] = [r for op in there if (r := op.reverse()) is not None]
    # Copies the old design had need no filling on the way back (the attributes stayed).
    only_back: list[ops.Operation] = [op for op in back if isinstance(op, ops.FillCopies)]
    assert sorted(map(_key, reversed_there + only_back)) == sorted(map(_key, back))
    # Expanding steps come before every contracting one.
    kinds = [op.expands for op in there]
    assert kinds == sorted(kinds, reverse=True), there


@settings(max_examples=25, deadline=None)
@given(edit=edits)
def test_every_operation_reads_back_from_its_repr(edit: tuple[str, frozenset[int], frozenset[int]]) -> None:
    # A migration file lists operations as Python a person can read and edit.
    name, drop_a, drop_b = edit
    for op in _diff(_without(APPS[name].spec, drop_a), _without(APPS[name].spec, drop_b)):
        assert eval(repr(op), vars(ops)) == op


EMAIL_LOOKUP = "  - {name: customer_by_email, get: Customer, by: [email], unique: true}\n"
LINES_BY_SKU = "  - {name: lines_by_sku, query: OrderLine, by: [sku], sort: qty}\n"
ORDERS_BY_TOTAL = "  - {name: orders_by_total, query: Order, by: [customer_id], sort: total}\n"


def test_dropping_the_email_lookup_removes_the_customers_gsi2_keys_and_the_guard() -> None:
    text = SHOP_YAML.read_text(encoding="utf-8")
    fewer = design_to_dict(derive(parse_spec_text(text.replace(EMAIL_LOOKUP, ""))))
    steps = diff_designs(design_to_dict(shop.design), fewer)
    # GSI2 stays (open orders use it); uniqueness was declared by the dropped lookup.
    assert [type(s) for s in steps] == [ops.RemoveIndexKeys, ops.RemoveGuards]
    assert steps[0].describe() == "Customer on GSI2: keys removed"
    assert steps[0].reverse() == ops.FillIndexKeys(
        "Customer", "GSI2", {"pk": "CUSTOMER#{email}#", "sk": "CUSTOMER#{customer_id}#"}
    )


def _with(pattern: str) -> dict[str, Any]:
    text = SHOP_YAML.read_text(encoding="utf-8")
    return design_to_dict(derive(parse_spec_text(text.replace(EMAIL_LOOKUP, EMAIL_LOOKUP + pattern))))


def test_a_new_pattern_that_needs_an_index_creates_it_then_fills_its_keys() -> None:
    steps = diff_designs(design_to_dict(shop.design), _with(ORDERS_BY_TOTAL))
    assert [s.describe() for s in steps] == [
        "index GSI3: created",
        "Order on GSI3: keys added {'pk': 'ORDER#{customer_id}#', 'sk': 'ORDER#{total}#{order_id}#'}",
    ]


def test_a_new_pattern_served_by_an_existing_index_only_fills_keys() -> None:
    steps = diff_designs(design_to_dict(shop.design), _with(LINES_BY_SKU))
    assert [(type(s), getattr(s, "entity", None)) for s in steps] == [(ops.FillIndexKeys, "OrderLine")]


def test_a_change_of_the_tables_own_keys_is_refused() -> None:
    old = design_to_dict(shop.design)
    new = {**old, "table": {"partition_key": "pk", "sort_key": "sk"}}
    with pytest.raises(MigrationError, match="key attributes change") as info:
        diff_designs(old, new)
    assert "create a new table" in (info.value.hint or "")


def test_stream_follows_the_copy_paths() -> None:
    old = design_to_dict(shop.design)
    without_copies = {**old, "copy_paths": []}
    assert diff_designs(old, without_copies) == [ops.DisableStream()]
    assert [type(op) for op in diff_designs(without_copies, old)] == [ops.EnableStream, ops.FillCopies]
