"""Pure request builders: a pattern's inputs → the boto3 kwargs the runtime sends.

Nothing here imports boto3 or does I/O, so every request the runtime would send can be
printed and asserted on in a unit test (``Table.params(...)`` is the same idea as
ElectroDB's ``.params()``).

The item layout (the contract shared with the emitters and PynamoDB interop):

* the entity's attributes (absent optional attributes omitted);
* ``PK`` and ``SK``, rendered from the entity's base-table key templates;
* for every GSI the entity writes, ``GSInPK``/``GSInSK`` when the item belongs in that
  index (every ``sparse`` predicate holds and every ``optional_attrs`` attribute is
  present); otherwise those attributes are removed;
* ``_type`` (the entity name), ``_version`` (1 on create, +1 on every write);
* for write-sharded keys, the ``_shard`` template value ``crc32(PK + SK) % shards``;
* ``_expires_at`` (epoch seconds) for entities that declare ``ttl``;
* ``_born`` (nanoseconds since the epoch, set when the item is created and kept by every
  later write): with ``_version`` it orders every state of an item across a delete and a
  re-create that restarts ``_version`` at 1 (optimistic locking and copy stamps need it);
* ``_wid``, the id of the call that last wrote the item: a retry of a write whose answer
  was lost meets its own first attempt and recognises it (``ReturnValuesOnConditionCheckFailure``).

Unique guards are items of their own: ``PK``/``SK`` from the guard's templates,
``owner_pk``/``owner_sk`` naming the item that holds the value, and ``_type`` ``_UNIQUE``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from dynamodel.codec import AttributeValue, Item, entity_to_item
from dynamodel.design.model import TABLE, Design, EntityKeys, PatternPlan, UniqueGuard
from dynamodel.design.requirements import predicate_text
from dynamodel.errors import DefinitionError, KeyEncodingError, RequestError, WriteTooLargeError
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
from dynamodel.layout import (
    BORN_ATTR,
    EXPIRES_ATTR,
    GUARD_TYPE,
    OWNER_PK,
    OWNER_SK,
    SHARD_ATTR,
    TYPE_ATTR,
    VERSION_ATTR,
    WRITE_ID_ATTR,
)
from dynamodel.spec import EntitySpec, PatternSpec, RangeOp, where_values

__all__ = [
    "BORN_ATTR",
    "EXPIRES_ATTR",
    "GUARD_TYPE",
    "MAX_ITEM_BYTES",
    "MAX_TRANSACTION_ACTIONS",
    "MAX_TRANSACTION_BYTES",
    "OWNER_PK",
    "OWNER_SK",
    "TYPE_ATTR",
    "VERSION_ATTR",
    "WRITE_ID_ATTR",
    "Condition",
    "PatternCall",
    "RangeArg",
    "ReadArgs",
    "base_key",
    "belongs",
    "build_delete",
    "build_get_request",
    "build_increment",
    "build_item",
    "build_plan_query",
    "build_put",
    "build_query_request",
    "build_query_requests",
    "build_scan_request",
    "build_transaction",
    "build_upsert",
    "call_convention",
    "check_item_size",
    "check_transaction",
    "derived_keys",
    "guard_item",
    "guard_key",
    "is_copy_source",
    "item_size",
    "key_attrs",
    "parse_read_args",
    "shard_of",
]


# DynamoDB's documented limits ("Service, account, and table quotas").
MAX_ITEM_BYTES = 400 * 1024
MAX_TRANSACTION_ACTIONS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024

_ONE_VALUE_OPS: frozenset[RangeOp] = frozenset({"eq", "lt", "lte", "gt", "gte", "begins_with"})


# ---- call convention -----------------------------------------------------------------------


@dataclass(frozen=True)
class PatternCall:
    """What a read pattern takes from the caller.

    Attributes:
        name: the pattern's name.
        kind: ``get`` or ``query``.
        required: the ``by`` attributes, all required, in declaration order.
        range_params: ``("value",)`` for eq/lt/lte/gt/gte/begins_with, ``("lo", "hi")``
            for between, ``()`` when the pattern declares no range. Range arguments are
            optional: leave them out to read the whole sorted list.
        paged: whether the call takes ``limit``/``cursor`` and returns a page.
        entities: the result entities, in declared order.
    """

    name: str
    kind: Literal["get", "query", "write"]
    required: tuple[str, ...]
    range_params: tuple[str, ...]
    paged: bool
    entities: tuple[str, ...]


def call_convention(design: Design, name: str) -> PatternCall:
    """The arguments a read pattern takes; see :class:`PatternCall`."""
    pat = _pattern(design, name)
    if pat.range is None:
        params: tuple[str, ...] = ()
    elif pat.range == "between":
        params = ("lo", "hi")
    else:
        params = ("value",)
    return PatternCall(
        name=pat.name,
        kind=pat.kind,
        required=pat.by,
        range_params=params,
        paged=pat.kind == "query",
        entities=pat.entities,
    )


def _pattern(design: Design, name: str) -> PatternSpec:
    for p in design.app.patterns:
        if p.name == name:
            return p
    known = ", ".join(p.name for p in design.app.patterns)
    msg = f"App '{design.app.name}' has no pattern '{name}'."
    raise RequestError(msg, hint=f"use one of: {known}")


def _plan(design: Design, name: str) -> PatternPlan:
    _pattern(design, name)
    return design.plan(name)


@dataclass(frozen=True)
class RangeArg:
    """A range condition on the sort attribute: the operator and its one or two values."""

    op: RangeOp
    values: tuple[object, ...]


@dataclass(frozen=True)
class ReadArgs:
    """A read pattern's checked arguments: equality values (``by`` and ``where``) and range."""

    values: Mapping[str, object]
    range: RangeArg | None


