"""The codec's fast paths against a straightforward reference written from the wire rules.

``entity_to_item``/``item_to_values`` take shortcuts (exact-type dispatch, numbers written
without ``normalize()`` when ``str()`` is already canonical, datetimes from a digit table).
The reference below takes none: it states each rule of ``dynamodel.codec``'s docstring
directly, with isinstance checks, ``normalize()`` and ``isoformat()``, so a shortcut that
changes one byte of the wire form, or one type of a value read back, fails here.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Context, Decimal, Inexact
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.codec import entity_to_item, item_to_values, serialize
from dynamodel.spec import AttributeSpec, EntitySpec
from dynamodel.testing.strategies import for_attribute, for_entity

_DIGITS38 = Context(prec=38, traps=[Inexact])


def ref_number(d: Decimal) -> str:
    """Normalised, plain notation, zero without a sign (numbers here are all storable)."""
    text = format(d.normalize(_DIGITS38), "f")
    return "0" if text == "-0" else text


def ref_datetime(v: dt.datetime) -> str:
    u = v.astimezone(dt.UTC) if v.utcoffset() else v
    return u.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def ref_nested(x: object) -> dict[str, Any]:
    """Any value inside a list or map, by the documented rules."""
    if x is None:
        return {"NULL": True}
    if isinstance(x, bool):
        return {"BOOL": x}
    if isinstance(x, str):
        return {"S": x}
    if isinstance(x, int):
        return {"N": ref_number(Decimal(x))}
    if isinstance(x, Decimal):
        return {"N": ref_number(x)}
    if isinstance(x, float):
        return {"N": ref_number(Decimal(repr(x)))}
    if isinstance(x, bytes):
        return {"B": x}
    if isinstance(x, dict):
        return {"M": {k: ref_nested(v) for k, v in x.items()}}
    if isinstance(x, list | tuple):
        return {"L": [ref_nested(v) for v in x]}
    if isinstance(x, frozenset | set) and all(isinstance(v, str) for v in x):
        return {"SS": sorted(x)}
    raise AssertionError(f"no reference for {x!r}")


def ref_encode(attr: AttributeSpec, v: object) -> dict[str, Any]:
    if attr.type == "datetime":
        assert isinstance(v, dt.datetime)
        return {"S": ref_datetime(v)}
    if attr.type == "date":
        assert isinstance(v, dt.date)
        return {"S": v.isoformat()}
    if attr.type == "enum":
        return ref_nested(v.value if isinstance(v, enum.Enum) else v)
    if attr.type == "float" and isinstance(v, int):
        return ref_nested(float(v))
    if attr.type == "list" and isinstance(v, frozenset | set) and not v:
        return {"L": []}
    return ref_nested(v)


def ref_decode_nested(av: dict[str, Any]) -> object:
    ((tag, payload),) = av.items()
    if tag == "N":
        return Decimal(payload) if any(c in payload for c in ".eE") else int(payload)
    if tag == "M":
        return {k: ref_decode_nested(v) for k, v in payload.items()}
    if tag == "L":
        return [ref_decode_nested(v) for v in payload]
    if tag == "SS":
        return set(payload)
    return None if tag == "NULL" else payload


def ref_decode(attr: AttributeSpec, av: dict[str, Any]) -> object:
    kind = attr.type
    if kind == "int":
        return int(Decimal(av["N"]))
    if kind == "decimal":
        return Decimal(av["N"])
    if kind == "float":
        return float(av["N"])
    if kind == "datetime":
        return dt.datetime.fromisoformat(av["S"]).astimezone(dt.UTC)
    if kind == "date":
        return dt.date.fromisoformat(av["S"])
    return ref_decode_nested(av)


class Mood(enum.Enum):
    CALM = "calm"
    ODD = "o#d$"


SPEC = EntitySpec(
    name="Everything",
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
        AttributeSpec("mood", "enum", enum=("calm", "o#d$")),
        AttributeSpec("note", "str", optional=True),
        AttributeSpec("n", "decimal", optional=True),
    ),
)
_ATTRS = {a.name: a for a in SPEC.attributes}

# What the fast paths special-case, nested: ASCII and other text, small and 38-digit ints,
# Decimals with trailing zeros or exponents, floats, dicts of lists of dicts, NULLs.
_exact = (
    st.integers(-(10**38) + 1, 10**38 - 1)
    | st.integers(-1000, 1000)
    | st.decimals(-(10**20), 10**20, allow_nan=False, allow_infinity=False, places=4)
    | st.tuples(st.integers(-(10**38) + 1, 10**38 - 1), st.integers(-150, 120))
    .map(lambda t: Decimal(f"{t[0]}E{t[1]}"))
    .filter(lambda d: d == 0 or -130 <= d.adjusted() <= 125)
)
_numbers = _exact | st.floats(-1e20, 1e20, allow_nan=False).filter(lambda f: f == 0 or abs(f) >= 1e-100)
_leaves = st.none() | st.booleans() | st.text(max_size=6) | _numbers | st.binary(max_size=3)
_nested = st.recursive(
    _leaves,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
    max_leaves=12,
)
_values = for_entity(
    SPEC,
    fixed={
        "tags": for_attribute(_ATTRS["tags"]) | st.lists(_nested, max_size=3),
        "meta": for_attribute(_ATTRS["meta"]) | st.dictionaries(st.text(max_size=4), _nested, max_size=4),
        "mood": for_attribute(_ATTRS["mood"]) | st.sampled_from(Mood),
        "i": for_attribute(_ATTRS["i"]) | st.integers(-(10**38) + 1, 10**38 - 1),
        "d": for_attribute(_ATTRS["d"]) | _exact.map(Decimal),
        "f": for_attribute(_ATTRS["f"]) | st.integers(-(2**53), 2**53),
    },
)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_fast_paths_encode_and_decode_as_the_reference(values: dict[str, Any]) -> None:
    item = entity_to_item(SPEC, values)
    expected = {
        name: ref_encode(_ATTRS[name], v)
        for name, v in ((a.name, values[a.name]) for a in SPEC.attributes)
        if v is not None
    }
    assert item == expected
    assert list(item) == list(expected), "attributes in declaration order"
    back = item_to_values(SPEC, item)
    assert back == {name: ref_decode(_ATTRS[name], av) for name, av in item.items()}
    for name, value in back.items():
        want = ref_decode(_ATTRS[name], item[name])
        assert type(value) is type(want), (name, value, want)
        if isinstance(value, dt.datetime):
            assert value.tzinfo is dt.UTC


_boto = TypeSerializer()
# Where boto3's TypeSerializer and dynamodel must agree exactly: no Decimals (boto3 keeps
# their trailing zeros), no sets (boto3 keeps their iteration order), no floats (refused).
_agreed = st.recursive(
    st.none() | st.booleans() | st.text(max_size=6) | st.integers(-(10**37), 10**37) | st.binary(max_size=3),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
    max_leaves=12,
).filter(lambda v: v is not None)


@settings(max_examples=100, deadline=None)
@given(_agreed)
def test_serialize_agrees_with_boto3(value: object) -> None:
    assert serialize(value) == _boto.serialize(value)


class _Shouty(Decimal):
    def __str__(self) -> str:
        return "LOUD"


def test_decimal_subclass_is_written_by_its_value_not_its_str() -> None:
    spec = EntitySpec("T", ("id",), (AttributeSpec("id", "str"), AttributeSpec("d", "decimal")))
    assert entity_to_item(spec, {"id": "a", "d": _Shouty("1.50")})["d"] == {"N": "1.5"}
    assert serialize(_Shouty("2")) == {"N": "2"}
