"""Property tests for dynamodel.keys: order, round trip, injectivity and range bounds.

DynamoDB compares string keys by UTF-8 bytes, which equals Python's code-point
order on str (surrogates excluded, and they are rejected), so plain ``<`` on the
rendered keys stands in for the table here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel import keys as keys_module
from dynamodel.attribute_types.times import DateTimeType
from dynamodel.errors import DynamodelError, KeyEncodingError
from dynamodel.keys import (
    VALUE_KINDS,
    KeyTemplate,
    Lit,
    RangeOp,
    Ref,
    ValueKind,
    component,
    decode_value,
    encode_value,
    escape,
    range_bounds,
    successor_of_prefix,
    unescape,
)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green#"
    BLUE = "$blue"
    EMPTY = ""


# ---- strategies ---------------------------------------------------------------------------

TRICKY = "#$\x00\x01\x22\x23\x24\x25@d~\x7f\u00e9\uffff\U0001f600\U0010ffff"
chars = st.one_of(st.sampled_from(TRICKY), st.characters(codec="utf-8"))
texts = st.text(chars, max_size=8)
# Few distinct characters, so equal values and shared prefixes are common.
dense_texts = st.text(st.sampled_from("#$\x00ab~"), max_size=4)
strings = st.one_of(texts, dense_texts)

MAX_NUMBER = Decimal("9.9999999999999999999999999999999999999E+125")
MIN_NUMBER = Decimal("1E-130")


@st.composite
def limit_decimals(draw: st.DrawFn) -> Decimal:
    """Anything DynamoDB can store: up to 38 digits, adjusted exponent within its range."""
    n = draw(st.integers(1, 38))
    digits = draw(st.integers(10 ** (n - 1), 10**n - 1))
    adjusted = draw(st.integers(-129, 126))  # value == 0.digits x 10**adjusted
    sign = draw(st.sampled_from([0, 1]))
    return Decimal((sign, tuple(int(c) for c in str(digits)), adjusted - n))


# Small mantissas and exponents collide often: ties, 0.12 vs 0.123, trailing zeros.
small_decimals = st.builds(lambda m, e: Decimal(f"{m}E{e}"), st.integers(-1200, 1200), st.integers(-4, 3))
edge_decimals = st.sampled_from(
    [
        MIN_NUMBER,
        MAX_NUMBER,
        MIN_NUMBER.copy_negate(),  # unary minus would round to 28 digits
        MAX_NUMBER.copy_negate(),
        Decimal(0),
        Decimal("-0"),
        Decimal("0E+7"),
        Decimal("0.12"),
        Decimal("0.123"),
        Decimal("-0.12"),
        Decimal("-0.123"),
        Decimal("1.50"),
    ]
)
decimals = st.one_of(limit_decimals(), small_decimals, edge_decimals)
ints = st.one_of(
    st.integers(-(10**38) + 1, 10**38 - 1),
    st.integers(-300, 300),
    st.builds(lambda m, e: m * 10**e, st.integers(-99, 99), st.integers(0, 124)),
)


def _in_dynamo_range(f: float) -> bool:
    return f == 0 or MIN_NUMBER <= abs(Decimal(repr(f))) <= MAX_NUMBER


floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).filter(_in_dynamo_range),
    st.sampled_from([0.0, -0.0, 0.1, 0.12, 0.123, -0.12, -0.123, 1e-130, 1e125, -1e125]),
)
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
datetimes = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets)
enums = st.one_of(st.sampled_from(list(Color)), strings)

STRATEGIES: dict[ValueKind, st.SearchStrategy[Any]] = {
    "str": strings,
    "enum": enums,
    "int": ints,
    "decimal": decimals,
    "float": floats,
    "bool": st.booleans(),
    "datetime": datetimes,
    "date": st.dates(),
    "bytes": st.binary(max_size=6),
}


def sort_key(value: object) -> Any:
    """What the value means for ordering and equality (enum members compare by value)."""
    return value.value if isinstance(value, enum.Enum) else value


def decoded(value: object) -> object:
    """The value decode_value gives back, up to the documented normalisations."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def comp(kind: ValueKind, value: object) -> str:
    return escape(encode_value(kind, value)) + "#"