def parse_read_args(design: Design, name: str, args: Mapping[str, object]) -> ReadArgs:
    """Check a read pattern's keyword arguments and split them into equality and range.

    Args:
        design: the derived design.
        name: the pattern's name.
        args: ``by`` attribute values plus the optional range arguments (``value``, or
            ``lo``/``hi`` for between; ``None`` means "not given").

    Returns:
        The equality values (the pattern's ``where`` values added) and the range.

    Raises:
        RequestError: a ``by`` attribute is missing or None, an argument is unknown, or
            a ``where`` attribute is passed (its value comes from the declaration).
    """
    pat = _pattern(design, name)
    conv = call_convention(design, name)
    allowed = set(conv.required) | set(conv.range_params)
    where_attrs = {a for a, _ in pat.where}
    for key in args:
        if key in where_attrs:
            msg = f"Pattern '{name}': '{key}' is fixed by the declaration (where {predicate_text(key, dict(pat.where)[key])})."
            raise RequestError(msg, hint=f"leave '{key}' out of the call")
        if key not in allowed:
            shown = ", ".join([*conv.required, *conv.range_params]) or "no arguments"
            msg = f"Pattern '{name}' takes no argument '{key}'."
            raise RequestError(msg, hint=f"it takes {shown}")
    missing = [a for a in conv.required if args.get(a) is None]
    if missing:
        msg = f"Pattern '{name}' needs {', '.join(repr(m) for m in missing)}."
        raise RequestError(msg, hint=f"call it with {', '.join(f'{a}=...' for a in conv.required)}")
    values: dict[str, object] = {a: args[a] for a in conv.required}
    # Several allowed values are in no key: the sparse index they select is the whole answer.
    values.update({a: m for a, m in pat.where if not isinstance(m, tuple)})
    rng: RangeArg | None = None
    if pat.range == "between":
        lo, hi = args.get("lo"), args.get("hi")
        if lo is not None and hi is not None:
            rng = RangeArg("between", (lo, hi))
        elif lo is not None:
            rng = RangeArg("gte", (lo,))
        elif hi is not None:
            rng = RangeArg("lte", (hi,))
    elif pat.range is not None and args.get("value") is not None:
        rng = RangeArg(pat.range, (args["value"],))
    return ReadArgs(values, rng)


# ---- reads ---------------------------------------------------------------------------------


