"""The registry of attribute types, keyed by spec name, and the tables derived from it.

The codec's fast dispatch table (``WIRE_ENCODERS``) and the subclass fallbacks are kept here,
in place, so a registered type is served by the same dict lookup as the built-in ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

from dynamodel.attribute_types.base import AttributeType, AttributeValue, WireEncoder
from dynamodel.errors import DefinitionError


def _null(_: None) -> AttributeValue:
    return {"NULL": True}


_TYPES: dict[str, AttributeType] = {}
_BY_ANNOTATION: dict[object, AttributeType] = {}
# None is no attribute type, but inside a list or a map it is stored as NULL.
WIRE_ENCODERS: dict[type, WireEncoder] = {type(None): _null}
"""Exact Python type → serialiser; mutated in place, so readers may hold the dict itself."""
FALLBACKS: list[Callable[[Any], AttributeValue | None]] = []
"""Each type's ``wire_fallback``, ``fallback_first`` types first, then in registration order."""


T = TypeVar("T", bound=AttributeType)


def register(attr_type: T) -> T:
    """Make ``attr_type`` known under its spec name, everywhere at once.

    Raises:
        DefinitionError: the name is taken, or one of its Python types is another type's.
    """
    name = attr_type.name
    if name in _TYPES:
        msg = f"attribute type {name!r} is registered already"
        raise DefinitionError(msg, hint=f"unregister({name!r}) first, or pick another spec name")
    for py in attr_type.python_types:
        if py in _BY_ANNOTATION:
            msg = f"attribute type {name!r} claims {py.__qualname__}, which is {_BY_ANNOTATION[py].name!r}"
            raise DefinitionError(msg, hint="each Python type declares one attribute type")
    for py in attr_type.wire_encoders():
        if py in WIRE_ENCODERS:
            msg = f"attribute type {name!r} serialises {py.__qualname__}, which another type serialises"
            raise DefinitionError(msg, hint="each Python type is stored by one attribute type")
    _TYPES[name] = attr_type
    for py in attr_type.python_types:
        _BY_ANNOTATION[py] = attr_type
    WIRE_ENCODERS.update(attr_type.wire_encoders())
    _rebuild_fallbacks()
    return attr_type


def unregister(name: str) -> None:
    """Forget the type registered as ``name`` (tests undo their registrations with it)."""
    attr_type = _TYPES.pop(name)
    for py in attr_type.python_types:
        del _BY_ANNOTATION[py]
    for py in attr_type.wire_encoders():
        del WIRE_ENCODERS[py]
    _rebuild_fallbacks()


def _rebuild_fallbacks() -> None:
    ordered = sorted(_TYPES.values(), key=lambda t: not t.fallback_first)  # stable: keeps registration order
    FALLBACKS[:] = [t.wire_fallback for t in ordered]


def find(name: str) -> AttributeType | None:
    """The type registered as ``name``, or None."""
    return _TYPES.get(name)


def lookup(name: str) -> AttributeType:
    """The type registered as ``name``.

    Raises:
        DefinitionError: no such type.
    """
    found = _TYPES.get(name)
    if found is None:
        msg = f"unknown attribute type {name!r}"
        raise DefinitionError(msg, hint=f"use one of {', '.join(_TYPES)}, or register the type")
    return found


def for_annotation(annotation: object) -> AttributeType | None:
    """The type a pydantic field annotation (``str``, ``Decimal``, ``list``, ...) declares."""
    return _BY_ANNOTATION.get(annotation)


def is_keyable(name: str) -> bool:
    """Whether ``name`` is a registered type that can be part of a key."""
    found = _TYPES.get(name)
    return found is not None and found.keyable


class TypeNames(Sequence[str]):
    """The spec names of the registered types (optionally only keyable ones), always current."""

    def __init__(self, *, keyable_only: bool = False) -> None:
        self._keyable_only = keyable_only

    def _names(self) -> list[str]:
        return [n for n, t in _TYPES.items() if t.keyable or not self._keyable_only]

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name: object) -> bool:
        found = _TYPES.get(name) if isinstance(name, str) else None
        return found is not None and (found.keyable or not self._keyable_only)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __repr__(self) -> str:
        return repr(tuple(self._names()))


NAMES = TypeNames()
"""Every registered spec name, in registration order."""
KEYABLE_NAMES = TypeNames(keyable_only=True)
"""The registered spec names that can be part of a key."""
