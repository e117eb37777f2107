"""``dynamodel import-workbench``: a NoSQL Workbench data model read into a spec skeleton (dynamodel.workbench_import)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from example_apps import example_apps

from access_patterns.shop import shop
from dynamodel import workbench_import
from dynamodel.attribute_types import lookup
from dynamodel.design import derive
from dynamodel.emit.workbench import emit_workbench
from dynamodel.errors import DefinitionError
from dynamodel.spec import AppSpec
from dynamodel.spec_file import parse_spec_text
from dynamodel.testing.samples import sample_items
from dynamodel.workbench_import import import_workbench


def exported(spec_app: Any) -> str:
    return emit_workbench(spec_app.design, sample_items(spec_app.design))


def entities_of(text: str) -> dict[str, dict[str, Any]]:
    entities: dict[str, dict[str, Any]] = yaml.safe_load(text)["entities"]
    return entities


def stored_types(entity: dict[str, Any]) -> dict[str, str]:
    """Each attribute's DynamoDB type: what a Workbench model can carry."""
    out = {}
    for name, kind in entity["attributes"].items():
        type_name = kind["type"] if isinstance(kind, dict) else kind
        out[name] = lookup(type_name).dynamodb_type
    return out


def declared_types(spec: AppSpec, entity: str) -> dict[str, str]:
    return {a.name: lookup(a.type).dynamodb_type for a in spec.entity(entity).attributes}


def test_shop_round_trips_entities_attribute_names_and_types() -> None:
    skeleton = import_workbench(exported(shop), source="shop.workbench.json")
    assert (skeleton.app, skeleton.table, skeleton.unmapped) == ("shop", "shop-dev", ())
    entities = entities_of(skeleton.text)
    assert list(entities) == [e.name for e in shop.spec.entities]
    for name, entity in entities.items():
        spec = shop.spec.entity(name)
        assert list(entity["attributes"]) == [a.name for a in spec.attributes]
        assert stored_types(entity) == declared_types(shop.spec, name)
        assert entity["identity"] == list(spec.identity)
    # Where the samples tell, the type is dynamodel's own, not only DynamoDB's.
    assert entities["Order"]["attributes"]["placed_at"] == "datetime"
    assert entities["OrderLine"]["attributes"]["line_no"] == "int"
    assert entities["Customer"]["attributes"]["email"] == "str"


# Beside the shop: index items and LSIs (hr), a native multi-attribute key (tickets), the most entities (github).
ROUND_TRIPPED = [e.app for e in example_apps() if e.app.name in ("hr", "tickets", "github")]


@pytest.mark.parametrize("app", ROUND_TRIPPED, ids=lambda a: a.name)
def test_other_example_apps_round_trip_entity_and_attribute_names(app: Any) -> None:
    skeleton = import_workbench(exported(app))
    entities = entities_of(skeleton.text)
    assert list(entities) == [e.name for e in app.spec.entities]
    for name, entity in entities.items():
        assert stored_types(entity) == declared_types(app.spec, name)


def test_the_skeleton_loads_and_derives_once_a_pattern_is_declared() -> None:
    text = import_workbench(exported(shop)).text
    assert "patterns: []" in text
    assert "# Declare the access patterns here" in text
    spec = parse_spec_text(text)
    assert spec.patterns == ()
    pattern = "patterns:\n  - {name: orders_of_customer, query: Order, by: [customer_id], sort: placed_at}"
    design = derive(parse_spec_text(text.replace("patterns: []", pattern)))
    assert design.plan("orders_of_customer").operation == "Query"
    assert not design.plan("orders_of_customer").uses_filter


def table(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "TableName": "Music",
        "KeyAttributes": {
            "PartitionKey": {"AttributeName": "pk", "AttributeType": "S"},
            "SortKey": {"AttributeName": "sk", "AttributeType": "S"},
        },
        "NonKeyAttributes": [
            {"AttributeName": "title", "AttributeType": "S"},
            {"AttributeName": "plays", "AttributeType": "N"},
        ],
    }
    return {**base, **extra}


def document(*tables: dict[str, Any], name: str = "Music library") -> str:
    meta = {"Author": "", "Description": "", "AWSService": "Amazon DynamoDB", "Version": "3.0"}
    return json.dumps({"ModelName": name, "ModelMetadata": meta, "DataModel": list(tables)})