def build_get_request(
    design: Design, name: str, args: Mapping[str, object], table_name: str
) -> dict[str, Any]:
    """GetItem kwargs for a ``get`` pattern the design serves with GetItem.

    ``ConsistentRead`` is set when the plan's consistency is strong (base table).

    Raises:
        RequestError: wrong arguments, or the pattern is not a GetItem.
    """
    plan = _plan(design, name)
    if plan.operation != "GetItem":
        msg = f"Pattern '{name}' runs as {plan.operation}, not GetItem."
        raise RequestError(msg, hint="use build_query_requests for it")
    read = parse_read_args(design, name, args)
    keys = _keys(design, plan.entities[0], TABLE)
    key = {
        design.table.partition_key: {"S": _render(keys, "pk", read.values, name)},
        design.table.sort_key: {"S": _render(keys, "sk", read.values, name)},
    }
    return {"TableName": table_name, "Key": key, "ConsistentRead": plan.consistency == "strong"}


def _keys(design: Design, entity: str, index: str) -> EntityKeys:
    k = design.keys_for(entity, index)
    if k is None:  # pragma: no cover - derive places every member on its plan's index
        msg = f"Entity '{entity}' writes no keys on index '{index}'."
        raise DefinitionError(msg, hint="re-derive the design")
    return k


def _render(keys: EntityKeys, which: Literal["pk", "sk"], values: Mapping[str, object], pattern: str) -> str:
    template = keys.pk if which == "pk" else keys.sk
    try:
        return template.render(values)
    except KeyEncodingError as err:
        msg = f"Pattern '{pattern}': {err.message}"
        raise RequestError(msg, hint=err.hint) from err


def _sort_condition(design: Design, plan: PatternPlan, read: ReadArgs) -> tuple[LeadingOp, str, str] | None:
    """The sort-key condition of a query: ``(kind, a, b)``; None for a whole partition."""
    if len(plan.entities) > 1:
        first = _keys(design, plan.entities[0], plan.index).sk.parts[0]
        if isinstance(first, Ref):  # interleaved: every member's sort key starts with the sort value
            return None if read.range is None else _leading(plan, first, read.range)
        if plan.whole_partition:
            return None
        lo = escape(plan.blocks[0]) + TERMINATOR
        hi = successor_of_prefix(escape(plan.blocks[-1]) + TERMINATOR)
        return ("between", lo, hi)
    keys = _keys(design, plan.entities[0], plan.index)
    try:
        prefix, count = keys.sk.render_prefix(read.values)
    except KeyEncodingError as err:
        msg = f"Pattern '{plan.name}': {err.message}"
        raise RequestError(msg, hint=err.hint) from err
    rendered_attrs = {p.attr for p in keys.sk.parts[:count] if isinstance(p, Ref)}
    skipped = [a for a in keys.sk.attrs() if a in read.values and a not in rendered_attrs]
    if skipped:  # pragma: no cover - derive puts equality attributes first in the sort key
        msg = (
            f"Pattern '{plan.name}': equality attribute(s) {skipped} come after a gap in {keys.sk.pattern()}."
        )
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


