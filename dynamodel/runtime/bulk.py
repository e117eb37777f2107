"""Bulk loads and reads through BatchWriteItem / BatchGetItem, for plain entities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from dynamodel.codec import Item
from dynamodel.compile import base_key, build_item, check_item_size, key_attrs
from dynamodel.errors import ExecutionError, RequestError
from dynamodel.layout import PK, SK
from dynamodel.model import Entity
from dynamodel.runtime import batch
from dynamodel.runtime.copies import describe
from dynamodel.runtime.guards import transactional
from dynamodel.runtime.instances import key_text, values_of
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.versions import born_of

E = TypeVar("E", bound=Entity)


def _batchable(s: Session, name: str) -> None:
    spec = s.design.app.entity(name)
    why = []
    if transactional(s, name):
        why.append("unique attributes or index items (written in the same transaction as the item)")
    if any(a.copy_of is not None for a in spec.attributes):
        why.append("copied attributes (filled from their source at write time)")
    roots = {e.aggregate for e in s.design.app.entities if e.aggregate}
    if spec.aggregate is not None or name in roots:
        why.append("an aggregate (written atomically with its members)")
    if why:
        msg = f"batch_put cannot write {name}: it has {' and '.join(why)}."
        raise RequestError(msg, hint=f"write {name} with create()/put() or its write pattern")


def batch_put(s: Session, entities: Iterable[Entity]) -> Steps[int]:
    """Put many items with BatchWriteItem (25 per request, unprocessed items retried).

    A bulk load: each item is overwritten (not conditional) and stored with ``_version``
    1 (and, for a copy source, a new ``_born``: its copies follow it as a new item). Use
    create/put/update where concurrent writers or versions matter.

    Returns:
        The number of items written.
    """
    items: list[Item] = []
    for e in entities:
        name = s.entity_name(type(e))
        _batchable(s, name)
        vals = values_of(e)
        item, _ = build_item(s.design, name, vals, version=1, born=born_of())
        check_item_size(item, describe(s.design.app.entity(name), vals))
        items.append(item)
    yield from batch.batch_write_steps(s.table_name, items, backoff=s.backoff)
    return len(items)


def batch_get(s: Session, cls: type[E], keys: Sequence[Mapping[str, object]]) -> Steps[list[E | None]]:
    """Read many items of one entity by key (100 per request); None where there is none."""
    name = s.entity_name(cls)
    needed = key_attrs(s.design, name)
    wanted: list[Item] = []
    for k in keys:
        unknown = sorted(set(k) - set(needed))
        if unknown:
            msg = f"batch_get({name}) keys take {list(needed)}, not {unknown}."
            raise RequestError(msg, hint=f"pass dicts with {', '.join(needed)}")
        vals = {a: s.coerce(name, a, v) for a, v in k.items()}
        wanted.append(base_key(s.design, name, vals))
    items = yield from batch.batch_get_steps(s.table_name, wanted, backoff=s.backoff)
    found = {(i[PK]["S"], i[SK]["S"]): i for i in items}
    out: list[E | None] = []
    for key in wanted:
        item = found.get((key[PK]["S"], key[SK]["S"]))
        if item is None:
            out.append(None)
            continue
        decoded = s.decode(item)
        if not isinstance(decoded, cls):
            msg = f"The item at {key_text(key)} is a {type(decoded).__name__}, not a {name}."
            raise ExecutionError(msg, hint="the table holds an item another writer put at this key")
        out.append(decoded)
    return out
