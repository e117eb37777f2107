"""The item layout: an entity's values → the stored item, its keys, and its unique guards.

Separate from the request builders because the layout is a contract of its own, shared
with the emitters, the stream handler (``dynamodel.propagate``) and PynamoDB interop; the
reads and writes only send what this module lays out. An item holds:

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from dynamodel.codec import AttributeValue, Item, entity_to_item, item_to_values
from dynamodel.design.model import TABLE, Design, EntityKeys, IndexSpec, UniqueGuard
from dynamodel.errors import DefinitionError, KeyEncodingError, RequestError
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
from dynamodel.memo import PerObject
from dynamodel.spec import EntitySpec, where_values

__all__ = [
    "base_key",
    "belongs",
    "build_item",
    "derived_keys",
    "entity_keys",
    "guard_item",
    "guard_key",
    "index_item_keys",
    "index_items",
    "is_copy_source",
    "key_attrs",
    "native_attributes",
    "shard_of",
]


def entity_keys(design: Design, entity: str, index: str) -> EntityKeys:
    """The key templates ``entity`` writes on ``index`` (the base table is ``TABLE``)."""
    k = design.keys_for(entity, index)
    if k is None:  # pragma: no cover - derive places every member on its plan's index
        msg = f"Entity '{entity}' writes no keys on index '{index}'."
        raise DefinitionError(msg, hint="re-derive the design")
    return k


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


@dataclass(frozen=True)
class _Layout:
    """What laying out one entity's items needs of the design, worked out once."""

    spec: EntitySpec
    base: EntityKeys
    pk: str
    sk: str
    key_attrs: tuple[str, ...]
    rendered: tuple[tuple[EntityKeys, IndexSpec], ...]
    """The synthetic indexes it writes (keys rendered from its values), in design order."""
    native: tuple[tuple[EntityKeys, IndexSpec], ...]
    """The native indexes it writes (keyed on its own attributes)."""
    stamps: tuple[str, ...]
    """The copy stamps it holds, which every application write removes."""
    attrs: tuple[str, ...]


# Every write lays out several items: what each entity's layout needs is worked out once.
_LAYOUTS: PerObject[Design, dict[str, _Layout]] = PerObject(lambda _design: {})


def _layout(design: Design, entity: str) -> _Layout:
    layouts = _LAYOUTS(design)
    found = layouts.get(entity)
    if found is None:
        base = entity_keys(design, entity, TABLE)
        indexes = [(k, design.index(k.index)) for k in design.entity_indexes(entity) if k.index != TABLE]
        spec = design.entity_spec(entity)
        found = _Layout(
            spec=spec,
            base=base,
            pk=design.table.partition_key,
            sk=design.table.sort_key,
            key_attrs=tuple(dict.fromkeys((*base.pk.attrs(), *base.sk.attrs()))),
            rendered=tuple((k, ix) for k, ix in indexes if not ix.native),
            native=tuple((k, ix) for k, ix in indexes if ix.native),
            stamps=tuple(p.stamp_attr for p in design.copy_paths if p.target == entity),
            attrs=tuple(a.name for a in spec.attributes),
        )
        layouts[entity] = found
    return found


def base_key(design: Design, entity: str, values: Mapping[str, object]) -> Item:
    """``{"PK": {"S": ...}, "SK": {"S": ...}}`` of an entity's item.

    Raises:
        RequestError: a base-key attribute (see :func:`key_attrs`) is missing.
    """
    lay = _layout(design, entity)
    try:
        pk = lay.base.pk.render(values)
        sk = lay.base.sk.render(values)
    except KeyEncodingError as err:
        msg = f"{entity}: {err.message}"
        raise RequestError(msg, hint=err.hint) from err
    return {lay.pk: {"S": pk}, lay.sk: {"S": sk}}