# ---- escaping -----------------------------------------------------------------------------


@given(strings)
def test_escape_round_trips_and_never_contains_the_terminator(s: str) -> None:
    e = escape(s)
    assert "#" not in e
    assert unescape(e) == s
    assert all(ord(c) > 0x24 or c == "$" for c in e)


@given(strings, strings)
def test_escape_preserves_order_and_prefixes(a: str, b: str) -> None:
    assert (a < b) == (escape(a) + "#" < escape(b) + "#")
    assert (a == b) == (escape(a) == escape(b))
    assert escape(a + b).startswith(escape(a))
    # begins_with on an escaped string prefix selects exactly the strings with that prefix
    assert (escape(b) + "#").startswith(escape(a)) == b.startswith(a)


@pytest.mark.parametrize("text", ["$", "ab$", "$?", "$e", "$\x00", "a\x00b", "a#b", "x$@$", "\ud800"])
def test_unescape_rejects_malformed_text(text: str) -> None:
    with pytest.raises(KeyEncodingError):
        unescape(text)


def test_escape_examples() -> None:
    assert escape("a#b$c") == "a$cb$dc"
    assert escape("\x00") == "$@"
    assert unescape("$@$d$c") == "\x00$#"
    with pytest.raises(KeyEncodingError, match="surrogate"):
        escape("a\udc80")


# ---- values -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", VALUE_KINDS)
@given(data=st.data())
def test_value_round_trip(kind: ValueKind, data: st.DataObject) -> None:
    value = data.draw(STRATEGIES[kind])
    text = encode_value(kind, value)
    back = decode_value(kind, text)
    assert back == decoded(value)
    assert type(back) is type(decoded(value)) or kind == "enum"
    assert encode_value(kind, back) == text


@pytest.mark.parametrize("kind", VALUE_KINDS)
@given(data=st.data())
@settings(max_examples=200)
def test_value_order_matches_component_order(kind: ValueKind, data: st.DataObject) -> None:
    strategy = STRATEGIES[kind]
    a, b = data.draw(strategy), data.draw(strategy)
    ka, kb = sort_key(a), sort_key(b)
    ca, cb = comp(kind, a), comp(kind, b)
    assert (ka < kb) == (ca < cb)
    assert (ka == kb) == (ca == cb)
    # ... and still when more components follow: no later component can flip the order.
    ta, tb = data.draw(texts), data.draw(texts)
    if ka != kb:
        assert (ka < kb) == (ca + escape(ta) + "#" < cb + escape(tb) + "#")


def test_number_encoding_examples() -> None:
    assert encode_value("int", 0) == "o"
    assert encode_value("decimal", Decimal("-0.00")) == "o"
    assert encode_value("int", 123) == "p503123"
    assert encode_value("decimal", Decimal("-0.12")) == "n50087~"
    assert comp("decimal", Decimal("-0.123")) < comp("decimal", Decimal("-0.12"))
    # trailing zeros are normalised: an equal value, not the same Decimal text
    assert str(decode_value("decimal", encode_value("decimal", Decimal("1.50")))) == "1.5"
    assert str(decode_value("decimal", encode_value("decimal", Decimal("1E+2")))) == "100"
    negative_zero = decode_value("float", encode_value("float", -0.0))
    assert negative_zero == 0.0
    assert str(negative_zero) == "0.0"
    assert encode_value("float", 3) == encode_value("int", 3) == encode_value("decimal", Decimal("3.0"))


def test_datetime_is_stored_in_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    value = datetime(2024, 1, 2, 5, 4, 5, tzinfo=plus2)
    assert encode_value("datetime", value) == "2024-01-02T03:04:05.000000Z"
    back = decode_value("datetime", "2024-01-02T03:04:05.000000Z")
    assert back == value
    assert isinstance(back, datetime)
    assert back.tzinfo is UTC


