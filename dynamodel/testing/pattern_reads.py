"""How the machine reads a pattern: every page followed, the answer compared with the oracle.

:func:`read_all` runs a pattern with one page size, following cursors to the end;
:func:`check_answer` compares what came back with the oracle's answer to the question
actually asked (a between pattern may be called with one bound).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from dynamodel import instance_state
from dynamodel.app import App
from dynamodel.model import Entity
from dynamodel.runtime.table import Table
from dynamodel.spec import AppSpec, EntitySpec, RangeOp
from dynamodel.testing.oracle import Oracle, Values, check_result, interleaves
from dynamodel.testing.table_checks import check_blocks, entity_values


def read_all(
    app: App, table: Table, oracle: Oracle, pattern: str, args: Mapping[str, object], limit: int
) -> list[tuple[str, Values]]:
    """Every item a pattern returns, following cursors page by page."""
    pat = app.spec.pattern(pattern)
    ix = app.design.index(app.design.plan(pattern).index)
    holds = None if ix.projection == "ALL" else set(ix.non_key_attributes)
    if pat.kind == "get":
        found = table.run(pattern, **args)
        return [] if found is None else [_row(pattern, found, holds)]
    total = sum(len(oracle.all(e)) for e in pat.entities)
    # More pages than items (per shard) means the cursor never ends.
    bound = (total + 2) * (app.design.plan(pattern).shards + 1)
    out: list[tuple[str, Values]] = []
    cursor: str | None = None
    for _ in range(bound):
        page = table.run(pattern, **args, limit=limit, cursor=cursor)
        assert len(page.items) <= limit, f"{pattern}: a page of {len(page.items)} items for limit={limit}"
        out += [_row(pattern, x, holds) for x in page.items]
        if page.cursor is None:
            return out
        cursor = page.cursor
    msg = f"{pattern}{dict(args)}: still returning cursors after {bound} pages of {limit}"
    raise AssertionError(msg)


def _row(pattern: str, item: Entity, holds: set[str] | None) -> tuple[str, Values]:
    """(entity, values) of a returned item; one from an index that leaves attributes out must
    be partial, or writing it back would lose them."""
    name = type(item).__name__
    if holds is not None and any(a not in holds for a in type(item).model_fields):
        assert instance_state.partial_fields(item) is not None, (
            f"{pattern}: a {name} read from an index that leaves attributes out is not marked partial; "
            "writing it back would lose them"
        )
    return name, entity_values(item)


def check_answer(
    spec: AppSpec,
    oracle: Oracle,
    pattern: str,
    args: Mapping[str, object],
    op: RangeOp | None,
    range_values: Mapping[str, object],
    got: Sequence[tuple[str, Values]],
) -> None:
    """``got`` (a read with ``args`` and ``range_values``) equals the oracle's answer, in order."""
    oracle_args = dict(args)
    if op in ("gte", "lte") and "value" not in range_values:
        # a between pattern called with one bound (lo= or hi=)
        oracle_args["value"] = range_values.get("lo", range_values.get("hi"))
    else:
        oracle_args.update(range_values)
    pat = spec.pattern(pattern)
    only: set[str] | None = None
    if pat.fields:  # the caller named what it uses: every item must hold those, the rest may be left out
        only = set(pat.fields)
        for entity, values in got:
            ent = spec.entity(entity)
            only |= set(ent.identity)
            missing = sorted(f for f in pat.fields if ent.has(f) and f not in values and _required(ent, f))
            assert not missing, (
                f"{pattern}: a returned {entity} lacks its declared fields {missing}: {dict(values)}"
            )
    check_result(_oracle_for(spec, oracle, pattern, op), pattern, oracle_args, got, only=only)
    if len(pat.entities) > 1 and not interleaves(spec, pat):
        check_blocks(pattern, got)


def _oracle_for(spec: AppSpec, oracle: Oracle, pattern: str, op: RangeOp | None) -> Oracle:
    """The oracle, or a view of it where the pattern's range is the one actually asked."""
    pat = spec.pattern(pattern)
    if op == pat.range:
        return oracle
    patterns = tuple(dataclasses.replace(p, range=op) if p.name == pattern else p for p in spec.patterns)
    view = Oracle(dataclasses.replace(spec, patterns=patterns))
    view.items = oracle.items
    return view


def _required(ent: EntitySpec, name: str) -> bool:
    attr = ent.attribute(name)
    return attr is not None and not attr.optional
