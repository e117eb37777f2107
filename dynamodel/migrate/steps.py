"""What one operation writes to one stored item: conditioned requests, built purely.

The runner scans the table and hands each item to :func:`item_writes`; the requests it gets
back are what the item still needs (none when it already has the new layout, so re-running
a step writes nothing). Every request is conditioned on the item being exactly the one read:
its ``_version``, ``_born`` and ``_wid`` (the id of the call that last wrote it). An
application write in between fails the condition; the runner then reads the item again and
asks again, so a concurrent write is never overwritten, and an item deleted meanwhile is
never brought back.

Requests are boto3 keyword arguments without ``TableName``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dynamodel.codec import AttributeValue, Item, item_to_values
from dynamodel.compile.expressions import Condition, Placeholders, Update
from dynamodel.compile.items import belongs, build_item, guard_item, guard_key, shard_of
from dynamodel.design.model import Design, UniqueGuard
from dynamodel.errors import KeyEncodingError, MigrationError, RequestError
from dynamodel.layout import (
    BORN_ATTR,
    GUARD_TYPE,
    OWNER_PK,
    OWNER_SK,
    PK,
    SHARD_ATTR,
    SK,
    TYPE_ATTR,
    VERSION_ATTR,
    WRITE_ID_ATTR,
)
from dynamodel.migrate.layouts import entity_keys_from_json, guard_from_json, index_key_names
from dynamodel.migrate.ops import (
    NATIVE_KEY,
    FillExpiry,
    FillGuards,
    FillIndexKeys,
    Operation,
    RekeyEntity,
    RemoveGuards,
    RemoveIndexKeys,
    RewriteIndexKeys,
    Transform,
)
from dynamodel.spec import EntitySpec

__all__ = ["ItemWrite", "item_size", "item_writes", "scanned_type", "transformed_write", "write_units"]

WriteKind = Literal["UpdateItem", "PutItem", "DeleteItem", "TransactWriteItems"]
SpecOf = Callable[[str], EntitySpec]


@dataclass(frozen=True)
class ItemWrite:
    """One conditioned request for one item.

    Attributes:
        operation: the DynamoDB operation.
        kwargs: its arguments, ``TableName`` left out.
        units: the write units it consumes (DynamoDB's rule: 1 KB steps of the larger of the
            item before and after; twice that in a transaction).
        guard: for a unique guard put, the guard's key: a refusal means another item holds
            the value (a duplicate), not a concurrent write.
        index_units: the write units DynamoDB spends on the GSI the write moves the item
            into, out of, or within (a put, a delete, or both), counted as for an index that
            projects the whole item; 0 when the write changes no index key.
    """

    operation: WriteKind
    kwargs: dict[str, Any]
    units: int
    guard: Item | None = None
    index_units: int = 0


def scanned_type(op: Operation) -> str | None:
    """The ``_type`` of the items ``op`` changes, or None for a table-level operation."""
    if isinstance(
        op, FillIndexKeys | RemoveIndexKeys | RewriteIndexKeys | RekeyEntity | Transform | FillExpiry
    ):
        return op.entity
    if isinstance(op, FillGuards):
        return str(op.guard["entity"])
    if isinstance(op, RemoveGuards):
        return GUARD_TYPE
    return None


def _size(av: AttributeValue) -> int:
    # DynamoDB's item size rules (Developer Guide, "Item sizes and formats"), close enough to
    # bill by: numbers take about one byte per two digits plus one.
    if "S" in av:
        return len(str(av["S"]).encode("utf-8"))
    if "N" in av:
        digits = str(av["N"]).lstrip("-").replace(".", "").lstrip("0") or "0"
        return 1 + math.ceil(len(digits) / 2)
    if "B" in av:
        return len(av["B"])
    if "BOOL" in av or "NULL" in av:
        return 1
    if "L" in av:
        return 3 + sum(1 + _size(v) for v in av["L"])
    if "M" in av:
        return 3 + sum(1 + len(k.encode("utf-8")) + _size(v) for k, v in av["M"].items())
    for kind in ("SS", "NS", "BS"):
        if kind in av:
            return sum(_size({kind[0]: v}) for v in av[kind])
    return 0


def item_size(item: Mapping[str, AttributeValue]) -> int:
    """The item's size in bytes as DynamoDB counts it (names plus values)."""
    return sum(len(name.encode("utf-8")) + _size(av) for name, av in item.items())


def write_units(
    before: Mapping[str, AttributeValue] | None, after: Mapping[str, AttributeValue] | None
) -> int:
    """Write units of a write that changes ``before`` into ``after`` (either may be absent)."""
    size = max(item_size(before or {}), item_size(after or {}))
    return max(1, math.ceil(size / 1024))


