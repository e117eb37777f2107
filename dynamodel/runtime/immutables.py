"""Immutable attributes at write time: a write never changes one.

An instance read through the table carries the values its immutable attributes had then
(pinned with its stored version): an edit is refused before anything is sent. A write whose
stored state is not known is conditioned on the stored values instead; when DynamoDB refuses
it, the item it returns says which attribute differed.
"""

from __future__ import annotations

from collections.abc import Mapping

from dynamodel.codec import Item, entity_to_item, item_to_values
from dynamodel.compile import Condition
from dynamodel.errors import RequestError
from dynamodel.model import Entity
from dynamodel.runtime.copies import describe
from dynamodel.runtime.versions import stored_of
from dynamodel.spec import EntitySpec


def check_pinned(entity: Entity) -> None:
    """Refuse an edit of an immutable attribute of an instance read through the runtime."""
    stored = stored_of(entity)
    for attr, was in stored.pinned if stored else ():
        now = getattr(entity, attr, None)
        if now != was:
            msg = f"{type(entity).__name__}.{attr} is immutable: it was {was!r} when the item was read, now {now!r}. Nothing was written."
            raise RequestError(
                msg, hint=f"create a new {type(entity).__name__} instead, or declare {attr} mutable"
            )


def stored_immutables_equal(spec: EntitySpec, values: Mapping[str, object]) -> Condition | None:
    """The stored immutable attributes equal the written ones (for writes whose stored state is unknown)."""
    attrs = [a.name for a in spec.attributes if a.immutable]
    return Condition.all_equal("im", {a: entity_to_item(spec, {a: values.get(a)}).get(a) for a in attrs})


def changed_immutable(spec: EntitySpec, values: Mapping[str, object], stored: Item | None) -> str | None:
    """The first immutable attribute ``values`` would change in ``stored``, or None."""
    if stored is None:
        return None
    old = item_to_values(spec, stored)
    for a in spec.attributes:
        if a.immutable and old.get(a.name) != values.get(a.name):
            return a.name
    return None


def refuse_immutable_change(
    spec: EntitySpec, values: Mapping[str, object], attr: str, stored: Item
) -> RequestError:
    was = item_to_values(spec, stored).get(attr)
    msg = f"{describe(spec, values)}: {attr} is immutable; it is stored as {was!r}, the write has {values.get(attr)!r}. Nothing was written."
    return RequestError(msg, hint=f"create a new {spec.name} instead, or declare {attr} mutable")