def test_enum_members_encode_their_value() -> None:
    assert encode_value("enum", Color.GREEN) == "green#"
    assert encode_value("enum", "green#") == "green#"
    assert comp("enum", Color.GREEN) == "green$c#"


# ---- templates ----------------------------------------------------------------------------

ORDER = KeyTemplate(
    (
        Lit("ORDER"),
        Ref("placed_at", "datetime"),
        Ref("total", "decimal"),
        Lit("#$x"),
        Ref("name", "str"),
        Ref("n", "int"),
        Ref("f", "float"),
        Ref("ok", "bool"),
        Ref("day", "date"),
        Ref("raw", "bytes"),
        Ref("status", "enum"),
    )
)
order_values = st.fixed_dictionaries({p.attr: STRATEGIES[p.kind] for p in ORDER.parts if isinstance(p, Ref)})


@given(order_values)
def test_template_round_trip(values: dict[str, object]) -> None:
    key = ORDER.render(values)
    parsed = ORDER.parse(key)
    assert parsed == {attr: decoded(v) for attr, v in values.items()}
    assert ORDER.render(parsed) == key
    # values holding '#', '$' or tag text never add or remove a component
    assert key.count("#") == len(ORDER.parts)


@given(order_values, order_values)
def test_template_is_injective(a: dict[str, object], b: dict[str, object]) -> None:
    same = all(sort_key(a[k]) == sort_key(b[k]) for k in a)
    assert (ORDER.render(a) == ORDER.render(b)) == same


TAGGED = KeyTemplate((Lit("A"), Ref("x", "str"), Lit("B"), Ref("y", "str")))
SHORT = KeyTemplate((Lit("A"), Ref("x", "str")))


@given(strings, strings, strings)
def test_values_cannot_forge_other_components(x: str, y: str, other: str) -> None:
    key = TAGGED.render({"x": x, "y": y})
    # A key starts with the rendered prefix for x == other exactly when x == other,
    # whatever tags or delimiters the values contain.
    prefix, count = TAGGED.render_prefix({"x": other})
    assert count == 3
    assert key.startswith(prefix) == (x == other)
    assert (SHORT.render({"x": x}) + "B#" == prefix) == (x == other)
    # Another layout never parses it: too many parts for SHORT, wrong tag for the rest.
    with pytest.raises(KeyEncodingError):
        SHORT.parse(key)
    with pytest.raises(KeyEncodingError):
        KeyTemplate((Lit("A"), Ref("x", "str"), Lit("C"), Ref("y", "str"))).parse(key)
    for tag in ("ORDERLINE", "ORD", "ORDER#"):
        assert not KeyTemplate((Lit("ORDER"), Ref("x", "str"))).render({"x": x}).startswith(escape(tag) + "#")


def test_template_helpers() -> None:
    assert ORDER.attrs()[:3] == ("placed_at", "total", "name")
    assert ORDER.pattern().startswith("ORDER#{placed_at}#{total}#$c$dx#{name}#")
    template = KeyTemplate((Lit("ORDER"), Ref("customer", "str"), Ref("at", "datetime")))
    assert template.render_prefix({}) == ("ORDER#", 1)
    assert template.render_prefix({"customer": "c#1", "at": None}) == ("ORDER#c$c1#", 2)
    assert KeyTemplate(()).render_prefix({}) == ("", 0)
    assert KeyTemplate(()).parse("") == {}
    with pytest.raises(KeyEncodingError, match="'at'"):
        template.render({"customer": "c"})
    with pytest.raises(KeyEncodingError, match="'customer'"):
        template.render({"customer": 5, "at": datetime.now(UTC)})


