"""Python values and entities ⇄ DynamoDB attribute values, written by hand.

The wire form is the low-level client's (``{"S": "x"}``, ``{"N": "1.5"}``, ...), the
same as boto3's ``TypeSerializer`` produces, without going through it: a plain
dispatch on ``type(value)`` is several times faster (``benchmarks/codec_bench.py``).

Rules DynamoDB imposes and this module enforces before anything is sent:

* numbers have at most 38 significant digits and a magnitude between 1E-130 and
  9.9999999999999999999999999999999999999E+125 (or are zero); NaN and Infinity do
  not exist. Numbers are written normalised, in plain notation: ``Decimal("1.50")``
  → ``"1.5"``, ``Decimal("1E+2")`` → ``"100"``, ``-0`` → ``"0"``;
* sets are never empty and hold one kind (strings, numbers or bytes);
* strings are valid UTF-8 (no lone surrogates).

Datetimes are stored as ISO-8601 UTC strings with six fractional digits and ``Z``
(``2024-01-02T03:04:05.000000Z``), so that string order is time order; naive
datetimes are refused, because their instant is unknown. Dates are ``YYYY-MM-DD``.

``None`` is not an attribute value: callers leave ``None`` attributes out of the
item. Inside a list or a map, ``None`` is stored as ``{"NULL": True}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Context, Decimal, Inexact, InvalidOperation
from enum import Enum
from operator import itemgetter
from typing import Any

from pydantic import BaseModel

from dynamodel.errors import RequestError
from dynamodel.spec import AttributeSpec, AttrType, EntitySpec

AttributeValue = dict[str, Any]
"""One value in the low-level wire form, e.g. ``{"S": "x"}`` or ``{"L": [...]}``."""
Item = dict[str, AttributeValue]
"""A whole item (or a key): attribute name → attribute value."""

MAX_DIGITS = 38
MIN_ADJUSTED_EXPONENT = -130  # 1E-130
MAX_ADJUSTED_EXPONENT = 125  # 9.99...E+125
NUMBER_RANGE = "zero, or between 1E-130 and 9.9999999999999999999999999999999999999E+125 in magnitude"

_CONTEXT = Context(prec=MAX_DIGITS, traps=[Inexact, InvalidOperation])
_INT_LIMIT = 10**MAX_DIGITS  # |int| below this has at most 38 digits and is in range
_INT_MAX_BITS = 420  # 2**420 > 1E+126: any int this long is out of range


def _short(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long for str() (sys.get_int_max_str_digits)
        return f"<{type(value).__name__} too long to show>"
    return text if len(text) <= 60 else text[:57] + "..."


# ---- numbers -------------------------------------------------------------------------------


def _number_text(d: Decimal, original: object) -> str:
    """The normalised plain-notation text DynamoDB stores for ``d``, or RequestError."""
    try:
        n = d.normalize(_CONTEXT)
    except Inexact:
        msg = f"{_short(original)} has more than {MAX_DIGITS} significant digits; DynamoDB numbers hold at most {MAX_DIGITS}"
        raise RequestError(
            msg, hint="round it first, e.g. value.quantize(Decimal('0.0001')), or store it as a str attribute"
        ) from None
    except InvalidOperation:  # signalling NaN
        n = Decimal("NaN")
    text = str(n)
    # Without an exponent (and not NaN/Infinity/-0) str() is already plain and in range.
    if "E" in text or "n" in text or "N" in text or text == "-0":
        return _unusual_number_text(n, original)
    return text


def _unusual_number_text(n: Decimal, original: object) -> str:
    if not n.is_finite():
        msg = f"{_short(original)} cannot be stored: DynamoDB numbers have no NaN or Infinity"
        raise RequestError(msg, hint="store a finite value, or leave the attribute out (None)")
    if not n:
        return "0"
    adjusted = n.adjusted()
    if adjusted > MAX_ADJUSTED_EXPONENT or adjusted < MIN_ADJUSTED_EXPONENT:
        msg = f"{_short(original)} is out of DynamoDB's number range ({NUMBER_RANGE})"
        raise RequestError(msg, hint="scale the value, or store it as a str attribute")
    return format(n, "f")


def _int_text(v: int) -> str:
    if -_INT_LIMIT < v < _INT_LIMIT:
        return str(v)
    if v.bit_length() > _INT_MAX_BITS:
        msg = f"{_short(v)} is out of DynamoDB's number range ({NUMBER_RANGE})"
        raise RequestError(msg, hint="scale the value, or store it as a str attribute")
    return _number_text(Decimal(v), v)


def _float_text(v: float) -> str:
    if not math.isfinite(v):
        msg = f"{v!r} cannot be stored: DynamoDB numbers have no NaN or Infinity"
        raise RequestError(msg, hint="store a finite value, or leave the attribute out (None)")
    # repr is the shortest text that reads back as the same float.
    return _number_text(Decimal(repr(v)), v)


def _number(text: str) -> int | Decimal:
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


# ---- serialize -----------------------------------------------------------------------------


def _check_text(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        msg = f"string {_short(s)} contains a lone surrogate, which is not valid UTF-8"
        raise RequestError(
            msg, hint="pass real text: decode bytes with errors='replace' or remove the surrogates"
        ) from None


def _ser_str(v: str) -> AttributeValue:
    if not v.isascii():
        _check_text(v)
    return {"S": v}


def _ser_bool(v: bool) -> AttributeValue:
    return {"BOOL": v}


def _ser_int(v: int) -> AttributeValue:
    return {"N": _int_text(v)}


def _ser_decimal(v: Decimal) -> AttributeValue:
    return {"N": _number_text(v, v)}


def _ser_float(v: float) -> AttributeValue:
    return {"N": _float_text(v)}


def _datetime_text(v: datetime) -> str:
    if v.tzinfo is not UTC:
        offset = v.utcoffset()
        if offset is None:
            msg = f"naive datetime {v.isoformat()} has no timezone, so its instant is unknown"
            raise RequestError(
                msg, hint="attach a tzinfo, e.g. datetime.now(timezone.utc) or dt.replace(tzinfo=UTC)"
            )
        if offset:
            try:
                v = v.astimezone(UTC)
            except (OverflowError, ValueError):
                msg = f"datetime {v.isoformat()} falls outside years 1..9999 once converted to UTC"
                raise RequestError(msg, hint="use a datetime within years 1..9999 UTC") from None
    # %-formatting is twice as fast as isoformat(timespec=...) here, and pads years < 1000.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031
        v.year,
        v.month,
        v.day,
        v.hour,
        v.minute,
        v.second,
        v.microsecond,
    )


def _ser_datetime(v: datetime) -> AttributeValue:
    return {"S": _datetime_text(v)}


def _ser_date(v: date) -> AttributeValue:
    return {"S": v.isoformat()}


def _ser_bytes(v: bytes | bytearray) -> AttributeValue:
    return {"B": bytes(v)}


def _ser_null(_: None) -> AttributeValue:
    return {"NULL": True}


def _ser_list(v: list[Any] | tuple[Any, ...]) -> AttributeValue:
    return {"L": [_ser_map(x) if type(x) is dict else _ser_nested(x) for x in v]}


def _map_key(key: object) -> str:
    if isinstance(key, Enum):
        key = key.value
    if not isinstance(key, str):
        msg = f"map key {_short(key)} has type {type(key).__name__}; DynamoDB map keys are strings"
        raise RequestError(msg, hint="convert the keys to str, e.g. {str(k): v for k, v in d.items()}")
    if not key.isascii():
        _check_text(key)
    return str.__str__(key)


def _ser_map(v: Mapping[Any, Any]) -> AttributeValue:
    out: dict[str, AttributeValue] = {}
    for key, x in v.items():
        k = key if type(key) is str and key.isascii() else _map_key(key)
        # The common scalars inline: a function call per value is most of the cost.
        t = type(x)
        if t is str and x.isascii():
            out[k] = {"S": x}
        elif t is int and -_INT_LIMIT < x < _INT_LIMIT:
            out[k] = {"N": str(x)}
        else:
            out[k] = (_ENCODERS.get(t) or _ser_other)(x)
    return {"M": out}


def _ser_set(v: set[Any] | frozenset[Any]) -> AttributeValue:
    if not v:
        msg = "an empty set cannot be stored: DynamoDB has no empty SS/NS/BS"
        raise RequestError(msg, hint="leave the attribute out (None), or store an empty list instead")
    members = [x.value if isinstance(x, Enum) else x for x in v]
    if all(isinstance(x, str) for x in members):
        for s in members:
            if not s.isascii():
                _check_text(s)
        return {"SS": sorted(str.__str__(s) for s in members)}
    if all(isinstance(x, int | float | Decimal) and not isinstance(x, bool) for x in members):
        texts = [
            _float_text(x)
            if isinstance(x, float)
            else _number_text(x, x)
            if isinstance(x, Decimal)
            else _int_text(x)
            for x in sorted(members)
        ]
        # 1.5 and Decimal("1.50") are one DynamoDB number; duplicates would be rejected.
        return {"NS": list(dict.fromkeys(texts))}
    if all(isinstance(x, bytes | bytearray) for x in members):
        return {"BS": sorted({bytes(x) for x in members})}
    kinds = sorted({type(x).__name__ for x in members})
    msg = f"a set mixes {', '.join(kinds)}; DynamoDB sets hold only strings, only numbers or only bytes"
    raise RequestError(msg, hint="use one member type, or store a list instead")


def _ser_other(value: object) -> AttributeValue:
    """Subclasses and the types the fast dispatch table does not hold."""
    if isinstance(value, Enum):
        return _ser_nested(value.value)
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return _ser_str(str.__str__(value))
    if isinstance(value, int):
        return {"N": _int_text(int(value))}
    if isinstance(value, float):
        return {"N": _float_text(float(value))}
    if isinstance(value, Decimal):
        return {"N": _number_text(value, value)}
    if isinstance(value, datetime):
        return _ser_datetime(value)
    if isinstance(value, date):
        return _ser_date(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"B": bytes(value)}
    if isinstance(value, BaseModel):
        return _ser_map(value.model_dump(mode="python"))
    if isinstance(value, Mapping):
        return _ser_map(value)
    if isinstance(value, list | tuple):
        return _ser_list(value)
    if isinstance(value, set | frozenset):
        return _ser_set(value)
    msg = f"a value of type {type(value).__qualname__} ({_short(value)}) cannot be stored in DynamoDB"
    raise RequestError(
        msg,
        hint="use str, int, Decimal, float, bool, datetime, date, bytes, list, tuple, dict, set, an Enum or a pydantic model",
    )


def _ser_nested(value: object) -> AttributeValue:
    return (_ENCODERS.get(type(value)) or _ser_other)(value)


_ENCODERS: dict[type, Callable[[Any], AttributeValue]] = {
    str: _ser_str,
    bool: _ser_bool,
    int: _ser_int,
    Decimal: _ser_decimal,
    float: _ser_float,
    datetime: _ser_datetime,
    date: _ser_date,
    bytes: _ser_bytes,
    bytearray: _ser_bytes,
    list: _ser_list,
    tuple: _ser_list,
    dict: _ser_map,
    set: _ser_set,
    frozenset: _ser_set,
    type(None): _ser_null,
}


def serialize(value: object) -> AttributeValue:
    """The DynamoDB attribute value of ``value``.

    Args:
        value: str, bool, int, Decimal, float, datetime (aware), date, bytes,
            bytearray, list, tuple, dict with str keys, a non-empty set of str,
            numbers or bytes, an Enum (stored as its value) or a pydantic model
            (stored as the map of its ``model_dump()``); containers nest freely and
            may hold ``None`` (stored as NULL).

    Returns:
        The wire form, e.g. ``{"N": "1.5"}``.

    Raises:
        RequestError: ``None`` at the top level, a type DynamoDB cannot store, a
            number outside DynamoDB's limits, NaN/Infinity, a naive datetime, an empty
            or mixed set, a non-str map key, or a string with a lone surrogate.
    """
    if value is None:
        msg = "None is not an attribute value"
        raise RequestError(
            msg, hint="leave the attribute out of the item; inside a list or map None is stored as NULL"
        )
    return (_ENCODERS.get(type(value)) or _ser_other)(value)


# ---- deserialize ---------------------------------------------------------------------------


def _de_map(m: dict[str, AttributeValue]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, av in m.items():
        # The common scalars inline: a function call per value is most of the cost.
        if "S" in av:
            out[k] = av["S"]
        elif "N" in av:
            text = av["N"]
            out[k] = Decimal(text) if "." in text or "e" in text or "E" in text else int(text)
        else:
            out[k] = deserialize(av)
    return out


_DECODERS: dict[str, Callable[[Any], object]] = {
    "S": str,
    "N": _number,
    "BOOL": bool,
    "NULL": lambda _: None,
    "B": bytes,
    "M": _de_map,
    "L": lambda xs: [_de_map(x["M"]) if "M" in x else deserialize(x) for x in xs],
    "SS": set,
    "NS": lambda xs: {_number(x) for x in xs},
    "BS": lambda xs: {bytes(x) for x in xs},
}


def deserialize(av: AttributeValue) -> object:
    """The Python value of one attribute value.

    S → str, N → int (no '.' or exponent) else Decimal, BOOL → bool, NULL → None,
    B → bytes, L → list, M → dict, SS → set[str], NS → set of int/Decimal,
    BS → set[bytes].

    Raises:
        RequestError: ``av`` is not a one-key attribute value of a known type.
    """
    if len(av) == 1:
        for tag, payload in av.items():
            decode = _DECODERS.get(tag)
            if decode is not None:
                return decode(payload)
    msg = f"{_short(av)} is not a DynamoDB attribute value"
    raise RequestError(msg, hint="pass one value in the low-level form, e.g. {'S': 'text'} or {'N': '1'}")


# ---- entities ------------------------------------------------------------------------------


Encoder = Callable[[Any], AttributeValue | None]
"""Encodes one declared attribute; None means the value has the wrong Python type."""
Decoder = Callable[[AttributeValue], object]


def _enc_str(v: object) -> AttributeValue | None:
    if type(v) is str:
        return {"S": v} if v.isascii() else _ser_str(v)
    if isinstance(v, Enum):
        v = v.value
    if isinstance(v, str):
        return _ser_str(str.__str__(v))
    return None


def _enc_int(v: object) -> AttributeValue | None:
    if type(v) is int:
        return {"N": _int_text(v)}
    if isinstance(v, int) and not isinstance(v, bool):
        return {"N": _int_text(int(v))}
    return None


def _enc_decimal(v: object) -> AttributeValue | None:
    if isinstance(v, Decimal):
        return {"N": _number_text(v, v)}
    if isinstance(v, int) and not isinstance(v, bool):
        return {"N": _int_text(int(v))}
    return None


def _enc_float(v: object) -> AttributeValue | None:
    if isinstance(v, float):
        return {"N": _float_text(float(v))}
    if isinstance(v, int) and not isinstance(v, bool):
        try:
            as_float = float(v)
        except OverflowError:
            return None
        return {"N": _float_text(as_float)} if as_float == v else None
    return None


def _enc_bool(v: object) -> AttributeValue | None:
    return {"BOOL": v} if isinstance(v, bool) else None


def _enc_datetime(v: object) -> AttributeValue | None:
    return {"S": _datetime_text(v)} if isinstance(v, datetime) else None


def _enc_date(v: object) -> AttributeValue | None:
    return {"S": v.isoformat()} if isinstance(v, date) and not isinstance(v, datetime) else None


def _enc_bytes(v: object) -> AttributeValue | None:
    return {"B": bytes(v)} if isinstance(v, bytes | bytearray | memoryview) else None


def _enc_list(v: object) -> AttributeValue | None:
    if isinstance(v, list | tuple):
        return _ser_list(v)
    if isinstance(v, set | frozenset):
        # DynamoDB has no empty set; an empty list reads back as an empty collection.
        return _ser_set(v) if v else {"L": []}
    return None


def _enc_map(v: object) -> AttributeValue | None:
    if isinstance(v, Mapping):
        return _ser_map(v)
    if isinstance(v, BaseModel):
        return _ser_map(v.model_dump(mode="python"))
    return None


def _enc_enum(attr: AttributeSpec) -> Encoder:
    allowed = frozenset(attr.enum)

    def encode(v: object) -> AttributeValue | None:
        raw = v._value_ if isinstance(v, Enum) else v  # ._value_: .value is a slow descriptor
        if type(raw) is str:
            if allowed and raw not in allowed:
                return None
            return {"S": raw} if raw.isascii() else _ser_str(raw)
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            return None
        if allowed and str(raw) not in allowed:
            return None
        return _ser_str(str.__str__(raw)) if isinstance(raw, str) else {"N": _int_text(int(raw))}

    return encode


_ENTITY_ENCODERS: dict[AttrType, tuple[Encoder, str]] = {
    "str": (_enc_str, "a str"),
    "int": (_enc_int, "an int"),
    "decimal": (_enc_decimal, "a Decimal or an int (convert a float with Decimal(str(x)))"),
    "float": (_enc_float, "a float (or an int that has an exact float value)"),
    "bool": (_enc_bool, "a bool"),
    "datetime": (_enc_datetime, "an aware datetime"),
    "date": (_enc_date, "a date (not a datetime: its time would be lost)"),
    "bytes": (_enc_bytes, "bytes"),
    "list": (_enc_list, "a list, tuple or set"),
    "map": (_enc_map, "a dict with str keys (or a pydantic model)"),
}


# The entity decoders below raise KeyError/ValueError/TypeError on a stored value of the
# wrong shape; item_to_values turns every one into a RequestError naming the attribute.


def _to_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        d = Decimal(text)  # "1E+2" or "3.0" from another writer
        if d != d.to_integral_value():
            raise
        return int(d)


def _parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:  # written by another tool without an offset: read as UTC
        return value.replace(tzinfo=UTC)
    if value.tzinfo is not UTC:
        return value.astimezone(UTC)
    return value


def _de_bool(av: AttributeValue) -> object:
    v = av["BOOL"]
    if not isinstance(v, bool):
        raise TypeError(v)
    return v


_COLLECTION_TAGS = frozenset({"L", "SS", "NS", "BS", "NULL"})


def _de_list(av: AttributeValue) -> object:
    if not _COLLECTION_TAGS.issuperset(av):
        raise TypeError(av)
    return deserialize(av)


def _de_enum(av: AttributeValue) -> object:
    if "S" in av:
        return av["S"]
    return _to_int(av["N"])


_ENTITY_DECODERS: dict[AttrType, Decoder] = {
    "str": itemgetter("S"),
    "int": lambda av: _to_int(av["N"]),
    "decimal": lambda av: Decimal(av["N"]),
    "float": lambda av: float(av["N"]),
    "bool": _de_bool,
    "datetime": lambda av: _parse_datetime(av["S"]),
    "date": lambda av: date.fromisoformat(av["S"]),
    "bytes": lambda av: bytes(av["B"]),
    "list": _de_list,
    "map": lambda av: _de_map(av["M"]),
    "enum": _de_enum,
}

_Plan = tuple[tuple[str, AttributeSpec, Encoder, str, Decoder], ...]
_PLANS: dict[int, tuple[EntitySpec, _Plan, frozenset[str]]] = {}


def _plan(spec: EntitySpec) -> tuple[_Plan, frozenset[str]]:
    cached = _PLANS.get(id(spec))
    if cached is not None and cached[0] is spec:
        return cached[1], cached[2]
    rows = []
    for a in spec.attributes:
        if a.type == "enum":
            encode, expected = _enc_enum(a), f"one of {', '.join(a.enum)}"
        else:
            encode, expected = _ENTITY_ENCODERS[a.type]
        rows.append((a.name, a, encode, expected, _ENTITY_DECODERS[a.type]))
    plan = tuple(rows)
    names = frozenset(a.name for a in spec.attributes)
    _PLANS[id(spec)] = (spec, plan, names)  # keeps spec alive, so its id is never reused
    return plan, names


def entity_to_item(spec: EntitySpec, values: Mapping[str, object]) -> Item:
    """The attribute values of an entity's declared attributes.

    Args:
        spec: the entity (``Entity.__entity_spec__`` or ``AppSpec.entity(name)``).
        values: attribute name → Python value, e.g. ``instance.model_dump()``.
            ``None`` and absent attributes are left out of the item.

    Returns:
        The item's non-key attributes, typed by the declaration: a ``float``
        attribute is written from a float, a ``date`` attribute refuses a datetime.

    Raises:
        RequestError: a value of the wrong type for its declared attribute, a value
            DynamoDB cannot store (see :func:`serialize`), or a name the entity does
            not declare; the message names the entity and the attribute.
    """
    plan, names = _plan(spec)
    if not names.issuperset(values):
        unknown = next(name for name in values if name not in names)
        msg = f"{spec.name} has no attribute '{unknown}'"
        raise RequestError(
            msg, hint=f"pass only the declared attributes: {', '.join(a.name for a in spec.attributes)}"
        )
    item: Item = {}
    for name, attr, encode, expected, _ in plan:
        value = values.get(name)
        if value is None:
            continue
        try:
            av = encode(value)
        except RequestError as err:
            msg = f"{spec.name}.{name}: {err.message}"
            raise RequestError(msg, hint=err.hint) from None
        if av is None:
            msg = f"{spec.name}.{name} is declared {attr.type} but got {type(value).__name__} {_short(value)}"
            raise RequestError(msg, hint=f"pass {expected}")
        item[name] = av
    return item


def encode_attribute(spec: EntitySpec, name: str, value: object) -> AttributeValue:
    """The attribute value of one declared attribute, checked as :func:`entity_to_item` does.

    For update expressions and conditions (``:v`` values) that set one attribute.

    Raises:
        RequestError: ``name`` is not declared, ``value`` is None (REMOVE the attribute
            instead), or the value does not fit the declared type.
    """
    if value is None:
        msg = f"{spec.name}.{name} is None, which is not an attribute value"
        raise RequestError(msg, hint="REMOVE the attribute instead of setting it to None")
    return entity_to_item(spec, {name: value})[name]


def item_to_values(spec: EntitySpec, item: Mapping[str, AttributeValue]) -> dict[str, object]:
    """The declared attributes of an item, typed by the declaration.

    datetime → aware UTC datetime, date → date, decimal → Decimal, float → float,
    int → int, bytes → bytes, list/map → deserialised recursively, enum → its stored
    value (pydantic turns it back into the Enum). Attributes the entity does not
    declare (keys, ``_type``, ``_version``, ...) are ignored; absent ones are absent
    from the result, and NULL reads as None.

    Raises:
        RequestError: a stored value does not match its declared type (the item was
            written by another writer or an older version of the entity).
    """
    plan, _ = _plan(spec)
    out: dict[str, object] = {}
    for name, attr, _, _, decode in plan:
        av = item.get(name)
        if av is None:
            continue
        try:
            out[name] = decode(av)
        except (KeyError, ValueError, TypeError, ArithmeticError):
            if av.get("NULL") is True:
                out[name] = None
                continue
            msg = f"{spec.name}.{name} is declared {attr.type} but the item holds {_short(av)}"
            raise RequestError(
                msg,
                hint="the item was written by another writer or an older version of the entity; migrate it or fix the declaration",
            ) from None
    return out