def _unchanged(item: Item) -> Condition:
    """The stored item is still the one read: same ``_version``, ``_born`` and ``_wid``."""
    expected = {a: item.get(a) for a in (VERSION_ATTR, BORN_ATTR, WRITE_ID_ATTR)}
    return Condition.exists().and_(Condition.all_equal("m", expected))


def _key(item: Item) -> Item:
    return {PK: item[PK], SK: item[SK]}


def _index_units(before: Item, after: Item, names: tuple[str, ...]) -> int:
    was, now = all(n in before for n in names), all(n in after for n in names)
    if was and now and any(before[n] != after[n] for n in names):
        return write_units(before, None) + write_units(None, after)  # moved within the index
    if now and not was:
        return write_units(None, after)
    if was and not now:
        return write_units(before, None)
    return 0


def _update(
    item: Item,
    sets: Mapping[str, AttributeValue],
    removes: tuple[str, ...],
    index: tuple[str, ...] | None = None,
) -> ItemWrite | None:
    sets = {k: v for k, v in sets.items() if item.get(k) != v}
    removes = tuple(r for r in removes if r in item)
    if not sets and not removes:
        return None
    ph, update = Placeholders(), Update()
    for name, av in sets.items():
        ref, val = ph.pair("s", name, av)
        update.set(ref, val)
    for name in removes:
        update.remove(ph.name(ph.fresh("r"), name))
    condition = ph.condition(_unchanged(item))
    after = {**{k: v for k, v in item.items() if k not in removes}, **sets}
    kwargs = ph.into(
        {"Key": _key(item), "UpdateExpression": update.expression(), "ConditionExpression": condition}
    )
    moved = _index_units(item, after, index) if index is not None else 0
    return ItemWrite("UpdateItem", kwargs, write_units(item, after), index_units=moved)


def _index_keys(spec: EntitySpec, index: str, entry: Mapping[str, Any], item: Item) -> ItemWrite | None:
    keys = entity_keys_from_json(spec, index, entry)
    if entry.get(NATIVE_KEY):  # keyed on the item's own attributes and its stored shard
        if keys.shards <= 1:
            return None
        shard = {"N": str(shard_of(item[PK]["S"], item[SK]["S"], keys.shards))}
        return (
            None if item.get(SHARD_ATTR) == shard else _update(item, {SHARD_ATTR: shard}, (), (SHARD_ATTR,))
        )
    names = index_key_names(index)
    values = item_to_values(spec, item)
    if not belongs(keys, values):
        return _update(item, {}, names, names)
    if keys.shards > 1:
        values[SHARD_ATTR] = shard_of(item[PK]["S"], item[SK]["S"], keys.shards)
    rendered = (keys.pk.render(values), keys.sk.render(values))[-len(names) :]
    return _update(item, {n: {"S": r} for n, r in zip(names, rendered, strict=True)}, (), names)


def _rekey(
    spec: EntitySpec, new: Mapping[str, Any], item: Item, guards: Sequence[UniqueGuard]
) -> ItemWrite | None:
    keys = entity_keys_from_json(spec, "table", new)
    values = item_to_values(spec, item)
    moved = {PK: {"S": keys.pk.render(values)}, SK: {"S": keys.sk.render(values)}}
    if moved == _key(item):
        return None
    put_item = {**item, **moved}
    cond = Condition.not_exists()
    ph = Placeholders()
    put = ph.into({"Item": put_item, "ConditionExpression": ph.condition(cond)})
    dph = Placeholders()
    delete = dph.into({"Key": _key(item), "ConditionExpression": dph.condition(_unchanged(item))})
    actions: list[dict[str, Any]] = [{"Put": put}, {"Delete": delete}]
    units = 2 * (write_units(None, put_item) + write_units(item, None))
    # The item's unique values stay claimed by it: their guards follow it to its new key.
    for guard in guards:
        key = guard_key(guard, values) if guard.entity == spec.name else None
        if key is None:
            continue
        gph, update = Placeholders(), Update()
        for attr, av in ((OWNER_PK, moved[PK]), (OWNER_SK, moved[SK])):
            ref, val = gph.pair("g", attr, av)
            update.set(ref, val)
        owned = Condition.owned_by(item[PK]["S"], item[SK]["S"])
        request = {
            "Key": key,
            "UpdateExpression": update.expression(),
            "ConditionExpression": gph.condition(owned),
        }
        actions.append({"Update": gph.into(request)})
        units += 2
    return ItemWrite("TransactWriteItems", {"TransactItems": actions}, units)


def _guard_put(spec: EntitySpec, entry: Mapping[str, Any], item: Item) -> ItemWrite | None:
    guard = guard_from_json(spec, entry)
    values = item_to_values(spec, item)
    stored = guard_item(guard, values, _key(item))
    if stored is None:
        return None
    cond = Condition.guard_free_or_owned(item[PK]["S"], item[SK]["S"])
    ph = Placeholders()
    kwargs = ph.into({"Item": stored, "ConditionExpression": ph.condition(cond)})
    return ItemWrite("PutItem", kwargs, write_units(None, stored), guard={PK: stored[PK], SK: stored[SK]})


