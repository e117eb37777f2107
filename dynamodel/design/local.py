"""Local secondary indexes: a GSI whose every item keeps its base partition becomes an LSI.

An LSI shares the table's partition key and adds a sort key of its own, so it serves an entity
read in a second sort order within its base partition: the same Query as the GSI would run,
with no key of its own to write for the partition, no separate partitions to provision, and
strongly consistent reads allowed. It costs no GSI, so it can bring a design within
``max_gsis`` or DynamoDB's 20. Its constraints, which ``explain`` states: an LSI is created
with the table only (never added to or removed from a live table), a table has at most five,
and every item collection (the items of one partition key, with their LSI copies) must stay
within 10 GB.

A GSI becomes local when every entity on it partitions it by the attributes of its base
partition (the LSI then reads the item's own PK), a collection read there finds its members in
one base partition, and none is write-sharded. Against a deployed
design (a lock) only an LSI the table already has is kept: a new one cannot be created in place,
so the index stays a GSI; and a deployed LSI that no entity keys any more is kept, empty,
since a live table cannot drop one either. Pure and deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dynamodel.design.model import CopyPath, Design, EntityKeys, IndexSpec, PatternPlan

__all__ = ["MAX_LOCAL_INDEXES", "choose_local_indexes", "is_local_name", "local_note"]

MAX_LOCAL_INDEXES = 5
"""LSIs DynamoDB allows per table."""
_LSI = re.compile(r"LSI([0-9]+)")


def is_local_name(name: str) -> bool:
    """Whether an index name is one dynamodel gives LSIs (``LSI1``..)."""
    return _LSI.fullmatch(name) is not None


def _keeps_base_partition(design: Design, index: IndexSpec) -> bool:
    """Whether every entity on ``index`` partitions it by its base partition's attributes, and
    every collection read there finds its members in one base partition."""
    members = [k for k in design.keys if k.index == index.name]
    if not members or index.native:
        return False
    for keys in members:
        base = design.keys_for(keys.entity)
        if base is None or keys.pk.attrs() != base.pk.attrs() or keys.shards > 1:
            return False
    for plan in (*design.plans, *(c.plan for c in design.copy_paths)):
        if plan.index == index.name and len(plan.entities) > 1:
            bases = {design.keys_for(e).pk for e in plan.entities}  # type: ignore[union-attr]
            if len(bases) > 1:
                return False
    return True


def _entries(design: Design, index: str) -> dict[str, str]:
    # Its partition is each item's own PK: the sort keys say what the LSI holds.
    return {k.entity: k.sk.pattern() for k in design.keys if k.index == index}


def _deployed(baseline: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Deployed LSI name -> entity -> its sort key template there."""
    out: dict[str, dict[str, str]] = {}
    for entity, per_index in dict(baseline.get("entities", {})).items():
        for index, entry in dict(per_index).items():
            if is_local_name(str(index)):
                out.setdefault(str(index), {})[str(entity)] = str(entry.get("sk"))
    return out


def choose_local_indexes(design: Design, baseline: Mapping[str, Any] | None = None) -> Design:
    """``design`` with its GSIs that keep every item's base partition made local (see above)."""
    deployed = None if baseline is None else _deployed(baseline)
    names: dict[str, str] = {}
    for ix in design.indexes:
        if len(names) == MAX_LOCAL_INDEXES or not _keeps_base_partition(design, ix):
            continue
        if deployed is None:
            names[ix.name] = f"LSI{len(names) + 1}"
            continue
        same = [n for n, entries in sorted(deployed.items()) if entries == _entries(design, ix.name)]
        if same and same[0] not in names.values():
            names[ix.name] = same[0]
    kept = _unused(design, baseline, set(names.values()))
    if not names and not kept:
        return design
    local = (
        *kept,
        *(
            replace(
                ix,
                name=names[ix.name],
                partition_key=design.table.partition_key,
                sort_key=f"{names[ix.name]}SK",
                local=True,
            )
            for ix in design.indexes
            if ix.name in names
        ),
    )
    return replace(
        design,
        indexes=tuple(ix for ix in design.indexes if ix.name not in names),
        local_indexes=tuple(sorted(local, key=lambda ix: ix.name)),
        keys=tuple(_rekey(design, k, names) for k in design.keys),
        plans=tuple(_replan(design, p, names) for p in design.plans),
        copy_paths=tuple(_repath(design, c, names) for c in design.copy_paths),
    )


def _unused(design: Design, baseline: Mapping[str, Any] | None, used: set[str]) -> tuple[IndexSpec, ...]:
    """The deployed LSIs no entity keys any more: kept, empty, since a live table cannot drop one."""
    if baseline is None:
        return ()
    return tuple(
        IndexSpec(
            name=str(entry["name"]),
            partition_key=design.table.partition_key,
            sort_key=str(entry["sort_key"]),
            projection=entry.get("projection", "ALL"),
            non_key_attributes=tuple(entry.get("non_key_attributes", ())),
            local=True,
        )
        for entry in baseline.get("local_indexes", [])
        if str(entry["name"]) not in used
    )


def _rekey(design: Design, keys: EntityKeys, names: Mapping[str, str]) -> EntityKeys:
    if keys.index not in names:
        return keys
    base = design.keys_for(keys.entity)
    assert base is not None  # every entity has base keys
    # The same attributes, laid out as the item's own PK: the partition the LSI shares.
    return replace(keys, index=names[keys.index], pk=base.pk)


def _replan(design: Design, plan: PatternPlan, names: Mapping[str, str]) -> PatternPlan:
    was = plan.index
    if was not in names:
        return plan
    now = names[was]
    strong = any(p.name == plan.name and p.consistency == "strong" for p in design.app.patterns)
    return replace(
        plan,
        index=now,
        key_condition=plan.key_condition.replace(f"{was}PK", design.table.partition_key).replace(
            f"{was}SK", f"{now}SK"
        ),
        reason=_partition_named(design, plan, was).replace(
            f"{was}:", f"{now} (local: the item's own partition):", 1
        ),
        consistency="strong" if strong else plan.consistency,
    )


def _partition_named(design: Design, plan: PatternPlan, was: str) -> str:
    """The plan's reason, naming the item's own partition where it named the GSI's."""
    reason = plan.reason
    for entity in plan.entities:
        on, base = design.keys_for(entity, was), design.keys_for(entity)
        if on is not None and base is not None:
            reason = reason.replace(f"partition {on.pk.pattern()}", f"partition {base.pk.pattern()}")
            reason = reason.replace(f"collection {on.pk.pattern()}", f"collection {base.pk.pattern()}")
    return reason


def _repath(design: Design, path: CopyPath, names: Mapping[str, str]) -> CopyPath:
    return replace(path, plan=_replan(design, path.plan, names))


def local_note() -> str:
    """The constraints an LSI brings, in words (for ``explain``)."""
    return (
        "created with the table only (a live table cannot gain or lose one); each item "
        "collection (one partition key's items and their LSI copies) stays within 10 GB; "
        "reads may be strongly consistent"
    )
