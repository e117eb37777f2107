"""Spec files and Python declarations produce the same validated AppSpec; bad input is refused clearly."""

from __future__ import annotations

from typing import Any

import pytest
from paths import SHOP_YAML, SPECS

from dynamodel.errors import DefinitionError, DynamodelError, UnknownFieldError
from dynamodel.spec_file import dump_spec, load_spec_file, parse_spec, parse_spec_text

SHOP_TEXT = SHOP_YAML.read_text(encoding="utf-8")


def test_shop_yaml_loads_as_it_stands() -> None:
    app = load_spec_file(SHOP_YAML)
    assert app.name == "shop"
    assert [e.name for e in app.entities] == ["Customer", "Order", "OrderLine"]
    order = app.entity("Order")
    assert order.parent == "Customer"
    name = order.attribute("customer_name")
    assert name is not None
    assert name.copy_of == ("Customer", "name")
    assert name.type == "str"  # resolved from the source attribute
    status = order.attribute("status")
    assert status is not None
    assert status.enum == ("OPEN", "SHIPPED", "CANCELLED")
    place = app.pattern("place_order")
    assert place.kind == "write"
    assert place.increments == (("Customer", "order_count", 1),)
    open_orders = app.pattern("open_orders_by_date")
    assert open_orders.where == (("status", "OPEN"),)
    assert open_orders.rate.writes_per_s == 2500


def test_python_declarations_equal_the_yaml_spec() -> None:
    from access_patterns.shop import shop

    assert shop.spec == load_spec_file(SHOP_YAML)


def test_every_case_spec_loads() -> None:
    files = sorted(SPECS.glob("*.yaml"))
    assert len(files) == 9
    for f in files:
        assert load_spec_file(f).patterns


def test_dump_round_trips() -> None:
    for f in [SHOP_YAML, *sorted(SPECS.glob("*.yaml"))]:
        app = load_spec_file(f)
        assert parse_spec(dump_spec(app)) == app


def test_json_spec_equals_yaml_spec() -> None:
    import json

    app = load_spec_file(SHOP_YAML)
    assert parse_spec_text(json.dumps(dump_spec(app))) == app


def test_yaml_on_off_stay_strings() -> None:
    text = """
app: t
entities:
  Switch:
    identity: [id]
    attributes: {id: str, state: {enum: [ON, OFF, YES, NO]}}
patterns: []
"""
    app = parse_spec_text(text)
    state = app.entity("Switch").attribute("state")
    assert state is not None
    assert state.enum == ("ON", "OFF", "YES", "NO")


BAD_PATTERNS = [
    ("{name: x, query: Order, by: [nope]}", UnknownFieldError, "nope"),
    ("{name: x, query: Nobody, by: [a]}", UnknownFieldError, "Nobody"),
    ("{name: x, by: [order_id]}", DefinitionError, "exactly one of get:, query:, write:"),
    ("{name: x, get: Customer, by: [customer_id], sort: name}", DefinitionError, "sort"),
    ("{name: x, query: Order, where: {status: LOST}, sort: placed_at}", DefinitionError, "OPEN"),
    ("{name: x, query: Order, by: [customer_id], range: between}", DefinitionError, "sort"),
    ("{name: x, query: Order, by: [customer_id], sort: customer_id}", DefinitionError, "sort"),
    ("{name: x, query: Order, by: [customer_id], order: sideways}", DefinitionError, "asc or desc"),
    ("{name: x, get: Customer, by: [name]}", DefinitionError, "unique: true"),
    (
        "{name: x, query: Order, by: [total], sort: placed_at, range: begins_with}",
        DefinitionError,
        "begins_with",
    ),
    ("{name: x, write: [Order], increments: {Customer.name: 1}}", DefinitionError, "not a number"),
    ("{name: x, write: [Order], by: [order_id]}", DefinitionError, "write pattern"),
    ("{name: x, query: Order, by: [customer_id], colour: red}", UnknownFieldError, "colour"),
    ("{name: get_customer, get: Customer, by: [customer_id]}", DefinitionError, "two patterns"),
    ("{name: class, get: Customer, by: [customer_id]}", DefinitionError, "not a valid identifier"),
]


@pytest.mark.parametrize(("pattern", "error", "needle"), BAD_PATTERNS)
def test_bad_pattern_is_a_clear_definition_error(
    pattern: str, error: type[DynamodelError], needle: str
) -> None:
    text = SHOP_TEXT.replace("patterns:\n", f"patterns:\n  - {pattern}\n", 1)
    with pytest.raises(error) as info:
        parse_spec_text(text)
    message = str(info.value)
    assert needle in message
    assert "Fix:" in message  # every definition error says how to fix it
    assert isinstance(info.value, DynamodelError)


BAD_ENTITIES = [
    ("identity: [order_id]", "identity: [order_no]", "order_no"),
    ("parent: Customer", "parent: Nobody", "Nobody"),
    ("customer_name: {copy: Customer.name}", "customer_name: {copy: Customer.nickname}", "nickname"),
    ("customer_name: {copy: Customer.name}", "customer_name: {copy: Customer}", "Entity.attribute"),
    ("      qty: int", "      qty: integer", "unknown type"),
    ("      qty: int", "      qty: int\n      line_no: str", "twice"),
]


@pytest.mark.parametrize(("old", "new", "needle"), BAD_ENTITIES)
def test_bad_entity_is_a_clear_definition_error(old: str, new: str, needle: str) -> None:
    assert old in SHOP_TEXT
    with pytest.raises(DefinitionError) as info:
        parse_spec_text(SHOP_TEXT.replace(old, new, 1))
    assert needle in str(info.value)


def test_parent_must_be_carried() -> None:
    text = SHOP_TEXT.replace("      customer_id: str\n      status", "      status", 1)
    with pytest.raises(DefinitionError, match="customer_id"):
        parse_spec_text(text)


def test_parent_cycle_is_refused() -> None:
    text = SHOP_TEXT.replace("  Customer:\n", "  Customer:\n    parent: Order\n", 1)
    text = text.replace("      order_count: int", "      order_count: int\n      order_id: str", 1)
    with pytest.raises(DefinitionError, match="cycle"):
        parse_spec_text(text)


def test_not_yaml_is_refused() -> None:
    with pytest.raises(DefinitionError, match="not valid YAML"):
        parse_spec_text("app: [unclosed")
    with pytest.raises(DefinitionError, match="mapping"):
        parse_spec_text("- just a list")


def test_missing_file_is_a_definition_error(tmp_path: Any) -> None:
    with pytest.raises(DefinitionError, match="Cannot read spec file"):
        load_spec_file(tmp_path / "absent.yaml")
