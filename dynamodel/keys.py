"""Order-preserving, injective, escape-safe key strings.

A key is a sequence of components, each *terminated* by ``#``. Components are
literal tags or encoded attribute values, and every component is escaped so that
it never contains ``#``. DynamoDB compares string keys by UTF-8 bytes, which is
the same as Python's code-point order on ``str``; so every property here (order,
prefixes, range bounds) can be reasoned about and tested with plain ``<``.

Why the escape works: characters ``\\x00``..``$`` (0x00..0x24) become ``$`` plus
``chr(0x40 + c)``. After escaping, ``#`` (0x23) is smaller than every character
an escaped component can contain (``$`` or >= 0x25), so a terminated component
sorts before any longer one that extends it, and components never run together.

Each attribute type encodes its own values (``AttributeType.encode_key``/``decode_key`` in
``dynamodel.attribute_types``); this module dispatches to them by kind, then escapes,
terminates and lays out the components.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal, get_args

from dynamodel.attribute_types import KEYABLE_NAMES, AttributeType, find
from dynamodel.attribute_types.keycoding import check_utf8 as _check_utf8
from dynamodel.attribute_types.keycoding import short as _short
from dynamodel.errors import KeyEncodingError

ValueKind = Literal["str", "int", "decimal", "float", "bool", "datetime", "date", "bytes", "enum"]
"""The built-in key kinds; a registered attribute type with ``keyable`` set is a kind too."""
VALUE_KINDS: tuple[ValueKind, ...] = get_args(ValueKind)
# Same literal as dynamodel.spec.RangeOp; repeated because spec sits above this module.
RangeOp = Literal["eq", "begins_with", "between", "lt", "lte", "gt", "gte"]

TERMINATOR = "#"
ESCAPE = "$"
_ESCAPE_TABLE = {c: ESCAPE + chr(0x40 + c) for c in range(0x25)}

_ESCAPED_RE = re.compile(r"(?:[^\x00-\x24]|\$[@-d])*")
_ESCAPE_PAIR_RE = re.compile(r"\$([@-d])")


def escape(s: str) -> str:
    """Escape one key component so that it contains no ``#``.

    Every character with code point <= 0x24 becomes ``$`` + ``chr(0x40 + c)``.
    The mapping is a prefix code that preserves order: ``a < b`` exactly when
    ``escape(a) + "#" < escape(b) + "#"``, and a string prefix stays a prefix.

    Args:
        s: the raw component text.

    Returns:
        The escaped text.

    Raises:
        KeyEncodingError: ``s`` contains a lone surrogate.
    """
    _check_utf8(s)
    return s.translate(_ESCAPE_TABLE)


def unescape(text: str) -> str:
    """Invert :func:`escape`.

    Only the exact output of :func:`escape` is accepted, so a key parses back
    to the same values only if it re-renders to the same key.

    Args:
        text: an escaped component (without its terminator).

    Returns:
        The raw component text.

    Raises:
        KeyEncodingError: a ``$`` ends the text or is followed by a character
            outside ``@``..``d``, or a character <= 0x24 appears unescaped.
    """
    _check_utf8(text)
    if _ESCAPED_RE.fullmatch(text) is None:
        msg = (
            f"malformed key component {_short(text)}: '$' must be followed by '@'..'d' "
            "and characters up to '$' (0x24) must be escaped"
        )
        raise KeyEncodingError(msg, hint="build key strings with dynamodel.keys, never by hand")
    return _ESCAPE_PAIR_RE.sub(lambda m: chr(ord(m[1]) - 0x40), text)


# ---- dispatch ------------------------------------------------------------------------------


def _key_type(kind: str) -> AttributeType:
    found = find(kind)
    if found is None or not found.keyable:
        msg = f"unknown key kind {kind!r}"
        raise KeyEncodingError(msg, hint=f"use one of {', '.join(KEYABLE_NAMES)}")
    return found


def encode_value(kind: str, value: object) -> str:
    """Encode one attribute value as an (unescaped) key component.

    For two values ``a < b`` of the same kind, ``escape(encode_value(kind, a)) + "#"``
    sorts before the same for ``b``, and equal values give equal text. The attribute type
    registered as ``kind`` does the encoding (``AttributeType.encode_key``).

    Numbers (``int``, ``decimal``, ``float``) share one encoding: ``n...`` for
    negatives, ``o`` for zero, ``p...`` for positives, then a biased exponent and
    the significant digits. Trailing zeros are normalised away, so
    ``Decimal("1.50")`` decodes as ``Decimal("1.5")`` (an equal value), and
    ``-0.0`` encodes as zero and decodes as ``0.0``. Datetimes are stored in UTC
    as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, dates as ``YYYY-MM-DD``, bools as
    ``0``/``1``, bytes as lowercase hex, strings and enums as themselves.

    Args:
        kind: the attribute's key kind.
        value: the Python value; ``enum`` also accepts an ``Enum`` whose value is a str.

    Returns:
        The component text, before :func:`escape`.

    Raises:
        KeyEncodingError: an unknown kind, wrong Python type for ``kind``, a naive datetime,
            or a number DynamoDB cannot store (NaN, infinity, > 38 digits, out of range).
    """
    return _key_type(kind).encode_key(value)


def decode_value(kind: str, text: str) -> object:
    """Decode a component produced by :func:`encode_value` (already unescaped).

    Args:
        kind: the attribute's key kind.
        text: the component text.

    Returns:
        An ``int``, ``Decimal``, ``float``, ``bool``, aware UTC ``datetime``,
        ``date``, ``bytes`` or ``str`` (also for ``enum``), or what a registered
        type's ``decode_key`` returns.

    Raises:
        KeyEncodingError: ``text`` is not a canonical encoding of ``kind``, or an
            ``int`` component has a fractional part.
    """
    return _key_type(kind).decode_key(text)


# A write renders the same values into several keys (an order's id in its own key, its lines'
# and its index keys), and the same values recur across calls: remembering the components of
# immutable built-in values makes each later rendering one dict lookup. Only built-in kinds are
# remembered, under the encoding function that made them (a type's encoder may be replaced, as
# the AppMachine's planted bugs do); the dict is emptied when it is full.
_CACHED_VALUE_TYPES = frozenset({str, int, float, Decimal, bool, bytes, datetime, date})
_CACHED_KINDS = frozenset(VALUE_KINDS)
_COMPONENTS: dict[tuple[str, object, type, object], str] = {}
_COMPONENTS_MAX = 8192


def component(kind: str, value: object) -> str:
    """Return the complete key component for a value: escaped and terminated.

    Args:
        kind: the attribute's key kind.
        value: the Python value.

    Returns:
        ``escape(encode_value(kind, value)) + "#"``.
    """
    t = type(value)
    if t in _CACHED_VALUE_TYPES and kind in _CACHED_KINDS:
        encode = _key_type(kind).encode_key
        # Equal values of one type encode alike (aware datetimes at one instant, 1.5 and 1.50).
        memo = (kind, getattr(encode, "__func__", encode), t, value)
        try:
            text = _COMPONENTS.get(memo)
        except (TypeError, ValueError):  # a signalling NaN cannot be hashed; encoding refuses it
            pass
        else:
            if text is None:
                text = escape(encode(value)) + TERMINATOR
                if len(_COMPONENTS) >= _COMPONENTS_MAX:
                    _COMPONENTS.clear()
                _COMPONENTS[memo] = text
            return text
    return escape(encode_value(kind, value)) + TERMINATOR


# ---- templates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    """A literal tag component, e.g. the entity name ``ORDER``."""

    text: str


@dataclass(frozen=True)
class Ref:
    """A component holding the value of attribute ``attr``, encoded as ``kind``."""

    attr: str
    kind: ValueKind


Part = Lit | Ref


@dataclass(frozen=True)
class KeyTemplate:
    """The layout of one key attribute: literal tags and attribute values, in order."""

    parts: tuple[Part, ...]
    # Set per instance in __post_init__ (not a field: asdict, eq and hash see only ``parts``).
    _compiled: ClassVar[tuple[tuple[Part, str | None], ...]]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for part in self.parts:
            if isinstance(part, Ref):
                if part.kind not in KEYABLE_NAMES:
                    msg = f"attribute {part.attr!r} has kind {part.kind!r}, which cannot be part of a key"
                    raise KeyEncodingError(msg, hint=f"use one of {', '.join(KEYABLE_NAMES)}")
                if part.attr in seen:
                    msg = f"attribute {part.attr!r} appears twice in key template {self.pattern()}"
                    raise KeyEncodingError(msg, hint="reference each attribute at most once per key")
                seen.add(part.attr)
            elif isinstance(part, Lit):
                _check_utf8(part.text)
            else:
                msg = f"key template part {_short(part)} is neither Lit nor Ref"
                raise KeyEncodingError(msg, hint="build templates from Lit(...) and Ref(...)")
        # Each literal escaped and terminated once, not on every rendering.
        compiled = tuple((p, escape(p.text) + TERMINATOR if isinstance(p, Lit) else None) for p in self.parts)
        object.__setattr__(self, "_compiled", compiled)

    def attrs(self) -> tuple[str, ...]:
        """Return the referenced attribute names, in key order."""
        return tuple(p.attr for p in self.parts if isinstance(p, Ref))

    def pattern(self) -> str:
        """Return a readable form such as ``ORDER#{placed_at}#{order_id}#``."""
        return "".join(
            (escape(p.text) if isinstance(p, Lit) else f"{{{p.attr}}}") + TERMINATOR for p in self.parts
        )

    def _component(self, part: Ref, value: object) -> str:
        try:
            return component(part.kind, value)
        except KeyEncodingError as err:
            msg = f"cannot encode attribute {part.attr!r} of key {self.pattern()}: {err.message}"
            raise KeyEncodingError(msg, hint=err.hint) from err

    def render_prefix(self, values: Mapping[str, object]) -> tuple[str, int]:
        """Render parts left to right, stopping at the first attribute without a value.

        Args:
            values: attribute values; a missing key or ``None`` stops rendering.

        Returns:
            ``(prefix, count)``: the rendered text (ending in ``#``, or ``""``) and
            how many parts it covers.
        """
        out: list[str] = []
        for part, literal in self._compiled:
            if literal is not None:
                out.append(literal)
                continue
            value = values.get(part.attr)  # type: ignore[union-attr]  # only a Ref has no literal
            if value is None:
                break
            out.append(self._component(part, value))  # type: ignore[arg-type]
        return "".join(out), len(out)

    def render(self, values: Mapping[str, object]) -> str:
        """Render the full key.

        Args:
            values: a value for every referenced attribute.

        Returns:
            The key string.

        Raises:
            KeyEncodingError: an attribute is missing or ``None``, or its value
                cannot be encoded.
        """
        key, count = self.render_prefix(values)
        if count < len(self.parts):
            part = self.parts[count]
            assert isinstance(part, Ref)  # only a Ref can stop rendering
            msg = f"key {self.pattern()} needs attribute {part.attr!r}, which is missing or None"
            raise KeyEncodingError(msg, hint=f"provide a value for {part.attr!r}")
        return key

    def parse(self, key: str) -> dict[str, object]:
        """Invert :meth:`render`.

        Args:
            key: a key string.

        Returns:
            The decoded attribute values by name.

        Raises:
            KeyEncodingError: the key does not fit this template (missing
                trailing ``#``, wrong number of parts, wrong literal, bad escape or
                a value that does not decode).
        """
        hint = "the key was written with another layout; check which template the item uses"
        if not self.parts:
            if key:
                msg = f"key {_short(key)} should be empty for an empty template"
                raise KeyEncodingError(msg, hint=hint)
            return {}
        if not key.endswith(TERMINATOR):
            msg = f"key {_short(key)} does not end with '#', so it was not rendered from {self.pattern()}"
            raise KeyEncodingError(msg, hint=hint)
        pieces = key[:-1].split(TERMINATOR)
        if len(pieces) != len(self.parts):
            msg = f"key {_short(key)} has {len(pieces)} parts; {self.pattern()} has {len(self.parts)}"
            raise KeyEncodingError(msg, hint=hint)
        result: dict[str, object] = {}
        for part, piece in zip(self.parts, pieces, strict=True):
            if isinstance(part, Lit):
                if piece != escape(part.text):
                    msg = f"key {_short(key)} has {piece!r} where {self.pattern()} has {part.text!r}"
                    raise KeyEncodingError(msg, hint=hint)
                continue
            try:
                result[part.attr] = decode_value(part.kind, unescape(piece))
            except KeyEncodingError as err:
                msg = f"key {_short(key)}, attribute {part.attr!r} of {self.pattern()}: {err.message}"
                raise KeyEncodingError(msg, hint=err.hint) from err
        return result


