"""A NoSQL Workbench data model (the JSON its data modeler imports and exports) of a design.

The document follows Workbench's model format 3.0: ``ModelName``, ``ModelMetadata`` and a
``DataModel`` list holding one table with its ``KeyAttributes`` (``PartitionKey``/``SortKey``),
``NonKeyAttributes`` (name and type), ``GlobalSecondaryIndexes`` (key attributes and
``Projection``), ``TableFacets`` and ``TableData`` (items in DynamoDB JSON). Each entity, and
each index item (``Employee@1``), is a facet whose ``KeyAttributeAlias`` are its base-table key
templates (``CUSTOMER#{customer_id}#``) and whose ``NonKeyAttributes`` are what its items hold.
Sample items sit in the table's ``TableData``, where format 3.0 keeps them (its facets are
views over the table: their own ``TableData`` stays empty).

What the format cannot say is written into ``ModelMetadata.Description``:

* a native GSI's multi-attribute key: an index there has one partition and one sort
  attribute, so it names the first attribute of each part (as the design JSON does);
* local secondary indexes: the format has none, so they are left out (their sort keys
  stay listed as attributes, and sample items carry them);
* each entity's GSI key templates, sparse conditions and write shards (a facet aliases the
  base table's keys only);
* dynamodel's finer types (``datetime``, ``date`` and enums are S; ``int``, ``decimal``
  and ``float`` are N) and an attribute name typed differently by two entities.

Pure and deterministic: the same design and samples give the same bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dynamodel.attribute_types import lookup
from dynamodel.design.model import TABLE, Design, IndexSpec, KeyAttribute
from dynamodel.emit._common import JsonDict, default_table_name

__all__ = ["MODEL_VERSION", "emit_workbench", "workbench_model"]

MODEL_VERSION = "3.0"
"""The Workbench model format written (the version Workbench 3 exports)."""
AUTHOR = "dynamodel"
_DATA_ACCESS: JsonDict = {"MySql": {}}  # what Workbench writes for a DynamoDB table; kept for fidelity


def emit_workbench(design: Design, samples: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """The Workbench data model of a design as JSON text, ending in a newline.

    Args:
        design: the derived design.
        samples: stored items (DynamoDB JSON, keys rendered) by entity or index item name,
            e.g. ``dynamodel.testing.samples.sample_items(design)``; ``{}`` for none.

    Returns:
        The model, byte-identical for the same design and samples.

    Example:
        >>> json.loads(emit_workbench(design, {}))["DataModel"][0]["TableName"]  # doctest: +SKIP
        'shop-dev'
    """
    return json.dumps(workbench_model(design, samples), indent=2, ensure_ascii=False) + "\n"


def workbench_model(design: Design, samples: Mapping[str, Sequence[Mapping[str, Any]]]) -> JsonDict:
    """The Workbench data model as a dict (see the module docstring for its layout)."""
    items = {name: [_stored(design, item) for item in rows] for name, rows in sorted(samples.items())}
    types, conflicts = _attribute_types(design, items)
    table: JsonDict = {
        "TableName": default_table_name(design),
        "KeyAttributes": _key_attributes(
            ((design.table.partition_key, "S"),), ((design.table.sort_key, "S"),)
        ),
        "NonKeyAttributes": [{"AttributeName": n, "AttributeType": t} for n, t in types.items()],
        "TableFacets": _facets(design, items),
        "GlobalSecondaryIndexes": [_gsi(ix) for ix in design.indexes],
        "TableData": sorted(
            (row for rows in items.values() for row in rows),
            key=lambda row: (_text(row, design.table.partition_key), _text(row, design.table.sort_key)),
        ),
        "DataAccess": _DATA_ACCESS,
        "BillingMode": "PAY_PER_REQUEST",
    }
    return {
        "ModelName": design.app.name,
        "ModelMetadata": {
            "Author": AUTHOR,
            # Dates would make every run differ; the model is regenerated, never edited.
            "DateCreated": "",
            "DateLastModified": "",
            "Description": _description(design, conflicts),
            "AWSService": "Amazon DynamoDB",
            "Version": MODEL_VERSION,
        },
        "DataModel": [table],
    }


def _key_attributes(partition: Sequence[KeyAttribute], sort: Sequence[KeyAttribute]) -> JsonDict:
    # One attribute per part: the first of a native multi-attribute key (the rest are described).
    out: JsonDict = {"PartitionKey": {"AttributeName": partition[0][0], "AttributeType": partition[0][1]}}
    if sort:
        out["SortKey"] = {"AttributeName": sort[0][0], "AttributeType": sort[0][1]}
    return out


def _gsi(ix: IndexSpec) -> JsonDict:
    if ix.native:
        keys = _key_attributes(ix.partition_attributes, ix.sort_attributes)
    else:
        keys = _key_attributes(((ix.partition_key, "S"),), ((ix.sort_key, "S"),))
    projection: JsonDict = {"ProjectionType": ix.projection}
    if ix.projection == "INCLUDE":
        projection["NonKeyAttributes"] = list(ix.non_key_attributes)
    return {"IndexName": ix.name, "KeyAttributes": keys, "Projection": projection}


def _entity_names(design: Design) -> list[str]:
    return [e.name for e in design.app.entities] + [s.name for s in design.index_items]


def _entity_attributes(design: Design, name: str) -> list[tuple[str, str]]:
    """The attributes an entity's items hold besides the table key: its own, then the key
    attributes of the indexes it is on (rendered strings, or its own attributes if native)."""
    spec = design.entity_spec(name)
    out: dict[str, str] = {a.name: lookup(a.type).dynamodb_type for a in spec.attributes}
    for keys in design.entity_indexes(name):
        if keys.index == TABLE:
            continue
        ix = design.index(keys.index)
        written = set(ix.written_keys())
        for attr, kind in ix.key_definitions():
            if ix.native or attr in written:
                out.setdefault(attr, kind)
    return list(out.items())


def _attribute_types(
    design: Design, items: Mapping[str, Sequence[Mapping[str, Any]]]
) -> tuple[dict[str, str], list[str]]:
    """Every non-key attribute with its type, each once: index keys, then the entities' own
    attributes in declaration order, then what sample items hold besides (``_type``, ...)."""
    table_keys = {design.table.partition_key, design.table.sort_key}
    types: dict[str, str] = {}
    seen_in: dict[str, str] = {}
    conflicts: list[str] = []

    def add(name: str, kind: str, owner: str) -> None:
        if name in table_keys:
            return
        if name not in types:
            types[name], seen_in[name] = kind, owner
        elif types[name] != kind and owner != seen_in[name]:
            conflicts.append(
                f"'{name}' is {types[name]} in {seen_in[name]} and {kind} in {owner}; the model types it {types[name]}"
            )

    for ix in (*design.indexes, *design.local_indexes):
        for name in ix.written_keys():  # rendered strings; a native index keys on entity attributes
            add(name, "S", ix.name)
    for entity in _entity_names(design):
        for name, kind in _entity_attributes(design, entity):
            add(name, kind, entity)
    for owner, rows in items.items():
        for row in rows:
            for name in sorted(row):
                add(name, _type_tag(row[name]), owner)
    return types, conflicts


def _facets(design: Design, items: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[JsonDict]:
    table_keys = (design.table.partition_key, design.table.sort_key)
    facets: list[JsonDict] = []
    names = _entity_names(design)
    for name in names:
        keys = design.keys_for(name)
        alias = (keys.pk.pattern(), keys.sk.pattern()) if keys is not None else table_keys
        attrs = [a for a, _ in _entity_attributes(design, name)]
        facets.append(_facet(name, alias, [*attrs, *_held(items.get(name, ()), {*attrs, *table_keys})]))
    # Sample groups the design does not name as an entity (unique guards, say) get a facet too.
    for name, rows in items.items():
        if name not in names:
            facets.append(_facet(name, table_keys, _held(rows, set(table_keys))))
    return facets


def _facet(name: str, alias: tuple[str, str], attrs: Sequence[str]) -> JsonDict:
    return {
        "FacetName": name,
        "KeyAttributeAlias": {"PartitionKeyAlias": alias[0], "SortKeyAlias": alias[1]},
        "TableData": [],
        "NonKeyAttributes": list(attrs),
        "DataAccess": _DATA_ACCESS,
    }


def _held(rows: Iterable[Mapping[str, Any]], known: set[str]) -> list[str]:
    """Attributes the sample items hold beyond ``known``, sorted."""
    return sorted({name for row in rows for name in row} - known)


def _description(design: Design, conflicts: Sequence[str]) -> str:
    lines = [
        f"DynamoDB table of the dynamodel app '{design.app.name}', generated by dynamodel: do not edit, "
        "regenerate with `dynamodel emit TARGET --format workbench`.",
        "Facets are entities; their key aliases are dynamodel key templates: {attr} is the attribute's "
        "encoded value, {_shard} a write shard, and every part ends in '#'.",
        "Types are DynamoDB's: datetime, date and enum attributes are S, int, decimal and float are N.",
    ]
    for keys in design.keys:
        if keys.index == TABLE:
            continue
        when = ", ".join(
            f"{a} in {list(m)}" if isinstance(m, tuple) else f"{a} = {m}" for a, m in keys.sparse
        )
        extra = (f" only when {when}" if when else "") + (
            f", in {keys.shards} shards" if keys.shards > 1 else ""
        )
        lines.append(
            f"{keys.entity} on {keys.index}: partition {keys.pk.pattern()}, sort {keys.sk.pattern()}{extra}."
        )
    lost = [*_native_notes(design), *_local_notes(design), *conflicts]
    if design.guards:
        lost.append(
            "unique guard items: "
            + "; ".join(
                f"{g.entity} {'+'.join(g.attrs)} at {g.pk.pattern()} {g.sk.pattern()}" for g in design.guards
            )
        )
    if lost:
        lines.append("Not expressible in this format:")
        lines += [f"- {note}." for note in lost]
    return "\n".join(lines)


def _native_notes(design: Design) -> list[str]:
    notes: list[str] = []
    for ix in design.indexes:
        if ix.native and (len(ix.partition_attributes) > 1 or len(ix.sort_attributes) > 1):
            part = ", ".join(a for a, _ in ix.partition_attributes)
            sort = ", ".join(a for a, _ in ix.sort_attributes) or "none"
            notes.append(
                f"{ix.name} is keyed natively on partition [{part}] and sort [{sort}] (DynamoDB multi-attribute "
                "keys); an index here has one attribute per part, so it shows the first of each"
            )
    return notes


def _local_notes(design: Design) -> list[str]:
    return [
        f"{ix.name} is a local secondary index (partition {design.table.partition_key}, sort {ix.sort_key}, "
        f"projection {ix.projection}); the format has no local indexes, so it is left out"
        for ix in design.local_indexes
    ]


def _stored(design: Design, item: Mapping[str, Any]) -> JsonDict:
    """An item with JSON-safe values (binary as base64, sets sorted), table keys first."""
    first = [k for k in (design.table.partition_key, design.table.sort_key) if k in item]
    return {name: _jsonable(item[name]) for name in [*first, *sorted(set(item) - set(first))]}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _type_tag(value: Any) -> str:
    return next(iter(value), "S") if isinstance(value, Mapping) else "S"


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return str(value.get("S", "")) if isinstance(value, Mapping) else ""