def check_limit(limit: object) -> int:
    """A page size: a whole number >= 1 (``True``, ``5.5`` and ``"5"`` are refused)."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        msg = f"limit={limit!r} is not a page size."
        raise RequestError(
            msg, hint="pass a whole number >= 1 (items per page), or None for DynamoDB's 1 MB pages"
        )
    return limit


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
    plan = _plan(design, name)
    if plan.operation != "Query":
        msg = f"Pattern '{name}' runs as {plan.operation}, not Query."
        raise RequestError(msg, hint="use build_get_request or build_scan_request for it")
    read = parse_read_args(design, name, args)
    return _query(design, plan, read, table_name, limit=limit, start_key=start_key, shard=shard)


def _query(
    design: Design,
    plan: PatternPlan,
    read: ReadArgs,
    table_name: str,
    *,
    limit: int | None,
    start_key: Item | None,
    shard: int | None,
) -> dict[str, Any]:
    ix = design.index(plan.index)
    values = dict(read.values)
    if plan.shards > 1:
        if shard is None or not 0 <= shard < plan.shards:
            msg = f"Pattern '{plan.name}' is sharded {plan.shards} ways; shard={shard!r} is not one of them."
            raise RequestError(msg, hint=f"pass shard=0..{plan.shards - 1}, or use build_query_requests")
        values[SHARD_ATTR] = shard
    first = _keys(design, plan.entities[0], plan.index)
    names = {"#pk": ix.partition_key}
    vals: dict[str, AttributeValue] = {":pk": {"S": _render(first, "pk", values, plan.name)}}
    cond = "#pk = :pk"
    sk = _sort_condition(design, plan, read)
    if sk is not None:
        names["#sk"] = ix.sort_key
        if sk[0] == "begins_with":
            cond += " AND begins_with(#sk, :sk)"
            vals[":sk"] = {"S": sk[1]}
        elif sk[0] != "between":
            cond += f" AND #sk {sk[0]} :sk"
            vals[":sk"] = {"S": sk[1]}
        else:
            cond += " AND #sk BETWEEN :lo AND :hi"
            vals[":lo"] = {"S": sk[1]}
            vals[":hi"] = {"S": sk[2]}
    kwargs: dict[str, Any] = {"TableName": table_name}
    if plan.index != TABLE:
        kwargs["IndexName"] = plan.index
    kwargs["KeyConditionExpression"] = cond
    kwargs["ExpressionAttributeNames"] = names
    kwargs["ExpressionAttributeValues"] = vals
    kwargs["ScanIndexForward"] = not plan.descending
    if plan.index == TABLE and any(
        p.name == plan.name and p.consistency == "strong" for p in design.app.patterns
    ):
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
        design, plan, ReadArgs(dict(values), None), table_name, limit=limit, start_key=start_key, shard=shard
    )


def build_query_requests(
    design: Design, name: str, args: Mapping[str, object], table_name: str, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """One Query kwargs per shard (a single one for plans that are not write-sharded)."""
    plan = _plan(design, name)
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
    plan = _plan(design, name)
    read = parse_read_args(design, name, args)
    if read.range is not None:
        msg = f"Pattern '{name}' is served by a Scan, which does not apply range arguments."
        raise RequestError(
            msg, hint="leave value/lo/hi out, or declare a pattern the design can serve with a Query"
        )
    names: dict[str, str] = {"#t": TYPE_ATTR}
    vals: dict[str, AttributeValue] = {}
    types = []
    for i, e in enumerate(plan.entities):
        vals[f":t{i}"] = {"S": e}
        types.append(f":t{i}")
    parts = [f"#t IN ({', '.join(types)})"]
    spec = design.app.entity(plan.entities[0])
    for i, (attr, value) in enumerate(sorted(read.values.items())):
        names[f"#a{i}"] = attr
        vals[f":a{i}"] = _attr_value(spec, attr, value)
        parts.append(f"#a{i} = :a{i}")
    several = [(a, where_values(m)) for a, m in _pattern(design, name).where if isinstance(m, tuple)]
    for i, (attr, allowed_values) in enumerate(several):
        names[f"#w{i}"] = attr
        allowed = [f":w{i}_{j}" for j in range(len(allowed_values))]
        vals.update({p: _attr_value(spec, attr, v) for p, v in zip(allowed, allowed_values, strict=True)})
        parts.append(f"#w{i} IN ({', '.join(allowed)})")
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "FilterExpression": " AND ".join(parts),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": vals,
    }
    if _pattern(design, name).consistency == "strong":
        kwargs["ConsistentRead"] = True
    if limit is not None:
        kwargs["Limit"] = check_limit(limit)
    if start_key is not None:
        kwargs["ExclusiveStartKey"] = start_key
    return kwargs


def _attr_value(spec: EntitySpec, attr: str, value: object) -> AttributeValue:
    return entity_to_item(spec, {attr: value})[attr]


# ---- item layout ---------------------------------------------------------------------------


def shard_of(pk: str, sk: str, shards: int) -> int:
    """The write shard of an item: ``crc32(PK + SK) % shards`` (stable across processes)."""
    return zlib.crc32((pk + sk).encode("utf-8")) % shards


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _holds(value: object, expected: object) -> bool:
    value = _plain(value)
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    return value == expected


def belongs(keys: EntityKeys, values: Mapping[str, object]) -> bool:
    """Whether an item with ``values`` belongs in the (possibly sparse) index ``keys`` describes.

    A sparse predicate holds when the attribute equals its value, or one of its values.
    """
    if any(not any(_holds(values.get(a), v) for v in where_values(m)) for a, m in keys.sparse):
        return False
    return all(values.get(a) is not None for a in keys.optional_attrs)


def base_key(design: Design, entity: str, values: Mapping[str, object]) -> Item:
    """``{"PK": {"S": ...}, "SK": {"S": ...}}`` of an entity's item.

    Raises:
        RequestError: a base-key attribute (see :func:`key_attrs`) is missing.
    """
    keys = _keys(design, entity, TABLE)
    try:
        pk = keys.pk.render(values)
        sk = keys.sk.render(values)
    except KeyEncodingError as err:
        msg = f"{entity}: {err.message}"
        raise RequestError(msg, hint=err.hint) from err
    return {design.table.partition_key: {"S": pk}, design.table.sort_key: {"S": sk}}


def key_attrs(design: Design, entity: str) -> tuple[str, ...]:
    """The attributes an entity's base key is made of, in key order.

    The identity, any carried ancestor identity, and the immutable attributes the design put
    in the base key (a comment's ``posted_at``): a get or delete by key needs all of them.
    """
    keys = _keys(design, entity, TABLE)
    return tuple(dict.fromkeys((*keys.pk.attrs(), *keys.sk.attrs())))


def derived_keys(
    design: Design, entity: str, values: Mapping[str, object]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Every key attribute the item writes, and the GSI key attributes it must not have.

    Returns:
        ``(set, remove)``: key attribute name → rendered string (``PK``, ``SK`` and the
        GSI keys of every index the item belongs in), and the GSI key attribute names of
        the indexes it does not belong in (sparse predicate false or an optional key
        attribute absent).
    """
    base = base_key(design, entity, values)
    pk = base[design.table.partition_key]["S"]
    sk = base[design.table.sort_key]["S"]
    out = {design.table.partition_key: pk, design.table.sort_key: sk}
    remove: list[str] = []
    for keys in design.entity_indexes(entity):
        if keys.index == TABLE:
            continue
        ix = design.index(keys.index)
        if not belongs(keys, values):
            remove += [ix.partition_key, ix.sort_key]
            continue
        vals: Mapping[str, object] = values
        if keys.shards > 1:
            vals = {**values, SHARD_ATTR: shard_of(pk, sk, keys.shards)}
        try:
            out[ix.partition_key] = keys.pk.render(vals)
            out[ix.sort_key] = keys.sk.render(vals)
        except KeyEncodingError as err:
            msg = f"{entity} on {keys.index}: {err.message}"
            raise RequestError(msg, hint=err.hint) from err
    return out, tuple(remove)


def _expires_at(spec: EntitySpec, values: Mapping[str, object]) -> int | None:
    if spec.ttl is None:
        return None
    value = values.get(spec.ttl)
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            msg = f"{spec.name}.{spec.ttl} is a naive datetime; its expiry instant is unknown."
            raise RequestError(msg, hint="attach a tzinfo, e.g. datetime.now(timezone.utc)")
        return int(value.timestamp())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    msg = (
        f"{spec.name}.{spec.ttl} must be a datetime or int (epoch seconds) to expire the item, got {value!r}."
    )
    raise RequestError(msg, hint="store the expiry as a datetime or epoch seconds")


def is_copy_source(design: Design, entity: str) -> bool:
    """Whether other entities copy attributes of ``entity`` (its items carry ``_born``)."""
    return any(p.source == entity for p in design.copy_paths)


def build_item(
    design: Design, entity: str, values: Mapping[str, object], *, version: int, born: int | None = None
) -> tuple[Item, tuple[str, ...]]:
    """The full stored item of an entity, and the attributes the stored item must lose.

    Args:
        design: the derived design.
        entity: the entity's name.
        values: the entity's attribute values (copies already filled).
        version: the ``_version`` to store.
        born: the ``_born`` to store (copy sources), or None to store none.

    Returns:
        ``(item, remove)``: the item (attributes, keys, ``_type``, ``_version``,
        ``_expires_at``) and the names a partial update would have to REMOVE to reach
        it (absent optional attributes, copy stamps and GSI keys of indexes the item left).
    """
    spec = design.app.entity(entity)
    item = entity_to_item(spec, values)
    keys, remove = derived_keys(design, entity, values)
    for name, text in keys.items():
        item[name] = {"S": text}
    item[TYPE_ATTR] = {"S": entity}
    item[VERSION_ATTR] = {"N": str(version)}
    if born is not None:
        item[BORN_ATTR] = {"N": str(born)}
    gone = [a.name for a in spec.attributes if a.name not in item]
    # A copy stamp belongs to the source the copies were taken from; a write may have moved
    # the reference to another source, whose stamps do not compare with it. The handler's
    # check of this write stamps the copies again (see propagate/plan.py).
    gone += [p.stamp_attr for p in design.copy_paths if p.target == entity]
    expires = _expires_at(spec, values)
    if expires is not None:
        item[EXPIRES_ATTR] = {"N": str(expires)}
    elif spec.ttl is not None:
        gone.append(EXPIRES_ATTR)
    return item, (*gone, *remove)


# ---- sizes and limits ----------------------------------------------------------------------


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "")
    mantissa = digits.split("e")[0].split("E")[0].strip("0") or "0"
    return (len(mantissa) + 1) // 2 + 1


