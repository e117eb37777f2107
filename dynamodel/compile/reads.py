"""Read requests: GetItem, Query (one per shard) and Scan kwargs of a read pattern.

The sort-key condition of a Query is where the design's key layout meets the caller's
range: equality prefixes, ranges on the sort attribute, collections of several entities
and interleaved members each become ``begins_with`` or ``BETWEEN`` on the rendered keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dynamodel.codec import AttributeValue, Item, entity_to_item
from dynamodel.compile.calls import (
    RangeArg,
    ReadArgs,
    check_limit,
    parse_read_args,
    pattern_plan,
    pattern_spec,
)
from dynamodel.compile.expressions import Placeholders
from dynamodel.compile.items import entity_keys
from dynamodel.compile.native_reads import native_condition
from dynamodel.design.model import TABLE, Design, EntityKeys, IndexSpec, PatternPlan
from dynamodel.errors import DefinitionError, KeyEncodingError, RequestError
from dynamodel.keys import (
    TERMINATOR,
    LeadingOp,
    Ref,
    ValueKind,
    escape,
    leading_range,
    range_bounds,
    successor_of_prefix,
)
from dynamodel.layout import SHARD_ATTR, TYPE_ATTR
from dynamodel.memo import PerObject
from dynamodel.spec import EntitySpec, where_values

__all__ = [
    "build_get_request",
    "build_plan_query",
    "build_query_request",
    "build_query_requests",
    "build_scan_request",
]


def build_get_request(
    design: Design, name: str, args: Mapping[str, object], table_name: str
) -> dict[str, Any]:
    """GetItem kwargs for a ``get`` pattern the design serves with GetItem.

    ``ConsistentRead`` is set when the plan's consistency is strong (base table).

    Raises:
        RequestError: wrong arguments, or the pattern is not a GetItem.
    """
    shape = _shape_of(design, pattern_plan(design, name))
    plan = shape.plan
    if plan.operation != "GetItem":
        msg = f"Pattern '{name}' runs as {plan.operation}, not GetItem."
        raise RequestError(msg, hint="use build_query_requests for it")
    values = parse_read_args(design, name, args).values
    key = {
        shape.pk: {"S": _render(shape.first, "pk", values, name)},
        shape.sk: {"S": _render(shape.first, "sk", values, name)},
    }
    return {"TableName": table_name, "Key": key, "ConsistentRead": plan.consistency == "strong"}


@dataclass(frozen=True)
class _ReadShape:
    """What building a read plan's requests needs of the design, worked out once per plan."""

    plan: PatternPlan
    index: IndexSpec
    first: EntityKeys
    """The keys of the plan's first entity on its index."""
    pk: str
    sk: str
    """The key attribute names of the index (rendered keys) or of the base table (GetItem)."""


# Every read builds a request: a plan's index and key templates are looked up once per design.
_SHAPES: PerObject[Design, dict[int, tuple[PatternPlan, _ReadShape]]] = PerObject(lambda _design: {})


def _shape_of(design: Design, plan: PatternPlan) -> _ReadShape:
    shapes = _SHAPES(design)
    found = shapes.get(id(plan))
    if found is not None and found[0] is plan:
        return found[1]
    ix = design.index(plan.index)
    if plan.operation == "GetItem":
        pk, sk = design.table.partition_key, design.table.sort_key
    else:
        pk, sk = ix.partition_key, ix.sort_key
    shape = _ReadShape(plan, ix, entity_keys(design, plan.entities[0], plan.index), pk, sk)
    shapes[id(plan)] = (plan, shape)  # the entry keeps the plan alive: its id is not reused
    return shape


def _render(keys: EntityKeys, which: Literal["pk", "sk"], values: Mapping[str, object], pattern: str) -> str:
    template = keys.pk if which == "pk" else keys.sk
    try:
        return template.render(values)
    except KeyEncodingError as err:
        msg = f"Pattern '{pattern}': {err.message}"
        raise RequestError(msg, hint=err.hint) from err


