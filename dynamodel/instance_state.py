"""Side data kept for entity instances, on the instance itself, inherited by their copies.

The runtime records here what it knows of the stored item behind an instance (see
``runtime/versions.py``). It lives below the model so that ``Entity`` can hand it on to a
``model_copy``/``copy.copy`` of an instance without importing the runtime: a copy made to
change an instance (``table.update(c.model_copy(update=...))``) is based on the same stored
item.

The data lives in two slots that ``Entity`` declares (:data:`SLOTS`), outside the pydantic
fields: it takes no part in equality, dumps or validation, and goes with the instance when it
is collected. It was an identity-keyed table before (2026-12-01), with a weak reference, a
lock and a collection callback per instance: every item read paid for them, and a sampling
profile of the runtime benchmark (py-spy) found them in 38 of about 200 samples of dynamodel's own code
outside botocore. Slots need none of it, and are thread-safe as attribute stores are.
"""

from __future__ import annotations

from typing import Any

STORED = "_dynamodel_stored"
PARTIAL = "_dynamodel_partial"
SLOTS = (STORED, PARTIAL)
"""The slots ``Entity`` declares for this module."""

# The slots' descriptors, bound when Entity is created (bind). They are read through the
# descriptor: an unset slot raises AttributeError there, where plain getattr would fall
# back to Entity.__getattr__, which asks this module again.
_stored: Any = None
_partial: Any = None


def bind(cls: type) -> None:
    """Use the slots of ``cls`` (``Entity``, which declares :data:`SLOTS`)."""
    global _stored, _partial  # set once, when Entity is defined
    _stored, _partial = cls.__dict__[STORED], cls.__dict__[PARTIAL]


def put(instance: object, value: object) -> None:
    """Record ``value`` for ``instance`` (replacing what was recorded)."""
    _stored.__set__(instance, value)


def get(instance: object) -> object | None:
    """What was recorded for ``instance``, or None."""
    try:
        return _stored.__get__(instance, None)  # type: ignore[no-any-return]
    except AttributeError:
        return None


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
    _partial.__set__(instance, present)


def partial_fields(instance: object) -> tuple[str, ...] | None:
    """The attributes a partial instance holds, or None for a whole one."""
    try:
        return _partial.__get__(instance, None)  # type: ignore[no-any-return]
    except AttributeError:
        return None
