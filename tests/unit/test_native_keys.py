"""Which GSIs key natively (``key_style``), and how the declarations say so. Pure: no engine."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Literal

import pytest
from pydantic import Field

from dynamodel import App, DefinitionError, Entity, Get, NonEmptyStr, Query, parse_spec_text
from dynamodel.design.explain import design_to_dict, design_to_json
from dynamodel.design.model import Design, IndexSpec
from dynamodel.design.native import native_form
from dynamodel.migrate.diff import diff_designs
from dynamodel.migrate.ops import FillIndexKeys
from dynamodel.spec_file import dump_spec


class Shop(Entity, identity=("shop_id",)):
    shop_id: NonEmptyStr
    name: str


class Sale(Entity, identity=("sale_id",), parent=Shop):
    sale_id: NonEmptyStr
    shop_id: NonEmptyStr
    region: Literal["EU", "US"]
    sold_at: datetime
    amount: Decimal
    note: str = ""


class Loose(Entity, identity=("loose_id",)):
    loose_id: str  # may be empty: DynamoDB refuses "" as a key value
    owner: str


def _app(style: Literal["auto", "synthetic", "native"] = "auto", **extra: object) -> App:
    return App(
        "sales",
        [Shop, Sale],
        patterns=[
            Get(Shop, by="shop_id", name="get_shop"),
            Get(Sale, by="sale_id", name="get_sale"),
            Query(Sale, by=["shop_id", "region"], sort="sold_at", range="between", name="sales_of_shop"),
            Query(Sale, sort="amount", range="gte", name="sales_by_amount"),
        ],
        key_style=style,
        **extra,  # type: ignore[arg-type]
    )


def _index_of(design: Design, pattern: str) -> IndexSpec:
    return design.index(design.plan(pattern).index)


def test_a_one_entity_index_over_non_empty_attributes_keys_natively() -> None:
    design = _app().design
    ix = _index_of(design, "sales_of_shop")
    assert ix.native
    # The synthetic key's attributes, in its order: equality first, then the sort and identity.
    assert ix.partition_attributes == (("shop_id", "S"), ("region", "S"))
    assert ix.sort_attributes == (("sold_at", "S"), ("sale_id", "S"))
    assert design.plan("sales_of_shop").key_condition == (
        "shop_id = :shop_id AND region = :region AND sold_at BETWEEN :lo AND :hi"
    )


def test_a_constant_partition_keys_on_the_entity_name_and_numbers_sort_as_numbers() -> None:
    ix = _index_of(_app().design, "sales_by_amount")
    assert ix.native
    assert ix.partition_attributes == (("_type", "S"),)
    assert ix.sort_attributes == (("amount", "N"), ("sale_id", "S"))


def test_an_attribute_that_may_be_empty_keeps_its_index_synthetic_and_says_why() -> None:
    design = App(
        "loose", [Loose], patterns=[Query(Loose, by="owner", sort="loose_id", name="loose_of_owner")]
    ).design
    ix = _index_of(design, "loose_of_owner")
    assert not ix.native
    why = native_form(design, ix)
    assert isinstance(why, str)
    assert "Loose.owner may be empty" in why
    assert "min_length=1" in why


def test_synthetic_style_renders_every_key_and_names_no_native_attribute() -> None:
    design = _app("synthetic").design
    assert not any(ix.native for ix in design.indexes)
    assert all("partition_attributes" not in ix for ix in design_to_dict(design)["indexes"])
    # No native attribute among the table's key definitions: only the rendered strings.
    assert {t for _, t in design.key_definitions()} == {"S"}
    assert {n for n, _ in design.key_definitions()} == set(design.key_attribute_names())


def test_auto_keeps_the_same_indexes_and_plans_as_synthetic() -> None:
    auto, synthetic = _app().design, _app("synthetic").design
    assert [ix.name for ix in auto.indexes] == [ix.name for ix in synthetic.indexes]
    assert [(p.name, p.index, p.requests) for p in auto.plans] == [
        (p.name, p.index, p.requests) for p in synthetic.plans
    ]
    # Native indexes render no keys: their attributes are the entity's own.
    native = {ix.name for ix in auto.indexes if ix.native}
    assert native
    assert not {f"{n}PK" for n in native} & set(auto.key_attribute_names())


def test_indexes_shared_by_unrelated_entities_stay_synthetic_in_auto() -> None:
    """Sharing a GSI across components saves one; native keys cannot tell the entities apart."""
    app = App(
        "mixed",
        [Sale, Shop, Loose],
        patterns=[
            Query(Sale, sort="amount", range="gte", name="sales_by_amount"),
            Query(Loose, by="owner", sort="loose_id", name="loose_of_owner"),
        ],
    )
    assert len(app.design.indexes) == 1
    assert not app.design.indexes[0].native
    assert len(app.with_key_style("native").design.indexes) == 2  # Sale's keys natively, on its own


def test_the_design_json_says_native_only_for_native_indexes() -> None:
    entries = {ix["name"]: ix for ix in design_to_dict(_app().design)["indexes"]}
    native = [e for e in entries.values() if e.get("key_style") == "native"]
    assert native
    for e in native:
        assert e["partition_key"] == e["partition_attributes"][0]["name"]
        assert {a["type"] for a in (*e["partition_attributes"], *e["sort_attributes"])} <= {"S", "N", "B"}
    assert design_to_json(_app().design) == design_to_json(_app().design)


def test_a_deployed_synthetic_index_stays_synthetic_under_auto() -> None:
    deployed = json.loads(design_to_json(_app("synthetic").design))
    again = App(
        "sales",
        [Shop, Sale],
        patterns=_app().spec.patterns,
        baseline=deployed,
    ).design
    assert not any(ix.native for ix in again.indexes)
    assert diff_designs(deployed, design_to_dict(again)) == []


def test_native_style_rebuilds_a_deployed_index_under_a_new_name() -> None:
    deployed = json.loads(design_to_json(_app("synthetic").design))
    native = App(
        "sales",
        [Shop, Sale],
        patterns=_app().spec.patterns,
        key_style="native",
        baseline=deployed,
    ).design
    old_names = {ix["name"] for ix in deployed["indexes"]}
    for ix in native.indexes:
        if ix.native:
            assert ix.name not in old_names  # DynamoDB cannot re-key an index in place
    ops = diff_designs(deployed, design_to_dict(native))
    # The new native indexes are built from attributes items have: no item is rewritten for them.
    assert not [op for op in ops if isinstance(op, FillIndexKeys)]


def test_a_new_native_index_needs_no_backfill_where_a_synthetic_one_rewrites_every_item() -> None:
    before = App("sales", [Shop, Sale], patterns=[Get(Sale, by="sale_id", name="get_sale")])
    for style, fills in (("synthetic", 1), ("auto", 0)):
        after = _app(style)  # type: ignore[arg-type]
        ops = diff_designs(design_to_dict(before.design), design_to_dict(after.design))
        filled = [op for op in ops if isinstance(op, FillIndexKeys) and op.entity == "Sale"]
        assert len(filled) == fills * 2, (style, filled)  # two Sale GSIs


def test_native_style_splits_overloaded_indexes_only_when_that_keys_more_natively() -> None:
    from access_patterns.library import library
    from access_patterns.tickets import tickets

    auto, native = tickets.design, tickets.with_key_style("native").design
    assert sum(ix.native for ix in native.indexes) > sum(ix.native for ix in auto.indexes)
    for ix in native.indexes:
        if ix.native:
            assert len({k.entity for k in native.keys if k.index == ix.name}) == 1
    # Library's ids may be empty, so splitting would key nothing natively: it keeps its 3 GSIs.
    assert len(library.with_key_style("native").design.indexes) == len(library.design.indexes)


def test_min_length_is_read_from_pydantic_and_round_trips_through_a_spec_file() -> None:
    class Doc(Entity, identity=("doc_id",)):
        doc_id: NonEmptyStr
        title: str = Field(min_length=3)
        tag: NonEmptyStr | None = None

    spec = Doc.__entity_spec__
    assert [a.min_length for a in spec.attributes] == [1, 3, 1]
    text = """