def _sort_condition(plan: PatternPlan, keys: EntityKeys, read: ReadArgs) -> tuple[LeadingOp, str, str] | None:
    """The sort-key condition of a query: ``(kind, a, b)``; None for a whole partition.

    ``keys``: the keys of the plan's first entity on its index.
    """
    if len(plan.entities) > 1:
        first = keys.sk.parts[0]
        if isinstance(first, Ref):  # interleaved: every member's sort key starts with the sort value
            return None if read.range is None else _leading(plan, first, read.range)
        if plan.whole_partition:
            return None
        lo = escape(plan.blocks[0]) + TERMINATOR
        hi = successor_of_prefix(escape(plan.blocks[-1]) + TERMINATOR)
        return ("between", lo, hi)
    try:
        prefix, count = keys.sk.render_prefix(read.values)
    except KeyEncodingError as err:
        msg = f"Pattern '{plan.name}': {err.message}"
        raise RequestError(msg, hint=err.hint) from err
    # A value given for a part at or after the first one missing would be silently unused.
    for part in keys.sk.parts[count:]:
        if (
            isinstance(part, Ref) and part.attr in read.values
        ):  # pragma: no cover - derive puts equality attributes first
            skipped = [p.attr for p in keys.sk.parts[count:] if isinstance(p, Ref) and p.attr in read.values]
            msg = f"Pattern '{plan.name}': equality attribute(s) {skipped} come after a gap in {keys.sk.pattern()}."
            raise DefinitionError(msg, hint="re-derive the design")
    if read.range is None:
        return ("begins_with", prefix, "")
    nxt = keys.sk.parts[count] if count < len(keys.sk.parts) else None
    if not isinstance(nxt, Ref) or nxt.attr != plan.sort:  # pragma: no cover - derive's layout
        msg = f"Pattern '{plan.name}': the sort key {keys.sk.pattern()} has no '{plan.sort}' after its equality part."
        raise DefinitionError(msg, hint="re-derive the design")
    kind: ValueKind = nxt.kind
    try:
        bounds = range_bounds(prefix, read.range.op, kind, list(read.range.values))
    except KeyEncodingError as err:
        msg = f"Pattern '{plan.name}': {read.range.op} on '{plan.sort}': {err.message}"
        raise RequestError(msg, hint=err.hint) from err
    if isinstance(bounds, str):
        return ("begins_with", bounds, "")
    return ("between", bounds[0], bounds[1])


def _leading(plan: PatternPlan, sort: Ref, rng: RangeArg) -> tuple[LeadingOp, str, str] | None:
    try:
        cond = leading_range(rng.op, sort.kind, list(rng.values))
    except KeyEncodingError as err:
        msg = f"Pattern '{plan.name}': {rng.op} on '{sort.attr}': {err.message}"
        raise RequestError(msg, hint=err.hint) from err
    # Every key begins with the empty prefix, and DynamoDB refuses an empty value: no condition.
    return None if cond == ("begins_with", "", "") else cond


def build_query_request(
    design: Design,
    name: str,
    args: Mapping[str, object],
    table_name: str,
    *,
    limit: int | None = None,
    start_key: Item | None = None,
    shard: int | None = None,
) -> dict[str, Any]:
    """Query kwargs of a read pattern served by a Query.

    Args:
        design: the derived design.
        name: the pattern's name.
        args: the pattern's arguments (see :func:`parse_read_args`).
        table_name: the table.
        limit: page size (``Limit``); None reads DynamoDB's 1 MB page.
        start_key: ``ExclusiveStartKey`` (a previous ``LastEvaluatedKey``).
        shard: for write-sharded plans, which shard (0 .. shards-1) to read.

    Returns:
        The kwargs for ``client.query``. The partition key is the template rendered from
        the equality values; the sort key condition is ``begins_with`` of the rendered
        prefix, ``BETWEEN`` for ranges and collections, or absent for a whole partition.

    Raises:
        RequestError: wrong arguments, an unencodable value, a missing shard number.
    """
    shape = _shape_of(design, pattern_plan(design, name))
    if shape.plan.operation != "Query":
        msg = f"Pattern '{name}' runs as {shape.plan.operation}, not Query."
        raise RequestError(msg, hint="use build_get_request or build_scan_request for it")
    read = parse_read_args(design, name, args)
    return _query(design, shape, read, table_name, limit=limit, start_key=start_key, shard=shard)


