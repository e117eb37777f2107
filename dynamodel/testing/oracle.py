"""An in-memory model of an app that answers every declared pattern by brute force.

It knows nothing of the derived design: it filters, sorts and groups the entities written,
so a design (or a runtime) that disagrees with it is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dynamodel.errors import RequestError
from dynamodel.spec import AppSpec, EntitySpec, PatternSpec

Values = dict[str, Any]


def normalise(value: object) -> object:
    """A comparable form: numbers as Decimal, datetimes in UTC, containers recursively."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, Decimal):
        return value.normalize() if value != 0 else Decimal(0)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    if isinstance(value, list | tuple):
        return tuple(normalise(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(normalise(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), normalise(v)) for k, v in value.items()))
    return value


def identity_of(spec: EntitySpec, values: Mapping[str, Any]) -> tuple[object, ...]:
    """The identity tuple of an entity's values."""
    return tuple(normalise(values[a]) for a in spec.identity)


def sorted_by(app: AppSpec, pat: PatternSpec, entity: str) -> bool:
    """Whether the pattern's sort orders ``entity``'s items (else they come as one block).

    A member of a multi-entity query whose identity the equality attributes fix has at most
    one item, so the sort is not about it even if it carries an attribute of that name.
    """
    spec = app.entity(entity)
    if pat.sort is None or not spec.has(pat.sort):
        return False
    fixed = set(pat.by) | {a for a, m in pat.where if not isinstance(m, tuple)}
    return len(pat.entities) == 1 or not set(spec.identity) <= fixed


def _same(value: object, wanted: object) -> bool:
    # True == 1 in Python; a bool attribute never equals a number here.
    if isinstance(value, bool) or isinstance(wanted, bool):
        return value is wanted
    return normalise(value) == normalise(wanted)


def interleaves(app: AppSpec, pat: PatternSpec) -> bool:
    """Whether several members of a multi-entity pattern are sorted, so their items interleave."""
    return sum(sorted_by(app, pat, e) for e in pat.entities) > 1


def _matches(op: str, value: object, args: tuple[object, ...]) -> bool:
    v: Any = normalise(value)
    a: tuple[Any, ...] = tuple(normalise(x) for x in args)
    if op == "eq":
        return bool(v == a[0])
    if op == "begins_with":
        return isinstance(v, str) and isinstance(a[0], str) and v.startswith(a[0])
    if op == "between":
        return bool(a[0] <= v <= a[1])
    if op == "lt":
        return bool(v < a[0])
    if op == "lte":
        return bool(v <= a[0])
    if op == "gt":
        return bool(v > a[0])
    if op == "gte":
        return bool(v >= a[0])
    msg = f"unknown range operator {op!r}"
    raise RequestError(msg, hint="use eq, begins_with, between, lt, lte, gt or gte")


