"""Values derived once per object and remembered by its identity, outside the object.

The spec and design dataclasses are frozen and their ``__dict__`` is their fields (callers
rebuild them with ``type(x)(**x.__dict__)``), so lookups the runtime needs on every call
(an entity by name, a plan by name) cannot be cached on the instance. They are cached here,
keyed by ``id()``: an entry keeps its object alive, so the id is not reused while the entry
exists, and the identity check makes an entry of a dead object's id harmless once the
bounded table has been emptied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["PerObject"]

T = TypeVar("T")
V = TypeVar("V")

LIMIT = 4096
"""Entries kept per memo before it is emptied (test suites build many short-lived specs)."""


class PerObject(Generic[T, V]):
    """``memo(obj)`` is ``build(obj)``, computed once per object (``build`` must be pure)."""

    __slots__ = ("_build", "_cache")

    def __init__(self, build: Callable[[T], V]) -> None:
        self._build = build
        self._cache: dict[int, tuple[T, V]] = {}

    def __call__(self, obj: T) -> V:
        hit = self._cache.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = self._build(obj)
        if len(self._cache) >= LIMIT:
            self._cache.clear()
        self._cache[id(obj)] = (obj, value)
        return value
