"""Item and index-copy sizes for the cost model (:mod:`dynamodel.design.cost`).

DynamoDB bills by size: attribute names plus values. An item holds its declared attributes
(or typical values per type), dynamodel's bookkeeping, and the key attributes it renders for
every synthetic index it is on: both key strings for a GSI, the sort key alone for an LSI,
whose partition is the item's own ``PK``. A native index keys on attributes the item
already holds. Pure and deterministic.
"""

from __future__ import annotations

import re

from dynamodel.design.model import TABLE, Design, EntityKeys, IndexSpec
from dynamodel.layout import BORN_ATTR, SHARD_ATTR, TYPE_ATTR, VERSION_ATTR, WRITE_ID_ATTR
from dynamodel.spec import AttributeSpec, EntitySpec

__all__ = ["BOOKKEEPING", "TYPICAL", "item_size", "projected_size", "value_size"]

TYPICAL = {
    "str": 24,
    "int": 6,
    "decimal": 8,
    "float": 10,
    "bool": 1,
    "datetime": 25,
    "date": 10,
    "bytes": 64,
    "list": 64,
    "map": 128,
    "enum": 8,
}
"""Typical value sizes in bytes per attribute type, where nothing is declared."""
BOOKKEEPING = {TYPE_ATTR: 12, VERSION_ATTR: 3, BORN_ATTR: 10, WRITE_ID_ATTR: 32}
"""Value bytes of the attributes the runtime writes on every item."""
_REF = re.compile(r"\{([^}]+)\}")


def value_size(ent: EntitySpec, attr: AttributeSpec) -> int:
    """Bytes of one attribute's value: declared in ``sizes``, else typical for its type."""
    declared = dict(ent.sizes).get(attr.name)
    if declared is not None:
        return declared
    if attr.type == "enum" and attr.enum:
        return max(len(v) for v in attr.enum)
    return TYPICAL.get(attr.type, 32)


def _attributes_size(ent: EntitySpec) -> int:
    if ent.size is not None:
        return ent.size
    return sum(len(a.name) + value_size(ent, a) for a in ent.attributes)


def _key_size(ent: EntitySpec, pattern: str) -> int:
    def value(m: re.Match[str]) -> str:
        attr = ent.attribute(m.group(1))
        return "x" * (value_size(ent, attr) if attr is not None else 8)

    return len(_REF.sub(value, pattern))


def _keys_size(ent: EntitySpec, keys: EntityKeys, index: IndexSpec) -> int:
    """Bytes of the key attributes an entity writes for one synthetic index (names and rendered
    values): an LSI's partition is the item's own PK, counted once with the table's keys."""
    templates = {index.partition_key: keys.pk, index.sort_key: keys.sk}
    return sum(len(name) + _key_size(ent, templates[name].pattern()) for name in index.written_keys())


def _shard_size(shards: int) -> int:
    """Bytes of a stored ``_shard`` (name and number): DynamoDB stores a number in one byte
    per two significant digits plus one, so up to 100 shards take two."""
    return len(SHARD_ATTR) + (len(str(max(shards - 1, 0))) + 1) // 2 + 1


def _native_keys_size(ent: EntitySpec, keys: EntityKeys, index: IndexSpec, skip: frozenset[str]) -> int:
    """Bytes of a native index's key attributes that are not in ``skip`` (names and values)."""
    size = 0
    for name, _ in index.key_definitions():
        if name in skip:
            continue
        if name == SHARD_ATTR:
            size += _shard_size(keys.shards)
        elif name in BOOKKEEPING:
            size += len(name) + BOOKKEEPING[name]
        elif (attr := ent.attribute(name)) is not None:
            size += len(name) + value_size(ent, attr)
    return size


def item_size(design: Design, entity: str) -> int:
    """Estimated bytes of one stored item of ``entity`` (see the module docstring)."""
    ent = design.entity_spec(entity)
    size = _attributes_size(ent) + sum(len(k) + v for k, v in BOOKKEEPING.items())
    shards = 1
    for k in design.entity_indexes(entity):
        ix = design.index(k.index)
        if ix.native:
            # One ``_shard`` per item, however many native indexes shard it.
            shards = max(shards, k.shards)
        else:
            size += _keys_size(ent, k, ix)
    return size + (_shard_size(shards) if shards > 1 else 0)


def projected_size(design: Design, entity: str, index: str) -> int:
    """Bytes of an item's copy on ``index``: the whole item, or its keys and included attributes."""
    ix = design.index(index)
    if ix.projection == "ALL" or index == TABLE:
        return item_size(design, entity)
    ent = design.entity_spec(entity)
    keys = design.keys_for(entity, index)
    size = sum(len(k) + v for k, v in BOOKKEEPING.items() if k in ix.non_key_attributes)
    size += sum(len(a.name) + value_size(ent, a) for a in ent.attributes if a.name in ix.non_key_attributes)
    base = design.keys_for(entity, TABLE)  # an index copy holds the table's key too
    if base is not None:
        size += _keys_size(ent, base, design.table)
    if keys is not None and ix.native:
        # Its keys are item attributes: counted here unless the projection already copies them.
        size += _native_keys_size(ent, keys, ix, frozenset(ix.non_key_attributes))
    elif keys is not None:
        size += _keys_size(ent, keys, ix)
    return size
