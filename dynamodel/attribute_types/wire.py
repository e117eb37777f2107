"""The DynamoDB wire form shared by all attribute types: numbers, text, lists, maps, sets.

The wire form is the low-level client's (``{"S": "x"}``, ``{"N": "1.5"}``, ...). Values
are serialised by a plain dispatch on ``type(value)`` through ``WIRE_ENCODERS``, which the
registered attribute types fill; a subclass or an Enum goes through the types' fallbacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Context, Decimal, Inexact, InvalidOperation
from enum import Enum
from typing import Any

from dynamodel.attribute_types.base import AttributeValue
from dynamodel.attribute_types.registry import FALLBACKS, WIRE_ENCODERS
from dynamodel.errors import RequestError

MAX_DIGITS = 38
MIN_ADJUSTED_EXPONENT = -130  # 1E-130
MAX_ADJUSTED_EXPONENT = 125  # 9.99...E+125
NUMBER_RANGE = "zero, or between 1E-130 and 9.9999999999999999999999999999999999999E+125 in magnitude"

_CONTEXT = Context(prec=MAX_DIGITS, traps=[Inexact, InvalidOperation])
INT_LIMIT = 10**MAX_DIGITS  # |int| below this has at most 38 digits and is in range
_INT_MAX_BITS = 420  # 2**420 > 1E+126: any int this long is out of range
# Counts, quantities and versions are mostly small: a lookup in these is several times
# cheaper than str(n) or int(text), which the codec would otherwise call for each.
SMALL_INT_TEXTS = tuple(str(n) for n in range(1000))
"""``str(n)`` for 0 <= n < 1000."""
SMALL_INTS = {text: n for n, text in enumerate(SMALL_INT_TEXTS)}
"""``int(text)`` for the texts of SMALL_INT_TEXTS."""


def short(value: object) -> str:
    """``repr(value)``, cut to 60 characters for error messages."""
    try:
        text = repr(value)
    except ValueError:  # an int too long for str() (sys.get_int_max_str_digits)
        return f"<{type(value).__name__} too long to show>"
    return text if len(text) <= 60 else text[:57] + "..."


# ---- numbers -------------------------------------------------------------------------------


def number_text(d: Decimal, original: object) -> str:
    """The normalised plain-notation text DynamoDB stores for ``d``, or RequestError."""
    try:
        n = d.normalize(_CONTEXT)
    except Inexact:
        msg = f"{short(original)} has more than {MAX_DIGITS} significant digits; DynamoDB numbers hold at most {MAX_DIGITS}"
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
        msg = f"{short(original)} cannot be stored: DynamoDB numbers have no NaN or Infinity"
        raise RequestError(msg, hint="store a finite value, or leave the attribute out (None)")
    if not n:
        return "0"
    adjusted = n.adjusted()
    if adjusted > MAX_ADJUSTED_EXPONENT or adjusted < MIN_ADJUSTED_EXPONENT:
        msg = f"{short(original)} is out of DynamoDB's number range ({NUMBER_RANGE})"
        raise RequestError(msg, hint="scale the value, or store it as a str attribute")
    return format(n, "f")


def int_text(v: int) -> str:
    """The wire text of an int, or RequestError when DynamoDB cannot store it."""
    if -INT_LIMIT < v < INT_LIMIT:
        return str(v)
    if v.bit_length() > _INT_MAX_BITS:
        msg = f"{short(v)} is out of DynamoDB's number range ({NUMBER_RANGE})"
        raise RequestError(msg, hint="scale the value, or store it as a str attribute")
    return number_text(Decimal(v), v)


def decimal_text(d: Decimal) -> str:
    """``number_text(d, d)`` for an exact Decimal (a subclass may override ``__str__``),
    without ``normalize()`` when ``str(d)`` is already that text."""
    text = str(d)
    # Without an exponent, at most 38 characters and no trailing zero after a point, str() is
    # plain, in range and normalised: what normalize() and plain formatting would give.
    if len(text) <= MAX_DIGITS and "E" not in text:
        last = text[-1]
        if last in "123456789" or (last == "0" and "." not in text and text != "-0"):
            return text
    return number_text(d, d)


def float_text(v: float) -> str:
    """The wire text of a float, or RequestError when DynamoDB cannot store it."""
    text = repr(v)
    # repr without an exponent (and not inf/nan) is plain notation between 1E-4 and 1E+16,
    # and its only trailing zero is the one of ".0".
    if "e" not in text and "n" not in text:
        if text[-1] != "0":
            return text
        if text[-2:] == ".0" and text != "-0.0":
            return text[:-2]
    if not math.isfinite(v):
        msg = f"{v!r} cannot be stored: DynamoDB numbers have no NaN or Infinity"
        raise RequestError(msg, hint="store a finite value, or leave the attribute out (None)")
    # repr is the shortest text that reads back as the same float.
    return number_text(Decimal(repr(v)), v)


def number(text: str) -> int | Decimal:
    """N text as an int when it has no '.' or exponent, else as a Decimal."""
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


def to_int(text: str) -> int:
    """N text as an int, also when another writer wrote ``"1E+2"`` or ``"3.0"``."""
    try:
        return int(text)
    except ValueError:
        d = Decimal(text)
        if d != d.to_integral_value():
            raise
        return int(d)


# ---- serialize -----------------------------------------------------------------------------


def check_text(s: str) -> None:
    """Refuse a string with a lone surrogate (RequestError)."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        msg = f"string {short(s)} contains a lone surrogate, which is not valid UTF-8"
        raise RequestError(
            msg, hint="pass real text: decode bytes with errors='replace' or remove the surrogates"
        ) from None


