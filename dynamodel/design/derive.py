"""derive(app) -> Design: the planner's entry point (pure, deterministic)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from dynamodel.design.adjacency import reach_budget
from dynamodel.design.blocks import order_blocks
from dynamodel.design.layout import Layout, compute_layout, default_base_layout
from dynamodel.design.local import choose_local_indexes
from dynamodel.design.model import TABLE, CopyPath, Design, EntityKeys, IndexSpec, PatternPlan, UniqueGuard
from dynamodel.design.native import choose_key_styles
from dynamodel.design.plans import read_plan, scan_plan, write_plan
from dynamodel.design.projections import choose_projections
from dynamodel.design.requirements import (
    COPY_PREFIX,
    LOW_CARDINALITY,
    Need,
    Requirement,
    copy_lookups,
    derive_requirements,
    shard_count,
)
from dynamodel.design.search import (
    MAX_GSIS,
    Assignment,
    assign,
    collection_constraints,
    partition_groups,
    placeable_alone,
)
from dynamodel.design.stable import reprojected_slots, stable_slots
from dynamodel.design.techniques import derive_techniques
from dynamodel.errors import (
    CollectionConflictError,
    DefinitionError,
    TooManyIndexesError,
    UnsatisfiablePatternError,
)
from dynamodel.keys import KeyTemplate, Lit, Part, Ref, ValueKind
from dynamodel.layout import GUARD_TYPE, PK, SHARD_ATTR, SK
from dynamodel.spec import AppSpec, EntitySpec


def entity_tag(name: str) -> str:
    """ORDER_LINE for OrderLine, PR_COMMENT for PRComment."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.upper()


def index_name(slot: int) -> str:
    """``table`` for slot 0, GSI1.. for the others."""
    return TABLE if slot == 0 else f"GSI{slot}"


def derive(app: AppSpec, *, baseline: Mapping[str, Any] | None = None) -> Design:
    """Derive the minimal single-table design serving every declared pattern.

    Args:
        app: the declarations.
        baseline: the design JSON of the deployed design (a lock's ``design``). The indexes
            are then named after the deployed ones whose entity keys they keep, so that an
            edit renumbers nothing (see :mod:`dynamodel.design.stable`); None names them
            GSI1, GSI2, ... in the order the search found them.

    Raises:
        UnsatisfiablePatternError: a pattern cannot be one request; the hint says what to change.
        CollectionConflictError: a multi-entity query cannot be laid out as contiguous blocks.
    """
    _check_tags(app)
    reqs = derive_requirements(app)
    for r in reqs:
        _check_collection(app, r)
    scanned: frozenset[str] = frozenset()
    while True:
        design, placed, scans, result = _search(app, reqs, scanned, baseline)
        # A strong read placed off the base table needs its index to have become local; one
        # that allows a scan is scanned instead (see _strong_reads_served for the others).
        off = {p.name for p in design.plans if p.name in _strong_off_local(design)}
        if not off or not all(app.pattern(n).allow_scan for n in off):
            break
        scanned |= off
    if baseline is None:
        return _within_budget(design, baseline)
    renumbered = stable_slots(result.slots, design, baseline)
    if renumbered != result.slots:
        design = _build(app, placed, scans, renumbered, optimal=result.optimal, baseline=baseline)
    moved = reprojected_slots(renumbered, design, baseline)
    if moved != renumbered:
        design = _build(app, placed, scans, moved, optimal=result.optimal, baseline=baseline)
    return _within_budget(design, baseline)


