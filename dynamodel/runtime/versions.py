"""The stored ``_version`` of entity instances, kept beside them (not in the model).

A version is not an attribute of the entity: pydantic compares private attributes in
``==``, so storing it on the instance would make an entity read back from the table
unequal to the one that was written. The runtime records the version of every instance
it reads or writes here, keyed by object identity, and forgets it when the instance is
garbage-collected.
"""

from __future__ import annotations

import threading
import weakref

_versions: dict[int, int] = {}
_lock = threading.Lock()


def remember(instance: object, version: int) -> None:
    """Record the stored version of ``instance`` (read from or written to the table)."""
    key = id(instance)
    with _lock:
        if key not in _versions:
            weakref.finalize(instance, _forget, key)
        _versions[key] = version


def _forget(key: int) -> None:
    with _lock:
        _versions.pop(key, None)


def version_of(instance: object) -> int | None:
    """The version ``instance`` had when it was last read or written here, or None."""
    return _versions.get(id(instance))