def _guard_delete(entry: Mapping[str, Any], item: Item) -> ItemWrite | None:
    # A guard's sort key holds literals only, so its design JSON template is the key itself.
    if item.get("entity", {}).get("S") != entry["entity"] or item[SK].get("S") != entry["sk"]:
        return None
    cond = Condition.owned_by(item[OWNER_PK]["S"], item[OWNER_SK]["S"])
    ph = Placeholders()
    kwargs = ph.into({"Key": _key(item), "ConditionExpression": ph.condition(cond)})
    return ItemWrite("DeleteItem", kwargs, write_units(item, None))


def item_writes(
    op: Operation, spec_of: SpecOf, item: Item, guards: Sequence[UniqueGuard] = ()
) -> list[ItemWrite]:
    """The requests ``item`` still needs for ``op`` (empty when it has nothing to change).

    Args:
        op: an item-level operation (:func:`scanned_type` is not None).
        spec_of: the declaration of an entity by name (to type the item's values).
        item: the stored item, as a Scan or GetItem returned it.
        guards: the unique guards of the running design (a re-keyed item takes its guards along).

    Raises:
        MigrationError: the item's values cannot be laid out by the operation's templates.
    """
    kind = item.get(TYPE_ATTR, {}).get("S")
    if kind is None or kind != scanned_type(op):
        return []
    try:
        found = _item_write(op, spec_of, item, guards)
    except (RequestError, KeyEncodingError) as err:
        msg = f"{kind} item {item[PK].get('S')!r}/{item[SK].get('S')!r}: {err.message}"
        raise MigrationError(msg, hint=err.hint) from err
    return [] if found is None else [found]


def _item_write(
    op: Operation, spec_of: SpecOf, item: Item, guards: Sequence[UniqueGuard]
) -> ItemWrite | None:
    if isinstance(op, FillIndexKeys):
        return _index_keys(spec_of(op.entity), op.index, op.keys, item)
    if isinstance(op, RewriteIndexKeys):
        return _index_keys(spec_of(op.entity), op.index, op.new, item)
    if isinstance(op, RemoveIndexKeys):
        return _update(item, {}, index_key_names(op.index), index_key_names(op.index))
    if isinstance(op, RekeyEntity):
        return _rekey(spec_of(op.entity), op.new, item, guards)
    if isinstance(op, FillGuards):
        return _guard_put(spec_of(str(op.guard["entity"])), op.guard, item)
    if isinstance(op, RemoveGuards):
        return _guard_delete(op.guard, item)
    msg = f"{type(op).__name__} changes no items one by one."  # pragma: no cover - callers check
    raise MigrationError(msg)


def transformed_write(
    design: Design, entity: str, item: Item, values: Mapping[str, object]
) -> ItemWrite | None:
    """The item rewritten with ``values`` (a Transform's result), laid out by ``design``.

    The item keeps its ``_version``, ``_born``, ``_wid`` and copy stamps; its base key may not
    move (that is a re-key) and its unique values may not change (their guards would not).

    Raises:
        MigrationError: the new values move the item or change a unique value, or the entity
            has index items (a transform rewrites the item alone: they would fall behind).
    """
    if design.index_items_of(entity):
        msg = f"{entity} has index items ({', '.join(design.index_items_of(entity))}), which a Transform does not rewrite."
        raise MigrationError(
            msg, hint="rewrite them in the same Transform by hand, or migrate before setting max_gsis"
        )
    built, _ = build_item(
        design,
        entity,
        values,
        version=int(item[VERSION_ATTR]["N"]) if VERSION_ATTR in item else 1,
        born=int(item[BORN_ATTR]["N"]) if BORN_ATTR in item else None,
    )
    where = f"{entity} {item[PK].get('S')!r}"
    if _key(built) != _key(item):
        msg = f"{where}: the transform moves the item to {built[PK]['S']!r} (its key attributes changed)."
        raise MigrationError(msg, hint="keep the key attributes, or migrate the entity's identity by hand")
    old = item_to_values(design.app.entity(entity), item)
    for guard in design.guards:
        if guard.entity == entity and any(old.get(a) != values.get(a) for a in guard.attrs):
            msg = f"{where}: the transform changes the unique value of {'+'.join(guard.attrs)}."
            raise MigrationError(
                msg, hint="a transform may not change unique values (their guards would not follow)"
            )
    kept = {k: v for k, v in item.items() if k.startswith("_") and k not in built}
    after = {**kept, **built}
    if after == item:
        return None
    ph = Placeholders()
    kwargs = ph.into({"Item": after, "ConditionExpression": ph.condition(_unchanged(item))})
    return ItemWrite("PutItem", kwargs, write_units(item, after))