def _search(
    app: AppSpec, reqs: Sequence[Requirement], scanned: frozenset[str], baseline: Mapping[str, Any] | None
) -> tuple[Design, list[Requirement], list[Requirement], Assignment]:
    """Place every requirement (``scanned`` ones scan) and build the design of the best assignment."""
    placed: list[Requirement] = []
    scans: list[Requirement] = []
    for r in reqs:
        why = (
            "a strong read whose partition is not its base partition"
            if r.name in scanned
            else placeable_alone(app, r)
        )
        if why is None:
            placed.append(r)
        elif r.pattern.allow_scan:
            scans.append(r)
        else:
            msg = f"Pattern '{r.name}' cannot be served by one request without a filter: {why}."
            raise UnsatisfiablePatternError(msg, hint=_fix_for(r, why))
    weights = _write_weights(app)
    result = assign(app, tuple(placed), weights)
    if result is None:
        msg = f"App '{app.name}' needs more than {MAX_GSIS} GSIs to serve every pattern in one request."
        raise TooManyIndexesError(
            msg,
            hint="merge patterns that read the same entity by the same attributes, or mark rare ones allow_scan: true",
        )
    design = _build(app, placed, scans, result.slots, optimal=result.optimal, baseline=baseline)
    if app.key_style == "native":  # one entity per GSI, where that keys more GSIs natively
        alone = assign(app, tuple(placed), weights, one_entity=True)
        if alone is not None:
            split = _build(app, placed, scans, alone.slots, optimal=alone.optimal, baseline=baseline)
            if _native_count(split) > _native_count(design):
                result, design = alone, split
    return design, placed, scans, result


def _native_count(design: Design) -> int:
    return sum(ix.native for ix in design.indexes)


def _build(
    app: AppSpec,
    placed: list[Requirement],
    scans: list[Requirement],
    slots: dict[str, int],
    *,
    optimal: bool,
    baseline: Mapping[str, Any] | None = None,
) -> Design:
    """The design once every placed requirement has its index slot (0: the base table)."""
    layouts = _layouts(app, placed, slots)
    keys = _entity_keys(app, placed, slots, layouts)
    slots_used = sorted({s for s in slots.values() if s > 0})
    indexes = tuple(IndexSpec(index_name(s), f"GSI{s}PK", f"GSI{s}SK") for s in slots_used)
    by_key = {(k.entity, k.index): k for k in keys}
    groups = _groups_by_slot(placed, slots)
    plans: list[PatternPlan] = [
        read_plan(app, r, index_name(slots[r.name]), by_key, _group_of(r, groups[slots[r.name]]))
        for r in placed
    ]
    plans.extend(scan_plan(app, r) for r in scans)
    guards = _guards(app)
    plans.extend(write_plan(app, p, guards) for p in app.patterns if p.kind == "write")
    copy_paths = _copy_paths(app, [p for p in plans if p.name.startswith(COPY_PREFIX)])
    plans = [p for p in plans if not p.name.startswith(COPY_PREFIX)]
    plans.sort(key=lambda p: p.name)
    indexes = choose_projections(app, indexes, plans, copy_paths)
    design = Design(
        app=app,
        table=IndexSpec(TABLE, PK, SK),
        indexes=indexes,
        keys=keys,
        plans=tuple(plans),
        guards=guards,
        techniques=(),
        optimal=optimal,
        copy_paths=copy_paths,
    )
    design = choose_key_styles(choose_local_indexes(design, baseline), baseline)
    return Design(**{**design.__dict__, "techniques": derive_techniques(design)})


def _copy_paths(app: AppSpec, plans: list[PatternPlan]) -> tuple[CopyPath, ...]:
    refs = copy_lookups(app)
    out: list[CopyPath] = []
    for plan in plans:
        ref = refs[plan.name]
        out.append(CopyPath(ref.source, ref.target, ref.propagated, plan, ref.via))
    return tuple(sorted(out, key=lambda c: (c.source, c.target, c.via)))


def _check_tags(app: AppSpec) -> None:
    seen: dict[str, str] = {}
    for e in app.entities:
        tag = entity_tag(e.name)
        if tag in seen:
            msg = f"Entities '{seen[tag]}' and '{e.name}' both get the key tag '{tag}'."
            raise DefinitionError(msg, hint="rename one of them")
        seen[tag] = e.name