def test_a_table_without_facets_is_one_entity_keyed_by_its_own_key() -> None:
    rows = [{"pk": {"S": "a"}, "sk": {"S": "b"}, "plays": {"N": "3"}}]
    skeleton = import_workbench(document(table(TableData=rows)))
    assert skeleton.app == "Music_library"
    (entity,) = entities_of(skeleton.text).values()
    assert entity["identity"] == ["pk", "sk"]
    assert entity["attributes"] == {
        "pk": "str",
        "sk": "str",
        "title": {"type": "str", "optional": True},
        "plays": "int",
    }
    assert any("no facets" in u for u in skeleton.unmapped)
    assert any("no app name" in u for u in skeleton.unmapped)
    parse_spec_text(skeleton.text)


def test_what_does_not_map_is_said_and_left_for_the_user() -> None:
    facets = [
        {
            "FacetName": "Song",
            "KeyAttributeAlias": {"PartitionKeyAlias": "SongId", "SortKeyAlias": "Metadata"},
        },
        {"FacetName": "Play Log", "KeyAttributeAlias": {"PartitionKeyAlias": "x", "SortKeyAlias": "y"}},
        {
            "FacetName": "Album",
            "KeyAttributeAlias": {"PartitionKeyAlias": "ALBUM#{album_id}#", "SortKeyAlias": "ALBUM#"},
            "NonKeyAttributes": ["album_id", "tags", "nothing", "GSI1PK", "_type", "bad-name"],
        },
    ]
    attrs = [
        {"AttributeName": "album_id", "AttributeType": "S"},
        {"AttributeName": "tags", "AttributeType": "SS"},
        {"AttributeName": "nothing", "AttributeType": "NULL"},
        {"AttributeName": "GSI1PK", "AttributeType": "S"},
    ]
    skeleton = import_workbench(document(table(TableFacets=facets, NonKeyAttributes=attrs)))
    entities = entities_of(skeleton.text)
    assert list(entities) == ["Song", "Album"]
    assert "identity" not in entities["Song"]
    assert "# identity: [...]  TODO" in skeleton.text
    assert entities["Album"] == {"identity": ["album_id"], "attributes": {"album_id": "str", "tags": "list"}}
    said = "\n".join(skeleton.unmapped)
    for words in (
        "'Song': its key aliases",
        "'Play Log'",
        "tags is a set (SS)",
        "nothing has type 'NULL'",
        "bad-name",
    ):
        assert words in said
    assert all(f"#   - {u}" in skeleton.text for u in skeleton.unmapped)


def test_several_tables_need_a_choice() -> None:
    text = document(table(), table(TableName="Other"))
    with pytest.raises(DefinitionError, match="2 tables \\(Music, Other\\)") as info:
        import_workbench(text)
    assert "--table" in (info.value.hint or "")
    assert import_workbench(text, table="Other").app == "Other"
    with pytest.raises(DefinitionError, match="no table 'Nope'"):
        import_workbench(text, table="Nope")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json {", "not valid JSON"),
        ("[1, 2]", "not a NoSQL Workbench data model"),
        ('{"DataModel": []}', "not a NoSQL Workbench data model"),
        ('{"DataModel": [1]}', "DataModel[0] must be an object"),
        ('{"DataModel": [{"TableName": "T"}]}', "KeyAttributes must be an object"),
        ('{"DataModel": [{"TableName": "T", "KeyAttributes": {"PartitionKey": {}}}]}', "AttributeName"),
        ('{"DataModel": [{"TableName": 5}]}', "TableName must be a non-empty string"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper"),
        (document(table(TableFacets="x")), "TableFacets must be a list"),
    ],
)
def test_bad_input_is_a_definition_error_with_a_hint(text: str, words: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(words)) as info:
        import_workbench(text, source="model.json")
    assert info.value.hint
    assert "model.json" in info.value.message


def test_a_huge_file_is_refused_before_it_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbench_import, "MAX_BYTES", 100)
    with pytest.raises(DefinitionError, match="is read up to 100") as info:
        import_workbench(b"{" + b" " * 200 + b"}")
    assert info.value.hint
