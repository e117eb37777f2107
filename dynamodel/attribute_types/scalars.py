"""The text-like and flag types: str, enum, bool, bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar

from dynamodel.attribute_types.base import AttributeType, AttributeValue, Decoder, Encoder, WireEncoder
from dynamodel.attribute_types.keycoding import HEX_RE, NOT_WRITTEN_HERE, check_utf8, short, wrong_type
from dynamodel.attribute_types.wire import int_text, ser_nested, ser_str, to_int
from dynamodel.errors import KeyEncodingError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

# What breaks hand-written keys: the delimiter, the escape, tags, control and non-ASCII text.
_TRICKY = [
    "#",
    "$",
    "##",
    "$@",
    "a#b",
    "ORDER#x",
    "CUSTOMER#",
    "_UNIQUE#",
    "\x00",
    "\u00e9",
    "\u4e2d",
    "\U0001f600",
]


def adversarial_text(tags: Sequence[str] = (), *, max_size: int = 12) -> SearchStrategy[str]:
    """Text that contains delimiters, escapes and the given key tags as often as letters."""
    from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

    pieces = st.sampled_from(_TRICKY + [t + "#" for t in tags]) | st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4
    )
    return (
        st.lists(pieces, max_size=max(1, max_size // 3)).map("".join).filter(lambda s: len(s) <= max_size * 4)
    )


def _enc_str(v: object) -> AttributeValue | None:
    if type(v) is str:
        return {"S": v} if v.isascii() else ser_str(v)
    if isinstance(v, Enum):
        v = v.value
    if isinstance(v, str):
        return ser_str(str.__str__(v))
    return None


# A C-level getter: decoding str attributes is the codec's commonest call.
_de_str: Decoder = itemgetter("S")


class StrType(AttributeType):
    """Text: stored as S, keyed as itself (escaped by dynamodel.keys)."""

    name: ClassVar[str] = "str"
    python_types: ClassVar[tuple[type, ...]] = (str,)
    dynamodb_type: ClassVar[str] = "S"
    expected: ClassVar[str] = "a str"
    keyable = native_key = prefix_searchable = pooled = True

    def encode_key(self, value: object) -> str:
        if not isinstance(value, str):
            raise wrong_type(value, "str", "a str")
        check_utf8(value)
        return str.__str__(value)  # the text itself, even for a (str, Enum) member

    def decode_key(self, text: str) -> object:
        check_utf8(text)
        return text

    to_wire = staticmethod(_enc_str)
    from_wire = staticmethod(_de_str)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {str: ser_str}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        return ser_str(str.__str__(value)) if isinstance(value, str) else None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        return adversarial_text(tags)

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return ("a", "a#b", "$", f"{tags[-1]}#a" if tags else "X#a")

    def where_hint(self, value: object, values: tuple[str, ...]) -> str | None:
        return None if isinstance(value, str) else "use a string"


def _enc_enum(allowed: frozenset[str]) -> Encoder:
    def encode(v: object) -> AttributeValue | None:
        raw = v._value_ if isinstance(v, Enum) else v  # ._value_: .value is a slow descriptor
        if type(raw) is str:
            if allowed and raw not in allowed:
                return None
            return {"S": raw} if raw.isascii() else ser_str(raw)
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            return None
        if allowed and str(raw) not in allowed:
            return None
        return ser_str(str.__str__(raw)) if isinstance(raw, str) else {"N": int_text(int(raw))}

    return encode


def _de_enum(av: AttributeValue) -> object:
    if "S" in av:
        return av["S"]
    return to_int(av["N"])


class EnumType(AttributeType):
    """One of the declared values (a Literal or an Enum): stored and keyed as the value's text."""

    name: ClassVar[str] = "enum"
    dynamodb_type: ClassVar[str] = "S"
    expected: ClassVar[str] = "one of the declared values"
    keyable = native_key = prefix_searchable = lists_values = fallback_first = True

    def encode_key(self, value: object) -> str:
        raw = value.value if isinstance(value, Enum) else value
        if not isinstance(raw, str):
            raise wrong_type(value, "enum", "a str or an Enum with str values")
        check_utf8(raw)
        return str.__str__(raw)

    def decode_key(self, text: str) -> object:
        check_utf8(text)
        return text

    def to_wire(self, value: object, /) -> AttributeValue | None:
        return _enc_enum(frozenset())(value)

    from_wire = staticmethod(_de_enum)

    def bind(self, values: tuple[str, ...]) -> tuple[Encoder, str]:
        return _enc_enum(frozenset(values)), f"one of {', '.join(values)}"

    def wire_fallback(self, value: object) -> AttributeValue | None:
        return ser_nested(value.value) if isinstance(value, Enum) else None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        return st.sampled_from(values)

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return values

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return values[n % len(values)]

    def where_hint(self, value: object, values: tuple[str, ...]) -> str | None:
        return None if isinstance(value, str) and value in values else f"use one of {list(values)}"