def _check_collection(app: AppSpec, r: Requirement) -> None:
    if not r.is_collection:
        return
    ordered = r.sorted_members(app)
    blocks = [m for m in r.members if m not in ordered]
    if r.range is not None and (blocks or not ordered):
        why = ", ".join(f"{m} ({_unsorted_because(app, r, m)})" for m in blocks or r.members)
        msg = (
            f"Pattern '{r.name}': a range on '{r.sort}' would leave out the members it does not sort: {why}."
        )
        raise UnsatisfiablePatternError(
            msg, hint="drop range (use limit to read the newest N), or query the sorted entities alone"
        )
    if len(ordered) > 1 and blocks:
        msg = f"Pattern '{r.name}': {list(ordered)} are interleaved by '{r.sort}', so their partition has no blocks; {blocks} would need one ({', '.join(_unsorted_because(app, r, m) for m in blocks)})."
        raise CollectionConflictError(
            msg,
            hint=f"read {', '.join(blocks)} separately (its own get or query), or list only entities sorted by '{r.sort}'",
        )
    sort_types = {_type_of(app.entity(m), r.sort) for m in ordered if r.sort is not None}
    if len(sort_types) > 1:
        msg = f"Pattern '{r.name}': '{r.sort}' has different types across {list(ordered)} ({sorted(map(str, sort_types))}), so one sort key cannot order them together."
        raise CollectionConflictError(msg, hint=f"declare '{r.sort}' with the same type on every member")
    for a in sorted(r.eq):
        types = {_type_of(app.entity(m), a) for m in r.members}
        if len(types) > 1:
            msg = f"Pattern '{r.name}': '{a}' has different types across {list(r.members)} ({sorted(map(str, types))}), so they cannot share one partition."
            raise CollectionConflictError(msg, hint=f"declare '{a}' with the same type on every member")


def _unsorted_because(app: AppSpec, r: Requirement, member: str) -> str:
    if r.sort is not None and app.entity(member).has(r.sort):
        return "one item: the pattern gives its identity"
    return f"no '{r.sort}'"


def _fix_for(r: Requirement, why: str) -> str:
    if r.strong:
        return "drop consistency: strong (GSIs are eventually consistent), or read by the identity on the base table"
    if "optional" in why:
        return "add the optional attribute to by/sort, or make it required"
    return "add an attribute to 'by', declare a sort, or add allow_scan: true to accept a Scan"


def _strong_off_local(design: Design) -> list[str]:
    """Strong reads placed on a GSI (their index did not become local)."""
    return [
        p.name
        for p in design.app.patterns
        if p.kind != "write"
        and p.consistency == "strong"
        and design.plan(p.name).index != TABLE
        and not design.index(design.plan(p.name).index).local
    ]


def _strong_reads_served(design: Design) -> None:
    """A strong read placed off the base table must have landed on a local index."""
    for name in _strong_off_local(design):
        pat, plan = design.app.pattern(name), design.plan(name)
        msg = (
            f"Pattern '{pat.name}' reads with consistency: strong, which the base table or a local "
            f"index gives; its partition is not {plan.entities[0]}'s base partition, so it needs a "
            "GSI, and GSIs are eventually consistent."
        )
        raise UnsatisfiablePatternError(
            msg,
            hint="drop consistency: strong, or read by the attributes of the entity's base partition",
        )


def _within_budget(design: Design, baseline: Mapping[str, Any] | None) -> Design:
    """``design``, within the app's ``max_gsis``: as derived, or with index items (the
    adjacency technique, :mod:`dynamodel.design.adjacency`); else which patterns force each GSI."""
    _strong_reads_served(design)
    budget = design.app.max_gsis
    if budget is None or len(design.indexes) <= budget:
        return design
    reached = reach_budget(
        design.app, design, lambda app: derive(app, baseline=baseline), _write_weights(design.app)
    )
    if reached is not None:
        return reached
    lines = []
    for ix in design.indexes:
        readers = sorted(p.name for p in design.plans if p.index == ix.name)
        copies = sorted(
            f"copies of {c.source} in {c.target}" for c in design.copy_paths if c.plan.index == ix.name
        )
        lines.append(f"{ix.name}: {', '.join(readers + copies)}")
    minimal = "the minimum" if design.optimal else "the fewest found"
    msg = (
        f"App '{design.app.name}' needs {len(design.indexes)} GSIs; max_gsis is {budget} "
        f"({len(design.indexes)} is {minimal} for one-request reads). " + "; ".join(lines) + "."
    )
    raise TooManyIndexesError(
        msg,
        hint="drop or merge a pattern of one index, read it with allow_scan: true, or raise max_gsis "
        "(index items could not reach it: see dynamodel.design.adjacency for when an entity can have them)",
    )


