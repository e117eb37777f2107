"""Projections as the third objective: INCLUDE exactly what the readers name, ALL otherwise."""

from __future__ import annotations

import sys
import types
from typing import Any

from moto import mock_aws
from projection_app import helpdesk
from test_emit_cloudformation import _lint

from dynamodel import App
from dynamodel.design import design_to_dict
from dynamodel.design.cost import estimate
from dynamodel.emit import render_cloudformation_text, render_create_table, render_pynamodb
from dynamodel.migrate.diff import diff_designs
from dynamodel.migrate.ops import CreateIndex


def test_an_index_whose_readers_name_their_fields_includes_just_those() -> None:
    (ix,) = helpdesk().design.indexes
    assert ix.projection == "INCLUDE"
    # The field, the identity the instance is built from, and what the runtime decodes with.
    assert ix.non_key_attributes == ("_born", "_type", "_version", "tenant_id", "ticket_id", "title")
    (whole,) = helpdesk(fields=()).design.indexes
    assert whole.projection == "ALL"


def test_the_design_json_and_every_emitter_say_include() -> None:
    design = helpdesk().design
    (listed,) = design_to_dict(design)["indexes"]
    assert listed["non_key_attributes"] == list(design.indexes[0].non_key_attributes)
    assert "non_key_attributes" not in design_to_dict(helpdesk(fields=()).design)["indexes"][0]
    (gsi,) = render_create_table(design, "t")["GlobalSecondaryIndexes"]
    assert gsi["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": list(listed["non_key_attributes"]),
    }
    assert _lint(render_cloudformation_text(design)) == []


def test_pynamodb_models_create_the_same_include_index() -> None:
    design = helpdesk().design
    module = types.ModuleType("helpdesk_models")
    exec(compile(render_pynamodb(design), "helpdesk_models", "exec"), module.__dict__)
    sys.modules.pop("helpdesk_models", None)
    with mock_aws():
        import boto3

        base: Any = next(v for k, v in vars(module).items() if k.endswith("Item") and isinstance(v, type))
        base.Meta.table_name = "helpdesk-p"
        base.Meta.region = "us-east-1"
        base.create_table(wait=True)
        described = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName="helpdesk-p")
    (gsi,) = described["Table"]["GlobalSecondaryIndexes"]
    assert gsi["Projection"]["ProjectionType"] == "INCLUDE"
    assert sorted(gsi["Projection"]["NonKeyAttributes"]) == list(design.indexes[0].non_key_attributes)


def test_include_reads_fewer_units_than_all() -> None:
    def queue_units(fields: tuple[str, ...]) -> float:
        report = estimate(helpdesk(fields=fields).design)
        return next(p.read_units for p in report.patterns if p.name == "queue")

    assert queue_units(("title",)) < queue_units(())


def test_naming_fields_later_builds_a_new_index_beside_the_deployed_one() -> None:
    deployed = helpdesk(fields=())
    edited = helpdesk()
    edited_against = App(
        "helpdesk", list(edited.models.values()), list(edited.spec.patterns), baseline=deployed
    )
    (ix,) = edited_against.design.indexes
    assert (ix.name, ix.projection) == ("GSI2", "INCLUDE")  # not GSI1: a projection cannot change in place
    ops = diff_designs(design_to_dict(deployed.design), design_to_dict(edited_against.design))
    kinds = [type(op).__name__ for op in ops]
    # Expanding steps first (the new index created and filled), then the old one removed.
    assert kinds[:2] == ["CreateIndex", "FillIndexKeys"]
    assert sorted(kinds[2:]) == ["DeleteIndex", "RemoveIndexKeys"]
    created = ops[0]
    assert isinstance(created, CreateIndex)
    assert created.index["name"] == "GSI2"


def test_explain_help_and_stubs_say_what_the_items_hold() -> None:
    from dynamodel.runtime.stubs import render_protocol

    app = helpdesk()
    assert "GSI1: INCLUDE _born, _type, _version, tenant_id, ticket_id, title" in app.explain()
    stubs = render_protocol(app)
    assert '"""Items hold only tenant_id, ticket_id, title (PartialItemError for the rest)."""' in stubs
    compile(stubs, "stubs", "exec")
    assert "Items hold only" not in render_protocol(helpdesk(fields=()))
