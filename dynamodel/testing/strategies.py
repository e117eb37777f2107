"""Hypothesis strategies derived from declared entities, adversarial by default.

Strings mix the key delimiter ``#``, the escape character ``$``, other entities' key tags,
control characters and non-ASCII text, because those are what break hand-written keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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
