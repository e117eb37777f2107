"""What the machine draws from the values that exist: read arguments, and copy sources.

:func:`draw_read_args` picks a pattern's arguments, mostly from an item the oracle holds (so
most reads find something), else from the value pools, and sometimes a range condition with
bounds taken from sort values under the same partition. :func:`wire_references` points a
write's copy references at source items that exist.

Every draw takes its randomness from the ``rng`` (or seed) passed in, in a fixed order, so a
replay (seeded by the step) draws the same values.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from dynamodel.spec import AppSpec, PatternSpec, RangeOp
from dynamodel.testing.mirror import Model
from dynamodel.testing.oracle import Oracle, normalise
from dynamodel.testing.strategies import PoolKey

Pools = Mapping[PoolKey, tuple[object, ...]]
"""Values to draw from when no stored item gives one, by attribute name and type."""


def draw_read_args(
    spec: AppSpec,
    oracle: Oracle,
    pools: Pools,
    pattern: str,
    rng: random.Random,
    focus: Mapping[str, object] | None,
) -> tuple[dict[str, object], RangeOp | None, dict[str, object]]:
    """Arguments for a pattern from values that exist: (call args, effective range, range values).

    ``focus`` (the values just written) supplies the key arguments when it has them all.
    """
    pat = spec.pattern(pattern)
    args: dict[str, object] = {}
    if pat.by:
        source: Mapping[str, object] | None = None
        if focus is not None and all(focus.get(a) is not None for a in pat.by):
            source = focus
        else:
            cands = [
                v for e in pat.entities for v in oracle.all(e) if all(v.get(a) is not None for a in pat.by)
            ]
            if cands and rng.random() < 0.85:
                source = rng.choice(cands)
        if source is None:
            source = {a: _pool_pick(spec, pools, pat, a, rng) for a in pat.by}
        args = {a: source[a] for a in pat.by}
    op, rng_values = _range_args(spec, oracle, pools, pat, args, rng)
    return args, op, rng_values


def _pool_pick(spec: AppSpec, pools: Pools, pat: PatternSpec, attr: str, rng: random.Random) -> object:
    for e in pat.entities:
        attribute = spec.entity(e).attribute(attr)
        if attribute is not None:
            pool = pools.get((attr, attribute.type))
            if pool:
                return rng.choice(pool)
    msg = f"no value pool for {pat.name}.{attr}"
    raise AssertionError(msg)


def _range_args(
    spec: AppSpec,
    oracle: Oracle,
    pools: Pools,
    pat: PatternSpec,
    args: Mapping[str, object],
    rng: random.Random,
) -> tuple[RangeOp | None, dict[str, object]]:
    holders = [e for e in pat.entities if pat.sort and spec.entity(e).has(pat.sort)]
    if pat.range is None or pat.sort is None or not holders or rng.random() < 0.15:
        return None, {}
    sort = pat.sort
    same = [
        v[sort]
        for e in holders
        for v in oracle.all(e)
        if v.get(sort) is not None and all(normalise(v.get(a)) == normalise(x) for a, x in args.items())
    ]
    attr = spec.entity(holders[0]).attribute(sort)
    assert attr is not None
    pool = pools.get((sort, attr.type), ())

    def pick() -> object:
        if same and (rng.random() < 0.7 or not pool):
            return rng.choice(same)
        return rng.choice(pool) if pool else None

    if pat.range == "between":
        lo, hi = pick(), pick()
        if lo is None or hi is None:
            return None, {}
        lo, hi = sorted((lo, hi), key=normalise)  # type: ignore[arg-type]
        form = rng.random()
        if form < 0.6:
            return "between", {"lo": lo, "hi": hi}
        return ("gte", {"lo": lo}) if form < 0.8 else ("lte", {"hi": hi})
    value = pick()
    if value is None:
        return None, {}
    if pat.range == "begins_with":
        text = str(value)
        value = text[: rng.randrange(len(text) + 1)]
    return pat.range, {"value": value}


def wire_references(
    model: Model, entity: str, values: dict[str, object], pick: int, skip: str | None = None
) -> dict[str, object]:
    """Point ``values``' copy references at sources chosen from the model (``pick`` seeds it).

    Each reference (other than ``skip``, the source the rule's parent bundle gave) names
    an existing source item most of the time; an optional one is sometimes left empty
    (None), and sometimes a reference keeps the drawn value, which may name nothing.
    """
    rng = random.Random(pick)
    for ref in model.references[entity]:
        if ref.source == skip and not ref.named:
            continue
        roll = rng.random()
        if ref.optional and roll < 0.25:
            for local in ref.local_attrs:
                if local not in model.key_attrs[entity]:
                    values[local] = None
            continue
        sources = model.oracle.all(ref.source)
        if roll < 0.35 or not sources:
            continue
        chosen = rng.choice(sorted(sources, key=repr))
        moved = ref.to_local({a: chosen.get(a) for a, _ in ref.keys})
        if any(a in model.key_attrs[entity] and values.get(a) != v for a, v in moved.items()):
            continue  # the reference is part of the item's identity: it cannot move
        values.update(moved)
    return values