def _write_weights(app: AppSpec) -> dict[str, float]:
    # An entity is written by the patterns that create it, delete it or count on it.
    weights: dict[str, float] = {e.name: 1.0 for e in app.entities}
    for p in app.patterns:
        for e in {*p.entities, *p.deletes, *(target for target, _, _ in p.increments)}:
            weights[e] += p.rate.writes_per_s or 0.0
    return weights


def _layouts(app: AppSpec, reqs: list[Requirement], slots: dict[str, int]) -> dict[tuple[str, int], Layout]:
    needs: dict[tuple[str, int], list[Need]] = defaultdict(list)
    for r in reqs:
        for n in r.needs(app):
            needs[(n.entity, slots[r.name])].append(n)
    out: dict[tuple[str, int], Layout] = {}
    for e in app.entities:
        out[(e.name, 0)] = default_base_layout(e)
    for (entity, slot), ns in needs.items():
        got = compute_layout(app, app.entity(entity), sorted(ns, key=lambda n: n.requirement), base=slot == 0)
        if isinstance(got, str):  # pragma: no cover - the search only keeps feasible layouts
            raise UnsatisfiablePatternError(got)
        out[(entity, slot)] = got
    return out


def _groups_by_slot(reqs: list[Requirement], slots: dict[str, int]) -> dict[int, list[list[str]]]:
    by_slot: dict[int, list[Requirement]] = defaultdict(list)
    for r in reqs:
        by_slot[slots[r.name]].append(r)
    return defaultdict(list, {s: partition_groups(rs) for s, rs in by_slot.items()})


def _group_of(r: Requirement, groups: list[list[str]]) -> tuple[str, ...]:
    for g in groups:
        if r.members[0] in g:
            return tuple(g)
    return r.members


def _kind(ent: EntitySpec, attr: str) -> ValueKind:
    a = ent.attribute(attr)
    if a is None:  # pragma: no cover - layouts only hold declared attributes
        msg = f"{ent.name} has no attribute {attr}"
        raise DefinitionError(msg)
    return a.type  # type: ignore[return-value]  # KEYABLE types are exactly the ValueKinds


def _entity_keys(
    app: AppSpec, reqs: list[Requirement], slots: dict[str, int], layouts: dict[tuple[str, int], Layout]
) -> tuple[EntityKeys, ...]:
    out: list[EntityKeys] = []
    by_slot: dict[int, list[Requirement]] = defaultdict(list)
    for r in reqs:
        by_slot[slots[r.name]].append(r)
    shards = _shards(app, reqs, slots, layouts)
    for slot in sorted({s for (_, s) in layouts}):
        here = by_slot.get(slot, [])
        groups = partition_groups(here)
        grouped = {e for g in groups for e in g}
        tags: dict[str, str] = {}
        namespace: dict[str, str] = {}
        root_of: dict[str, str] = {}
        constraints = collection_constraints(app, here)
        for g in groups:
            order = order_blocks(g, [c for c in constraints if c.members <= set(g)])
            if order is None:  # pragma: no cover - the search checked feasibility
                msg = f"no block order for {g}"
                raise CollectionConflictError(msg)
            plain = [entity_tag(e) for e in order]
            # interleaved members put their tag after the sort attribute: no block order to keep
            mixed = any(layouts[(e, slot)].interleaved for e in g)
            ordered = mixed or plain == sorted(plain, key=lambda t: t + "#")
            for i, e in enumerate(order):
                tags[e] = entity_tag(e) if ordered else f"{chr(ord('A') + i)}_{entity_tag(e)}"
            root = _root(app, g)
            for e in g:
                namespace[e] = entity_tag(root)
                root_of[e] = root
        for (entity, s), lay in sorted(layouts.items()):
            if s != slot:
                continue
            ent = app.entity(entity)
            tag = tags.get(entity, entity_tag(entity))
            ns = namespace.get(entity, tag)
            order_src = app.entity(root_of[entity]) if entity in grouped else ent
            pk_attrs = _ordered(order_src, lay.pk_attrs)
            n_shards = shards.get((entity, slot), 1)
            pk_parts: list[Part] = [Lit(ns), *(Ref(a, _kind(ent, a)) for a in pk_attrs)]
            if n_shards > 1:
                pk_parts.append(Ref(SHARD_ATTR, "int"))
            sk_parts: list[Part] = [Lit(tag), *(Ref(a, _kind(ent, a)) for a in lay.sk_attrs)]
            if lay.interleaved:  # the shared sort attribute first: one Query returns all types in order
                sk_parts[:2] = [sk_parts[1], sk_parts[0]]
            optional = tuple(a for a in (*pk_attrs, *lay.sk_attrs) if _is_optional(ent, a))
            out.append(
                EntityKeys(
                    entity=entity,
                    index=index_name(slot),
                    pk=KeyTemplate(tuple(pk_parts)),
                    sk=KeyTemplate(tuple(sk_parts)),
                    sparse=tuple(sorted(lay.sparse)),
                    shards=n_shards,
                    optional_attrs=optional,
                )
            )
    out.sort(key=lambda k: (k.entity, k.index != TABLE, len(k.index), k.index))
    return tuple(out)


