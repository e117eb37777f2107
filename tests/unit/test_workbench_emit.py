"""``dynamodel emit --format workbench``: a NoSQL Workbench data model of a design (dynamodel.emit.workbench)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest
from projection_app import helpdesk

from access_patterns.hr import hr
from access_patterns.shop import shop
from access_patterns.tickets import tickets
from dynamodel.codec import Item, item_to_values
from dynamodel.compile.items import build_item, derived_keys
from dynamodel.design import Design
from dynamodel.emit import emit_files
from dynamodel.emit.workbench import MODEL_VERSION, emit_workbench
from dynamodel.testing.samples import sample_items

SCALAR = {"S", "N", "B"}
TYPES = {"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"}


@cache
def samples_of(name: str) -> dict[str, list[Item]]:
    return sample_items({"shop": shop, "hr": hr, "tickets": tickets}[name].design)


def model(design: Design, samples: Mapping[str, list[Item]] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(emit_workbench(design, samples or {}))
    return document


def check_structure(document: Mapping[str, Any]) -> None:
    """The fields a Workbench data model has (as Workbench 3 exports them), with their shapes."""
    assert set(document) == {"ModelName", "ModelMetadata", "DataModel"}
    assert isinstance(document["ModelName"], str)
    assert document["ModelName"]
    meta = document["ModelMetadata"]
    assert set(meta) >= {"Author", "DateCreated", "DateLastModified", "Description", "AWSService", "Version"}
    assert meta["AWSService"] == "Amazon DynamoDB"
    assert meta["Version"] == MODEL_VERSION
    (table,) = document["DataModel"]
    assert set(table) >= {"TableName", "KeyAttributes", "NonKeyAttributes", "TableFacets", "TableData"}
    assert table["KeyAttributes"]["PartitionKey"]["AttributeType"] in SCALAR
    declared = {a["AttributeName"] for a in table["NonKeyAttributes"]}
    keys = {k["AttributeName"] for k in table["KeyAttributes"].values()}
    assert all(set(a) == {"AttributeName", "AttributeType"} for a in table["NonKeyAttributes"])
    assert all(a["AttributeType"] in TYPES for a in table["NonKeyAttributes"])
    assert not declared & keys, "key attributes are not listed again as non-key attributes"
    for gsi in table.get("GlobalSecondaryIndexes", []):
        assert set(gsi) == {"IndexName", "KeyAttributes", "Projection"}
        for part in gsi["KeyAttributes"].values():
            assert part["AttributeName"] in declared | keys
            assert part["AttributeType"] in SCALAR
        assert gsi["Projection"]["ProjectionType"] in ("ALL", "KEYS_ONLY", "INCLUDE")
    names = [f["FacetName"] for f in table["TableFacets"]]
    assert len(names) == len(set(names)), "facet names are unique across the model"
    for facet in table["TableFacets"]:
        assert set(facet["KeyAttributeAlias"]) == {"PartitionKeyAlias", "SortKeyAlias"}
        assert set(facet["NonKeyAttributes"]) <= declared, "a facet's attributes are the table's"
    for row in table["TableData"]:
        assert keys <= set(row), "every item has the table's key"
        assert set(row) <= declared | keys
        assert all(len(value) == 1 and next(iter(value)) in TYPES for value in row.values())


@pytest.mark.parametrize("app", [shop, hr, tickets], ids=lambda a: a.name)
def test_the_document_has_the_workbench_fields(app: Any) -> None:
    check_structure(model(app.design, samples_of(app.name)))
    check_structure(model(app.design))


def test_table_keys_and_name() -> None:
    (table,) = model(shop.design)["DataModel"]
    assert table["TableName"] == "shop-dev"
    assert table["KeyAttributes"] == {
        "PartitionKey": {"AttributeName": "PK", "AttributeType": "S"},
        "SortKey": {"AttributeName": "SK", "AttributeType": "S"},
    }
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_every_gsi_with_its_key_attributes_and_projection() -> None:
    (table,) = model(shop.design)["DataModel"]
    assert table["GlobalSecondaryIndexes"] == [
        {
            "IndexName": ix.name,
            "KeyAttributes": {
                "PartitionKey": {"AttributeName": ix.partition_key, "AttributeType": "S"},
                "SortKey": {"AttributeName": ix.sort_key, "AttributeType": "S"},
            },
            "Projection": {"ProjectionType": "ALL"},
        }
        for ix in shop.design.indexes
    ]
    design = helpdesk().design
    ((gsi,),) = [t["GlobalSecondaryIndexes"] for t in model(design)["DataModel"]]
    (ix,) = design.indexes
    assert ix.projection == "INCLUDE"
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(ix.non_key_attributes)}


def test_a_native_multi_attribute_key_shows_its_first_attributes_and_says_so() -> None:
    document = model(tickets.design)
    (native,) = [ix for ix in tickets.design.indexes if ix.native]
    (gsi,) = [g for g in document["DataModel"][0]["GlobalSecondaryIndexes"] if g["IndexName"] == native.name]
    assert gsi["KeyAttributes"]["PartitionKey"]["AttributeName"] == native.partition_attributes[0][0]
    assert gsi["KeyAttributes"]["SortKey"]["AttributeName"] == native.sort_attributes[0][0]
    assert gsi["KeyAttributes"]["SortKey"]["AttributeType"] == native.sort_attributes[0][1]
    description = document["ModelMetadata"]["Description"]
    sort = ", ".join(a for a, _ in native.sort_attributes)
    assert f"{native.name} is keyed natively on partition" in description
    assert f"sort [{sort}]" in description


def test_local_indexes_are_left_out_and_said_so_and_index_items_are_facets() -> None:
    document = model(hr.design, samples_of("hr"))
    (table,) = document["DataModel"]
    assert "LocalSecondaryIndexes" not in table
    assert {g["IndexName"] for g in table["GlobalSecondaryIndexes"]} == {ix.name for ix in hr.design.indexes}
    declared = {a["AttributeName"] for a in table["NonKeyAttributes"]}
    for ix in hr.design.local_indexes:
        assert f"{ix.name} is a local secondary index" in document["ModelMetadata"]["Description"]
        assert ix.sort_key in declared
    facets = [f["FacetName"] for f in table["TableFacets"]]
    assert facets[: len(hr.spec.entities)] == [e.name for e in hr.spec.entities]
    assert [s.name for s in hr.design.index_items] == facets[len(hr.spec.entities) :]


def test_a_facet_per_entity_aliased_by_its_key_templates_with_its_attributes() -> None:
    design = shop.design
    (table,) = model(design)["DataModel"]
    assert [f["FacetName"] for f in table["TableFacets"]] == [e.name for e in design.app.entities]
    for facet in table["TableFacets"]:
        keys = design.keys_for(facet["FacetName"])
        assert keys is not None
        assert facet["KeyAttributeAlias"] == {
            "PartitionKeyAlias": keys.pk.pattern(),
            "SortKeyAlias": keys.sk.pattern(),
        }
        spec = design.app.entity(facet["FacetName"])
        assert facet["NonKeyAttributes"][: len(spec.attributes)] == [a.name for a in spec.attributes]
        on_gsis = [
            ix for k in design.entity_indexes(spec.name) if (ix := design.index(k.index)) in design.indexes
        ]
        assert set(facet["NonKeyAttributes"][len(spec.attributes) :]) == {
            n for ix in on_gsis for n in ix.written_keys()
        }
    assert table["TableData"] == []


def test_sample_rows_are_the_items_as_stored_and_carry_the_keys_the_design_says() -> None:
    design, samples = shop.design, samples_of("shop")
    (table,) = model(design, samples)["DataModel"]
    rows = table["TableData"]
    stored = [json.dumps(i, sort_keys=True) for v in samples.values() for i in v]
    assert sorted(json.dumps(r, sort_keys=True) for r in rows) == sorted(stored)
    assert [(r["PK"]["S"], r["SK"]["S"]) for r in rows] == sorted((r["PK"]["S"], r["SK"]["S"]) for r in rows)
    for row in rows:
        entity = row["_type"]["S"]
        keys, _ = derived_keys(design, entity, item_to_values(design.entity_spec(entity), row))
        assert {k: row[k]["S"] for k in keys} == keys
        assert list(row)[:2] == ["PK", "SK"]
    facets = {f["FacetName"]: f for f in table["TableFacets"]}
    assert "_type" in facets["Order"]["NonKeyAttributes"]
    assert "_version" in facets["Customer"]["NonKeyAttributes"]


def test_binary_values_are_written_as_base64() -> None:
    item, _ = build_item(
        shop.design, "Customer", {"customer_id": "c1", "email": "e", "name": "n", "order_count": 1}, version=1
    )
    item["avatar"] = {"B": b"\x00\xff"}
    (table,) = model(shop.design, {"Customer": [item]})["DataModel"]
    (row,) = table["TableData"]
    assert row["avatar"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    assert {"AttributeName": "avatar", "AttributeType": "B"} in table["NonKeyAttributes"]


def test_the_same_design_and_samples_give_the_same_bytes() -> None:
    samples = samples_of("shop")
    text = emit_workbench(shop.design, samples)
    assert text == emit_workbench(shop.design, dict(reversed(list(samples.items()))))
    assert text.endswith("}\n")
    json.loads(text)
    ((name, emitted),) = emit_files(shop.design, "workbench", samples=samples)
    assert (name, emitted) == ("shop.workbench.json", text)
    assert emit_files(shop.design, "workbench")[0][1] == emit_workbench(shop.design, {})