@pytest.mark.parametrize(
    "key",
    [
        "ORDER#c#2024-01-02T03:04:05.000000Z",  # no trailing '#'
        "ORDER#c#",  # too few parts
        "ORDER#c#2024-01-02T03:04:05.000000Z#x#",  # too many parts
        "ORDERS#c#2024-01-02T03:04:05.000000Z#",  # wrong literal
        "ORDER#c$#2024-01-02T03:04:05.000000Z#",  # bad escape
        "ORDER#c#2024-01-02T03:04:05Z#",  # not fixed-width
        "ORDER#c#2024-13-02T03:04:05.000000Z#",  # no month 13
        "",
    ],
)
def test_parse_rejects_keys_of_another_layout(key: str) -> None:
    template = KeyTemplate((Lit("ORDER"), Ref("customer", "str"), Ref("at", "datetime")))
    with pytest.raises(KeyEncodingError):
        template.parse(key)


# ---- range bounds: brute force against the predicate ----------------------------------------

PREDICATES: dict[RangeOp, Callable[[Any, list[Any]], bool]] = {
    "eq": lambda v, q: v == q[0],
    "begins_with": lambda v, q: v.startswith(q[0]),
    "between": lambda v, q: q[0] <= v <= q[1],
    "lt": lambda v, q: v < q[0],
    "lte": lambda v, q: v <= q[0],
    "gt": lambda v, q: v > q[0],
    "gte": lambda v, q: v >= q[0],
}
prefix_tags = st.lists(
    st.one_of(st.sampled_from(["ORDER", "ORD", "A", "c#1", "$"]), texts), min_size=1, max_size=3
)


def _render(components: list[str]) -> str:
    return "".join(escape(c) + "#" for c in components)


def _selects(bounds: tuple[str, str] | str, key: str) -> bool:
    if isinstance(bounds, str):
        return key.startswith(bounds)
    lo, hi = bounds
    return lo <= key <= hi


@pytest.mark.parametrize("kind", VALUE_KINDS)
@given(data=st.data())
@settings(max_examples=100)
def test_range_bounds_select_exactly_the_matching_items(kind: ValueKind, data: st.DataObject) -> None:
    strategy = STRATEGIES[kind]
    tags = data.draw(prefix_tags)
    p = _render(tags)
    values = data.draw(st.lists(strategy, max_size=12))
    # The items of this entity: prefix, the ranged value, then maybe an identity component.
    ids = st.one_of(st.just(""), texts.map(lambda t: escape(t) + "#"))
    items = {p + comp(kind, v) + data.draw(ids): sort_key(v) for v in values}
    # Other items in the same partition: other tags, sibling prefixes, longer tags.
    others = {
        _render(o) + escape(data.draw(texts)) + "#"
        for o in data.draw(st.lists(st.lists(strings, min_size=1, max_size=3), max_size=8))
    }
    others |= {_render([*tags[:-1], tags[-1] + suffix, "x"]) for suffix in ("", "LINE", "\x00", "#", "$")}
    others |= {_render(["A", "1"]), _render(["Z", "1"]), _render([*tags[:-1], "ZZ"])}
    others = {k for k in others if not k.startswith(p)}
    pick = st.one_of(st.sampled_from(values), strategy) if values else strategy

    for op, predicate in PREDICATES.items():
        query = sorted((data.draw(pick) for _ in range(2 if op == "between" else 1)), key=sort_key)
        if op == "begins_with" and kind not in ("str", "enum"):
            with pytest.raises(KeyEncodingError):
                range_bounds(p, op, kind, query)
            continue
        bounds = range_bounds(p, op, kind, query)
        assert not any(_selects(bounds, k) for k in others), op
        wanted = [sort_key(q) for q in query]
        expected = {k for k, v in items.items() if predicate(v, wanted)}
        assert {k for k in items if _selects(bounds, k)} == expected, op
        if not isinstance(bounds, str):
            assert bounds[0] <= bounds[1]  # DynamoDB rejects BETWEEN with lo > hi
    assert successor_of_prefix(p) not in items
    assert not successor_of_prefix(p).endswith("#")