def _value_size(av: AttributeValue) -> int:
    ((tag, payload),) = av.items()
    if tag == "S":
        return len(payload.encode("utf-8"))
    if tag == "N":
        return _number_size(payload)
    if tag == "B":
        return len(payload)
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "SS":
        return sum(len(s.encode("utf-8")) for s in payload)
    if tag == "NS":
        return sum(_number_size(n) for n in payload)
    if tag == "BS":
        return sum(len(b) for b in payload)
    if tag == "L":
        return 3 + sum(1 + _value_size(x) for x in payload)
    if tag == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(x) for k, x in payload.items())
    msg = f"{tag!r} is not a DynamoDB attribute type"
    raise RequestError(msg, hint="build values with dynamodel.codec.serialize")


def item_size(item: Mapping[str, AttributeValue]) -> int:
    """An item's size as DynamoDB counts it: per attribute, UTF-8 name length + value size.

    Strings and binaries count their bytes; numbers 1 byte per two significant digits
    plus 1; booleans and nulls 1; lists and maps 3 bytes plus 1 byte per element plus
    the elements (and, for maps, the keys).
    """
    return sum(len(name.encode("utf-8")) + _value_size(av) for name, av in item.items())


def check_item_size(item: Mapping[str, AttributeValue], what: str) -> int:
    """The item's size; WriteTooLargeError when it exceeds DynamoDB's 400 KB item limit."""
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        msg = f"{what} is {size} bytes; a DynamoDB item holds at most {MAX_ITEM_BYTES} bytes (400 KB). Nothing was written."
        raise WriteTooLargeError(
            msg,
            hint="move large values (documents, images) to S3 and store the object key, or split the entity",
        )
    return size


