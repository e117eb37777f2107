"""Native multi-attribute GSI keys: which indexes key on the items' own attributes.

DynamoDB lets a GSI key on up to four real attributes per key part (queried with equality on
every partition attribute and the sort attributes left to right, a range only on the last one
used). Such an index needs no ``GSInPK``/``GSInSK`` strings: nothing is rendered on write, a
copy refreshed by propagation re-keys its item by itself, items are smaller by the two key
strings, and adding the index over attributes items already have needs no backfill.

The attributes are the ones the synthetic key renders, in the same order, so a plan reads the
same items in the same order either way. A constant partition (every item of the entity in one
partition) keys on ``_type``, which every item holds; a write-sharded one adds ``_shard``,
then stored on the item. An index can be native when:

* it serves one entity: overloading needs the rendered tags that keep entities apart, and no
  other entity declares all of its attributes (its items would enter the index too);
* every attribute's stored value sorts in value order and is never empty (DynamoDB refuses an
  empty string or binary as a key value: a str needs ``min_length`` 1 or more);
* no key part has more than four attributes;
* it holds every item of the entity that has the key attributes. A ``where`` predicate on a
  partition attribute only narrows what the index holds: ``auto`` keeps such an index synthetic
  (the items it leaves out cost no index writes), ``native`` keys it natively and indexes every
  item (the query still reads only the matching partition). A predicate outside the key
  (several allowed values) cannot be keyed natively.

``auto`` makes native every index that can be, except a deployed synthetic one (a lock's): an
upgrade never re-keys a live index by itself. ``native`` prefers native keys to fewer GSIs: it
also derives the design with one entity's reads per GSI (overloading is what native keys cannot
do, so that may use more GSIs) and takes it when it keys more GSIs natively; it keys natively a
predicate on a partition attribute, and re-keys deployed indexes. Collections on a GSI need
tags and stay synthetic. ``explain`` names every synthetic GSI of
an ``auto`` or ``native`` design and why it is one. ``synthetic`` never makes a native index.

Pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

from dynamodel.attribute_types import lookup
from dynamodel.design.model import (
    CopyPath,
    Design,
    EntityKeys,
    IndexSpec,
    KeyAttribute,
    PatternPlan,
    ScalarType,
)
from dynamodel.keys import KeyTemplate
from dynamodel.layout import SHARD_ATTR, TYPE_ATTR
from dynamodel.spec import AppSpec, KeyStyle, where_values

__all__ = ["MAX_KEY_ATTRIBUTES", "choose_key_styles", "native_form"]

MAX_KEY_ATTRIBUTES = 4
"""Attributes DynamoDB allows per key part of a multi-attribute GSI key."""
_COMPUTED = (TYPE_ATTR, SHARD_ATTR)


def _attributes(app: AppSpec, entity: str, template: KeyTemplate) -> tuple[KeyAttribute, ...] | str:
    ent = app.entity(entity)
    out: list[KeyAttribute] = []
    for name in template.attrs():
        if name == SHARD_ATTR:
            out.append((SHARD_ATTR, "N"))
            continue
        attr = ent.attribute(name)
        assert attr is not None  # derive keys only on declared attributes and the shard
        kind = lookup(attr.type)
        if not kind.native_key:
            return f"{entity}.{name} is a {attr.type}, whose stored value cannot key an index in order"
        if attr.type in ("str", "bytes") and (attr.min_length or 0) < 1:
            return (
                f"{entity}.{name} may be empty, which DynamoDB refuses as a key value (declare min_length=1)"
            )
        if attr.type == "enum" and "" in attr.enum:
            return f"{entity}.{name} allows the empty string, which DynamoDB refuses as a key value"
        out.append((name, cast("ScalarType", kind.dynamodb_type)))
    return tuple(out)


def _sparseness(keys: EntityKeys, style: KeyStyle) -> str | None:
    """Why the index's ``where`` predicates keep it synthetic, or None."""
    if not keys.sparse:
        return None
    if style != "native":
        return "it holds only the items a where predicate matches, so the others cost no index writes"
    for attr, match in keys.sparse:
        if len(where_values(match)) > 1 or attr not in keys.pk.attrs():
            values = ", ".join(map(str, where_values(match)))
            return f"it holds only items whose {attr} is {values}, which no key condition can select"
    return None


