"""The number types: int, decimal, float. All three are N on the wire and share one key encoding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from dynamodel.attribute_types.base import AttributeType, AttributeValue, WireEncoder
from dynamodel.attribute_types.keycoding import decode_number, encode_number, refuse_bool, short, wrong_type
from dynamodel.attribute_types.wire import (
    INT_LIMIT,
    SMALL_INT_TEXTS,
    SMALL_INTS,
    decimal_text,
    float_text,
    int_text,
    number_text,
    to_int,
)
from dynamodel.errors import KeyEncodingError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


class _Number(AttributeType):
    dynamodb_type: ClassVar[str] = "N"
    keyable = native_key = incrementable = True

    def _as_decimal(self, value: object) -> Decimal:
        raise NotImplementedError

    def encode_key(self, value: object) -> str:
        refuse_bool(self.name, value)
        return encode_number(self._as_decimal(value))


def _ser_int(v: int) -> AttributeValue:
    return {"N": int_text(v)}


def _enc_int(v: object) -> AttributeValue | None:
    if type(v) is int:
        if 0 <= v < 1000:
            return {"N": SMALL_INT_TEXTS[v]}
        return {"N": str(v) if -INT_LIMIT < v < INT_LIMIT else int_text(v)}
    if isinstance(v, int) and not isinstance(v, bool):
        return {"N": int_text(int(v))}
    return None


def _de_int(av: AttributeValue) -> object:
    text = av["N"]
    n = SMALL_INTS.get(text)
    if n is not None:
        return n
    try:
        return int(text)
    except ValueError:
        return to_int(text)


class IntType(_Number):
    """Whole numbers up to 38 digits."""

    name: ClassVar[str] = "int"
    python_types: ClassVar[tuple[type, ...]] = (int,)
    expected: ClassVar[str] = "an int"
    pooled = True

    def _as_decimal(self, value: object) -> Decimal:
        if not isinstance(value, int):
            raise wrong_type(value, "int", "an int")
        return Decimal(value)

    def decode_key(self, text: str) -> object:
        number = decode_number(text)
        if number.as_tuple().exponent != 0:  # canonical: integral values decode with exponent 0
            msg = f"{short(text)} encodes {number}, which is not an int"
            raise KeyEncodingError(msg, hint="declare the attribute as decimal or float")
        return int(number)

    to_wire = staticmethod(_enc_int)
    from_wire = staticmethod(_de_int)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {int: _ser_int}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"N": int_text(int(value))}
        return None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        return st.integers(-(2**53), 2**53)

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return (-1, 0, 7, 10)  # 7 and 10 differ in digit count: unpadded text sorts them wrong

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return n

    def parse(self, text: str) -> object:
        return int(text)

    def where_hint(self, value: object, values: tuple[str, ...]) -> str | None:
        return None if isinstance(value, int) and not isinstance(value, bool) else "use an integer"


def _ser_decimal(v: Decimal) -> AttributeValue:
    return {"N": decimal_text(v)}


def _enc_decimal(v: object) -> AttributeValue | None:
    if type(v) is Decimal:
        return {"N": decimal_text(v)}
    if isinstance(v, Decimal):
        return {"N": number_text(v, v)}
    if isinstance(v, int) and not isinstance(v, bool):
        return {"N": int_text(int(v))}
    return None


def _de_decimal(av: AttributeValue) -> object:
    return Decimal(av["N"])


class DecimalType(_Number):
    """Exact decimals up to 38 significant digits."""

    name: ClassVar[str] = "decimal"
    python_types: ClassVar[tuple[type, ...]] = (Decimal,)
    expected: ClassVar[str] = "a Decimal or an int (convert a float with Decimal(str(x)))"
    pooled = True

    def _as_decimal(self, value: object) -> Decimal:
        if not isinstance(value, Decimal | int):
            raise wrong_type(value, "decimal", "a Decimal (or int)")
        return Decimal(value)

    def decode_key(self, text: str) -> object:
        return decode_number(text)

    to_wire = staticmethod(_enc_decimal)
    from_wire = staticmethod(_de_decimal)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {Decimal: _ser_decimal}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        return {"N": number_text(value, value)} if isinstance(value, Decimal) else None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        return st.decimals(
            min_value=Decimal("-1e20"),
            max_value=Decimal("1e20"),
            allow_nan=False,
            allow_infinity=False,
            places=6,
        ).map(lambda d: d.normalize())

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return (Decimal("-1.5"), Decimal(0), Decimal("2.50"), Decimal(10))

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return Decimal(n) / 4

    def parse(self, text: str) -> object:
        return Decimal(text)


def _ser_float(v: float) -> AttributeValue:
    return {"N": float_text(v)}


def _enc_float(v: object) -> AttributeValue | None:
    if isinstance(v, float):
        return {"N": float_text(float(v))}
    if isinstance(v, int) and not isinstance(v, bool):
        try:
            as_float = float(v)
        except OverflowError:
            return None
        return {"N": float_text(as_float)} if as_float == v else None
    return None


def _de_float(av: AttributeValue) -> object:
    return float(av["N"])


class FloatType(_Number):
    """Binary floats, stored as their shortest round-tripping decimal text."""

    name: ClassVar[str] = "float"
    python_types: ClassVar[tuple[type, ...]] = (float,)
    expected: ClassVar[str] = "a float (or an int that has an exact float value)"

    def _as_decimal(self, value: object) -> Decimal:
        if isinstance(value, int):
            # Accepted where a float is expected only if no precision is lost.
            try:
                as_float = float(value)
            except OverflowError:
                as_float = float("inf")
            if as_float != value:
                msg = f"int {short(value)} has no exact float value"
                raise KeyEncodingError(msg, hint="declare the attribute as int or decimal")
            value = as_float
        if not isinstance(value, float):
            raise wrong_type(value, "float", "a float")
        # repr is the shortest text that reads back as the same float, so order and
        # round trip both survive; -0.0 becomes plain zero.
        return Decimal(repr(value))

    def decode_key(self, text: str) -> object:
        return float(decode_number(text))

    to_wire = staticmethod(_enc_float)
    from_wire = staticmethod(_de_float)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {float: _ser_float}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        return {"N": float_text(float(value))} if isinstance(value, float) else None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        # Magnitudes below 1E-130 (subnormals among them) are not DynamoDB numbers: zero instead.
        return st.floats(-1e15, 1e15, allow_nan=False, allow_infinity=False).map(
            lambda f: 0.0 if abs(f) < 1e-100 else f
        )

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return (-1.5, 0.0, 2.5, 10.0)

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return n / 4

    def parse(self, text: str) -> object:
        return float(text)