def _action_size(action: Mapping[str, Any]) -> int:
    ((kind, body),) = action.items()
    if kind == "Put":
        return item_size(body["Item"])
    size = item_size(body["Key"])
    size += sum(_value_size(v) for v in body.get("ExpressionAttributeValues", {}).values())
    return size


def check_transaction(actions: Sequence[Mapping[str, Any]], what: str) -> None:
    """Refuse a transaction DynamoDB would refuse, before anything is sent.

    Raises:
        WriteTooLargeError: more than 100 actions, an item over 400 KB, or more than
            4 MB in total. The write is atomic, so it is never split: nothing is written.
    """
    if not actions:
        msg = f"{what} has nothing to write."
        raise RequestError(msg, hint="pass at least one entity")
    if len(actions) > MAX_TRANSACTION_ACTIONS:
        msg = f"{what} needs {len(actions)} actions; one DynamoDB transaction holds at most {MAX_TRANSACTION_ACTIONS}. Nothing was written."
        raise WriteTooLargeError(
            msg,
            hint="an atomic write cannot be split: write fewer children per call, or declare the children embedded in the parent",
        )
    total = 0
    for action in actions:
        ((kind, body),) = action.items()
        if kind == "Put":
            total += check_item_size(body["Item"], f"{what}: item {_key_text(body['Item'])}")
        else:
            total += _action_size(action)
    if total > MAX_TRANSACTION_BYTES:
        msg = f"{what} writes {total} bytes; one DynamoDB transaction holds at most {MAX_TRANSACTION_BYTES} bytes (4 MB). Nothing was written."
        raise WriteTooLargeError(msg, hint="an atomic write cannot be split: write less per call")


