"""Sample items of a design as the table stores them: readable, related, and the same every run.

For design reviews (``dynamodel report``) and exports (NoSQL Workbench): each entity's values
are drawn with :func:`dynamodel.testing.strategies.for_entity` over its ``EntitySpec`` (so an app
loaded from a spec file, which has no Python models, works too) and laid out by
:func:`dynamodel.compile.items.build_item`, exactly as the runtime writes them.

* **Readable.** The testing strategies are adversarial (``#``, ``$``, control characters,
  other entities' tags); here each type draws readable values instead (``customer-kqzt``,
  ``19.90``, ``2026-03-14T08:45:00Z``), still valid for the declared type (``min_length``,
  optional, enum values, aware datetimes; lists and maps are empty, since a spec does not
  record what they hold). A type registered by the application gives its
  own ``sample`` values.
* **Related.** A child takes its parent's identity from one of the parent's samples, and a
  copy takes its source's value, so an item collection shows a parent with its children and
  a copy shows what its source holds.
* **In every index.** Sample ``n`` satisfies the ``where`` predicates of the entity's sparse
  indexes (rotating through them, and through the values a predicate allows) and carries the
  optional attributes an index keys on.
* **Deterministic.** One hypothesis run with ``derandomize=True`` and no database draws
  everything, from coin flips only (see :func:`_pick`): the same design gives the same items
  in every call and every process, whatever else it imported. It cannot run inside another
  ``@given`` test (hypothesis does not nest).
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from dynamodel import attribute_types
from dynamodel.codec import Item
from dynamodel.compile.items import build_item, index_items
from dynamodel.design.model import TABLE, Design, EntityKeys
from dynamodel.spec import AppSpec, AttributeSpec, EntitySpec, where_values
from dynamodel.testing.strategies import for_entity

__all__ = ["readable_attribute", "sample_items", "sample_values"]

T = TypeVar("T")
Values = dict[str, Any]

_BORN = 1_767_225_600 * 10**9
"""2026-01-01T00:00:00Z in nanoseconds: a fixed ``_born`` (the runtime stores the creation time)."""
_EXAMPLES = 2
"""Hypothesis runs its simplest example first (every choice its least); the second is random."""
_ATTEMPTS = 20
"""Draws per sample before giving up on a fresh identity (an entity keyed on a bool has two)."""
_LETTERS = string.ascii_lowercase
_UTC = dt.UTC


@functools.cache
def _pick(n: int) -> st.SearchStrategy[int]:
    """An int in ``[0, n)`` made of coin flips.

    Hypothesis mixes constants found in the loaded modules into its integer, float and text
    draws (its "local constants"), so those draws change with what the process has imported;
    its boolean draws never do. Built from booleans alone, the samples are the same whichever
    modules are loaded.
    """
    bits = max(1, (n - 1).bit_length() + 1)  # one bit more than needed: a near-even spread
    return st.tuples(*[st.booleans()] * bits).map(
        lambda flips: sum(1 << i for i, f in enumerate(flips) if f) % n
    )


@functools.cache
def _letters(k: int) -> st.SearchStrategy[str]:
    letter = _pick(len(_LETTERS)).map(lambda i: _LETTERS[i])
    return st.tuples(*[letter] * k).map("".join)


@functools.cache
def _word(low: int = 3, high: int = 6) -> st.SearchStrategy[str]:
    return _pick(high - low + 1).flatmap(lambda extra: _letters(low + extra))


def _stem(name: str) -> str:
    return name.removesuffix("_id").removesuffix("Id").replace("_", "-").lower() or "x"


def readable_attribute(attr: AttributeSpec) -> st.SearchStrategy[Any] | None:
    """Readable values of one attribute's declared type, the same whatever the process imported;
    None for a type registered by the application (its ``sample`` values are used instead)."""
    low = attr.min_length or 0
    base: st.SearchStrategy[Any]
    if attr.type == "str":
        suffix = _word(max(3, low), max(6, low))
        stem = _stem(attr.name)
        if "email" in attr.name.lower():
            base = suffix.map(lambda s: f"{s}@example.com")
        else:
            base = suffix.map(lambda s: f"{stem}-{s}")
    elif attr.type == "enum":
        values = attr.enum
        base = _pick(len(values)).map(lambda i: values[i])
    elif attr.type == "bool":
        base = st.booleans()
    elif attr.type == "int":
        base = _pick(999).map(lambda n: n + 1)
    elif attr.type == "decimal":
        base = _pick(99_900).map(lambda n: Decimal(n + 100) / 100)
    elif attr.type == "float":
        base = _pick(100_000).map(lambda n: n / 100)
    elif attr.type == "datetime":
        base = _pick(365 * 24 * 4).map(
            lambda q: dt.datetime(2026, 1, 1, tzinfo=_UTC) + dt.timedelta(minutes=15 * q)
        )
    elif attr.type == "date":
        base = _pick(365).map(lambda d: dt.date(2026, 1, 1) + dt.timedelta(days=d))
    elif attr.type == "bytes":
        base = _word(max(1, low), max(6, low)).map(str.encode)
    elif attr.type in ("list", "map"):
        # The spec records no element types (list[int], dict[str, str]): empty is valid for all.
        base = st.just([] if attr.type == "list" else {})
    else:
        return None
    # Present twice as often as absent: a reviewer mostly wants to see the value.
    return _pick(3).flatmap(lambda n: st.none() if n == 0 else base) if attr.optional else base


def _value_of(attr: AttributeSpec, app: AppSpec) -> st.SearchStrategy[Any]:
    readable = readable_attribute(attr)
    if readable is not None:
        return readable
    kind = attribute_types.lookup(attr.type)
    # The type's own examples (what explain renders keys from): fixed values, valid by its author.
    return _pick(8).map(lambda n: kind.sample(attr.name, attr.enum, n))


def _present(attr: AttributeSpec, app: AppSpec) -> st.SearchStrategy[Any]:
    required = AttributeSpec(attr.name, attr.type, enum=attr.enum, min_length=attr.min_length)
    return _value_of(required, app)


def _references(spec: EntitySpec, app: AppSpec) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(source entity, ((source attribute, local attribute), ...)): whose samples this one points at."""
    out: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for up in (spec.parent, spec.aggregate):
        if up is not None:
            pairs = tuple((a, a) for a in app.entity(up).identity if spec.has(a))
            out.append((up, pairs))
    for attr in spec.attributes:
        if attr.copy_of is not None:
            source = app.entity(attr.copy_of[0])
            via = dict(attr.copy_via)
            pairs = tuple((a, via.get(a, a)) for a in source.identity if spec.has(via.get(a, a)))
            if (source.name, pairs) not in out:
                out.append((source.name, pairs))
    return out


