"""The interface of an attribute type: one object per spec name ("str", "int", ...).

Everything dynamodel does with a value of some type asks that type's object: how a pydantic
annotation declares it, how it is encoded in a key and on the wire, which PynamoDB attribute
reads it, which hypothesis values exercise it, how explain samples it and how the command line
parses it. Adding a type is one subclass and one ``register()`` (see ``registry.py``).

This layer sits below ``spec``, so methods take an attribute's allowed values (``values``, the
``AttributeSpec.enum`` tuple) rather than the AttributeSpec itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from dynamodel.errors import KeyEncodingError

if TYPE_CHECKING:
    # Test-only dependency: strategy() imports it when called.
    from hypothesis.strategies import SearchStrategy

AttributeValue = dict[str, Any]
"""One value in the low-level wire form, e.g. ``{"S": "x"}`` or ``{"L": [...]}``."""
Encoder = Callable[[Any], AttributeValue | None]
"""Encodes one declared attribute; None means the value has the wrong Python type."""
Decoder = Callable[[AttributeValue], object]
"""Decodes one declared attribute; raises KeyError/ValueError/TypeError/ArithmeticError on a
stored value of the wrong shape (the codec turns that into a RequestError naming the attribute)."""
WireEncoder = Callable[[Any], AttributeValue]
"""Serialises a value of one exact Python type, wherever it appears (top level or nested)."""

_PYNAMODB_BY_WIRE = {
    "S": "UnicodeAttribute",
    "N": "NumberAttribute",
    "B": "BinaryAttribute",
    "BOOL": "BooleanAttribute",
    "L": "ListAttribute",
    "M": "MapAttribute",
}
PARSE_ERRORS = (ValueError, KeyError, InvalidOperation)
"""What :meth:`AttributeType.parse` raises on text that is not a value of the type."""
WHERE_HINT = "use a str, int, bool or enum attribute in 'where'"


class AttributeType:
    """One attribute type. Subclass it, set the class attributes, override what differs.

    The defaults describe a type that is stored but cannot be keyed, filtered on in ``where``,
    incremented or given in ``--id``; override ``encode_key``/``decode_key`` (and set
    ``keyable``) to key on it.
    """

    name: ClassVar[str]
    """The spec name, as written in spec files and the design JSON."""
    python_types: ClassVar[tuple[type, ...]] = ()
    """Annotations that declare an attribute of this type (matched exactly, as pydantic's)."""
    dynamodb_type: ClassVar[str]
    """The wire type an attribute of this type is stored as: S, N, B, BOOL, L or M."""
    expected: ClassVar[str]
    """What the codec asks for when a value has the wrong type (``pass <expected>``)."""
    keyable: ClassVar[bool] = False
    """Whether :meth:`encode_key` exists, so the type may be part of a key."""
    native_key: ClassVar[bool] = False
    """Whether its stored value (S, N or B) sorts in value order, so a GSI can key on the
    attribute itself (a native multi-attribute key) instead of its rendered key text."""
    prefix_searchable: ClassVar[bool] = False
    """Whether a key prefix of its text is a prefix of the value (``begins_with``)."""
    incrementable: ClassVar[bool] = False
    """Whether write patterns may increment it (DynamoDB ``ADD`` on a number)."""
    lists_values: ClassVar[bool] = False
    """Whether an attribute of this type declares its allowed values (``enum``)."""
    nested: ClassVar[bool] = False
    """Whether it holds other values whose types the spec does not record (list, map)."""
    pooled: ClassVar[bool] = False
    """Whether fresh test values are drawn from a small pool when partitions should collide."""
    fallback_first: ClassVar[bool] = False
    """Whether :meth:`wire_fallback` must be asked before every other type's (Enum members
    are also instances of their mixin type, and are stored as their value)."""
    pynamodb_module: ClassVar[str] = "pynamodb.attributes"
    """The module of :attr:`pynamodb_attribute` (generated code imports it from there)."""
    pynamodb_arguments: ClassVar[tuple[str, ...]] = ()
    """Arguments written first in the generated attribute's call, e.g. ``legacy_encoding=False``."""

    @property
    def pynamodb_attribute(self) -> str:
        """The PynamoDB attribute class name that reads this type's wire form."""
        return _PYNAMODB_BY_WIRE[self.dynamodb_type]

    # ---- keys ----------------------------------------------------------------------------

    def encode_key(self, value: object) -> str:
        """The order-preserving key text of ``value`` (before escaping).

        For ``a < b``, ``encode_key(a)`` sorts before ``encode_key(b)`` with a terminator
        appended, equal values give equal text, and :meth:`decode_key` inverts it.

        Raises:
            KeyEncodingError: the value has the wrong type or cannot be stored.
        """
        raise self._not_keyable()

    def decode_key(self, text: str) -> object:
        """Invert :meth:`encode_key` (raises KeyEncodingError on text it did not write)."""
        raise self._not_keyable()

    def _not_keyable(self) -> KeyEncodingError:
        msg = f"unknown key kind {self.name!r}"
        return KeyEncodingError(msg, hint="declare encode_key/decode_key on the type to key on it")

    # ---- codec ---------------------------------------------------------------------------

    def to_wire(self, value: object, /) -> AttributeValue | None:
        """The wire form of a declared attribute's value, or None when its type is wrong.

        Raises:
            RequestError: the value has the right type but DynamoDB cannot store it.
        """
        raise NotImplementedError

    def from_wire(self, av: AttributeValue, /) -> object:
        """The Python value of a stored attribute (errors as :data:`Decoder`)."""
        raise NotImplementedError

    def bind(self, values: tuple[str, ...]) -> tuple[Encoder, str]:
        """The encoder of one declared attribute and the ``expected`` text its errors give."""
        return self.to_wire, self.expected

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        """Exact Python type → serialiser: the codec's fast dispatch table is built from these."""
        return {}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        """Serialise an instance of a subclass of the type's Python types, else None."""
        return None

    # ---- tools around the spec ------------------------------------------------------------

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        """Hypothesis values of the type (``tags``: the app's entity key tags, for texts)."""
        raise NotImplementedError

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        """A few values that collide, prefix each other and trap order bugs; empty if none."""
        return ()

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        """The ``n``-th sample value ``explain``'s report renders keys from."""
        return f"{attr}-{n}"

    def parse(self, text: str) -> object:
        """A value from command-line text (raises one of :data:`PARSE_ERRORS` if it does not parse)."""
        return text

    def where_hint(self, value: object, values: tuple[str, ...]) -> str | None:
        """None when ``value`` is a valid ``where`` constant of the type, else how to fix it."""
        return WHERE_HINT