def _key_text(item: Mapping[str, AttributeValue]) -> str:
    pk = item.get("PK", {}).get("S", "?")
    sk = item.get("SK", {}).get("S", "?")
    return f"{pk} / {sk}"


# ---- write requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A ConditionExpression with its placeholders."""

    expression: str
    names: Mapping[str, str]
    values: Mapping[str, AttributeValue]

    @staticmethod
    def not_exists() -> Condition:
        """The item does not exist yet."""
        return Condition("attribute_not_exists(#pk)", {"#pk": "PK"}, {})

    @staticmethod
    def exists() -> Condition:
        """The item exists."""
        return Condition("attribute_exists(#pk)", {"#pk": "PK"}, {})

    @staticmethod
    def version_is(version: int, born: int | Literal["unknown"] | None = "unknown") -> Condition:
        """The stored ``_version`` is ``version`` and, when known, ``_born`` is ``born``.

        A deleted and re-created item restarts at version 1: only its birth tells a
        stale instance of the old item from the new one. ``born=None`` means the item was
        stored without one (it must still have none); ``"unknown"`` checks the version alone.
        """
        if born == "unknown":
            return Condition("#ver = :expected", {"#ver": VERSION_ATTR}, {":expected": {"N": str(version)}})
        names = {"#ver": VERSION_ATTR, "#born": BORN_ATTR}
        if born is None:
            return Condition(
                "#ver = :expected AND attribute_not_exists(#born)", names, {":expected": {"N": str(version)}}
            )
        values: dict[str, AttributeValue] = {":expected": {"N": str(version)}, ":born": {"N": str(born)}}
        return Condition("#ver = :expected AND #born = :born", names, values)

    @staticmethod
    def not_written_by(write_id: str) -> Condition:
        """The item was not last written by the call ``write_id`` (a retry of it meets its own write)."""
        return Condition(
            "attribute_not_exists(#wid) OR #wid <> :wid", {"#wid": WRITE_ID_ATTR}, {":wid": {"S": write_id}}
        )

    @staticmethod
    def guard_free_or_owned(owner_pk: str, owner_sk: str) -> Condition:
        """The unique value is not taken, or is held by this same item."""
        return Condition(
            "attribute_not_exists(#pk) OR (#opk = :opk AND #osk = :osk)",
            {"#pk": "PK", "#opk": OWNER_PK, "#osk": OWNER_SK},
            {":opk": {"S": owner_pk}, ":osk": {"S": owner_sk}},
        )


def _apply(kwargs: dict[str, Any], cond: Condition | None) -> dict[str, Any]:
    if cond is None:
        return kwargs
    kwargs["ConditionExpression"] = cond.expression
    names = {**kwargs.get("ExpressionAttributeNames", {}), **cond.names}
    values = {**kwargs.get("ExpressionAttributeValues", {}), **cond.values}
    if names:
        kwargs["ExpressionAttributeNames"] = names
    if values:
        kwargs["ExpressionAttributeValues"] = values
    return kwargs


def build_put(table_name: str, item: Item, condition: Condition | None = None) -> dict[str, Any]:
    """PutItem kwargs (also the body of a transaction's ``Put``)."""
    return _apply({"TableName": table_name, "Item": item}, condition)


def build_delete(table_name: str, key: Item, condition: Condition | None = None) -> dict[str, Any]:
    """DeleteItem kwargs (also the body of a transaction's ``Delete``)."""
    return _apply({"TableName": table_name, "Key": key}, condition)


