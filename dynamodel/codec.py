"""Python values and entities ⇄ DynamoDB attribute values, written by hand.

The wire form is the low-level client's (``{"S": "x"}``, ``{"N": "1.5"}``, ...), the
same as boto3's ``TypeSerializer`` produces, without going through it: a plain
dispatch on ``type(value)`` is several times faster (``benchmarks/codec_bench.py``).
Each attribute type (``dynamodel.attribute_types``) supplies its part: its entries in that
dispatch table, and the encoder and decoder of an attribute declared with it; this module
applies them to whole entities.

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

from collections.abc import Mapping
from typing import NamedTuple

from dynamodel.attribute_types import AttributeValue, Decoder, Encoder, lookup
from dynamodel.attribute_types.registry import WIRE_ENCODERS
from dynamodel.attribute_types.wire import (
    MAX_ADJUSTED_EXPONENT,
    MAX_DIGITS,
    MIN_ADJUSTED_EXPONENT,
    NUMBER_RANGE,
    deserialize,
    ser_other,
)
from dynamodel.attribute_types.wire import short as _short
from dynamodel.errors import RequestError
from dynamodel.spec import EntitySpec

__all__ = [
    "MAX_ADJUSTED_EXPONENT",
    "MAX_DIGITS",
    "MIN_ADJUSTED_EXPONENT",
    "NUMBER_RANGE",
    "AttributeValue",
    "Decoder",
    "Encoder",
    "Item",
    "deserialize",
    "encode_attribute",
    "entity_to_item",
    "item_to_values",
    "serialize",
]

Item = dict[str, AttributeValue]
"""A whole item (or a key): attribute name → attribute value."""

# The fast dispatch table, filled by the registered attribute types (dynamodel.attribute_types).
_ENCODERS = WIRE_ENCODERS


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
    return (_ENCODERS.get(type(value)) or ser_other)(value)


# ---- entities ------------------------------------------------------------------------------


class _Plan(NamedTuple):
    """What the codec needs of one entity, computed once per EntitySpec."""

    spec: EntitySpec
    names: frozenset[str]
    # (name, encoder) and (name, decoder) pairs: the loops unpack two names, nothing else.
    encoders: tuple[tuple[str, Encoder], ...]
    decoders: tuple[tuple[str, Decoder], ...]
    expected: dict[str, str]
    """Attribute name -> what its encoder's error asks for (``pass <expected>``)."""


_PLANS: dict[int, _Plan] = {}


def _plan(spec: EntitySpec) -> _Plan:
    plan = _PLANS.get(id(spec))
    if plan is not None and plan.spec is spec:
        return plan
    encoders, decoders, expected = [], [], {}
    for a in spec.attributes:
        attr_type = lookup(a.type)
        encode, expected[a.name] = attr_type.bind(a.enum)
        encoders.append((a.name, encode))
        decoders.append((a.name, attr_type.from_wire))
    plan = _Plan(spec, frozenset(expected), tuple(encoders), tuple(decoders), expected)
    _PLANS[id(spec)] = plan  # keeps spec alive, so its id is never reused
    return plan


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
    plan = _PLANS.get(id(spec))
    if plan is None or plan.spec is not spec:
        plan = _plan(spec)
    names = plan.names
    # A dict's key view compares with the set without building one (issuperset would).
    if not (values.keys() <= names if type(values) is dict else names.issuperset(values)):
        unknown = next(name for name in values if name not in names)
        msg = f"{spec.name} has no attribute '{unknown}'"
        raise RequestError(
            msg, hint=f"pass only the declared attributes: {', '.join(a.name for a in spec.attributes)}"
        )
    item: Item = {}
    get = values.get
    try:
        for name, encode in plan.encoders:
            value = get(name)
            if value is not None:
                av = encode(value)
                if av is None:
                    break
                item[name] = av
        else:
            return item
    except RequestError as err:
        msg = f"{spec.name}.{name}: {err.message}"
        raise RequestError(msg, hint=err.hint) from None
    attr_type = next(a.type for a in spec.attributes if a.name == name)
    msg = f"{spec.name}.{name} is declared {attr_type} but got {type(value).__name__} {_short(value)}"
    raise RequestError(msg, hint=f"pass {plan.expected[name]}")


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
    plan = _PLANS.get(id(spec))
    if plan is None or plan.spec is not spec:
        plan = _plan(spec)
    out: dict[str, object] = {}
    get = item.get
    try:
        for name, decode in plan.decoders:
            av = get(name)
            if av is not None:
                out[name] = decode(av)
    except (KeyError, ValueError, TypeError, ArithmeticError):
        # A NULL or a mismatched value: start again, checking each attribute.
        return _checked_values(plan, item)
    return out


def _checked_values(plan: _Plan, item: Mapping[str, AttributeValue]) -> dict[str, object]:
    spec = plan.spec
    out: dict[str, object] = {}
    for name, decode in plan.decoders:
        av = item.get(name)
        if av is None:
            continue
        try:
            out[name] = decode(av)
        except (KeyError, ValueError, TypeError, ArithmeticError):
            if av.get("NULL") is True:
                out[name] = None
                continue
            attr_type = next(a.type for a in spec.attributes if a.name == name)
            msg = f"{spec.name}.{name} is declared {attr_type} but the item holds {_short(av)}"
            raise RequestError(
                msg,
                hint="the item was written by another writer or an older version of the entity; migrate it or fix the declaration",
            ) from None
    return out