def _type_of(ent: EntitySpec, attr: str) -> str | None:
    a = ent.attribute(attr)
    return None if a is None else a.type


def _is_optional(ent: EntitySpec, attr: str) -> bool:
    a = ent.attribute(attr)
    return a is not None and a.optional


def _ordered(ent: EntitySpec, attrs: frozenset[str]) -> tuple[str, ...]:
    order = {a.name: i for i, a in enumerate(ent.attributes)}
    return tuple(sorted(attrs, key=lambda a: (order.get(a, len(order)), a)))


def _root(app: AppSpec, group: list[str]) -> str:
    def rank(name: str) -> tuple[int, str]:
        below = sum(1 for other in group if any(a.name == name for a in app.ancestors(other)))
        return (-below, name)

    return min(group, key=rank)


def _shards(
    app: AppSpec, reqs: list[Requirement], slots: dict[str, int], layouts: dict[tuple[str, int], Layout]
) -> dict[tuple[str, int], int]:
    """Write sharding: a low-cardinality partition whose declared write rate exceeds one partition."""
    out: dict[tuple[str, int], int] = {}
    for r in reqs:
        slot = slots[r.name]
        n = shard_count(r.writes_per_s)
        if n <= 1 or slot == 0 or r.is_collection:
            continue
        for m in r.members:
            lay = layouts[(m, slot)]
            ent = app.entity(m)
            where_attrs = {a for a, _ in lay.sparse}
            low = all(a in where_attrs or _type_of(ent, a) in LOW_CARDINALITY for a in lay.pk_attrs)
            if low:
                out[(m, slot)] = max(out.get((m, slot), 1), n)
    return out


def _guards(app: AppSpec) -> tuple[UniqueGuard, ...]:
    wanted: set[tuple[str, tuple[str, ...]]] = set()
    for e in app.entities:
        for u in e.unique:
            wanted.add((e.name, (u,)))
    for p in app.patterns:
        if p.kind == "get" and p.unique:
            wanted.add((p.entities[0], tuple(sorted(p.by))))
    # Attributes that include the identity are unique already (one item per identity): a
    # guard item would cost a write on every put and guard nothing.
    wanted = {(n, attrs) for n, attrs in wanted if not set(app.entity(n).identity) <= set(attrs)}
    out: list[UniqueGuard] = []
    for name, attrs in sorted(wanted):
        ent = app.entity(name)
        pk = KeyTemplate((Lit(GUARD_TYPE), Lit(entity_tag(name)), *(Ref(a, _kind(ent, a)) for a in attrs)))
        sk = KeyTemplate((Lit(GUARD_TYPE), *(Lit(a) for a in attrs)))
        out.append(UniqueGuard(name, attrs, pk, sk))
    return tuple(out)