app: docs
key_style: native
entities:
  Doc:
    identity: [doc_id]
    attributes:
      doc_id: {type: str, min_length: 1}
      title: str
patterns:
  - {name: get_doc, get: Doc, by: [doc_id]}
"""
    parsed = parse_spec_text(text)
    assert parsed.key_style == "native"
    assert parsed.entity("Doc").attribute("doc_id").min_length == 1  # type: ignore[union-attr]
    dumped = dump_spec(parsed)
    assert dumped["key_style"] == "native"
    assert dumped["entities"]["Doc"]["attributes"]["doc_id"] == {"type": "str", "min_length": 1}
    assert "key_style" not in dump_spec(_app().spec)  # the default is not written


def test_a_bad_key_style_is_refused_clearly() -> None:
    spec = "app: x\nkey_style: fancy\nentities:\n  A:\n    identity: [a]\n    attributes: {a: str}\n"
    with pytest.raises(DefinitionError, match="key_style='fancy' is not one of"):
        parse_spec_text(spec)


def test_min_length_on_a_number_is_refused() -> None:
    spec = "app: x\nentities:\n  A:\n    identity: [a]\n    attributes: {a: {type: int, min_length: 1}}\n"
    with pytest.raises(DefinitionError, match="only str and bytes"):
        parse_spec_text(spec)
