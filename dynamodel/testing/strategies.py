"""Hypothesis strategies derived from declared entities, adversarial by default.

Strings mix the key delimiter ``#``, the escape character ``$``, other entities' key tags,
control characters and non-ASCII text, because those are what break hand-written keys. Each
attribute type supplies its own strategy and collision pool (``dynamodel.attribute_types``).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

from hypothesis import strategies as st

from dynamodel import attribute_types
from dynamodel.model import Entity
from dynamodel.spec import AppSpec, AttributeSpec, EntitySpec


def _tags(app: AppSpec | None) -> list[str]:
    if app is None:
        return []
    from dynamodel.design.derive import entity_tag  # noqa: PLC0415 - only to learn the tag names

    return [entity_tag(e.name) for e in app.entities]


def adversarial_text(app: AppSpec | None = None, *, max_size: int = 12) -> st.SearchStrategy[str]:
    """Text that contains delimiters, escapes and other entities' tags as often as letters."""
    return attribute_types.adversarial_text(_tags(app), max_size=max_size)


def for_attribute(
    attr: AttributeSpec, app: AppSpec | None = None, *, pool: int = 0
) -> st.SearchStrategy[Any]:
    """Values of one attribute; ``pool`` > 0 draws from that many values so partitions collide."""
    attr_type = attribute_types.lookup(attr.type)
    base = attr_type.strategy(attr.enum, _tags(app))
    if attr.min_length:
        base = base.filter(_long_enough(attr.min_length))
    if pool and attr_type.pooled:
        base = st.lists(base, min_size=pool, max_size=pool, unique_by=repr).flatmap(st.sampled_from)
    if attr.optional:
        return st.none() | base
    return base


def _long_enough(n: int) -> Callable[[Any], bool]:
    """Values a ``min_length`` of ``n`` admits (what pydantic enforces on str and bytes)."""
    return lambda v: len(v) >= n


def _spec(entity: type[Entity] | EntitySpec) -> EntitySpec:
    return entity if isinstance(entity, EntitySpec) else entity.__entity_spec__


