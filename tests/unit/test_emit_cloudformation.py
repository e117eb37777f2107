"""CloudFormation and SAM templates: cfn-lint clean for every case, and the table they describe.

cfn-lint runs in-process through one shared ``Runner`` (its rules load once); each template
is linted once, and a guard test proves the harness does report a broken template.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import pytest
import yaml
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.runner import Runner
from test_emit_support import CASE_IDS, COPY_CASE_IDS, design_of, shop_raw

from dynamodel.design import Design, derive
from dynamodel.emit import (
    render_cloudformation,
    render_cloudformation_text,
    render_sam,
    render_sam_text,
)
from dynamodel.errors import DefinitionError
from dynamodel.spec_file import parse_spec


@functools.cache
def _runner() -> Any:
    # Loading cfn-lint's rules takes most of a lint run; cfn-lint's own CLI reuses one Runner too.
    return Runner(ConfigMixIn(regions=["us-east-1"]))


def _lint(text: str) -> list[str]:
    """Every cfn-lint match (errors, warnings and parse failures) as text; [] when clean."""
    template, errors = decode_str(text)
    if errors:
        return [str(e) for e in errors]
    return [str(match) for match in _runner().validate_template(template)]


def _table(design: Design, **options: Any) -> dict[str, Any]:
    return render_cloudformation(design, **options)["Resources"]["Table"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("as_json", [False, True], ids=["yaml", "json"])
@pytest.mark.parametrize("case", CASE_IDS)
def test_cloudformation_passes_cfn_lint(case: str, as_json: bool) -> None:
    assert _lint(render_cloudformation_text(design_of(case), as_json=as_json)) == []


@pytest.mark.parametrize("case", ["spec/shop", "local/shop_ttl", "local/kitchen_sink"])
def test_provisioned_cloudformation_passes_cfn_lint(case: str) -> None:
    design = design_of(case)
    capacity = {"table": (10, 20), **{ix.name: (3, 4) for ix in design.indexes[:1]}}
    text = render_cloudformation_text(design, billing="PROVISIONED", capacity=capacity)
    assert _lint(text) == []


@pytest.mark.parametrize("as_json", [False, True], ids=["yaml", "json"])
@pytest.mark.parametrize("case", COPY_CASE_IDS)
def test_sam_passes_cfn_lint(case: str, as_json: bool) -> None:
    assert _lint(render_sam_text(design_of(case), as_json=as_json)) == []


def test_the_linter_reports_a_broken_template() -> None:
    # Guards the tests above: a lint harness that never reports anything would pass them all.
    template = render_cloudformation(design_of("spec/shop"))
    template["Resources"]["Table"]["Properties"]["AttributeDefinitions"][0]["AttributeType"] = "X"
    assert _lint(json.dumps(template))
    warned = render_cloudformation(design_of("spec/shop"))
    warned["Parameters"]["Unused"] = {"Type": "String"}
    assert any("W2001" in match for match in _lint(json.dumps(warned))), "warnings count too"
    sam = render_sam(design_of("spec/shop"))
    sam["Resources"]["PropagateFunction"]["Properties"]["MemorySize"] = 1
    assert _lint(json.dumps(sam))


def test_yaml_and_json_carry_the_same_template() -> None:
    design = design_of("spec/shop")
    as_yaml = yaml.safe_load(render_cloudformation_text(design))
    as_json = json.loads(render_cloudformation_text(design, as_json=True))
    assert as_yaml == as_json == render_cloudformation(design)


@pytest.mark.parametrize("case", CASE_IDS)
def test_table_has_exactly_the_key_attributes_it_uses(case: str) -> None:
    design = design_of(case)
    props = _table(design)["Properties"]
    used = {k["AttributeName"] for k in props["KeySchema"]}
    for gsi in props.get("GlobalSecondaryIndexes", []) + props.get("LocalSecondaryIndexes", []):
        used |= {k["AttributeName"] for k in gsi["KeySchema"]}
        ix = design.index(gsi["IndexName"])
        # ALL, or (where every reader names its fields) INCLUDE with the design's attributes.
        wanted: dict[str, object] = {"ProjectionType": ix.projection}
        if ix.projection == "INCLUDE":
            wanted["NonKeyAttributes"] = list(ix.non_key_attributes)
        assert gsi["Projection"] == wanted
    defined = [d["AttributeName"] for d in props["AttributeDefinitions"]]
    assert sorted(defined) == sorted(used)
    # Rendered keys are strings; a native GSI's attributes are typed as they are stored.
    assert {d["AttributeType"] for d in props["AttributeDefinitions"]} <= {"S", "N", "B"}
    assert [g["IndexName"] for g in props.get("LocalSecondaryIndexes", [])] == [
        ix.name for ix in design.local_indexes
    ]
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert [g["IndexName"] for g in props.get("GlobalSecondaryIndexes", [])] == [
        ix.name for ix in design.indexes
    ]


@pytest.mark.parametrize("case", CASE_IDS)
def test_table_options_follow_the_design(case: str) -> None:
    design = design_of(case)
    template = render_cloudformation(design)
    table = template["Resources"]["Table"]
    props = table["Properties"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert props["TableName"] == {"Fn::Sub": f"{design.app.name}-${{Stage}}"}
    assert template["Parameters"]["Stage"]["Default"] == "dev"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    # A stream for copies to propagate or actions to run; TTL for an entity's ttl or the
    # actions' markers (Design.needs_stream, Design.needs_ttl).
    stream = bool(design.copy_paths or design.app.actions)
    assert ("StreamSpecification" in props) == stream == ("StreamArn" in template["Outputs"])
    if stream:
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    ttl = any(e.ttl for e in design.app.entities) or bool(design.app.actions)
    assert ("TimeToLiveSpecification" in props) == ttl
    if ttl:
        assert props["TimeToLiveSpecification"] == {"AttributeName": "_expires_at", "Enabled": True}
    for name, output in template["Outputs"].items():
        assert output["Export"] == {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{name}"}}


def test_metadata_documents_the_key_templates() -> None:
    design = design_of("spec/shop")
    layout = _table(design)["Metadata"]["Dynamodel"]
    assert layout["entities"]["Order"]["GSI1"] == {
        "pk": "CUSTOMER#{customer_id}#",
        "sk": "A_ORDER#{placed_at}#{order_id}#",
    }
    assert layout["entities"]["Order"]["GSI2"]["onlyWhen"] == {"status": "OPEN"}
    assert layout["entities"]["Order"]["GSI2"]["shards"] == 3
    assert layout["uniqueGuards"][0]["attributes"] == ["email"]
    assert _table(design_of("local/shop_ttl"))["Metadata"]["Dynamodel"]["timeToLive"] == {
        "attribute": "_expires_at",
        "writtenFrom": {"Order": "expires"},
    }


def test_provisioned_capacity_per_index() -> None:
    design = design_of("spec/shop")
    props = _table(design, billing="PROVISIONED", capacity={"table": (10, 20), "GSI2": (1, 2)})["Properties"]
    assert props["BillingMode"] == "PROVISIONED"
    assert props["ProvisionedThroughput"] == {"ReadCapacityUnits": 10, "WriteCapacityUnits": 20}
    by_name = {g["IndexName"]: g["ProvisionedThroughput"] for g in props["GlobalSecondaryIndexes"]}
    assert by_name == {
        "GSI1": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        "GSI2": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2},
    }


@pytest.mark.parametrize(
    ("options", "fragment", "fix"),
    [
        ({"billing": "ON_DEMAND"}, "billing mode", "'PROVISIONED'"),
        ({"capacity": {"table": (1, 1)}}, "PAY_PER_REQUEST", "billing='PROVISIONED'"),
        ({"billing": "PROVISIONED", "capacity": {"GSI9": (1, 1)}}, "GSI9", "one of: table, GSI1, GSI2"),
        ({"billing": "PROVISIONED", "capacity": {"table": (0, 1)}}, "at least 1", "such as (5, 5)"),
        ({"billing": "PROVISIONED", "capacity": {"table": (1.5, 1)}}, "whole", "such as (5, 5)"),
    ],
)
def test_bad_billing_options_say_how_to_fix_them(options: dict[str, Any], fragment: str, fix: str) -> None:
    with pytest.raises(DefinitionError, match=fragment) as info:
        render_cloudformation(design_of("spec/shop"), **options)
    assert fix in (info.value.hint or ""), info.value.hint


def test_sam_subscribes_the_propagation_function_to_the_imported_stream() -> None:
    template = render_sam(design_of("spec/shop"), batch_size=50, maximum_retry_attempts=2)
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    fn = template["Resources"]["PropagateFunction"]["Properties"]
    assert fn["Handler"] == "dynamodel.propagate.handler.lambda_handler"
    assert fn["Runtime"] == "python3.12"
    assert fn["Environment"]["Variables"]["TABLE_NAME"] == {
        "Fn::ImportValue": {"Fn::Sub": "${TableStackName}-TableName"}
    }
    event = fn["Events"]["TableStream"]
    assert event["Type"] == "DynamoDB"
    props = event["Properties"]
    assert props["Stream"] == {"Fn::ImportValue": {"Fn::Sub": "${TableStackName}-StreamArn"}}
    assert props["BatchSize"] == 50
    assert props["MaximumRetryAttempts"] == 2
    assert props["BisectBatchOnFunctionError"] is True
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Failed batches go to the failure topic (published to its subscribers), and the
    # dead-letter queue, subscribed to it, keeps them (tests/unit/test_emit_stacks.py has more).
    assert props["DestinationConfig"]["OnFailure"] == {"Type": "SNS", "Destination": {"Ref": "FailureTopic"}}
    resources = template["Resources"]
    assert resources["FailureTopic"]["Type"] == "AWS::SNS::Topic"
    assert resources["DeadLetterQueue"]["Type"] == "AWS::SQS::Queue"
    assert resources["DeadLetterSubscription"]["Properties"]["Endpoint"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]
    }


@pytest.mark.parametrize("case", COPY_CASE_IDS)
def test_sam_reads_the_stream_from_its_oldest_record(case: str) -> None:
    # With LATEST, writes made between the table stack and this stack would never reach
    # their copies; the stream keeps 24 h, so TRIM_HORIZON replays them (the handler is idempotent).
    props = render_sam(design_of(case))["Resources"]["PropagateFunction"]["Properties"]
    assert props["Events"]["TableStream"]["Properties"]["StartingPosition"] == "TRIM_HORIZON"


def test_sam_role_is_limited_to_the_table_its_stream_and_the_topic() -> None:
    template = render_sam(design_of("spec/shop"))
    role = template["Resources"]["PropagateRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    text = json.dumps(statements)
    assert '"*"' not in text, "no statement may grant every resource"
    assert "TableStackName}-TableArn" in text
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(not a.endswith("*") for a in actions)
    assert "Policies" not in template["Resources"]["PropagateFunction"]["Properties"]


def test_sam_refuses_a_design_without_copies() -> None:
    raw = shop_raw()
    del raw["entities"]["Order"]["attributes"]["customer_name"]
    with pytest.raises(DefinitionError, match="nothing to propagate") as info:
        render_sam(derive(parse_spec(raw)))
    assert "skip --format sam" in (info.value.hint or ""), info.value.hint


@pytest.mark.parametrize(
    ("option", "value"), [("batch_size", 0), ("batch_size", 10_001), ("maximum_retry_attempts", -1)]
)
def test_sam_rejects_settings_lambda_refuses(option: str, value: int) -> None:
    with pytest.raises(DefinitionError, match=option):
        render_sam(design_of("spec/shop"), **{option: value})


def test_an_app_name_too_long_for_a_table_name_is_refused() -> None:
    design = design_of("spec/shop")
    long_app = dataclasses.replace(design.app, name="a" * 254)
    with pytest.raises(DefinitionError, match="255") as info:
        render_cloudformation(dataclasses.replace(design, app=long_app))
    assert "shorten the app name to 253 characters" in (info.value.hint or ""), info.value.hint
