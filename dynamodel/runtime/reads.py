"""Running read patterns as steps: GetItem, Query (one or fanned out over shards), pages and cursors."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from dynamodel.codec import Item
from dynamodel.compile import build_get_request, build_query_request, build_query_requests, build_scan_request
from dynamodel.design.model import TABLE, IndexSpec, PatternPlan
from dynamodel.design.requirements import sorts
from dynamodel.errors import ExecutionError, RequestError
from dynamodel.model import Entity
from dynamodel.runtime.cursor import check_start_key, query_digest
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps, parallel

# Unbound: a typed view (``dynamodel stubs``) pages items of an INCLUDE index as a Protocol
# of the attributes they hold; at run time every item is an Entity.
E = TypeVar("E")
T = TypeVar("T", bound=Entity)


@dataclass(frozen=True)
class Page(Generic[E]):
    """One page of a query's results.

    Attributes:
        items: the items, in key order (the pattern's declared order).
        cursor: pass it back as ``cursor=`` for the next page; None after the last page.
        requests: DynamoDB requests this page took (the shards of a fanned-out query).
    """

    items: list[E]
    cursor: str | None
    requests: int = 1

    def __iter__(self) -> Iterator[E]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def items_of(self, entity: type[T]) -> list[T]:
        """The items of one entity, in key order."""
        return [x for x in self.items if isinstance(x, entity) and type(x) is entity]


@dataclass(frozen=True)
class CollectionPage(Page[Entity]):
    """A page of a multi-entity query: the flat list in key order, and the items by entity.

    ``groups`` maps every entity of the pattern (in declared order) to its items.
    """

    entities: tuple[str, ...] = field(default=())

    @property
    def groups(self) -> dict[str, list[Entity]]:
        """Entity name → items, for every entity of the pattern, in declared order."""
        out: dict[str, list[Entity]] = {e: [] for e in self.entities}
        for x in self.items:
            out.setdefault(type(x).__name__, []).append(x)
        return out


def coerce_args(s: Session, plan: PatternPlan, args: Mapping[str, object]) -> dict[str, object]:
    """Call arguments converted by the declared field types (``by`` and range values)."""
    targets = s.arg_targets.get(plan.name)
    if targets is None:
        targets = _arg_targets(s, plan)
        s.arg_targets[plan.name] = targets
    out: dict[str, object] = {}
    for name, value in args.items():
        target = targets.get(name)
        out[name] = value if target is None else s.coerce(target[0], target[1], value)
    return out


def _arg_targets(s: Session, plan: PatternPlan) -> dict[str, tuple[str, str]]:
    """Which entity attribute's type validates each argument of a read pattern."""
    app = s.design.app
    pat = app.pattern(plan.name)
    out: dict[str, tuple[str, str]] = {}
    for name in pat.by:
        owner = next((e for e in pat.entities if app.entity(e).has(name)), None)
        if owner is not None:
            out[name] = (owner, name)
    if pat.sort is not None and pat.range != "begins_with":
        holders = [e for e in pat.entities if sorts(app, pat, e)]
        if holders:
            for name in ("value", "lo", "hi"):
                out.setdefault(name, (holders[0], pat.sort))
    return out


def get(s: Session, name: str, args: Mapping[str, object]) -> Steps[Entity | None]:
    """Run a ``get`` pattern: GetItem on the base table, or a Query expecting at most one item."""
    plan = s.design.plan(name)
    args = coerce_args(s, plan, args)
    if s.gate is not None:
        yield from s.gate.check(s, plan)
    if plan.operation == "GetItem":
        request = build_get_request(s.design, name, args, s.table_name)
        response = yield from s.send("GetItem", request, f"pattern '{name}'")
        item: Any = response.get("Item")
        return s.decode(item) if item else None
    page = yield from query_page(s, name, args, limit=2, cursor=None, _checked=True)
    if len(page.items) > 1:
        msg = f"Pattern '{name}' is a get, but {len(page.items)} items match {dict(args)}."
        raise ExecutionError(
            msg,
            hint="the items break the declared uniqueness (written outside dynamodel, or before the guard existed); fix the data",
        )
    return page.items[0] if page.items else None


def _start_key(item: Item, names: tuple[str, ...]) -> Item:
    return {n: item[n] for n in names if n in item}


def query_page(
    s: Session,
    name: str,
    args: Mapping[str, object],
    *,
    limit: int | None,
    cursor: str | None,
    _checked: bool = False,
) -> Steps[Page[Entity]]:
    """One page of a query pattern (Query, fanned-out Query, or an allowed Scan)."""
    plan = s.design.plan(name)
    if not _checked:
        args = coerce_args(s, plan, args)
        if s.gate is not None:
            yield from s.gate.check(s, plan)
    if plan.kind == "write":
        msg = f"Pattern '{name}' is a write; call it with the entities to write."
        raise RequestError(msg, hint=f"table.{name}(entity, ...)")
    if plan.operation == "Scan":
        return (yield from _scan_page(s, plan, args, limit, cursor))
    if plan.operation != "Query":
        msg = f"Pattern '{name}' runs as {plan.operation}; it returns one item, not pages."
        raise RequestError(msg, hint=f"call table.{name}(...) for the item")
    if plan.shards > 1:
        return (yield from _sharded_page(s, plan, args, limit, cursor))
    request = build_query_request(s.design, name, args, s.table_name, limit=limit)
    # Cursors are bound to the query without its start position; the digest is only worth
    # computing when a cursor comes in or goes out (most calls read one page).
    unpositioned = dict(request)
    if cursor is not None:
        request["ExclusiveStartKey"] = check_start_key(
            s.cursors.decode(cursor, name, query_digest([unpositioned]))
        )
    response: Any = yield from s.send("Query", request, f"pattern '{name}'")
    holds = projected(s, plan)
    items = [s.decode(x, holds=holds) for x in response.get("Items", [])]
    lek: Any = response.get("LastEvaluatedKey")
    next_cursor = s.cursors.encode(name, query_digest([unpositioned]), lek) if lek else None
    return _page(plan, items, next_cursor, 1)


def projected(s: Session, plan: PatternPlan) -> tuple[str, ...] | None:
    """The attributes a plan's index holds beside its keys, or None when it holds every one."""
    ix = s.design.index(plan.index)
    return None if ix.projection == "ALL" else ix.non_key_attributes


def _page(plan: PatternPlan, items: list[Entity], cursor: str | None, requests: int) -> Page[Entity]:
    if len(plan.entities) > 1:
        return CollectionPage(items, cursor, requests, entities=plan.entities)
    return Page(items, cursor, requests)


def _sharded_page(
    s: Session, plan: PatternPlan, args: Mapping[str, object], limit: int | None, cursor: str | None
) -> Steps[Page[Entity]]:
    """Query every shard in parallel and merge by sort key; the cursor keeps each shard's place.

    A shard that has more items than it returned sets a horizon: its last sort key read.
    Only items up to the nearest horizon are safe to return (an unread item of that
    shard could come next), and at most ``limit`` of them. Each shard's position becomes
    the key of its last item on the page, or its LastEvaluatedKey when all were used.
    """
    requests = build_query_requests(s.design, plan.name, args, s.table_name, limit=limit)
    positions: list[Any] = [None] * plan.shards
    if cursor is not None:
        decoded = s.cursors.decode(cursor, plan.name, query_digest(requests))
        if not isinstance(decoded, list) or len(decoded) != plan.shards:
            msg = f"Invalid cursor: it does not hold {plan.shards} shard positions."
            raise RequestError(msg, hint="pass back the cursor of the previous page unchanged")
        positions = [p if p is None or p is True else check_start_key(p) for p in decoded]
    ix = s.design.index(plan.index)
    key_names: tuple[str, ...] = (s.design.table.partition_key, s.design.table.sort_key)
    if plan.index != TABLE:  # a native index's start key holds every one of its attributes
        key_names = tuple(dict.fromkeys((*key_names, *(n for n, _ in ix.key_definitions()))))
    order = _sort_value(ix)

    def read(i: int) -> Steps[tuple[int, list[Item], Any]]:
        request = dict(requests[i])
        if isinstance(positions[i], dict):
            request["ExclusiveStartKey"] = positions[i]
        response: Any = yield from s.send("Query", request, f"pattern '{plan.name}', shard {i}")
        return i, list(response.get("Items", [])), response.get("LastEvaluatedKey")

    fetched: dict[int, tuple[list[Item], Any]] = {}
    pending = [i for i in range(plan.shards) if positions[i] is not True]
    calls = 0
    while pending:
        calls += len(pending)
        results = yield from parallel([read(i) for i in pending])
        pending = []
        for i, items, lek in results:
            if lek and not items:  # nothing read yet, but more to come: read on from there
                positions[i] = lek
                pending.append(i)
            else:
                fetched[i] = (items, lek)
    desc = plan.descending
    horizons = [order(items[-1]) for items, lek in fetched.values() if lek]
    horizon = (max(horizons) if desc else min(horizons)) if horizons else None
    streams = [[(order(item), i, item) for item in items] for i, (items, _) in sorted(fetched.items())]
    taken: list[tuple[Any, int, Item]] = []
    for entry in heapq.merge(*streams, key=lambda t: t[0], reverse=desc):
        if limit is not None and len(taken) >= limit:
            break
        if horizon is not None and (entry[0] < horizon if desc else entry[0] > horizon):
            break
        taken.append(entry)
    used: dict[int, list[Item]] = {i: [] for i in fetched}
    for _, i, item in taken:
        used[i].append(item)
    for i, (items, lek) in fetched.items():
        if len(used[i]) == len(items):
            positions[i] = lek if lek else True
        elif used[i]:
            positions[i] = _start_key(used[i][-1], key_names)
    done = all(p is True for p in positions)
    # The digest only when a cursor goes out (most calls read one page).
    next_cursor = None if done else s.cursors.encode(plan.name, query_digest(requests), positions)
    holds = projected(s, plan)
    return _page(plan, [s.decode(item, holds=holds) for _, _, item in taken], next_cursor, calls)


def _sort_value(ix: IndexSpec) -> Callable[[Item], Any]:
    """How items of one index compare in its sort order: the rendered sort key, or for a native
    index its sort attributes in turn, each as DynamoDB orders it (numbers as numbers)."""
    if not ix.native:
        return lambda item: item[ix.sort_key]["S"]
    parts = ix.sort_attributes

    def value(item: Item) -> tuple[object, ...]:
        return tuple(
            Decimal(item[n]["N"]) if kind == "N" else item[n]["B"] if kind == "B" else item[n]["S"]
            for n, kind in parts
        )

    return value


def _scan_page(
    s: Session, plan: PatternPlan, args: Mapping[str, object], limit: int | None, cursor: str | None
) -> Steps[Page[Entity]]:
    request = build_scan_request(s.design, plan.name, args, s.table_name, limit=limit)
    unpositioned = dict(request)
    if cursor is not None:
        request["ExclusiveStartKey"] = check_start_key(
            s.cursors.decode(cursor, plan.name, query_digest([unpositioned]))
        )
    response: Any = yield from s.send("Scan", request, f"pattern '{plan.name}'")
    items = [s.decode(x) for x in response.get("Items", [])]
    lek: Any = response.get("LastEvaluatedKey")
    next_cursor = s.cursors.encode(plan.name, query_digest([unpositioned]), lek) if lek else None
    return _page(plan, items, next_cursor, 1)