def test_range_bounds_examples() -> None:
    p = "ORDER#"
    c = escape(encode_value("int", 5))
    assert range_bounds(p, "eq", "int", [5]) == p + c + "#"
    assert range_bounds(p, "begins_with", "str", ["a#"]) == p + "a$c"
    assert range_bounds(p, "between", "int", [5, 7]) == (
        p + c + "#",
        p + escape(encode_value("int", 7)) + "$",
    )
    assert range_bounds(p, "lt", "int", [5]) == (p, p + c)
    assert range_bounds(p, "lte", "int", [5]) == (p, p + c + "$")
    assert range_bounds(p, "gt", "int", [5]) == (p + c + "$", "ORDER$")
    assert range_bounds(p, "gte", "int", [5]) == (p + c + "#", "ORDER$")
    assert successor_of_prefix("ORDER#c$c1#") == "ORDER#c$c1$"


@pytest.mark.parametrize(
    ("p", "op", "values"),
    [
        ("ORDER#", "between", [1]),
        ("ORDER#", "eq", [1, 2]),
        ("ORDER#", "eq", []),
        ("ORDER#", "between", [2, 1]),  # low above high
        ("ORDER", "eq", [1]),  # prefix without its terminator
        ("", "gt", [1]),
        ("ORDER#", "nope", [1]),
    ],
)
def test_range_bounds_rejects_bad_arguments(p: str, op: RangeOp, values: list[object]) -> None:
    with pytest.raises(KeyEncodingError):
        range_bounds(p, op, "int", values)


def test_range_bounds_rejects_a_bare_string_as_values() -> None:
    with pytest.raises(KeyEncodingError):
        range_bounds("ORDER#", "eq", "str", "a")


# ---- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "match", "fix"),
    [
        ("datetime", datetime(2024, 1, 2), "naive", "tzinfo"),
        ("decimal", Decimal("NaN"), "NaN", "finite value"),
        ("decimal", Decimal("sNaN"), "NaN", "finite value"),
        ("decimal", Decimal("Infinity"), "Infinity", "finite value"),
        ("float", float("nan"), "NaN", "finite value"),
        ("float", float("-inf"), "Infinity", "finite value"),
        ("decimal", Decimal("1." + "1" * 38), "39 significant digits", "round the value"),
        ("int", 10**38 + 1, "39 significant digits", "round the value"),
        ("decimal", Decimal("1E+126"), "range", "scale the value"),
        ("decimal", Decimal("-1E-131"), "range", "scale the value"),
        ("float", 1e-200, "range", "scale the value"),
        ("int", 10**200, "range", "scale the value"),
        ("int", True, "bool", "declare the attribute as bool"),
        ("decimal", False, "bool", "declare the attribute as bool"),
        ("float", True, "bool", "declare the attribute as bool"),
        ("int", "1", "int", "pass an int"),
        ("int", 1.0, "int", "pass an int"),
        ("decimal", 1.5, "Decimal", "pass a Decimal"),
        ("float", Decimal("1.5"), "float", "pass a float"),
        ("float", 2**60 + 1, "exact float", "declare the attribute as int or decimal"),
        ("str", 1, "str", "pass a str"),
        ("str", b"a", "str", "pass a str"),
        ("str", "a\ud800", "surrogate", "drop the surrogate"),
        ("enum", 3, "Enum", "pass a str or an Enum"),
        ("date", datetime(2024, 1, 2, tzinfo=UTC), "not a datetime", "pass a date (not a datetime)"),
        ("date", "2024-01-02", "date", "pass a date"),
        ("bool", 1, "bool", "pass a bool"),
        ("bytes", "ab", "bytes", "pass bytes"),
        ("datetime", date(2024, 1, 2), "datetime", "pass a datetime"),
        (
            "datetime",
            datetime.min.replace(tzinfo=timezone(timedelta(hours=1))),
            "years",
            "within years 1..9999",
        ),
        ("nope", 1, "unknown", "use one of str, int, decimal"),
    ],
)
def test_encode_errors(kind: ValueKind, value: object, match: str, fix: str) -> None:
    with pytest.raises(KeyEncodingError, match=match) as info:
        encode_value(kind, value)
    assert isinstance(info.value, DynamodelError)
    assert info.value.code == "key-encoding"
    assert fix in (info.value.hint or ""), info.value.hint


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("int", encode_value("decimal", Decimal("1.5"))),
        ("int", "p5010"),  # trailing zero digit: not canonical
        ("int", "p50101"),  # leading zero digit
        ("int", "n4989~"),  # negative with a trailing (complemented) zero
        ("decimal", "n50087"),  # negative without '~'
        ("decimal", "p999" + "1"),  # exponent out of range
        ("decimal", "p501" + "1" * 39),  # too many digits
        ("decimal", "p50\u0661"),  # non-ASCII digit
        ("float", "o1"),
        ("bool", "2"),
        ("bytes", "ABCD"),
        ("bytes", "abc"),
        ("bytes", "ab cd"),
        ("date", "2024-1-02"),
        ("date", "2024-02-30"),
        ("datetime", "2024-01-02T03:04:05.000000+00:00"),
        ("nope", "x"),
    ],
)
def test_decode_errors(kind: ValueKind, text: str) -> None:
    with pytest.raises(KeyEncodingError):
        decode_value(kind, text)


