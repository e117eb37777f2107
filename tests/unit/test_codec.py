"""dynamodel.codec: wire form, DynamoDB's limits, and exact round trips."""

from __future__ import annotations

import enum
import re
import runpy
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from dynamodel.codec import deserialize, encode_attribute, entity_to_item, item_to_values, serialize
from dynamodel.errors import RequestError
from dynamodel.model import Entity
from dynamodel.spec import AttributeSpec, EntitySpec

PLAIN_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?|-?0\.[0-9]*[1-9]")


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Size(enum.IntEnum):
    S = 1
    L = 3


# ---- serialize: examples -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("x", {"S": "x"}),
        ("", {"S": ""}),
        (True, {"BOOL": True}),
        (False, {"BOOL": False}),
        (0, {"N": "0"}),
        (-12, {"N": "-12"}),
        (10**50, {"N": "1" + "0" * 50}),
        (Decimal("1.50"), {"N": "1.5"}),
        (Decimal("1E+2"), {"N": "100"}),
        (Decimal("-0"), {"N": "0"}),
        (Decimal("0.000"), {"N": "0"}),
        (Decimal("-1.2300E-3"), {"N": "-0.00123"}),
        (1.0, {"N": "1"}),
        (0.1, {"N": "0.1"}),
        (1e-05, {"N": "0.00001"}),
        (-2.5e20, {"N": "-250000000000000000000"}),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), {"S": "2024-01-02T03:04:05.000000Z"}),
        (
            datetime(2024, 1, 2, 3, 4, 5, 7, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            {"S": "2024-01-01T21:34:05.000007Z"},
        ),
        (date(2024, 1, 2), {"S": "2024-01-02"}),
        (b"\x00\xff", {"B": b"\x00\xff"}),
        (bytearray(b"ab"), {"B": b"ab"}),
        ([1, "a", None], {"L": [{"N": "1"}, {"S": "a"}, {"NULL": True}]}),
        ((1,), {"L": [{"N": "1"}]}),
        ({"a": {"b": []}}, {"M": {"a": {"M": {"b": {"L": []}}}}}),
        ({"b", "a"}, {"SS": ["a", "b"]}),
        (frozenset({3, Decimal("1.5"), 0.25}), {"NS": ["0.25", "1.5", "3"]}),
        ({b"y", b"x"}, {"BS": [b"x", b"y"]}),
        (Color.RED, {"S": "red"}),
        (Size.L, {"N": "3"}),
        ({Color.RED: 1}, {"M": {"red": {"N": "1"}}}),
    ],
)
def test_serialize_examples(value: object, wire: dict[str, Any]) -> None:
    assert serialize(value) == wire


def test_bool_is_not_a_number() -> None:
    assert serialize(True) == {"BOOL": True}
    assert serialize([True, 1]) == {"L": [{"BOOL": True}, {"N": "1"}]}


def test_number_set_merges_numbers_dynamodb_sees_as_one() -> None:
    # 0.1 (float) and Decimal("0.1") differ in Python but are one DynamoDB number.
    assert serialize({0.1, Decimal("0.1")}) == {"NS": ["0.1"]}


def test_pydantic_model_is_a_map() -> None:
    class Address(BaseModel):
        street: str
        number: int
        note: str | None = None

    assert serialize(Address(street="Main", number=3)) == {
        "M": {"street": {"S": "Main"}, "number": {"N": "3"}, "note": {"NULL": True}}
    }