def _drawing_order(app: AppSpec) -> list[EntitySpec]:
    """Sources before the entities pointing at them (declaration order otherwise; cycles broken)."""
    done: dict[str, EntitySpec] = {}

    def visit(spec: EntitySpec, path: tuple[str, ...]) -> None:
        if spec.name in done or spec.name in path:
            return
        for source, _ in _references(spec, app):
            visit(app.entity(source), (*path, spec.name))
        done[spec.name] = spec

    for spec in app.entities:
        visit(spec, ())
    return list(done.values())


def _sparse_keys(design: Design, entity: str) -> list[EntityKeys]:
    names = (entity, *design.index_items_of(entity))
    return [k for n in names for k in design.entity_indexes(n) if k.index != TABLE]


def _enter_indexes(data: st.DataObject, design: Design, spec: EntitySpec, values: Values, n: int) -> None:
    """Make sample ``n`` belong in the entity's sparse indexes, the ``n``-th first on a conflict."""
    keys = _sparse_keys(design, spec.name)
    keys = keys[n % len(keys) :] + keys[: n % len(keys)] if keys else keys
    forced: set[str] = set()
    for k in keys:
        for attr, match in k.sparse:
            allowed = where_values(match)
            if attr not in forced and values.get(attr) not in allowed:
                values[attr] = allowed[n % len(allowed)]
            forced.add(attr)
        for attr in k.optional_attrs:
            declared = spec.attribute(attr)
            if values.get(attr) is None and declared is not None:
                values[attr] = data.draw(_present(declared, design.app))