def test_template_definition_errors() -> None:
    with pytest.raises(KeyEncodingError, match="twice"):
        KeyTemplate((Ref("a", "str"), Ref("a", "int")))
    with pytest.raises(KeyEncodingError, match="cannot be part of a key"):
        KeyTemplate((Ref("a", "list"),))  # type: ignore[arg-type]
    with pytest.raises(KeyEncodingError, match="neither Lit nor Ref"):
        KeyTemplate(("ORDER",))  # type: ignore[arg-type]


def test_component_helper() -> None:
    assert component("str", "a#") == "a$c#"
    assert issubclass(KeyEncodingError, DynamodelError)


# ---- remembered components ----------------------------------------------------------------

any_kind_value = st.sampled_from(VALUE_KINDS).flatmap(lambda k: st.tuples(st.just(k), STRATEGIES[k]))


@settings(max_examples=300)
@given(st.lists(any_kind_value, min_size=1, max_size=12), st.booleans())
def test_a_remembered_component_is_the_one_encoding_gives(
    pairs: list[tuple[ValueKind, Any]], full: bool
) -> None:
    """component() remembers what it rendered: every later call for an equal value of the same
    type (another offset of the same instant, 1.50 for 1.5, True beside 1) gives what encoding
    that value gives, also right after the memory was emptied."""
    if full:
        keys_module._COMPONENTS.clear()
    for kind, value in pairs + pairs[::-1]:
        assert component(kind, value) == comp(kind, value)
    for kind, value in pairs:
        other = _equal_other(value)
        if other is not None:
            assert component(kind, other) == comp(kind, other)


def _equal_other(value: object) -> object | None:
    """An equal value of the same type whose encoding the memory must not confuse with another's."""
    if isinstance(value, datetime):
        return value.astimezone(timezone(timedelta(hours=5)))
    if type(value) is Decimal and value.is_finite():
        return value.normalize() if value.adjusted() < 30 else None
    return None


def test_values_of_different_types_that_compare_equal_are_remembered_apart() -> None:
    keys_module._COMPONENTS.clear()
    assert component("int", 1) == comp("int", 1)
    with pytest.raises(KeyEncodingError):
        component("int", True)  # a bool is not an int key, even after 1 was remembered
    assert component("bool", True) == comp("bool", True)
    assert component("decimal", Decimal(1)) == comp("decimal", Decimal(1))
    assert component("float", 1.0) == comp("float", 1.0)


def test_a_replaced_encoder_is_not_answered_from_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a type's encoder rendered is remembered under that encoder: replacing it (as the
    AppMachine's planted bugs do) renders with the new one, and putting it back with the old."""
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    before = component("datetime", when)
    monkeypatch.setattr(DateTimeType, "encode_key", lambda self, value: "replaced")
    assert component("datetime", when) == "replaced#"
    monkeypatch.undo()
    assert component("datetime", when) == before == comp("datetime", when)
