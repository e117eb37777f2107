"""Attribute types: one object per spec name, in one registry.

Each built-in type (str, int, decimal, float, bool, datetime, date, bytes, list, map, enum) is
an :class:`AttributeType` subclass registered here at import, in this order (the order error
hints list them in). ``optional`` is not a type but a flag on the attribute. A new type is a
subclass and a :func:`register` call; everything that works per type then serves it too.
"""

from __future__ import annotations

from dynamodel.attribute_types.base import (
    PARSE_ERRORS,
    AttributeType,
    AttributeValue,
    Decoder,
    Encoder,
    WireEncoder,
)
from dynamodel.attribute_types.containers import ListType, MapType
from dynamodel.attribute_types.numbers import DecimalType, FloatType, IntType
from dynamodel.attribute_types.registry import (
    KEYABLE_NAMES,
    NAMES,
    TypeNames,
    find,
    for_annotation,
    is_keyable,
    lookup,
    register,
    unregister,
)
from dynamodel.attribute_types.scalars import BoolType, BytesType, EnumType, StrType, adversarial_text
from dynamodel.attribute_types.times import DateTimeType, DateType

__all__ = [
    "KEYABLE_NAMES",
    "NAMES",
    "PARSE_ERRORS",
    "AttributeType",
    "AttributeValue",
    "Decoder",
    "Encoder",
    "TypeNames",
    "WireEncoder",
    "adversarial_text",
    "find",
    "for_annotation",
    "is_keyable",
    "lookup",
    "register",
    "unregister",
]

for _builtin in (
    StrType(),
    IntType(),
    DecimalType(),
    FloatType(),
    BoolType(),
    DateTimeType(),
    DateType(),
    BytesType(),
    ListType(),
    MapType(),
    EnumType(),
):
    register(_builtin)