@pytest.mark.parametrize(
    ("value", "fragment", "fix"),
    [
        (None, "None is not an attribute value", "leave the attribute out"),
        (float("nan"), "NaN", "finite value"),
        (float("inf"), "NaN or Infinity", "finite value"),
        (Decimal("NaN"), "NaN", "finite value"),
        (Decimal("-Infinity"), "Infinity", "finite value"),
        (Decimal("1" * 39), "more than 38 significant digits", "round it first"),
        (10**38 + 1, "more than 38 significant digits", "round it first"),
        (Decimal("1E-131"), "out of DynamoDB's number range", "scale the value"),
        (Decimal("1E+126"), "out of DynamoDB's number range", "scale the value"),
        (10**126, "out of DynamoDB's number range", "scale the value"),
        (10**5000, "out of DynamoDB's number range", "scale the value"),
        (1e-300, "out of DynamoDB's number range", "scale the value"),
        (datetime(2024, 1, 1), "naive datetime", "attach a tzinfo"),
        (set(), "empty set", "store an empty list"),
        ({1, "a"}, "mixes", "use one member type"),
        ({True}, "mixes", "use one member type"),
        (object(), "type object", "use str, int, Decimal"),
        (complex(1, 2), "type complex", "use str, int, Decimal"),
        ({1: "a"}, "map key 1", "convert the keys to str"),
        ("\ud800", "lone surrogate", "remove the surrogates"),
        ({"k": ["\udfff"]}, "lone surrogate", "remove the surrogates"),
        ([{"x": float("nan")}], "NaN", "finite value"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, int) else None,
)
def test_serialize_rejects(value: object, fragment: str, fix: str) -> None:
    with pytest.raises(RequestError, match=re.escape(fragment)) as info:
        serialize(value)
    assert fix in (info.value.hint or ""), f"every refusal says how to fix it: {info.value.hint!r}"


def test_naive_datetime_error_says_how_to_fix() -> None:
    with pytest.raises(RequestError) as info:
        serialize(datetime(2024, 1, 1))
    assert "tzinfo" in str(info.value)


def test_datetime_out_of_range_once_in_utc() -> None:
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3)))
    with pytest.raises(RequestError, match="outside years"):
        serialize(early)


@pytest.mark.parametrize(
    ("wire", "value"),
    [
        ({"S": "x"}, "x"),
        ({"N": "12"}, 12),
        ({"N": "-12"}, -12),
        ({"N": "1.5"}, Decimal("1.5")),
        ({"N": "1E+2"}, Decimal(100)),
        ({"BOOL": False}, False),
        ({"NULL": True}, None),
        ({"B": b"x"}, b"x"),
        ({"L": [{"N": "1"}, {"S": "a"}]}, [1, "a"]),
        ({"M": {"a": {"NULL": True}}}, {"a": None}),
        ({"SS": ["a", "b"]}, {"a", "b"}),
        ({"NS": ["1", "2.5"]}, {1, Decimal("2.5")}),
        ({"BS": [b"a"]}, {b"a"}),
    ],
)
def test_deserialize_examples(wire: dict[str, Any], value: object) -> None:
    out = deserialize(wire)
    assert out == value
    assert type(out) is type(value)


def test_deserialize_number_types() -> None:
    assert type(deserialize({"N": "7"})) is int
    assert type(deserialize({"N": "7.0"})) is Decimal


@pytest.mark.parametrize("wire", [{}, {"X": 1}, {"S": "a", "N": "1"}])
def test_deserialize_rejects_malformed(wire: dict[str, Any]) -> None:
    with pytest.raises(RequestError, match="not a DynamoDB attribute value"):
        deserialize(wire)


# ---- property tests: generic values --------------------------------------------------------


@st.composite
def dynamo_decimals(draw: st.DrawFn) -> Decimal:
    """Any number DynamoDB stores: up to 38 significant digits, 1E-130..9.99E+125."""
    special = draw(st.integers(0, 9))
    if special == 0:
        return draw(
            st.sampled_from(
                [
                    Decimal("1E-130"),
                    Decimal("-1E-130"),
                    Decimal("9" * 38 + "E+88"),
                    Decimal("-" + "9" * 38 + "E+88"),
                    Decimal("0"),
                    Decimal("-0.00"),
                    Decimal("1" * 38),
                ]
            )
        )
    ndigits = draw(st.integers(1, 38))
    low = 10 ** (ndigits - 1) if ndigits > 1 else 1
    mantissa = draw(st.integers(low, 10**ndigits - 1)) * draw(st.sampled_from([1, -1]))
    exponent = draw(st.integers(-130 - (ndigits - 1), 125 - (ndigits - 1)))
    # Trailing zeros in the text must not change anything: add some.
    zeros = draw(st.integers(0, 3))
    return Decimal(f"{mantissa}{'0' * zeros}E{exponent - zeros}")


