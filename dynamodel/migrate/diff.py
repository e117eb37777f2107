"""Compare two designs (as design JSON) → the operations that take a live table from one to the other.

Pure: the locked design JSON and the new one in, a list of :mod:`~dynamodel.migrate.ops` out,
in the order a runner must apply them. Expanding operations come first (create indexes,
turn the stream on, fill keys, guards and copies, re-key), so that code of the new design
finds what it reads as soon as it is deployed; contracting ones come last (remove keys and
guards, delete indexes, turn the stream off), once no code of the old design is left.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynamodel.errors import MigrationError
from dynamodel.migrate.ops import (
    NATIVE_KEY,
    CreateIndex,
    DeleteIndex,
    DisableStream,
    DisableTtl,
    EnableStream,
    EnableTtl,
    FillCopies,
    FillExpiry,
    FillGuards,
    FillIndexKeys,
    Operation,
    RekeyEntity,
    RemoveGuards,
    RemoveIndexKeys,
    RewriteIndexKeys,
)
from dynamodel.spec import AppSpec

__all__ = ["bare_design", "diff_designs", "spec_operations", "unmappable_changes"]

_TABLE = "table"


def bare_design(design: Mapping[str, Any]) -> dict[str, Any]:
    """The design of a table that has only its key: what the first migration starts from.

    Diffing it with a design gives the operations that build that design on a table created
    with its key alone (create every index, turn the stream on, fill the unique guards);
    on a table deployed with the full template they find everything done.
    """
    bare: dict[str, Any] = {
        "app": design.get("app"),
        "table": design.get("table"),
        "indexes": [],
        "entities": {},
    }
    if design.get("local_indexes"):  # created with the table, or never
        bare["local_indexes"] = list(design["local_indexes"])
    return bare


def diff_designs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Operation]:
    """The operations that migrate a table laid out by ``old`` to ``new`` (both design JSON).

    Entities that ``old`` does not have need no operation (they have no items yet); an
    entity that ``new`` drops keeps its items, which no pattern reads any more.

    Raises:
        MigrationError: the table's own key attributes differ (DynamoDB cannot change a
            table's key schema: that is a new table and a copy of every item).
    """
    if old.get("table") != new.get("table"):
        msg = f"the table's key attributes change ({old.get('table')} -> {new.get('table')})."
        raise MigrationError(msg, hint="create a new table and copy the items (a re-key migration)")
    if list(old.get("local_indexes", [])) != list(new.get("local_indexes", [])):
        names = sorted(
            {str(ix["name"]) for ix in (*old.get("local_indexes", []), *new.get("local_indexes", []))}
        )
        msg = (
            f"the table's local secondary indexes change ({', '.join(names)}): DynamoDB creates an "
            "LSI with its table only, and never adds, changes or removes one on a live table."
        )
        raise MigrationError(
            msg,
            hint="create a new table with the new design and copy the items over, or keep the patterns that used the LSI",
        )
    _check_index_items(old, new)
    ops: list[Operation] = []
    before = {ix["name"]: ix for ix in old.get("indexes", [])}
    after = {ix["name"]: ix for ix in new.get("indexes", [])}
    for name in sorted(before.keys() & after.keys()):
        if before[name] != after[name]:  # a GSI's key schema or projection cannot be updated
            ops += [DeleteIndex(before[name]), CreateIndex(after[name])]
    ops += [CreateIndex(after[n]) for n in sorted(after.keys() - before.keys())]
    ops += [DeleteIndex(before[n]) for n in sorted(before.keys() - after.keys())]
    # Propagation and actions both read the stream.
    had = bool(old.get("copy_paths")) or bool(old.get("actions"))
    wants = bool(new.get("copy_paths")) or bool(new.get("actions"))
    if wants and not had:
        ops.append(EnableStream())
    elif had and not wants:
        ops.append(DisableStream())
    ops += _entity_keys(old.get("entities", {}), new.get("entities", {}), _native(old), _native(new))
    ops += [FillGuards(g) for g in new.get("unique_guards", []) if g not in old.get("unique_guards", [])]
    ops += [RemoveGuards(g) for g in old.get("unique_guards", []) if g not in new.get("unique_guards", [])]
    old_paths = [_path_key(p) for p in old.get("copy_paths", [])]
    ops += [FillCopies(p) for p in new.get("copy_paths", []) if _path_key(p) not in old_paths]
    return sorted(ops, key=lambda op: not op.expands)  # stable: expanding steps first, in order


def _path_key(path: Mapping[str, Any]) -> tuple[object, ...]:
    # How a copy path is looked up may change (index, key condition) without new copies.
    # Attributes and via are mappings: their order in the JSON is not part of the path.
    return (
        path.get("source"),
        path.get("target"),
        repr(sorted(dict(path.get("attributes") or {}).items())),
        repr(sorted(dict(path.get("via") or {}).items())),
    )


def _check_index_items(old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Index items come and go with their entity's items only: no generated step writes or
    removes them for items that exist already."""
    was, now = dict(old.get("index_items", {})), dict(new.get("index_items", {}))
    existing = set(old.get("entities", {}))
    changed = sorted(name for name in was.keys() ^ now.keys() if (now.get(name) or was.get(name)) in existing)
    moved = sorted(
        n for n in was.keys() & now.keys() if old["entities"].get(n) != new.get("entities", {}).get(n)
    )
    if changed or moved:
        msg = (
            f"the index items {', '.join(changed + moved)} (max_gsis) change for entities the table already "
            "holds, and no generated step writes, re-keys or removes index items of existing items."
        )
        raise MigrationError(
            msg,
            hint="write a Transform that puts (or deletes) them for every item, or keep max_gsis and the patterns as deployed",
        )


