"""What the runtime knows of the stored item behind each entity instance, kept beside it.

A stored state is not an attribute of the entity: pydantic compares private attributes in
``==``, so storing it on the instance would make an entity read back from the table
unequal to the one that was written. The runtime records, for every instance it reads or
writes, the item's ``_version`` and ``_born`` (the instant the item was created: with the
version it tells a stale instance of a deleted item from its re-created successor, whose
version restarts at 1), keyed by object identity (in ``dynamodel.instance_state``), and
forgets them when the instance is garbage-collected. A copy of an instance
(``model_copy``, ``copy.copy``) inherits its state.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dynamodel import instance_state
from dynamodel.compile import Condition
from dynamodel.layout import BORN_ATTR, VERSION_ATTR

UNKNOWN_BORN = -1
"""``born`` of a state whose birth the runtime does not know (a version given by the caller)."""


@dataclass(frozen=True)
class Stored:
    """The stored item an instance was read from or written as.

    Attributes:
        version: its ``_version``.
        born: its ``_born``; None for an item stored without one (written before births
            were recorded), :data:`UNKNOWN_BORN` when not known.
    """

    version: int
    born: int | None = UNKNOWN_BORN
    pinned: tuple[tuple[str, object], ...] = ()


def locking_condition(version: int, born: int | None) -> Condition:
    """The optimistic-locking condition on a stored state: its version, and its birth when known."""
    return Condition.version_is(version, "unknown" if born == UNKNOWN_BORN else born)


def remember(instance: object, version: int, born: int | None = UNKNOWN_BORN) -> None:
    """Record the stored state of ``instance`` (read from or written to the table).

    The values of its immutable attributes are pinned too: the instance may be edited
    (or copied with ``model_copy``) before it is written back, and an edit of one of them
    is refused then, before anything is sent.
    """
    attrs = _immutables(type(instance))
    pinned = tuple((a, getattr(instance, a, None)) for a in attrs) if attrs else ()
    instance_state.put(instance, Stored(version, born, pinned))


_IMMUTABLES: dict[type, tuple[str, ...]] = {}


def _immutables(cls: type) -> tuple[str, ...]:
    """The immutable attributes of an entity class, found once per class (every read remembers)."""
    found = _IMMUTABLES.get(cls)
    if found is None:
        spec = getattr(cls, "__entity_spec__", None)
        found = tuple(a.name for a in spec.attributes if a.immutable) if spec is not None else ()
        _IMMUTABLES[cls] = found
    return found


def stored_of(instance: object) -> Stored | None:
    """What the runtime last saw stored for ``instance``, or None."""
    found = instance_state.get(instance)
    return found if isinstance(found, Stored) else None


def version_of(instance: object) -> int | None:
    """The version ``instance`` had when it was last read or written here, or None."""
    found = stored_of(instance)
    return None if found is None else found.version


def born_of() -> int:
    """The ``_born`` of an item created now (nanoseconds since the epoch)."""
    return time.time_ns()


def item_number(item: Mapping[str, Any] | None, attr: str) -> int | None:
    """The number a stored item holds at ``attr`` (``_version``, ``_born``); None if it holds none."""
    av = None if item is None else item.get(attr)
    return int(av["N"]) if av and "N" in av else None


def item_version(item: Mapping[str, Any] | None) -> int:
    """The ``_version`` of a stored item; 0 for no item or none stored, which no write expects."""
    return item_number(item, VERSION_ATTR) or 0


def item_born(item: Mapping[str, Any] | None) -> int | None:
    """The ``_born`` of a stored item; None for no item or none stored."""
    return item_number(item, BORN_ATTR)
