"""Checks of what an engine returned or stored, independent of the machine's state.

:func:`entity_values` and :func:`same_values` compare instances with expected values,
:func:`check_blocks` checks a multi-entity result's grouping, and :func:`check_item_keys`
checks a stored item's keys: every key attribute parses back to the item's fields, sparse
keys follow their predicate, write shards match.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from dynamodel import instance_state
from dynamodel.app import App
from dynamodel.codec import Item
from dynamodel.compile import base_key
from dynamodel.design.model import TABLE, Design, EntityKeys
from dynamodel.errors import KeyEncodingError
from dynamodel.layout import SHARD_ATTR
from dynamodel.model import Entity
from dynamodel.spec import where_values
from dynamodel.testing.mirror import unfold
from dynamodel.testing.oracle import normalise

__all__ = ["check_blocks", "check_item_keys", "entity_values", "parse_key", "same_values"]


def entity_values(entity: Entity) -> dict[str, object]:
    """The declared attribute values of an instance, absent (None) ones left out; of a partial
    instance (read from an INCLUDE index), the ones it holds."""
    present = instance_state.partial_fields(entity)
    names = [k for k in type(entity).model_fields if present is None or k in present]
    return {k: v for k in names if (v := getattr(entity, k)) is not None}


def same_values(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
    """Whether two sets of values are equal once normalised (None values and datetime folds ignored)."""

    def canon(v: Mapping[str, object]) -> dict[str, str]:
        return {k: repr(normalise(unfold(x))) for k, x in v.items() if x is not None}

    return canon(a) == canon(b)


def check_blocks(pattern: str, got: Sequence[tuple[str, object]]) -> None:
    """Each entity of a multi-entity result forms one contiguous block."""
    names = [e for e, _ in got]
    blocks = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
    assert len(blocks) == len(set(blocks)), f"{pattern}: entity blocks are not contiguous: {blocks}"


def _holds(values: Mapping[str, object], keys: EntityKeys) -> bool:
    """Whether the item belongs in a sparse index: predicate true, optional key attributes present."""
    for attr, match in keys.sparse:
        have = normalise(values.get(attr))
        if not any(
            have is want if isinstance(want, bool) or isinstance(have, bool) else have == normalise(want)
            for want in where_values(match)
        ):
            return False
    return all(values.get(a) is not None for a in keys.optional_attrs)


def parse_key(template: Any, text: str, where: str) -> dict[str, object]:
    """The fields ``template`` parses from key ``text``; an AssertionError naming ``where`` if it fails."""
    try:
        parsed: dict[str, object] = template.parse(text)
    except KeyEncodingError as err:
        msg = f"{where}: key {text!r} does not parse with {template.pattern()}: {err}"
        raise AssertionError(msg) from err
    return parsed


def check_item_keys(app: App | Design, entity: str, item: Item, values: Mapping[str, object]) -> None:
    """Every key attribute of a stored item parses back to its fields; sparse keys follow the predicate."""
    design = app if isinstance(app, Design) else app.design
    pk, sk = design.table.partition_key, design.table.sort_key
    where = f"{entity} {base_key(design, entity, values)[pk]['S']!r}"
    written: set[str] = set()
    for keys in design.entity_indexes(entity):
        ix = design.index(keys.index)
        if ix.native:
            _check_native(design, keys, item, values, where)
            continue
        names = (ix.partition_key, ix.sort_key)
        written.update(names)
        # A local index's partition is the item's own PK, present whether or not it is in the index.
        present = [n in item for n in (ix.written_keys() if keys.index != TABLE else names)]
        if keys.index != TABLE and not _holds(values, keys):
            assert not any(present), f"{where}: has {keys.index} keys, but its predicate does not hold"
            continue
        assert all(present), f"{where}: lacks its {keys.index} keys {names}"
        parsed = parse_key(keys.pk, item[names[0]]["S"], where) | parse_key(
            keys.sk, item[names[1]]["S"], where
        )
        for attr, value in parsed.items():
            if attr == SHARD_ATTR:
                crc = zlib.crc32((item[pk]["S"] + item[sk]["S"]).encode("utf-8")) % keys.shards
                assert value == crc, f"{where}: {keys.index} shard {value}, expected {crc}"
                continue
            assert normalise(value) == normalise(values.get(attr)), (
                f"{where}: {keys.index} key says {attr}={value!r}, the item holds {values.get(attr)!r}"
            )
    others = {n for ix in (*design.indexes, *design.local_indexes) for n in ix.written_keys()} - written
    stray = sorted(n for n in others if n in item)
    assert not stray, f"{where}: holds key attributes {stray} of indexes it is not on"


def _check_native(
    design: Design, keys: EntityKeys, item: Item, values: Mapping[str, object], where: str
) -> None:
    """A native index holds the item exactly when it should, and its shard is the item's."""
    ix = design.index(keys.index)
    names = [n for n, _ in ix.key_definitions()]
    held = all(n in item for n in names)
    assert held == _holds(values, keys), (
        f"{where}: {'is' if held else 'is not'} in native index {ix.name} ({', '.join(names)}), "
        f"but its values say it {'should not' if held else 'should'} be"
    )
    if SHARD_ATTR in names:
        pk, sk = design.table.partition_key, design.table.sort_key
        crc = zlib.crc32((item[pk]["S"] + item[sk]["S"]).encode("utf-8")) % keys.shards
        assert item[SHARD_ATTR] == {"N": str(crc)}, (
            f"{where}: {ix.name} shard {item[SHARD_ATTR]}, expected {crc}"
        )