# ---- range conditions ----------------------------------------------------------------------


def _check_prefix(p: str) -> None:
    if not p.endswith(TERMINATOR):
        msg = f"sort key prefix {_short(p)} must be a rendered prefix ending in '#'"
        raise KeyEncodingError(msg, hint="use KeyTemplate.render_prefix; the tag always renders first")


def successor_of_prefix(p: str) -> str:
    """Return the smallest useful upper bound for keys starting with ``p``.

    ``p`` ends in ``#``; replacing it by ``$`` (the next code point) bounds every
    key that starts with ``p``, and no rendered key equals the result because
    ``$`` always starts a two-character escape while keys end in ``#``.

    Args:
        p: a rendered prefix ending in ``#``.

    Returns:
        ``p[:-1] + "$"``.

    Raises:
        KeyEncodingError: ``p`` does not end in ``#``.
    """
    _check_prefix(p)
    return p[:-1] + ESCAPE


_ARITY: dict[RangeOp, int] = {
    "eq": 1,
    "begins_with": 1,
    "between": 2,
    "lt": 1,
    "lte": 1,
    "gt": 1,
    "gte": 1,
}


def range_bounds(p: str, op: RangeOp, kind: str, values: Sequence[object]) -> tuple[str, str] | str:
    """Translate a condition on the component after prefix ``p`` into a key condition.

    Args:
        p: the rendered sort-key prefix (tag and equality components), ending in ``#``.
        op: the comparison on the next component's value.
        kind: that component's kind.
        values: one value, or two (low, high) for ``between``.

    Returns:
        A ``str`` to use with ``begins_with``, or ``(lo, hi)`` for an inclusive
        ``BETWEEN lo AND hi``. For ``lt``/``lte`` the low bound is ``p`` itself, so an
        item whose sort key is exactly ``p`` would also match.

    Raises:
        KeyEncodingError: ``p`` does not end in ``#``, wrong number of values,
            ``begins_with`` on a kind other than str/enum, ``between`` with low > high,
            or a value cannot be encoded.
    """
    _check_prefix(p)
    if op not in _ARITY:
        msg = f"unknown range operator {op!r}"
        raise KeyEncodingError(msg, hint=f"use one of {', '.join(_ARITY)}")
    if isinstance(values, str | bytes) or len(values) != _ARITY[op]:
        msg = f"{op} takes {_ARITY[op]} value(s) in a sequence, got {_short(values)}"
        raise KeyEncodingError(msg, hint="pass a list such as [value] or [low, high] for between")
    if op == "begins_with":
        found = find(kind)
        if found is None or not found.prefix_searchable:
            msg = f"begins_with needs a str or enum attribute, not {kind}"
            raise KeyEncodingError(msg, hint="use between, or declare the attribute as str")
        # A string prefix, deliberately unterminated; escape keeps prefixes as prefixes.
        return p + escape(encode_value(kind, values[0]))
    # component() is escape(encode_value(...)) + "#", remembered for built-in values.
    c = component(kind, values[0])[:-1]
    # Every key for value v is p + c + '#' + rest. '#' sorts below every character an
    # escaped component holds, so p + c + '#' is the least key for v and p + c lies
    # below all of them; '$' sorts above '#' but always starts a 2-char escape, so
    # p + c + '$' lies above every key for v and below every key for larger values,
    # and no rendered key equals it.
    if op == "eq":
        return p + c + TERMINATOR
    if op == "lt":
        return p, p + c
    if op == "lte":
        return p, p + c + ESCAPE
    if op == "gt":
        return p + c + ESCAPE, successor_of_prefix(p)
    if op == "gte":
        return p + c + TERMINATOR, successor_of_prefix(p)
    hi = component(kind, values[1])[:-1]
    if hi + TERMINATOR < c + TERMINATOR:
        msg = f"between got low {_short(values[0])} greater than high {_short(values[1])}"
        raise KeyEncodingError(msg, hint="swap the bounds; DynamoDB rejects BETWEEN with low > high")
    return p + c + TERMINATOR, p + hi + ESCAPE