dynamo_ints = st.integers(-(10**38) + 1, 10**38 - 1)
dynamo_floats = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda f: f == 0 or 1e-130 <= abs(f) <= 9.9e125
)
texts = st.text(max_size=12)
scalars = st.one_of(
    texts,
    st.booleans(),
    dynamo_ints,
    dynamo_decimals(),
    st.binary(max_size=8),
    st.none(),
    st.frozensets(texts, min_size=1, max_size=4),
    st.frozensets(st.one_of(dynamo_ints, dynamo_decimals()), min_size=1, max_size=4),
    st.frozensets(st.binary(max_size=4), min_size=1, max_size=4),
)
nested = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=16,
)


@given(nested.filter(lambda v: v is not None))
def test_round_trip_is_exact(value: object) -> None:
    wire = serialize(value)
    assert deserialize(wire) == value


@given(st.one_of(dynamo_decimals(), dynamo_ints, dynamo_floats))
def test_numbers_are_plain_and_normalised(number: Decimal | int | float) -> None:
    text = serialize(number)["N"]
    assert PLAIN_NUMBER.fullmatch(text), text
    assert Decimal(text) == Decimal(repr(number) if isinstance(number, float) else number)
    digits = text.lstrip("-").replace(".", "").strip("0")
    assert len(digits) <= 38


@given(st.lists(dynamo_decimals(), min_size=2, max_size=2))
def test_equal_numbers_get_equal_text(pair: list[Decimal]) -> None:
    a, b = pair
    assert (serialize(a) == serialize(b)) == (a == b)


# ---- entities ------------------------------------------------------------------------------

ALL_TYPES = EntitySpec(
    name="Thing",
    identity=("s",),
    attributes=(
        AttributeSpec("s", "str"),
        AttributeSpec("i", "int"),
        AttributeSpec("d", "decimal"),
        AttributeSpec("f", "float"),
        AttributeSpec("b", "bool"),
        AttributeSpec("at", "datetime"),
        AttributeSpec("day", "date"),
        AttributeSpec("raw", "bytes"),
        AttributeSpec("tags", "list"),
        AttributeSpec("meta", "map"),
        AttributeSpec("status", "enum", enum=("OPEN", "SHIPPED")),
        AttributeSpec("note", "str", optional=True),
    ),
)

offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
aware_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1),  # naive bounds; zones come from `offsets`
    max_value=datetime(9998, 12, 31),
    timezones=offsets,
)
thing_values = st.fixed_dictionaries(
    {
        "s": st.text(),
        "i": dynamo_ints,
        "d": dynamo_decimals(),
        "f": dynamo_floats,
        "b": st.booleans(),
        "at": aware_datetimes,
        "day": st.dates(),
        "raw": st.binary(),
        "tags": st.one_of(
            st.lists(nested, max_size=4),
            st.frozensets(texts, min_size=1, max_size=4),  # empty: see the test below
            st.frozensets(dynamo_decimals(), min_size=1, max_size=4),
        ),
        "meta": st.dictionaries(texts, nested, max_size=4),
        "status": st.sampled_from(["OPEN", "SHIPPED"]),
        "note": st.none() | st.text(),
    }
)


@given(thing_values)
def test_entity_round_trip_is_exact(values: dict[str, Any]) -> None:
    item = entity_to_item(ALL_TYPES, values)
    assert "note" not in item or values["note"] is not None
    back = item_to_values(ALL_TYPES, item)
    expected = {k: v for k, v in values.items() if v is not None}
    assert back == expected
    assert getattr(back["at"], "tzinfo", None) is UTC
    assert type(back["f"]) is float
    assert type(back["d"]) is Decimal
    assert type(back["i"]) is int
    assert type(back["day"]) is date


def test_empty_set_in_a_list_attribute_is_stored_as_empty_list() -> None:
    spec = EntitySpec("T", ("id",), (AttributeSpec("id", "str"), AttributeSpec("tags", "list")))
    item = entity_to_item(spec, {"id": "a", "tags": set()})
    assert item["tags"] == {"L": []}
    assert item_to_values(spec, item) == {"id": "a", "tags": []}


