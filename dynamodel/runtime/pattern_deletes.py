"""The deletes of a write pattern (``Write(deletes=[Comment], increments={Ticket.comment_count: -1})``).

Each item to delete is given as an instance or as a dict of its key attributes. It becomes
one ``Delete`` action of the pattern's transaction, conditioned on the item existing
(``attribute_exists``; at the version an instance was read at, when known), so a missing or
changed item refuses the whole transaction and nothing is written. An entity with unique
guards is read first: its guards, released in the same transaction, hold its stored values,
and the delete is conditioned on that exact version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dynamodel.codec import item_to_values
from dynamodel.compile import Condition, base_key, build_delete, key_attrs
from dynamodel.errors import ConditionFailedError, RequestError
from dynamodel.layout import VERSION_ATTR
from dynamodel.model import Entity
from dynamodel.runtime.copies import describe, read_item
from dynamodel.runtime.guards import guard_releases, transactional
from dynamodel.runtime.instances import values_of
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.versions import (
    UNKNOWN_BORN,
    Stored,
    item_born,
    item_number,
    locking_condition,
    stored_of,
)


def delete_keyword(entity: str) -> str:
    """The keyword that passes keys of ``entity`` to delete, e.g. ``issue_comment``."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", entity)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()


@dataclass
class Deletion:
    """One item a write pattern deletes.

    Attributes:
        entity: its entity.
        values: its key attributes (all its attributes when given as an instance or read).
        stored: the stored state an instance was read at, or None (the item must only exist).
        whole: whether ``values`` holds every attribute, not only the key.
    """

    entity: str
    values: dict[str, object]
    stored: Stored | None
    whole: bool


def deletion_of(s: Session, pattern: str, value: object, where: str, keyword: str | None) -> Deletion:
    """The deletion ``value`` asks for: an instance of a deleted entity, or a dict of its key.

    A dict names its entity by its keyword (``comment={...}``) or, positionally, when the
    pattern deletes one entity only.
    """
    pat = s.design.app.pattern(pattern)
    if isinstance(value, Entity):
        name = s.entity_name(type(value))
        return Deletion(name, values_of(value), stored_of(value), whole=True)
    assert isinstance(value, Mapping)
    by_keyword = {delete_keyword(e): e for e in pat.deletes}
    if keyword is not None and keyword in by_keyword:
        entity = by_keyword[keyword]
    elif keyword is None and len(pat.deletes) == 1:
        entity = pat.deletes[0]
    else:
        shown = ", ".join(f"{k}={{...}}" for k in sorted(by_keyword))
        msg = f"Write pattern '{pattern}': {where} is a dict, but which entity's key is it?"
        raise RequestError(msg, hint=f"pass instances, or keys by keyword: {shown}")
    needed = key_attrs(s.design, entity)
    unknown = sorted(str(k) for k in value if k not in needed)
    missing = [a for a in needed if value.get(a) is None]
    if unknown or missing:
        msg = f"Write pattern '{pattern}': {where} must be the key {list(needed)} of a {entity}; got {sorted(map(str, value))}."
        raise RequestError(
            msg, hint=f"pass {{{', '.join(f'{a!r}: ...' for a in needed)}}} or a {entity} instance"
        )
    values = {a: s.coerce(entity, a, value[a]) for a in needed}
    return Deletion(entity, values, None, whole=False)


def delete_actions(
    s: Session, pattern: str, d: Deletion, *, read: bool
) -> Steps[tuple[list[dict[str, Any]], list[str], dict[str, object]]]:
    """The actions deleting ``d`` (and releasing its guards), their labels, and its values.

    ``read`` asks for the stored item even without guards (to find an increment target that
    the key alone does not name); the returned values are then the stored item's.

    Raises:
        ConditionFailedError: the item read first does not exist, or is not at the version
            the instance was read at; nothing was written.
    """
    spec = s.design.app.entity(d.entity)
    base = base_key(s.design, d.entity, d.values)
    shown = describe(spec, d.values)
    guards = transactional(s, d.entity)
    if not guards and not read:
        if d.stored is None:
            cond = Condition.exists()
            label = f"{shown} does not exist"
        else:
            cond = locking_condition(d.stored.version, d.stored.born)
            label = f"{shown} does not exist or changed since it was read (version {d.stored.version})"
        return [{"Delete": build_delete(s.table_name, base, cond)}], [label], d.values
    current = yield from read_item(s, base, f"read {shown} before write pattern '{pattern}' deletes it")
    found, found_born = item_number(current, VERSION_ATTR), item_born(current)
    if current is None or (
        d.stored is not None
        and (d.stored.version != found or d.stored.born not in (UNKNOWN_BORN, found_born))
    ):
        now = "does not exist" if current is None else f"changed since it was read (now version {found})"
        msg = f"The write pattern '{pattern}' was refused: {shown} {now}. Nothing was written."
        raise ConditionFailedError(msg, hint="read the current state and decide again")
    stored_values = item_to_values(spec, current)
    pinned = Condition.exists() if found is None else Condition.version_is(found, found_born)
    releases, release_labels = guard_releases(s, d.entity, base, stored_values)
    actions: list[dict[str, Any]] = [{"Delete": build_delete(s.table_name, base, pinned)}, *releases]
    labels = [f"{shown} was changed or deleted concurrently", *release_labels]
    return actions, labels, stored_values
