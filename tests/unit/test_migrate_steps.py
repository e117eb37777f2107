"""The pure half of the runner: templates read back from design JSON, per-item writes, units."""

from __future__ import annotations

from typing import Any

import pytest
from example_apps import discover_apps
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dynamodel.codec import entity_to_item
from dynamodel.compile import build_item
from dynamodel.design import design_to_dict
from dynamodel.errors import MigrationError, RequestError
from dynamodel.migrate.layouts import entity_keys_from_json, guard_from_json, template_from_pattern
from dynamodel.migrate.ops import NATIVE_KEY, FillIndexKeys, RemoveIndexKeys
from dynamodel.migrate.steps import item_size, item_writes, write_units
from dynamodel.testing.strategies import for_app

APPS = {app.name: app for app in discover_apps()}


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_template_reads_back_from_its_design_json(name: str) -> None:
    design = APPS[name].design
    doc = design_to_dict(design)
    for keys in design.keys:
        entry = doc["entities"][keys.entity][keys.index]
        assert entity_keys_from_json(design.entity_spec(keys.entity), keys.index, entry) == keys
    for guard, entry in zip(design.guards, doc["unique_guards"], strict=True):
        assert guard_from_json(design.app.entity(guard.entity), entry) == guard


def test_a_template_naming_an_undeclared_attribute_says_so() -> None:
    spec = APPS["shop"].design.app.entity("Order")
    with pytest.raises(MigrationError, match=r"Order\.coupon, which is not declared"):
        template_from_pattern("ORDER#{coupon}#", spec)
    with pytest.raises(MigrationError, match="does not end with '#'"):
        template_from_pattern("ORDER#{order_id}", spec)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(APPS)))
def test_a_fill_writes_exactly_the_keys_build_item_writes_and_then_nothing(
    data: st.DataObject, name: str
) -> None:
    design = APPS[name].design
    doc = design_to_dict(design)
    # Index items (Employee@1) are written with their entity, never filled by a migration.
    entity = data.draw(
        st.sampled_from(sorted(e for e in doc["entities"] if e not in doc.get("index_items", {})))
    )
    values = data.draw(for_app(design.app)[entity])
    try:
        full, _ = build_item(design, entity, values, version=3)
    except RequestError:
        assume(False)  # a copied key attribute the runtime fills from its source: not drawn here
        raise
    for index, entry in doc["entities"][entity].items():
        if index == "table":
            continue
        ix = design.index(index)
        if ix.native:  # keyed on the item's attributes: a fill writes at most the stored shard
            native = FillIndexKeys(entity, index, {**entry, NATIVE_KEY: True})
            written = item_writes(native, design.app.entity, {k: v for k, v in full.items() if k != "_shard"})
            assert bool(written) == ("_shard" in full)
            assert item_writes(native, design.app.entity, full) == []
            continue
        names = ix.written_keys()
        bare = {k: v for k, v in full.items() if k not in names}
        writes = item_writes(FillIndexKeys(entity, index, entry), design.app.entity, bare)
        if names[0] not in full:  # not in the (sparse) index: nothing to add
            assert writes == []
            continue
        (w,) = writes
        sent = {
            w.kwargs["ExpressionAttributeNames"][n]: w.kwargs["ExpressionAttributeValues"][":" + n[1:]]
            for n in w.kwargs["ExpressionAttributeNames"]
            if n.startswith("#s")
        }
        assert sent == {n: full[n] for n in names}
        assert "#m0" in w.kwargs["ConditionExpression"]  # conditioned on the item read
        assert w.index_units == write_units(None, full)  # the whole item enters the index
        assert item_writes(FillIndexKeys(entity, index, entry), design.app.entity, full) == []
        (removed,) = item_writes(RemoveIndexKeys(entity, index, entry), design.app.entity, full)
        assert removed.index_units == write_units(full, None)


def test_write_units_follow_dynamodbs_one_kilobyte_steps() -> None:
    small: dict[str, Any] = {"PK": {"S": "a"}, "n": {"N": "12345"}}
    assert item_size(small) == 2 + 1 + 1 + 4  # names PK and n, the string, 5 digits in 3 bytes + 1
    big = {"PK": {"S": "x" * 1500}}
    assert write_units(None, small) == 1
    assert write_units(small, big) == 2
    assert write_units(big, None) == 2
    assert item_size(entity_to_item(APPS["shop"].design.app.entity("Customer"), {"customer_id": "c"})) > 0