def ser_str(v: str) -> AttributeValue:
    """``{"S": v}`` for an exact str, checked for lone surrogates."""
    if not v.isascii():
        check_text(v)
    return {"S": v}


def ser_list(v: list[Any] | tuple[Any, ...]) -> AttributeValue:
    """A list or tuple as L, every element serialised by its own type."""
    return {
        "L": [
            ser_map(x)
            if type(x) is dict
            else {"S": x}
            if type(x) is str and x.isascii()
            else (WIRE_ENCODERS.get(type(x)) or ser_other)(x)
            for x in v
        ]
    }


def _map_key(key: object) -> str:
    if isinstance(key, Enum):
        key = key.value
    if not isinstance(key, str):
        msg = f"map key {short(key)} has type {type(key).__name__}; DynamoDB map keys are strings"
        raise RequestError(msg, hint="convert the keys to str, e.g. {str(k): v for k, v in d.items()}")
    if not key.isascii():
        check_text(key)
    return str.__str__(key)


def ser_map(v: Mapping[Any, Any]) -> AttributeValue:
    """A mapping with str keys as M."""
    out: dict[str, AttributeValue] = {}
    for key, x in v.items():
        k = key if type(key) is str and key.isascii() else _map_key(key)
        # The common types inline: a function call per value is most of the cost. Each
        # branch gives what the type's WIRE_ENCODERS entry gives.
        t = type(x)
        if t is str:
            out[k] = {"S": x} if x.isascii() else ser_str(x)
        elif t is int and -INT_LIMIT < x < INT_LIMIT:
            out[k] = {"N": SMALL_INT_TEXTS[x] if 0 <= x < 1000 else str(x)}
        elif t is Decimal:
            out[k] = {"N": decimal_text(x)}
        elif t is dict:
            out[k] = ser_map(x)
        else:
            out[k] = (WIRE_ENCODERS.get(t) or ser_other)(x)
    return {"M": out}


def ser_set(v: set[Any] | frozenset[Any]) -> AttributeValue:
    """A non-empty set of strings, numbers or bytes as SS, NS or BS."""
    if not v:
        msg = "an empty set cannot be stored: DynamoDB has no empty SS/NS/BS"
        raise RequestError(msg, hint="leave the attribute out (None), or store an empty list instead")
    members = [x.value if isinstance(x, Enum) else x for x in v]
    if all(isinstance(x, str) for x in members):
        for s in members:
            if not s.isascii():
                check_text(s)
        return {"SS": sorted(str.__str__(s) for s in members)}
    if all(isinstance(x, int | float | Decimal) and not isinstance(x, bool) for x in members):
        texts = [
            float_text(x)
            if isinstance(x, float)
            else number_text(x, x)
            if isinstance(x, Decimal)
            else int_text(x)
            for x in sorted(members)
        ]
        # 1.5 and Decimal("1.50") are one DynamoDB number; duplicates would be rejected.
        return {"NS": list(dict.fromkeys(texts))}
    if all(isinstance(x, bytes | bytearray) for x in members):
        return {"BS": sorted({bytes(x) for x in members})}
    kinds = sorted({type(x).__name__ for x in members})
    msg = f"a set mixes {', '.join(kinds)}; DynamoDB sets hold only strings, only numbers or only bytes"
    raise RequestError(msg, hint="use one member type, or store a list instead")


def ser_other(value: object) -> AttributeValue:
    """Subclasses and the types the fast dispatch table does not hold."""
    for fallback in FALLBACKS:
        av = fallback(value)
        if av is not None:
            return av
    msg = f"a value of type {type(value).__qualname__} ({short(value)}) cannot be stored in DynamoDB"
    raise RequestError(
        msg,
        hint="use str, int, Decimal, float, bool, datetime, date, bytes, list, tuple, dict, set, an Enum or a pydantic model",
    )


def ser_nested(value: object) -> AttributeValue:
    """Any storable value (None included) through the dispatch table."""
    return (WIRE_ENCODERS.get(type(value)) or ser_other)(value)


# ---- deserialize ---------------------------------------------------------------------------


def de_map(m: dict[str, AttributeValue]) -> dict[str, object]:
    """The dict of an M payload."""
    out: dict[str, object] = {}
    for k, av in m.items():
        # The common scalars inline: a function call per value is most of the cost.
        if "S" in av:
            out[k] = av["S"]
        elif "N" in av:
            text = av["N"]
            n = SMALL_INTS.get(text)
            if n is None:
                out[k] = Decimal(text) if "." in text or "e" in text or "E" in text else int(text)
            else:
                out[k] = n
        elif "M" in av and len(av) == 1:
            out[k] = de_map(av["M"])
        else:
            out[k] = deserialize(av)
    return out


def de_list(xs: list[AttributeValue]) -> list[object]:
    """The list of an L payload."""
    return [de_map(x["M"]) if "M" in x else deserialize(x) for x in xs]


_DECODERS: dict[str, Callable[[Any], object]] = {
    "S": str,
    "N": number,
    "BOOL": bool,
    "NULL": lambda _: None,
    "B": bytes,
    "M": de_map,
    "L": de_list,
    "SS": set,
    "NS": lambda xs: {number(x) for x in xs},
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
    msg = f"{short(av)} is not a DynamoDB attribute value"
    raise RequestError(msg, hint="pass one value in the low-level form, e.g. {'S': 'text'} or {'N': '1'}")