def _native(design: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(str(ix["name"]) for ix in design.get("indexes", []) if ix.get("partition_attributes"))


def _entity_keys(
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
    native_old: frozenset[str],
    native_new: frozenset[str],
) -> list[Operation]:
    # A re-created index is filled by DynamoDB from the attributes items already have, so
    # only key attributes that appear, vanish or change need writing. A native index keys on
    # the items' own attributes: nothing to write, but a sharded one's stored ``_shard``.
    ops: list[Operation] = []
    for entity in sorted(old.keys() & new.keys()):
        was, now = old[entity], new[entity]
        for index in sorted(was.keys() | now.keys()):
            if index == _TABLE:
                if was.get(_TABLE) != now.get(_TABLE):
                    ops.append(RekeyEntity(entity, dict(was[_TABLE]), dict(now[_TABLE])))
            elif index in native_new and index in now:
                if index in was and index not in native_old:  # its rendered keys are not read any more
                    ops.append(RemoveIndexKeys(entity, index, dict(was[index])))
                shards = int(now[index].get("shards", 1))
                if shards > 1 and (index not in was or int(was[index].get("shards", 1)) != shards):
                    ops.append(FillIndexKeys(entity, index, {**now[index], NATIVE_KEY: True}))
            elif index not in now:
                if index not in native_old:  # a native index's attributes are the entity's own
                    ops.append(RemoveIndexKeys(entity, index, dict(was[index])))
            elif index not in was or index in native_old:  # keys to render that items lack
                ops.append(FillIndexKeys(entity, index, dict(now[index])))
            elif was[index] != now[index]:
                ops.append(RewriteIndexKeys(entity, index, dict(was[index]), dict(now[index])))
    return ops


def spec_operations(old: AppSpec | None, new: AppSpec) -> list[Operation]:
    """What the declarations ask of the table beyond the design JSON: TTL on or off, expiries filled."""
    # Action markers expire too (dynamodel.actions.markers).
    had = old is not None and (any(e.ttl is not None for e in old.entities) or bool(old.actions))
    wants = any(e.ttl is not None for e in new.entities) or bool(new.actions)
    ops: list[Operation] = []
    if wants and not had:
        ops.append(EnableTtl())
    elif had and not wants:
        ops.append(DisableTtl())
    before = {e.name: e.ttl for e in old.entities} if old is not None else {}
    # Items of an entity that already existed carry no _expires_at from the new declaration.
    ops += [
        FillExpiry(e.name, e.ttl)
        for e in new.entities
        if e.ttl is not None and e.name in before and before[e.name] != e.ttl
    ]
    return ops


def unmappable_changes(old: AppSpec, new: AppSpec) -> list[str]:
    """Changes of the declarations no generated operation carries items through.

    An entity's identity (its items cannot be matched to the new one) or an attribute's type
    (stored values no longer decode): each needs a ``Transform`` written by hand.
    """
    found: list[str] = []
    before = {e.name: e for e in old.entities}
    for entity in new.entities:
        was = before.get(entity.name)
        if was is None:
            continue
        if was.identity != entity.identity:
            found.append(f"{entity.name}'s identity changes {was.identity} -> {entity.identity}")
        types = {a.name: a.type for a in was.attributes}
        found.extend(
            f"{entity.name}.{a.name} changes type {types[a.name]} -> {a.type}"
            for a in entity.attributes
            if a.name in types and types[a.name] != a.type
        )
    return found
