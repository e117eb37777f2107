"""Copies filled at write time: each ``Copy(...)`` attribute read from its source item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynamodel.codec import AttributeValue, Item, item_to_values
from dynamodel.compile import base_key, key_attrs
from dynamodel.copyrefs import Reference, references
from dynamodel.errors import RequestError
from dynamodel.layout import PK, SK, STAMP_SHIFT
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.versions import born_of
from dynamodel.spec import EntitySpec


def describe(spec: EntitySpec, values: Mapping[str, object]) -> str:
    ident = ", ".join(f"{a}={values.get(a)!r}" for a in spec.identity)
    return f"{spec.name}({ident})"


def read_item(s: Session, key: Item, context: str) -> Steps[Item | None]:
    """A strongly consistent GetItem; None when there is no item."""
    response: Any = yield from s.send(
        "GetItem", {"TableName": s.table_name, "Key": key, "ConsistentRead": True}, context
    )
    item: Item | None = response.get("Item")
    return item if item else None


def absence_stamp() -> AttributeValue:
    """The copy stamp of a source found missing now: ``now * STAMP_SHIFT``, no version part.

    Taken after the read that found it missing. A stream record of an earlier incarnation of
    the source (created, and deleted, before the read) carries a lower stamp, so propagation
    never applies it to this target; an incarnation created later carries a higher one and
    reaches it. The target check of this write re-reads the source and settles the rest (see
    ``propagate/plan.py``).
    """
    return {"N": str(born_of() * STAMP_SHIFT)}


def with_absence_stamps(
    item: Item, remove: tuple[str, ...], absent: Mapping[str, AttributeValue]
) -> tuple[Item, tuple[str, ...]]:
    """``build_item``'s ``(item, remove)`` with the stamps of missing sources SET, not removed."""
    if absent:
        item.update(absent)
        remove = tuple(name for name in remove if name not in absent)
    return item, remove


def _propagated(s: Session, entity: str) -> set[str]:
    """The stamps of ``entity``'s copies that propagation keeps fresh (immutable ones it does not)."""
    return {p.stamp_attr for p in s.design.copy_paths if p.target == entity}


def _copied(ref: Reference) -> str:
    """The source attributes a reference copies, as error messages name them."""
    return ", ".join(f"{ref.source}.{b}" for _, b in ref.attributes)


def fill_copies(
    s: Session,
    entity: str,
    values: dict[str, object],
    pending: Mapping[tuple[str, str, str], Mapping[str, object]] | None = None,
    absent: dict[str, AttributeValue] | None = None,
) -> Steps[dict[str, object]]:
    """Fill every ``Copy(...)`` attribute from its source item (read strongly consistent).

    Copies through one reference (the local attributes naming a source item) are filled
    from one read. An optional reference that names nothing (a local attribute is None),
    or names a source item that does not exist, leaves its copies None.

    Args:
        s: the session.
        entity: the entity being written.
        values: its attribute values; copies are overwritten.
        pending: items written in the same call, by (entity, PK, SK): a source among them
            is taken from there instead of the table.
        absent: filled with the copy stamp of every optional reference whose source item
            was read and found missing (see :func:`absence_stamp`); the item written must
            carry them (:func:`with_absence_stamps`).

    Raises:
        RequestError: a required copy's source item is missing, or its reference is absent.
    """
    spec = s.design.app.entity(entity)
    for ref in references(s.design.app, entity):
        needed = key_attrs(s.design, ref.source)
        key_values = ref.source_values(values, needed)
        missing = [ref.local(a) for a in needed if key_values[a] is None]
        if missing and ref.optional:
            values.update((name, None) for name, _ in ref.attributes)
            continue
        if missing:
            msg = f"{describe(spec, values)} copies {_copied(ref)} but lacks {missing} to find the {ref.source}."
            raise RequestError(
                msg,
                hint=f"set {missing} on the {entity}, or declare the copies Copy(..., optional=True) so that no {ref.source} means no copy",
            )
        key = base_key(s.design, ref.source, key_values)
        src_ref = (ref.source, key[PK]["S"], key[SK]["S"])
        src_values = pending.get(src_ref) if pending else None
        if src_values is None:
            item = yield from read_item(s, key, f"copy source {ref.source}")
            if item is not None:
                src_values = item_to_values(s.design.app.entity(ref.source), item)
            elif ref.optional:
                src_values = {}  # an optional copy of a source that does not exist is absent
                if absent is not None and ref.stamp_attr in _propagated(s, entity):
                    absent[ref.stamp_attr] = absence_stamp()
            else:
                who = ", ".join(f"{ref.local(a)}={values.get(ref.local(a))!r}" for a in needed)
                msg = f"{describe(spec, values)} copies {_copied(ref)}, but the {ref.source} ({who}) does not exist."
                raise RequestError(
                    msg,
                    hint=f"create the {ref.source} first, fix {', '.join(ref.local(a) for a in needed)}, or declare the copies Copy(..., optional=True)",
                )
        for name, src_attr in ref.attributes:
            values[name] = src_values.get(src_attr)
    return values
