"""Hypothesis strategies derived from declared entities, adversarial by default.

Strings mix the key delimiter ``#``, the escape character ``$``, other entities' key tags,
control characters and non-ASCII text, because those are what break hand-written keys.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

from hypothesis import strategies as st

from dynamodel.model import Entity
from dynamodel.spec import AppSpec, AttributeSpec, EntitySpec

_TRICKY = [
    "#",
    "$",
    "##",
    "$@",
    "a#b",
    "ORDER#x",
    "CUSTOMER#",
    "_UNIQUE#",
    "\x00",
    "\u00e9",
    "\u4e2d",
    "\U0001f600",
]


def adversarial_text(app: AppSpec | None = None, *, max_size: int = 12) -> st.SearchStrategy[str]:
    """Text that contains delimiters, escapes and other entities' tags as often as letters."""
    tags = []
    if app is not None:
        from dynamodel.design.derive import entity_tag  # noqa: PLC0415 - only to learn the tag names

        tags = [entity_tag(e.name) + "#" for e in app.entities]
    pieces = st.sampled_from(_TRICKY + tags) | st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4
    )
    return (
        st.lists(pieces, max_size=max(1, max_size // 3)).map("".join).filter(lambda s: len(s) <= max_size * 4)
    )


def _decimal() -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal("-1e20"), max_value=Decimal("1e20"), allow_nan=False, allow_infinity=False, places=6
    ).map(lambda d: d.normalize())


def _datetime() -> st.SearchStrategy[dt.datetime]:
    offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
    return st.datetimes(
        min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=offsets
    )


def for_attribute(
    attr: AttributeSpec, app: AppSpec | None = None, *, pool: int = 0
) -> st.SearchStrategy[Any]:
    """Values of one attribute; ``pool`` > 0 draws from that many values so partitions collide."""
    base: st.SearchStrategy[Any]
    if attr.type == "str":
        base = adversarial_text(app)
    elif attr.type == "enum":
        base = st.sampled_from(attr.enum)
    elif attr.type == "int":
        base = st.integers(-(2**53), 2**53)
    elif attr.type == "decimal":
        base = _decimal()
    elif attr.type == "float":
        base = st.floats(-1e15, 1e15, allow_nan=False, allow_infinity=False).map(
            lambda f: 0.0 if f == 0 else f
        )
    elif attr.type == "bool":
        base = st.booleans()
    elif attr.type == "datetime":
        base = _datetime()
    elif attr.type == "date":
        base = st.dates(dt.date(1970, 1, 1), dt.date(2200, 1, 1))
    elif attr.type == "bytes":
        base = st.binary(min_size=1, max_size=16)
    elif attr.type == "list":
        base = st.lists(st.text(max_size=5) | st.integers(-1000, 1000), max_size=4)
    else:
        base = st.dictionaries(
            st.text(min_size=1, max_size=5), st.text(max_size=5) | st.integers(-99, 99), max_size=3
        )
    if pool and attr.type in ("str", "int", "decimal", "bytes", "date", "datetime"):
        base = st.lists(base, min_size=pool, max_size=pool, unique_by=repr).flatmap(st.sampled_from)
    if attr.optional:
        return st.none() | base
    return base


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

_UTC = dt.UTC


def _pool_of(attr: AttributeSpec, tags: list[str]) -> tuple[object, ...]:
    """Four values per type: prefixes of each other, delimiters, another entity's tag, order traps."""
    t = attr.type
    if t == "str":
        return ("a", "a#b", "$", f"{tags[-1]}#a" if tags else "X#a")
    if t == "enum":
        return attr.enum
    if t == "bool":
        return (False, True)
    if t == "int":
        return (-1, 0, 7, 10)  # 7 and 10 differ in digit count: unpadded text sorts them wrong
    if t == "decimal":
        return (Decimal("-1.5"), Decimal(0), Decimal("2.50"), Decimal(10))
    if t == "float":
        return (-1.5, 0.0, 2.5, 10.0)
    if t == "datetime":
        return (
            dt.datetime(1985, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.datetime(1999, 12, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            dt.datetime(2005, 3, 4, 5, 6, 7, 890123, tzinfo=_UTC),
            dt.datetime(2024, 2, 29, tzinfo=_UTC),
        )
    if t == "date":
        return (dt.date(1985, 6, 1), dt.date(1999, 12, 31), dt.date(2005, 3, 4), dt.date(2024, 2, 29))
    if t == "bytes":
        return (b"\x00", b"a", b"a\x00", b"\xff")
    return ()


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
        if attr.type in ("list", "map"):
            out[attr.name] = for_annotation(model.model_fields[attr.name].annotation)
            continue
        pool = (pools or {}).get((attr.name, attr.type))
        fresh = for_attribute(AttributeSpec(attr.name, attr.type, enum=attr.enum), app)
        if not pool:
            base = fresh
        elif fresh_weight == 0:
            base = st.sampled_from(pool)
        else:
            base = st.one_of([st.sampled_from(pool)] * pool_weight + [fresh] * fresh_weight)
        out[attr.name] = st.none() | base if attr.optional else base
    return out
