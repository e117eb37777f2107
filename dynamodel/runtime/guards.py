"""Unique-value guards: one guard item per unique value, claimed and released in the same
transaction as the item that holds the value.

A guard is claimed with ``attribute_not_exists(PK) OR owned by this item``, so a retry of the
owner's own write (or a write that keeps the value) passes, and a value held by another item
refuses the whole transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from dynamodel.codec import Item
from dynamodel.compile import Condition, build_delete, build_put, guard_item, guard_key
from dynamodel.compile.items import index_item_keys, index_items
from dynamodel.design.model import Design, UniqueGuard
from dynamodel.layout import PK, SK, TYPE_ATTR
from dynamodel.memo import PerObject
from dynamodel.runtime.sending import Label
from dynamodel.runtime.session import Session


def guards_of(s: Session, entity: str) -> tuple[UniqueGuard, ...]:
    return _guards(s.design).get(entity, ())


def _guards_by_entity(design: Design) -> dict[str, tuple[UniqueGuard, ...]]:
    out: dict[str, tuple[UniqueGuard, ...]] = {}
    for g in design.guards:
        out[g.entity] = (*out.get(g.entity, ()), g)
    return out


# Every write asks for its entity's guards: grouped once per design.
_guards: PerObject[Design, dict[str, tuple[UniqueGuard, ...]]] = PerObject(_guards_by_entity)


def _taken(name: str, guard: UniqueGuard, values: Mapping[str, object]) -> str:
    shown = ", ".join([f"{a}={values.get(a)!r}" for a in guard.attrs])
    return f"unique {name}.{'+'.join(guard.attrs)}: {shown} is already taken by another {name}"


def transactional(s: Session, entity: str) -> bool:
    """Whether every write of ``entity`` is a transaction: it claims unique values, or writes
    index items with the item (dynamodel.design.adjacency)."""
    return bool(guards_of(s, entity)) or bool(s.design.index_items_of(entity))


def guard_actions(
    s: Session,
    name: str,
    values: Mapping[str, object],
    owner: Item,
    old_values: Mapping[str, object] | None,
    *,
    written: Item,
) -> tuple[list[dict[str, Any]], list[Label]]:
    """Claim each unique value for ``owner`` and release the values it no longer holds; put
    the index items of ``written`` (the item the transaction puts) beside it."""
    copies = index_items(s.design, name, written)
    actions: list[dict[str, Any]] = [{"Put": build_put(s.table_name, i)} for i in copies]
    labels: list[Label] = [f"index item {i[TYPE_ATTR]['S']} of {name}" for i in copies]
    owner_pk, owner_sk = owner[PK]["S"], owner[SK]["S"]
    for g in guards_of(s, name):
        new = guard_item(g, values, owner)
        if new is not None:
            cond = Condition.guard_free_or_owned(owner_pk, owner_sk)
            actions.append({"Put": build_put(s.table_name, new, cond)})
            labels.append(partial(_taken, name, g, values))
        old = guard_key(g, old_values) if old_values is not None else None
        if old is not None and (new is None or {k: new[k] for k in (PK, SK)} != old):
            cond = Condition.guard_free_or_owned(owner_pk, owner_sk)
            actions.append({"Delete": build_delete(s.table_name, old, cond)})
            labels.append(f"release of the old {name}.{'+'.join(g.attrs)} guard (held by another item)")
    return actions, labels


def guard_releases(
    s: Session, name: str, owner: Item, stored_values: Mapping[str, object]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Delete the guard of every unique value ``stored_values`` hold, as ``owner`` (an item's key)
    goes away, each only while it is still owned by that item; and the item's index items."""
    keys = index_item_keys(s.design, name, stored_values)
    actions: list[dict[str, Any]] = [{"Delete": build_delete(s.table_name, k)} for k in keys]
    labels: list[str] = [f"index item of {name}" for _ in keys]
    for g in guards_of(s, name):
        old = guard_key(g, stored_values)
        if old is not None:
            cond = Condition.guard_free_or_owned(owner[PK]["S"], owner[SK]["S"])
            actions.append({"Delete": build_delete(s.table_name, old, cond)})
            labels.append(f"release of {name}.{'+'.join(g.attrs)} guard (held by another item)")
    return actions, labels