@dataclass
class Oracle:
    """Entities by (entity name, identity); answers patterns by filtering and sorting."""

    app: AppSpec
    items: dict[str, dict[tuple[object, ...], Values]] = field(default_factory=dict)

    def put(self, entity: str, values: Mapping[str, Any]) -> None:
        """Store (or replace) one entity's values; absent optional attributes are dropped."""
        spec = self.app.entity(entity)
        clean = {k: v for k, v in values.items() if v is not None and spec.has(k)}
        self.items.setdefault(entity, {})[identity_of(spec, values)] = clean

    def delete(self, entity: str, identity: Mapping[str, Any]) -> None:
        """Remove one entity if present."""
        self.items.get(entity, {}).pop(identity_of(self.app.entity(entity), identity), None)

    def all(self, entity: str) -> list[Values]:
        """Every stored item of ``entity``."""
        return list(self.items.get(entity, {}).values())

    def get(self, entity: str, identity: Mapping[str, Any]) -> Values | None:
        """One entity by identity."""
        return self.items.get(entity, {}).get(identity_of(self.app.entity(entity), identity))

    def _select(self, pat: PatternSpec, entity: str, args: Mapping[str, Any]) -> list[Values]:
        allowed = {a: (args[a],) for a in pat.by} | dict(pat.where_sets)
        out: list[Values] = []
        for values in self.all(entity):
            if not all(any(_same(values.get(a), v) for v in vs) for a, vs in allowed.items()):
                continue
            if pat.sort is not None and sorted_by(self.app, pat, entity):
                if pat.sort not in values:
                    continue  # sorted by an attribute the item lacks: not in the result
                if pat.range is not None and not _matches(pat.range, values[pat.sort], range_args(pat, args)):
                    continue
            out.append(values)
        return out

    def answer(self, pattern: str, args: Mapping[str, Any]) -> list[tuple[str, Values]]:
        """(entity, values) pairs in a valid result order for the pattern."""
        pat = self.app.pattern(pattern)
        sorted_part: list[tuple[str, Values]] = []
        plain_part: list[tuple[str, Values]] = []
        for entity in pat.entities:
            rows = self._select(pat, entity, args)
            if sorted_by(self.app, pat, entity):
                sorted_part += [(entity, v) for v in rows]
            else:
                plain_part += [(entity, v) for v in rows]
        # one order across every sorted member: several of them come interleaved
        sorted_part.sort(key=lambda row: _sort_key(row[1], pat.sort), reverse=pat.descending)
        return plain_part + sorted_part


def _sort_key(values: Values, attr: str | None) -> Any:
    return normalise(values[attr or ""])


def range_args(pat: PatternSpec, args: Mapping[str, Any]) -> tuple[object, ...]:
    """The caller's range operands: ``lo``/``hi`` for between, ``value`` otherwise."""
    if pat.range == "between":
        return (args["lo"], args["hi"])
    return (args["value"],)


def check_result(
    oracle: Oracle,
    pattern: str,
    args: Mapping[str, Any],
    got: Iterable[tuple[str, Mapping[str, Any]]],
    *,
    only: Collection[str] | None = None,
) -> None:
    """Raise AssertionError unless ``got`` is the oracle's answer: same items, a valid order.

    Items equal in the sort attribute (and unsorted patterns) may come in any order among
    themselves; members the sort does not order come first in reading order, one block per
    entity; the sorted members' items come in one order of the sort attribute, interleaved
    when there are several. ``only``: compare these attributes (a pattern's fields and the
    identities), the rest being what an INCLUDE index leaves out.
    """
    pat = oracle.app.pattern(pattern)
    want = oracle.answer(pattern, args)
    got_l = [(e, dict(v)) for e, v in got]

    def key(row: tuple[str, Mapping[str, Any]]) -> tuple[object, ...]:
        e, v = row
        spec = oracle.app.entity(e)
        return (
            e,
            tuple(
                sorted(
                    (k, repr(normalise(x)))
                    for k, x in v.items()
                    if spec.has(k) and (only is None or k in only)
                )
            ),
        )

    assert sorted(map(key, got_l), key=repr) == sorted(map(key, want), key=repr), (
        f"{pattern}{dict(args)}: items differ\n got: {got_l}\nwant: {want}"
    )
    if pat.sort is None:
        return
    flags = [sorted_by(oracle.app, pat, e) for e, _ in got_l]
    assert flags == sorted(flags), f"{pattern}: members without '{pat.sort}' must come first: {got_l}"
    unsorted = [e for (e, _), f in zip(got_l, flags, strict=True) if not f]
    runs = [e for i, e in enumerate(unsorted) if i == 0 or unsorted[i - 1] != e]
    assert len(runs) == len(set(runs)), (
        f"{pattern}: entities not sorted by '{pat.sort}' must form blocks: {runs}"
    )
    values = [_sort_key(v, pat.sort) for (_, v), f in zip(got_l, flags, strict=True) if f]
    ordered = sorted(values, reverse=pat.descending)
    assert values == ordered, f"{pattern}: not in {pat.order} order of {pat.sort}: {values}"