def key_attrs(design: Design, entity: str) -> tuple[str, ...]:
    """The attributes an entity's base key is made of, in key order.

    The identity, any carried ancestor identity, and the immutable attributes the design put
    in the base key (a comment's ``posted_at``): a get or delete by key needs all of them.
    """
    return _layout(design, entity).key_attrs


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
    lay = _layout(design, entity)
    base = base_key(design, entity, values)
    pk, sk = base[lay.pk]["S"], base[lay.sk]["S"]
    out = {lay.pk: pk, lay.sk: sk}
    remove: list[str] = []
    # Native indexes key on the item's own attributes: nothing to render or remove.
    for keys, ix in lay.rendered:
        if not belongs(keys, values):
            remove += ix.written_keys()
            continue
        vals: Mapping[str, object] = values
        if keys.shards > 1:
            vals = {**values, SHARD_ATTR: shard_of(pk, sk, keys.shards)}
        try:
            if not ix.local:  # a local index is partitioned by the table's own PK
                out[ix.partition_key] = keys.pk.render(vals)
            out[ix.sort_key] = keys.sk.render(vals)
        except KeyEncodingError as err:
            msg = f"{entity} on {keys.index}: {err.message}"
            raise RequestError(msg, hint=err.hint) from err
    return out, tuple(remove)


def native_attributes(design: Design, entity: str, item: Mapping[str, AttributeValue]) -> Item:
    """What a native GSI keys on besides the entity's attributes: ``_shard`` when it is sharded.

    Raises:
        RequestError: an empty string or binary in a native key attribute, which DynamoDB
            refuses (declare ``min_length`` so that the model refuses it first).
    """
    out: Item = {}
    for keys, ix in _layout(design, entity).native:
        for name, kind in ix.key_definitions():
            value = item.get(name)
            if value is not None and kind in value and not value[kind]:
                msg = f"{entity}.{name} is empty, and it keys index {ix.name}, where DynamoDB refuses an empty value."
                raise RequestError(msg, hint=f"give {name} a value, or leave it out if it is optional")
        if keys.shards > 1:
            pk = item[design.table.partition_key]["S"]
            sk = item[design.table.sort_key]["S"]
            out[SHARD_ATTR] = {"N": str(shard_of(pk, sk, keys.shards))}
    return out


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
    lay = _layout(design, entity)
    spec = lay.spec
    item = entity_to_item(spec, values)
    keys, remove = derived_keys(design, entity, values)
    for name, text in keys.items():
        item[name] = {"S": text}
    item[TYPE_ATTR] = {"S": entity}
    item.update(native_attributes(design, entity, item))
    item[VERSION_ATTR] = {"N": str(version)}
    if born is not None:
        item[BORN_ATTR] = {"N": str(born)}
    gone = [a for a in lay.attrs if a not in item]
    # A copy stamp belongs to the source the copies were taken from; a write may have moved
    # the reference to another source, whose stamps do not compare with it. The handler's
    # check of this write stamps the copies again (see propagate/plan.py).
    gone += lay.stamps
    if spec.ttl is not None:
        expires = _expires_at(spec, values)
        if expires is not None:
            item[EXPIRES_ATTR] = {"N": str(expires)}
        else:
            gone.append(EXPIRES_ATTR)
    return item, (*gone, *remove)


def index_items(design: Design, entity: str, item: Item) -> list[Item]:
    """The index items stored with ``item`` (dynamodel.design.adjacency): the same attributes,
    version, birth and write id, under each index item's own keys."""
    out: list[Item] = []
    for name in design.index_items_of(entity):
        values = item_to_values(design.entity_spec(name), item)
        version = int(item[VERSION_ATTR]["N"])
        born = int(item[BORN_ATTR]["N"]) if BORN_ATTR in item else None
        built, _ = build_item(design, name, values, version=version, born=born)
        if WRITE_ID_ATTR in item:
            built[WRITE_ID_ATTR] = item[WRITE_ID_ATTR]
        out.append(built)
    return out


def index_item_keys(design: Design, entity: str, values: Mapping[str, object]) -> list[Item]:
    """The keys of the index items stored with the ``entity`` item holding ``values``."""
    return [base_key(design, name, values) for name in design.index_items_of(entity)]


def guard_key(guard: UniqueGuard, values: Mapping[str, object]) -> Item | None:
    """The key of the guard item holding ``values``' unique value; None if a value is absent."""
    for a in guard.attrs:
        if values.get(a) is None:
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
