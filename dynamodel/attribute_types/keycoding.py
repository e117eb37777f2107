"""Order-preserving text for key values: the primitives the attribute types encode keys with.

Every encoding here turns a value into text whose code-point order is the value's order
(``dynamodel.keys`` then escapes and terminates it). Numbers of every numeric type share one
encoding: ``n...`` for negatives, ``o`` for zero, ``p...`` for positives, then a biased
exponent and the significant digits.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from dynamodel.errors import KeyEncodingError

_NINES = str.maketrans("0123456789", "9876543210")

# DynamoDB number limits, in the 0.d1d2...dk x 10^E form used below:
# 1E-130 is 0.1 x 10^-129 and 9.99...E+125 (38 nines) is 0.99... x 10^126.
_MAX_DIGITS = 38
_MIN_EXP = -129
_MAX_EXP = 126
_EXP_BIAS = 500
_NUMBER_RANGE = "between 1E-130 and 9.9999999999999999999999999999999999999E+125 in magnitude"

_NUMBER_RE = re.compile(r"o|p([0-9]{3})([0-9]+)|n([0-9]{3})([0-9]+)~")
_DATETIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{6})Z")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
HEX_RE = re.compile(r"(?:[0-9a-f]{2})*")
NOT_WRITTEN_HERE = "the key was not written by this template"


def short(value: object) -> str:
    """``repr(value)``, cut to 60 characters for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_utf8(s: str) -> None:
    """Refuse a string with a lone surrogate (KeyEncodingError)."""
    # Lone surrogates cannot be sent to DynamoDB at all, and they would break the
    # "code-point order equals UTF-8 byte order" argument every key rests on.
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        msg = f"string {short(s)} contains a lone surrogate and cannot be stored as UTF-8"
        raise KeyEncodingError(msg, hint="decode the text correctly or drop the surrogate") from None


def wrong_type(value: object, kind: str, expected: str) -> KeyEncodingError:
    """The error for a key value of the wrong Python type."""
    msg = f"a {kind} key value must be {expected}, got {type(value).__name__} {short(value)}"
    return KeyEncodingError(msg, hint=f"pass {expected}, or declare the attribute with the matching type")


# ---- numbers -------------------------------------------------------------------------------


def encode_number(d: Decimal) -> str:
    """The order-preserving text of a finite number DynamoDB can store."""
    if not d.is_finite():
        msg = f"{d} cannot be stored in a DynamoDB key: NaN and Infinity are not numbers there"
        raise KeyEncodingError(msg, hint="use a finite value, or leave the attribute out of the key")
    sign, digit_tuple, exponent = d.as_tuple()
    assert isinstance(exponent, int)  # finite, so never the 'n'/'N'/'F' markers
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    if not digits:
        return "o"
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    adjusted = exponent + len(digits)  # value == 0.digits x 10**adjusted
    if len(digits) > _MAX_DIGITS:
        msg = f"{d} has {len(digits)} significant digits; DynamoDB numbers hold at most {_MAX_DIGITS}"
        raise KeyEncodingError(msg, hint="round the value (e.g. Decimal.quantize) before using it in a key")
    if not _MIN_EXP <= adjusted <= _MAX_EXP:
        msg = f"{d} is out of DynamoDB's number range ({_NUMBER_RANGE})"
        raise KeyEncodingError(msg, hint="scale the value or store it as a string attribute")
    if sign == 0:
        return f"p{adjusted + _EXP_BIAS:03d}{digits}"
    # Negative: reverse both the exponent and the digits; '~' outranks every digit so a
    # shorter mantissa (-0.12) sorts after a longer one it prefixes (-0.123).
    return f"n{_EXP_BIAS - adjusted:03d}{digits.translate(_NINES)}~"


def decode_number(text: str) -> Decimal:
    """Invert :func:`encode_number`; only canonical text is accepted."""
    m = _NUMBER_RE.fullmatch(text)
    if m is None:
        msg = f"{short(text)} is not an encoded number"
        raise KeyEncodingError(msg, hint="the key was not written by this template; check the key layout")
    if text == "o":
        return Decimal(0)
    negative = m.group(3) is not None
    biased, digits = (m.group(3), m.group(4).translate(_NINES)) if negative else (m.group(1), m.group(2))
    adjusted = _EXP_BIAS - int(biased) if negative else int(biased) - _EXP_BIAS
    canonical = digits[0] != "0" and digits[-1] != "0" and len(digits) <= _MAX_DIGITS
    if not canonical or not _MIN_EXP <= adjusted <= _MAX_EXP:
        msg = f"{short(text)} is not a canonical encoded number"
        raise KeyEncodingError(msg, hint="the key was not written by this template; check the key layout")
    exponent = adjusted - len(digits)
    if exponent >= 0:  # integral: give back Decimal("100"), not Decimal("1E+2")
        digits += "0" * exponent
        exponent = 0
    return Decimal((int(negative), tuple(int(c) for c in digits), exponent))


def refuse_bool(kind: str, value: object) -> None:
    """A number key refuses a bool, although bool is an int subclass."""
    if isinstance(value, bool):
        msg = f"a {kind} key value must not be a bool, got {value!r}"
        raise KeyEncodingError(msg, hint="declare the attribute as bool, or pass int(value)")


# ---- datetimes -----------------------------------------------------------------------------


def encode_datetime(value: object) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    if not isinstance(value, datetime):
        raise wrong_type(value, "datetime", "a datetime")
    if value.utcoffset() is None:
        msg = f"naive datetime {value.isoformat()} has no timezone, so its instant is unknown"
        raise KeyEncodingError(msg, hint="attach a tzinfo, e.g. datetime.now(timezone.utc)")
    try:
        u = value.astimezone(UTC)
    except (OverflowError, ValueError):
        msg = f"datetime {value.isoformat()} falls outside years 1..9999 once converted to UTC"
        raise KeyEncodingError(msg, hint="use a datetime within years 1..9999 UTC") from None
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )


def _decode_fields(pattern: re.Pattern[str], kind: str, text: str) -> list[int]:
    m = pattern.fullmatch(text)
    if m is None:
        msg = f"{short(text)} is not an encoded {kind}"
        raise KeyEncodingError(msg, hint="the key was not written by this template; check the key layout")
    return [int(g) for g in m.groups()]


def decode_datetime(text: str) -> datetime:
    """Invert :func:`encode_datetime`: an aware UTC datetime."""
    fields = _decode_fields(_DATETIME_RE, "datetime", text)
    try:
        year, month, day, hour, minute, second, micro = fields
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError as err:
        msg = f"{short(text)} is not a valid datetime: {err}"
        raise KeyEncodingError(msg, hint=NOT_WRITTEN_HERE) from None


def decode_date(text: str) -> date:
    """Invert ``date.isoformat()``."""
    fields = _decode_fields(_DATE_RE, "date", text)
    try:
        return date(*fields)
    except ValueError as err:
        msg = f"{short(text)} is not a valid date: {err}"
        raise KeyEncodingError(msg, hint=NOT_WRITTEN_HERE) from None