def native_form(design: Design, index: IndexSpec) -> tuple[IndexSpec, EntityKeys] | str:
    """The native form of a GSI and its entity's keys, or why it has none."""
    members = [k for k in design.keys if k.index == index.name]
    if len(members) != 1:
        names = ", ".join(sorted(k.entity for k in members))
        return f"it serves {len(members)} entities ({names}), whose items its rendered tags keep apart"
    keys = members[0]
    why = _sparseness(keys, design.app.key_style)
    if why is not None:
        return why
    pk = _attributes(design.app, keys.entity, keys.pk)
    sk = _attributes(design.app, keys.entity, keys.sk)
    if isinstance(pk, str):
        return pk
    if isinstance(sk, str):
        return sk
    if not sk:
        return "its sort key holds no attribute"
    if not any(n != SHARD_ATTR for n, _ in pk):
        pk = ((TYPE_ATTR, "S"), *pk)  # a constant partition: the entity's name, on every item
    if len(pk) > MAX_KEY_ATTRIBUTES or len(sk) > MAX_KEY_ATTRIBUTES:
        return f"a key part has more than {MAX_KEY_ATTRIBUTES} attributes"
    declared = {n for n, _ in (*pk, *sk)} - set(_COMPUTED)
    for other in design.app.entities:
        if other.name != keys.entity and declared and all(other.has(n) for n in declared):
            return f"{other.name} also has {', '.join(sorted(declared))}, so its items would enter the index"
    keyed = {n for n, _ in (*pk, *sk)}
    native = replace(
        index,
        partition_key=pk[0][0],
        sort_key=sk[0][0],
        partition_attributes=pk,
        sort_attributes=sk,
        # A key attribute is always in the index; DynamoDB refuses it in NonKeyAttributes.
        non_key_attributes=tuple(a for a in index.non_key_attributes if a not in keyed),
    )
    return native, replace(keys, sparse=())


def _deployed_synthetic(baseline: Mapping[str, Any] | None) -> frozenset[str]:
    if baseline is None:
        return frozenset()
    return frozenset(
        str(ix.get("name")) for ix in baseline.get("indexes", []) if not ix.get("partition_attributes")
    )


def _condition(index: IndexSpec, plan: PatternPlan, eq: frozenset[str]) -> str:
    parts = [f"{n} = :{n}" for n, _ in index.partition_attributes]
    for name, _ in index.sort_attributes:
        if name == plan.sort and plan.range is not None:
            parts.append(
                f"{name} BETWEEN :lo AND :hi" if plan.range != "begins_with" else f"begins_with({name}, :sk)"
            )
            break
        if name not in eq:
            break
        parts.append(f"{name} = :{name}")
    shards = f" (x{plan.shards} shards)" if plan.shards > 1 else ""
    return " AND ".join(parts) + shards


def _replan(
    design: Design, plan: PatternPlan, native: Mapping[str, IndexSpec], eq: frozenset[str]
) -> PatternPlan:
    ix = native.get(plan.index)
    if ix is None:
        return plan
    keyed = f"({', '.join(n for n, _ in ix.partition_attributes)}) / ({', '.join(n for n, _ in ix.sort_attributes)})"
    return replace(
        plan, key_condition=_condition(ix, plan, eq), reason=f"{plan.reason}; keyed natively on {keyed}"
    )


def _pattern_eq(design: Design, plan: PatternPlan) -> frozenset[str]:
    pat = design.app.pattern(plan.name)
    return frozenset({*pat.by, *(a for a, _ in pat.where)})


def _copy_eq(design: Design, path: CopyPath) -> frozenset[str]:
    return frozenset(path.local(a) for a in design.app.entity(path.source).identity)


def choose_key_styles(design: Design, baseline: Mapping[str, Any] | None = None) -> Design:
    """``design`` with each GSI keyed as the app's ``key_style`` says (see the module docstring)."""
    style = design.app.key_style
    if style == "synthetic" or not design.indexes:
        return design
    keep = _deployed_synthetic(baseline) if style == "auto" else frozenset()
    types: dict[str, ScalarType] = {}
    indexes: list[IndexSpec] = []
    rekeyed: dict[tuple[str, str], EntityKeys] = {}
    for ix in design.indexes:
        found = native_form(design, ix)
        if isinstance(found, tuple) and any(types.get(n, t) != t for n, t in found[0].key_definitions()):
            found = "an attribute of its key keys another native index with another type"
        if ix.name in keep or isinstance(found, str):
            indexes.append(ix)
            continue
        types.update(found[0].key_definitions())
        indexes.append(found[0])
        rekeyed[(found[1].entity, ix.name)] = found[1]
    native = {ix.name: ix for ix in indexes if ix.native}
    if not native:
        return design
    return replace(
        design,
        indexes=tuple(indexes),
        keys=tuple(rekeyed.get((k.entity, k.index), k) for k in design.keys),
        plans=tuple(
            _replan(design, p, native, _pattern_eq(design, p)) if p.kind != "write" else p
            for p in design.plans
        ),
        copy_paths=tuple(
            replace(c, plan=_replan(design, c.plan, native, _copy_eq(design, c))) for c in design.copy_paths
        ),
    )
