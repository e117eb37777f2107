"""Side data kept for entity instances, keyed by object identity, inherited by their copies.

The runtime records here what it knows of the stored item behind an instance (see
``runtime/versions.py``). It lives below the model so that ``Entity`` can hand it on to a
``model_copy``/``copy.copy`` of an instance without importing the runtime: a copy made to
change an instance (``table.update(c.model_copy(update=...))``) is based on the same stored
item. An entry is forgotten when its instance is garbage-collected.
"""

from __future__ import annotations

import threading
import weakref
from functools import partial

_data: dict[int, object] = {}
_partial: dict[int, tuple[str, ...]] = {}
# The weak reference of each instance with an entry: its callback forgets the entry. A plain
# weakref.ref, not weakref.finalize: every read records an instance, and finalize runs several
# Python functions per instance where ref runs none.
_refs: dict[int, weakref.ref[object]] = {}
# Reentrant: a collection inside put() may forget another instance on this very thread.
_lock = threading.RLock()


def put(instance: object, value: object) -> None:
    """Record ``value`` for ``instance`` (replacing what was recorded)."""
    key = id(instance)
    with _lock:
        if key not in _refs:
            _refs[key] = weakref.ref(instance, partial(_forget, key))
        _data[key] = value


def get(instance: object) -> object | None:
    """What was recorded for ``instance``, or None."""
    return _data.get(id(instance))


def inherit(source: object, copy: object) -> None:
    """Give ``copy`` what was recorded for ``source`` (nothing if nothing was)."""
    value = get(source)
    if value is not None:
        put(copy, value)
    present = partial_fields(source)
    if present is not None:
        mark_partial(copy, present)


def mark_partial(instance: object, present: tuple[str, ...]) -> None:
    """Record that ``instance`` holds only the attributes ``present`` (read from an INCLUDE index)."""
    key = id(instance)
    with _lock:
        if key not in _refs:
            _refs[key] = weakref.ref(instance, partial(_forget, key))
        _partial[key] = present


def partial_fields(instance: object) -> tuple[str, ...] | None:
    """The attributes a partial instance holds, or None for a whole one."""
    return _partial.get(id(instance))


def _forget(key: int, _ref: object = None) -> None:
    with _lock:
        _refs.pop(key, None)
        _data.pop(key, None)
        _partial.pop(key, None)