class OrderStatus(enum.Enum):
    OPEN = "OPEN"
    SHIPPED = "SHIPPED"


class CodecOrder(Entity, identity=("order_id",)):
    order_id: str
    status: Literal["OPEN", "SHIPPED", "CANCELLED"]
    state: OrderStatus
    placed_at: datetime
    delivered_on: date | None = None
    total: Decimal
    weight: float
    qty: int
    gift: bool
    lines: list[dict[str, Any]]
    tags: set[str]
    attrs: dict[str, int]
    blob: bytes
    note: str | None = None


@given(
    st.builds(
        CodecOrder,
        order_id=st.text(min_size=1),
        status=st.sampled_from(["OPEN", "SHIPPED", "CANCELLED"]),
        state=st.sampled_from(OrderStatus),
        placed_at=aware_datetimes,
        delivered_on=st.none() | st.dates(),
        total=dynamo_decimals(),
        weight=dynamo_floats,
        qty=dynamo_ints,
        gift=st.booleans(),
        lines=st.lists(
            st.dictionaries(texts, scalars.filter(lambda v: not isinstance(v, frozenset))), max_size=3
        ),
        tags=st.sets(texts, max_size=4),
        attrs=st.dictionaries(texts, dynamo_ints, max_size=4),
        blob=st.binary(),
        note=st.none() | st.text(),
    )
)
def test_pydantic_entity_round_trip(order: CodecOrder) -> None:
    spec = CodecOrder.__entity_spec__
    item = entity_to_item(spec, order.model_dump())
    assert CodecOrder.model_validate(item_to_values(spec, item)) == order


def test_item_to_values_ignores_keys_and_bookkeeping() -> None:
    spec = EntitySpec("T", ("id",), (AttributeSpec("id", "str"), AttributeSpec("n", "int", optional=True)))
    item = {
        "PK": {"S": "T#a#"},
        "SK": {"S": "T#"},
        "GSI1PK": {"S": "x"},
        "_type": {"S": "T"},
        "_version": {"N": "3"},
        "id": {"S": "a"},
    }
    assert item_to_values(spec, item) == {"id": "a"}


def test_null_reads_as_none() -> None:
    spec = EntitySpec("T", ("id",), (AttributeSpec("id", "str"), AttributeSpec("n", "int", optional=True)))
    assert item_to_values(spec, {"id": {"S": "a"}, "n": {"NULL": True}}) == {"id": "a", "n": None}


def test_numbers_written_by_other_tools_read_back() -> None:
    spec = EntitySpec("T", ("id",), (AttributeSpec("id", "str"), AttributeSpec("n", "int")))
    assert item_to_values(spec, {"id": {"S": "a"}, "n": {"N": "1E+2"}}) == {"id": "a", "n": 100}


def test_datetime_without_offset_from_another_writer_reads_as_utc() -> None:
    spec = EntitySpec("T", ("id",), (AttributeSpec("id", "str"), AttributeSpec("at", "datetime")))
    back = item_to_values(spec, {"id": {"S": "a"}, "at": {"S": "2024-01-02T03:04:05+02:00"}})
    assert back["at"] == datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert getattr(back["at"], "tzinfo", None) is UTC