def for_entity(
    entity: type[Entity] | EntitySpec,
    app: AppSpec | None = None,
    *,
    fixed: Mapping[str, st.SearchStrategy[Any]] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Attribute values of one entity (copies left out: the runtime fills them from the source).

    Args:
        entity: an Entity class or its EntitySpec.
        app: the app, so strings can imitate its entities' key tags.
        fixed: per-attribute strategies that replace the derived ones (e.g. a small id pool).

    Example:
        >>> from access_patterns.shop import Order, shop
        >>> values = for_entity(Order, shop.spec).example()  # doctest: +SKIP
    """
    spec = _spec(entity)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for attr in spec.attributes:
        if attr.copy_of is not None:
            continue
        given = (fixed or {}).get(attr.name)
        fields[attr.name] = given if given is not None else for_attribute(attr, app)
    return st.fixed_dictionaries(fields)


def for_app(app: AppSpec) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """One strategy per entity of the app."""
    return {e.name: for_entity(e, app) for e in app.entities}


# ---- pools and pydantic-aware values (used by the state machine) ----------------------------

PoolKey = tuple[str, str]
"""(attribute name, attribute type): attributes of one name and type share a pool app-wide."""


def _pool_of(attr: AttributeSpec, tags: list[str]) -> tuple[object, ...]:
    """Four values per type: prefixes of each other, delimiters, another entity's tag, order traps."""
    pool = attribute_types.lookup(attr.type).pool(attr.enum, tags)
    return tuple(filter(_long_enough(attr.min_length), pool)) if attr.min_length else pool


def pooled_attributes(app: AppSpec) -> frozenset[str]:
    """Attributes whose values should collide: identities, ``by``/``where``/sort/unique, shared, copied."""
    names: set[str] = set()
    seen: dict[str, int] = {}
    for e in app.entities:
        names.update(e.identity)
        names.update(e.unique)
        for a in e.attributes:
            seen[a.name] = seen.get(a.name, 0) + 1
    for p in app.patterns:
        names.update(p.by)
        names.update(a for a, _ in p.where)
        if p.sort is not None:
            names.add(p.sort)
    names.update(n for n, count in seen.items() if count > 1)
    # Copied attributes: a pool makes their updates change the value (and the copies) often.
    names.update(a.copy_of[1] for e in app.entities for a in e.attributes if a.copy_of is not None)
    return frozenset(names)


def value_pools(app: AppSpec) -> dict[PoolKey, tuple[object, ...]]:
    """A small fixed pool per pooled attribute, so partitions hold several items and references hit.

    Example:
        >>> from access_patterns.shop import shop
        >>> value_pools(shop.spec)[("customer_id", "str")]
        ('a', 'a#b', '$', 'ORDER_LINE#a')
    """
    from dynamodel.design.derive import entity_tag  # noqa: PLC0415 - only to learn the tag names

    tags = [entity_tag(e.name) for e in app.entities]
    wanted = pooled_attributes(app)
    where = {(a, v) for p in app.patterns for a, vs in p.where_sets for v in vs}
    out: dict[PoolKey, tuple[object, ...]] = {}
    for e in app.entities:
        for a in e.attributes:
            if a.name in wanted and (a.name, a.type) not in out:
                pool = _pool_of(a, tags)
                # A `where` value first and as often as all the others: items enter and
                # leave sparse indexes about half the time.
                held = [v for v in pool if (a.name, v) in where]
                if held:
                    rest = [v for v in pool if v not in held]
                    pool = (*held, *(held * max(1, len(rest) // len(held) - 1)), *rest)
                if pool:
                    out[(a.name, a.type)] = pool
    return out


def _json_scalars() -> st.SearchStrategy[Any]:
    return st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=6)


def for_annotation(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of a (possibly nested) pydantic field type: lists, dicts, scalars, ``Any``.

    Used for ``list``/``map`` attributes, whose element types the AppSpec does not record.
    """
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        base = st.one_of([for_annotation(a) for a in inner])
        return st.none() | base if len(inner) < len(args) else base
    if annotation is Any or annotation is object:
        return _json_scalars() | st.lists(_json_scalars(), max_size=2)
    if origin is Literal:
        return st.sampled_from(args)
    if annotation is str:
        return st.text(max_size=8)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(-1000, 1000)
    if annotation is Decimal:
        return st.decimals(-1000, 1000, places=2, allow_nan=False, allow_infinity=False)
    if origin in (list, tuple) or annotation in (list, tuple):
        inner_type = args[0] if args else Any
        return st.lists(for_annotation(inner_type), max_size=3)
    if origin in (set, frozenset) or annotation in (set, frozenset):
        return st.sets(
            st.text(min_size=1, max_size=5), min_size=1, max_size=3
        )  # DynamoDB sets are never empty
    if origin is dict or annotation is dict:
        value_type = args[1] if len(args) == 2 else Any
        return st.dictionaries(st.text(min_size=1, max_size=6), for_annotation(value_type), max_size=3)
    return _json_scalars()


def for_model(
    model: type[Entity],
    app: AppSpec,
    *,
    pools: Mapping[PoolKey, tuple[object, ...]] | None = None,
    only: frozenset[str] | None = None,
    fresh_weight: int = 1,
    pool_weight: int = 3,
) -> dict[str, st.SearchStrategy[Any]]:
    """A strategy per declared (non-copy) attribute of an Entity class, valid for the model.

    Pooled attributes draw from their pool ``pool_weight`` times out of ``pool_weight +
    fresh_weight`` and otherwise from the adversarial strategy; list and map attributes
    follow the pydantic annotation, so the values validate.

    Args:
        model: the Entity class.
        app: its app's spec.
        pools: ``value_pools(app)`` or your own.
        only: restrict to these attribute names.
        fresh_weight: relative weight of fresh (adversarial) values for pooled attributes;
            0 draws pooled attributes from their pool only.
        pool_weight: relative weight of pool values.

    Returns:
        attribute name → strategy (wrap in ``st.fixed_dictionaries``).
    """
    spec = _spec(model)
    out: dict[str, st.SearchStrategy[Any]] = {}
    for attr in spec.attributes:
        if attr.copy_of is not None or (only is not None and attr.name not in only):
            continue
        if attribute_types.lookup(attr.type).nested:
            out[attr.name] = for_annotation(model.model_fields[attr.name].annotation)
            continue
        pool = (pools or {}).get((attr.name, attr.type))
        fresh = for_attribute(
            AttributeSpec(attr.name, attr.type, enum=attr.enum, min_length=attr.min_length), app
        )
        if not pool:
            base = fresh
        elif fresh_weight == 0:
            base = st.sampled_from(pool)
        else:
            base = st.one_of([st.sampled_from(pool)] * pool_weight + [fresh] * fresh_weight)
        out[attr.name] = st.none() | base if attr.optional else base
    return out