def _fill_copies(
    data: st.DataObject, app: AppSpec, spec: EntitySpec, values: Values, drawn: Mapping[str, list[Values]]
) -> None:
    for attr in spec.attributes:
        if attr.copy_of is None:
            continue
        source, source_attr = attr.copy_of
        via = dict(attr.copy_via)
        identity = app.entity(source).identity
        match = [
            s for s in drawn.get(source, []) if all(s.get(a) == values.get(via.get(a, a)) for a in identity)
        ]
        if match:
            values[attr.name] = match[0].get(source_attr)
        else:
            values[attr.name] = None if attr.optional else data.draw(_present(attr, app))


def _distinct_by(design: Design, spec: EntitySpec) -> list[tuple[str, ...]]:
    return [spec.identity, *(g.attrs for g in design.guards if g.entity == spec.name)]


def _draw_entity(
    data: st.DataObject, design: Design, spec: EntitySpec, per_entity: int, drawn: Mapping[str, list[Values]]
) -> list[Values]:
    app = design.app
    out: list[Values] = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    references = _references(spec, app)
    for n in range(per_entity):
        fixed: dict[str, st.SearchStrategy[Any]] = {}
        for source, pairs in references:
            pool = drawn.get(source, [])
            if pool:
                picked = pool[n % len(pool)]
                for source_attr, local in pairs:
                    if local not in fixed and picked.get(source_attr) is not None:
                        fixed[local] = st.just(picked[source_attr])
        for attr in spec.attributes:
            if attr.name not in fixed and attr.copy_of is None:
                fixed[attr.name] = _value_of(attr, app)
        for _ in range(_ATTEMPTS):
            values: Values = data.draw(for_entity(spec, app, fixed=fixed))
            _enter_indexes(data, design, spec, values, n)
            marks = {(attrs, repr([values.get(a) for a in attrs])) for attrs in _distinct_by(design, spec)}
            if not marks & seen:
                seen |= marks
                _fill_copies(data, app, spec, values, drawn)
                out.append(values)
                break
    return out


def _run_once(plan: Callable[[st.DataObject], T]) -> T:
    """The value ``plan`` draws in a derandomized hypothesis run (the last of a few examples)."""
    found: list[T] = []

    @settings(
        parent=settings.get_profile("default"),
        derandomize=True,
        database=None,
        max_examples=_EXAMPLES,
        phases=(Phase.generate,),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        found.append(plan(data))

    draw()
    return found[-1]


def sample_values(design: Design, *, per_entity: int = 2) -> dict[str, list[Values]]:
    """Entity name → ``per_entity`` value dicts (copies filled), in declaration order; fewer
    when the entity's identity cannot take that many values."""

    def plan(data: st.DataObject) -> dict[str, list[Values]]:
        drawn: dict[str, list[Values]] = {}
        for spec in _drawing_order(design.app):
            drawn[spec.name] = _draw_entity(data, design, spec, per_entity, drawn)
        return drawn

    drawn = _run_once(plan) if per_entity > 0 else {}
    return {e.name: drawn.get(e.name, []) for e in design.app.entities}


def sample_items(design: Design, *, per_entity: int = 2) -> dict[str, list[Item]]:
    """Entity name → its sample items as stored (DynamoDB JSON), byte-identical on every call.

    Each item is what :func:`~dynamodel.compile.items.build_item` lays out: the attributes,
    ``PK``/``SK``, the keys of every index it belongs in, ``_type``, ``_version`` 1 and a fixed
    ``_born`` (``_wid``, a per-call id, is left out). Index items (``Employee@1``, under a GSI
    budget) follow their entity under their own name. Unique guard items are not included:
    :func:`~dynamodel.compile.items.guard_item` lays them out from an item's values.
    """
    values = sample_values(design, per_entity=per_entity)
    out: dict[str, list[Item]] = {}
    for ent in design.app.entities:
        items: list[Item] = []
        extra: dict[str, list[Item]] = {name: [] for name in design.index_items_of(ent.name)}
        for n, vals in enumerate(values[ent.name]):
            item, _ = build_item(design, ent.name, vals, version=1, born=_BORN + n)
            items.append(item)
            for name, built in zip(
                design.index_items_of(ent.name), index_items(design, ent.name, item), strict=True
            ):
                extra[name].append(built)
        out[ent.name] = items
        out.update(extra)
    return out