def _query(
    design: Design,
    shape: _ReadShape,
    read: ReadArgs,
    table_name: str,
    *,
    limit: int | None,
    start_key: Item | None,
    shard: int | None,
) -> dict[str, Any]:
    plan, ix, first = shape.plan, shape.index, shape.first
    values = dict(read.values)
    if plan.shards > 1:
        if shard is None or not 0 <= shard < plan.shards:
            msg = f"Pattern '{plan.name}' is sharded {plan.shards} ways; shard={shard!r} is not one of them."
            raise RequestError(msg, hint=f"pass shard=0..{plan.shards - 1}, or use build_query_requests")
        values[SHARD_ATTR] = shard
    ph = Placeholders()
    if ix.native:
        cond = native_condition(design, plan, values, read.range, ph)
    else:
        cond = f"{ph.name('pk', ix.partition_key)} = {ph.value('pk', {'S': _render(first, 'pk', values, plan.name)})}"
    sk = None if ix.native else _sort_condition(plan, first, read)
    if sk is not None:
        name = ph.name("sk", ix.sort_key)
        if sk[0] == "begins_with":
            cond += f" AND begins_with({name}, {ph.value('sk', {'S': sk[1]})})"
        elif sk[0] != "between":
            cond += f" AND {name} {sk[0]} {ph.value('sk', {'S': sk[1]})}"
        else:
            lo, hi = ph.value("lo", {"S": sk[1]}), ph.value("hi", {"S": sk[2]})
            cond += f" AND {name} BETWEEN {lo} AND {hi}"
    kwargs: dict[str, Any] = {"TableName": table_name}
    if plan.index != TABLE:
        kwargs["IndexName"] = plan.index
    kwargs["KeyConditionExpression"] = cond
    kwargs["ExpressionAttributeNames"] = ph.names
    kwargs["ExpressionAttributeValues"] = ph.values
    kwargs["ScanIndexForward"] = not plan.descending
    if plan.consistency == "strong":  # the base table or a local index: GSIs never are
        kwargs["ConsistentRead"] = True
    if limit is not None:
        kwargs["Limit"] = check_limit(limit)
    if start_key is not None:
        kwargs["ExclusiveStartKey"] = start_key
    return kwargs


def build_plan_query(
    design: Design,
    plan: PatternPlan,
    values: Mapping[str, object],
    table_name: str,
    *,
    limit: int | None = None,
    start_key: Item | None = None,
    shard: int | None = None,
) -> dict[str, Any]:
    """Query kwargs of any Query plan from its equality values, e.g. a ``CopyPath.plan``.

    The design's copy paths (which items hold a copy of a source) are plans without a
    declared pattern; this runs them with the source's identity as ``values``.
    """
    if plan.operation != "Query":
        msg = f"Plan '{plan.name}' runs as {plan.operation}, not Query."
        raise RequestError(msg, hint="only Query plans have a key condition to build")
    return _query(
        design,
        _shape_of(design, plan),
        ReadArgs(dict(values), None),
        table_name,
        limit=limit,
        start_key=start_key,
        shard=shard,
    )


def build_query_requests(
    design: Design, name: str, args: Mapping[str, object], table_name: str, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """One Query kwargs per shard (a single one for plans that are not write-sharded)."""
    plan = pattern_plan(design, name)
    if plan.shards <= 1:
        return [build_query_request(design, name, args, table_name, limit=limit)]
    return [
        build_query_request(design, name, args, table_name, limit=limit, shard=i) for i in range(plan.shards)
    ]


def build_scan_request(
    design: Design,
    name: str,
    args: Mapping[str, object],
    table_name: str,
    *,
    limit: int | None = None,
    start_key: Item | None = None,
) -> dict[str, Any]:
    """Scan kwargs for a pattern the user allowed to scan (``allow_scan=True``).

    The filter keeps the pattern's entities (``_type``) whose ``by``/``where`` attributes
    equal the given values. A range on the sort attribute is not applied by a Scan:
    passing one raises RequestError.
    """
    plan = pattern_plan(design, name)
    read = parse_read_args(design, name, args)
    if read.range is not None:
        msg = f"Pattern '{name}' is served by a Scan, which does not apply range arguments."
        raise RequestError(
            msg, hint="leave value/lo/hi out, or declare a pattern the design can serve with a Query"
        )
    ph = Placeholders()
    type_name = ph.name("t", TYPE_ATTR)
    types = [ph.value(ph.fresh("t"), {"S": e}) for e in plan.entities]
    parts = [f"{type_name} IN ({', '.join(types)})"]
    spec = design.app.entity(plan.entities[0])
    for attr, value in sorted(read.values.items()):
        ref, val = ph.pair("a", attr, _attr_value(spec, attr, value))
        parts.append(f"{ref} = {val}")
    several = [(a, where_values(m)) for a, m in pattern_spec(design, name).where if isinstance(m, tuple)]
    for attr, allowed_values in several:
        stem = ph.fresh("w")
        ref = ph.name(stem, attr)
        allowed = [ph.value(ph.fresh(f"{stem}_"), _attr_value(spec, attr, v)) for v in allowed_values]
        parts.append(f"{ref} IN ({', '.join(allowed)})")
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "FilterExpression": " AND ".join(parts),
        "ExpressionAttributeNames": ph.names,
        "ExpressionAttributeValues": ph.values,
    }
    if pattern_spec(design, name).consistency == "strong":
        kwargs["ConsistentRead"] = True
    if limit is not None:
        kwargs["Limit"] = check_limit(limit)
    if start_key is not None:
        kwargs["ExclusiveStartKey"] = start_key
    return kwargs


def _attr_value(spec: EntitySpec, attr: str, value: object) -> AttributeValue:
    return entity_to_item(spec, {attr: value})[attr]