LeadingOp = Literal["begins_with", "between", "<", "<=", ">="]


def leading_range(op: RangeOp, kind: str, values: Sequence[object]) -> tuple[LeadingOp, str, str]:
    """Translate a condition on a sort key's *first* component (no prefix before it).

    Interleaved collections put the shared sort attribute first, so a range cannot be
    bounded by a prefix the way :func:`range_bounds` bounds it: an unbounded side becomes a
    one-sided comparison instead (DynamoDB refuses empty strings as bounds).

    Args:
        op: the comparison on the first component's value.
        kind: that component's kind.
        values: one value, or two (low, high) for ``between``.

    Returns:
        ``(operator, a, b)``: ``("begins_with", prefix, "")``, ``("between", lo, hi)``,
        or ``("<", hi, "")``, ``("<=", hi, "")``, ``(">=", lo, "")``. Only ``begins_with``
        of the empty string gives an empty text (every key matches it).

    Raises:
        KeyEncodingError: as :func:`range_bounds`.
    """
    # Bound under an anchor prefix, then drop it: the same exact bounds, without the prefix.
    anchor = TERMINATOR
    bounds = range_bounds(anchor, op, kind, values)
    if isinstance(bounds, str):
        return ("begins_with", bounds[len(anchor) :], "")
    lo, hi = (b[len(anchor) :] for b in bounds)
    if bounds[0] == anchor:
        # Nothing sorts below an empty value; keys start at '#' or above, so '< #' is empty.
        if not hi:
            return ("<", TERMINATOR, "")
        return ("<=" if op == "lte" else "<", hi, "")
    if bounds[1] == successor_of_prefix(anchor):
        return (">=", lo, "")
    return ("between", lo, hi)