@pytest.mark.parametrize(
    ("attr", "value", "fragment", "fix"),
    [
        (AttributeSpec("qty", "int"), "x", "Order.qty is declared int but got str 'x'", "pass an int"),
        (AttributeSpec("qty", "int"), True, "Order.qty is declared int but got bool", "pass an int"),
        (
            AttributeSpec("total", "decimal"),
            1.5,
            "Order.total is declared decimal but got float",
            "Decimal(str(x))",
        ),
        (AttributeSpec("w", "float"), 2**60 + 1, "Order.w is declared float", "exact float value"),
        (
            AttributeSpec("on", "date"),
            datetime(2024, 1, 1, tzinfo=UTC),
            "Order.on is declared date",
            "not a datetime",
        ),
        (AttributeSpec("at", "datetime"), "2024-01-01", "Order.at is declared datetime", "aware datetime"),
        (AttributeSpec("tags", "list"), "abc", "Order.tags is declared list", "pass a list"),
        (AttributeSpec("meta", "map"), [1], "Order.meta is declared map", "dict with str keys"),
        (
            AttributeSpec("status", "enum", enum=("OPEN",)),
            "CLOSED",
            "Order.status is declared enum",
            "pass one of OPEN",
        ),
        (AttributeSpec("raw", "bytes"), "abc", "Order.raw is declared bytes", "pass bytes"),
        (AttributeSpec("ok", "bool"), 1, "Order.ok is declared bool", "pass a bool"),
        (
            AttributeSpec("total", "decimal"),
            Decimal("NaN"),
            "Order.total: Decimal('NaN') cannot be stored",
            "finite value",
        ),
        (AttributeSpec("meta", "map"), {"a": {1, "x"}}, "Order.meta: a set mixes", "use one member type"),
        (
            AttributeSpec("at", "datetime"),
            datetime(2024, 1, 1),
            "Order.at: naive datetime",
            "attach a tzinfo",
        ),
    ],
)
def test_entity_to_item_names_entity_and_attribute(
    attr: AttributeSpec, value: object, fragment: str, fix: str
) -> None:
    spec = EntitySpec("Order", ("id",), (AttributeSpec("id", "str"), attr))
    with pytest.raises(RequestError, match=re.escape(fragment)) as info:
        entity_to_item(spec, {"id": "o1", attr.name: value})
    assert fix in (info.value.hint or ""), info.value.hint


def test_entity_to_item_refuses_undeclared_attributes() -> None:
    spec = EntitySpec("Order", ("id",), (AttributeSpec("id", "str"),))
    with pytest.raises(RequestError, match="Order has no attribute 'PK'"):
        entity_to_item(spec, {"id": "o1", "PK": "x"})


def test_item_to_values_reports_mismatched_types() -> None:
    spec = EntitySpec("Order", ("id",), (AttributeSpec("id", "str"), AttributeSpec("qty", "int")))
    with pytest.raises(
        RequestError, match=re.escape("Order.qty is declared int but the item holds {'S': 'x'}")
    ):
        item_to_values(spec, {"id": {"S": "o"}, "qty": {"S": "x"}})
    with pytest.raises(RequestError, match="declared int"):
        item_to_values(spec, {"id": {"S": "o"}, "qty": {"N": "1.5"}})


def test_enum_members_and_int_enums() -> None:
    spec = EntitySpec(
        "T",
        ("id",),
        (
            AttributeSpec("id", "str"),
            AttributeSpec("c", "enum", enum=("red", "green")),
            AttributeSpec("z", "enum", enum=("1", "3")),
        ),
    )
    item = entity_to_item(spec, {"id": "a", "c": Color.GREEN, "z": Size.L})
    assert item["c"] == {"S": "green"}
    assert item["z"] == {"N": "3"}
    assert item_to_values(spec, item) == {"id": "a", "c": "green", "z": 3}


def test_codec_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    bench = runpy.run_path(str(Path(__file__).resolve().parents[2] / "benchmarks" / "codec_bench.py"))
    bench["main"](["--items", "200"])
    out = capsys.readouterr().out
    assert "200 Order items" in out
    assert re.search(r"dynamodel/boto3 total: \d+\.\d\dx", out)


def test_encode_attribute() -> None:
    spec = EntitySpec("Order", ("id",), (AttributeSpec("id", "str"), AttributeSpec("total", "decimal")))
    assert encode_attribute(spec, "total", Decimal("2.50")) == {"N": "2.5"}
    with pytest.raises(RequestError, match=r"Order\.total is None"):
        encode_attribute(spec, "total", None)
    with pytest.raises(RequestError, match="Order has no attribute 'x'"):
        encode_attribute(spec, "x", 1)
    with pytest.raises(RequestError, match=r"Order\.total is declared decimal"):
        encode_attribute(spec, "total", "2.5")