def _ser_bool(v: bool) -> AttributeValue:
    return {"BOOL": v}


def _enc_bool(v: object) -> AttributeValue | None:
    return {"BOOL": v} if isinstance(v, bool) else None


def _de_bool(av: AttributeValue) -> object:
    v = av["BOOL"]
    if not isinstance(v, bool):
        raise TypeError(v)
    return v


class BoolType(AttributeType):
    """True or False: stored as BOOL, keyed as ``0``/``1``."""

    name: ClassVar[str] = "bool"
    python_types: ClassVar[tuple[type, ...]] = (bool,)
    dynamodb_type: ClassVar[str] = "BOOL"
    expected: ClassVar[str] = "a bool"
    keyable = True

    def encode_key(self, value: object) -> str:
        if not isinstance(value, bool):
            raise wrong_type(value, "bool", "a bool")
        return "1" if value else "0"

    def decode_key(self, text: str) -> object:
        if text not in ("0", "1"):
            msg = f"{short(text)} is not an encoded bool ('0' or '1')"
            raise KeyEncodingError(msg, hint=NOT_WRITTEN_HERE)
        return text == "1"

    to_wire = staticmethod(_enc_bool)
    from_wire = staticmethod(_de_bool)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {bool: _ser_bool}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        return {"BOOL": value} if isinstance(value, bool) else None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        return st.booleans()

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return (False, True)

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return n % 2 == 1

    def parse(self, text: str) -> object:
        return {"true": True, "false": False}[text.lower()]

    def where_hint(self, value: object, values: tuple[str, ...]) -> str | None:
        return None if isinstance(value, bool) else "use true or false"


def _ser_bytes(v: bytes | bytearray) -> AttributeValue:
    return {"B": bytes(v)}


def _enc_bytes(v: object) -> AttributeValue | None:
    return {"B": bytes(v)} if isinstance(v, bytes | bytearray | memoryview) else None


def _de_bytes(av: AttributeValue) -> object:
    return bytes(av["B"])


class BytesType(AttributeType):
    """Binary data: stored as B, keyed as lowercase hex (which sorts as the bytes do)."""

    name: ClassVar[str] = "bytes"
    python_types: ClassVar[tuple[type, ...]] = (bytes,)
    dynamodb_type: ClassVar[str] = "B"
    expected: ClassVar[str] = "bytes"
    # Store raw bytes as B, as boto3 does; PynamoDB's legacy mode base64-encodes them twice.
    pynamodb_arguments: ClassVar[tuple[str, ...]] = ("legacy_encoding=False",)
    keyable = native_key = pooled = True

    def encode_key(self, value: object) -> str:
        if not isinstance(value, bytes | bytearray):
            raise wrong_type(value, "bytes", "bytes")
        return value.hex()

    def decode_key(self, text: str) -> object:
        if HEX_RE.fullmatch(text) is None:
            msg = f"{short(text)} is not lowercase hex bytes"
            raise KeyEncodingError(msg, hint=NOT_WRITTEN_HERE)
        return bytes.fromhex(text)

    to_wire = staticmethod(_enc_bytes)
    from_wire = staticmethod(_de_bytes)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {bytes: _ser_bytes, bytearray: _ser_bytes}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        return {"B": bytes(value)} if isinstance(value, bytes | bytearray | memoryview) else None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        return st.binary(min_size=1, max_size=16)

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return (b"\x00", b"a", b"a\x00", b"\xff")

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return bytes([n])