def build_upsert(
    table_name: str,
    item: Item,
    remove: Sequence[str],
    *,
    condition: Condition | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """UpdateItem kwargs that make the stored item equal ``item``, keeping its ``_born``.

    Every attribute is SET, ``_born`` only ``if_not_exists`` (an existing item keeps the
    instant it was created), and the attributes in ``remove`` (absent optional attributes,
    keys of sparse indexes the item left) are REMOVEd. ``_version`` becomes ``version``,
    or without one (a put whose version is not known) ``if_not_exists(_version, 0) + 1``;
    ``ReturnValues`` is ``ALL_NEW`` so the caller learns it and the item's ``_born`` (which
    UPDATED_NEW may leave out when ``if_not_exists`` kept it: moto does).
    """
    key = {k: item[k] for k in ("PK", "SK")}
    names: dict[str, str] = {"#ver": VERSION_ATTR}
    values: dict[str, AttributeValue] = {}
    if version is None:
        values.update({":zero": {"N": "0"}, ":one": {"N": "1"}})
        sets = ["#ver = if_not_exists(#ver, :zero) + :one"]
    else:
        values[":ver"] = {"N": str(version)}
        sets = ["#ver = :ver"]
    i = 0
    for name, av in item.items():
        if name in key or name == VERSION_ATTR:
            continue
        names[f"#a{i}"] = name
        values[f":a{i}"] = av
        sets.append(f"#a{i} = if_not_exists(#a{i}, :a{i})" if name == BORN_ATTR else f"#a{i} = :a{i}")
        i += 1
    expr = "SET " + ", ".join(sets)
    gone = [n for n in dict.fromkeys(remove) if n not in item]
    if gone:
        for j, name in enumerate(gone):
            names[f"#r{j}"] = name
        expr += " REMOVE " + ", ".join(f"#r{j}" for j in range(len(gone)))
    kwargs = {
        "TableName": table_name,
        "Key": key,
        "UpdateExpression": expr,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValues": "ALL_NEW",
    }
    return _apply(kwargs, condition)


def build_increment(table_name: str, key: Item, attr: str, by: int) -> dict[str, Any]:
    """Update body: ``ADD attr :n`` and bump ``_version``, only if the target item exists."""
    return {
        "TableName": table_name,
        "Key": key,
        "UpdateExpression": "ADD #a :n, #ver :one",
        "ConditionExpression": "attribute_exists(#pk)",
        "ExpressionAttributeNames": {"#a": attr, "#ver": VERSION_ATTR, "#pk": "PK"},
        "ExpressionAttributeValues": {":n": {"N": str(by)}, ":one": {"N": "1"}},
    }


def guard_key(guard: UniqueGuard, values: Mapping[str, object]) -> Item | None:
    """The key of the guard item holding ``values``' unique value; None if a value is absent."""
    if any(values.get(a) is None for a in guard.attrs):
        return None
    try:
        return {"PK": {"S": guard.pk.render(values)}, "SK": {"S": guard.sk.render(values)}}
    except KeyEncodingError as err:
        msg = f"{guard.entity} unique {'+'.join(guard.attrs)}: {err.message}"
        raise RequestError(msg, hint=err.hint) from err


def guard_item(guard: UniqueGuard, values: Mapping[str, object], owner: Item) -> Item | None:
    """The guard item claiming ``values``' unique value for ``owner`` (its PK/SK)."""
    key = guard_key(guard, values)
    if key is None:
        return None
    return {
        **key,
        OWNER_PK: owner["PK"],
        OWNER_SK: owner["SK"],
        TYPE_ATTR: {"S": GUARD_TYPE},
        "entity": {"S": guard.entity},
    }


def build_transaction(actions: Sequence[Mapping[str, Any]], what: str, token: str) -> dict[str, Any]:
    """TransactWriteItems kwargs after :func:`check_transaction`.

    ``token`` is the ClientRequestToken: it must be the same for every retry of one call
    (DynamoDB then applies the call once) and differ between calls, because DynamoDB
    answers a repeated token within 10 minutes with success and writes nothing. The
    runtime passes the call's write id.
    """
    check_transaction(actions, what)
    return {"TransactItems": list(actions), "ClientRequestToken": token}
