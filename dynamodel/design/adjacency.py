"""Reaching a GSI budget (``max_gsis``) with index items: the adjacency-list technique.

One GSI holds one layout per entity, so an entity read by two unrelated keys needs two GSIs.
An index item is a second item of the same entity: a full copy of its attributes under a key
of its own, carrying the keys of one more layout. Two layouts of one entity then share a GSI
(the copy's and the item's, told apart by their tags), and the budget is met by writing more
instead of indexing more. dynamodel writes the index items in the same transaction as their
entity (create, put, update, delete, write patterns, actions), so they never diverge.

An index item is named ``<Entity>@<n>`` (its ``_type``); it lives in a partition of its own,
so no read of the entity's own partition meets it. An entity can have index items when no
write pattern increments it and it holds no copies (those writes change the item alone: its
copies would fall behind). The search tries the fewest index items first, then the least
extra write work (the entity's write rate per index item), among the read patterns that sit
on a GSI; it is exhaustive up to :data:`MAX_INDEX_ITEMS`.

Pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import combinations

from dynamodel.design.model import TABLE, Design
from dynamodel.design.techniques import derive_techniques
from dynamodel.errors import DynamodelError
from dynamodel.layout import INDEX_ITEM_MARK
from dynamodel.spec import AppSpec, EntitySpec, PatternSpec

__all__ = ["MAX_INDEX_ITEMS", "index_item_name", "reach_budget"]

MAX_INDEX_ITEMS = 3
"""Most index items the search writes per write of the app (each one is a write more)."""


def index_item_name(entity: str, n: int) -> str:
    """``Employee@1``: the ``_type`` of an entity's n-th index item."""
    return f"{entity}{INDEX_ITEM_MARK}{n}"


def _eligible(app: AppSpec, entity: str) -> bool:
    spec = app.entity(entity)
    counted = any(target == entity for p in app.patterns for target, _, _ in p.increments)
    return not counted and not any(a.copy_of is not None for a in spec.attributes)


def _candidates(app: AppSpec, design: Design) -> list[PatternSpec]:
    return [
        p
        for p in app.patterns
        if p.kind != "write"
        and len(p.entities) == 1
        and design.plan(p.name).index not in (TABLE, *(ix.name for ix in design.local_indexes))
        and design.plan(p.name).operation == "Query"
        and not p.unique  # its guard belongs to the entity, not to a copy of it
        and _eligible(app, p.entities[0])
    ]


def _with_items(app: AppSpec, moved: Sequence[PatternSpec], shared: bool) -> AppSpec:
    """``app`` with ``moved`` reading index items: one per entity (``shared``) or per pattern."""
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    for p in moved:
        entity = p.entities[0]
        if shared and entity in counts:
            names[p.name] = index_item_name(entity, 1)
            continue
        counts[entity] = counts.get(entity, 0) + 1
        names[p.name] = index_item_name(entity, counts[entity])
    virtual = {names[p.name]: replace(_copy_of(app.entity(p.entities[0])), name=names[p.name]) for p in moved}
    patterns = tuple(replace(p, entities=(names[p.name],)) if p.name in names else p for p in app.patterns)
    return replace(app, entities=(*app.entities, *virtual.values()), patterns=patterns, max_gsis=None)


def _copy_of(spec: EntitySpec) -> EntitySpec:
    # Its own partition, no guards of its own (the entity's guard the value), no parent.
    return replace(spec, parent=None, aggregate=None, unique=())


def reach_budget(
    app: AppSpec, design: Design, derive_items: Callable[[AppSpec], Design], weights: dict[str, float]
) -> Design | None:
    """The design within ``app.max_gsis`` with the fewest index items, or None when none is.

    ``derive_items`` derives an app that has index items as entities (no budget applied).
    """
    budget = app.max_gsis
    if budget is None:
        return design
    found: tuple[tuple[int, float, tuple[str, ...]], Design] | None = None
    candidates = _candidates(app, design)
    for size in range(1, min(MAX_INDEX_ITEMS, len(candidates)) + 1):
        for moved in combinations(candidates, size):
            for shared in (True, False):
                try:
                    built = derive_items(_with_items(app, moved, shared))
                except DynamodelError:
                    continue
                if len(built.indexes) > budget:
                    continue
                items = sorted({k.entity for k in built.keys if INDEX_ITEM_MARK in k.entity})
                extra = sum(weights.get(v.split(INDEX_ITEM_MARK)[0], 1.0) for v in items)
                rank = (len(items), extra, tuple(p.name for p in moved))
                if found is None or rank < found[0]:
                    found = (rank, built)
        if found is not None:
            break
    if found is None:
        return None
    built = found[1]
    specs = tuple(e for e in built.app.entities if INDEX_ITEM_MARK in e.name)
    reached = replace(built, app=app, index_items=specs)
    return replace(reached, techniques=derive_techniques(reached))
