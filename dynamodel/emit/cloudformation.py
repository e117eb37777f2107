"""CloudFormation for the table of a design (YAML or JSON; both pass cfn-lint).

The template holds one ``AWS::DynamoDB::Table`` (logical id ``Table``) named
``<app>-${Stage}``, with exactly the key attributes the design uses, every GSI, on-demand
billing unless provisioned capacity is asked for, a ``NEW_AND_OLD_IMAGES`` stream when the
design has copies to propagate, point-in-time recovery, SSE with the AWS-managed KMS key,
and ``Retain`` on deletion and replacement so a stack mistake never drops data.

TTL: DynamoDB takes one TTL attribute per table while each entity declares its own, so
the table expires items on ``_expires_at`` (epoch seconds), which the runtime writes from
the entity's ``ttl`` attribute. The template enables it only when some entity has a ``ttl``.

Outputs ``TableName``, ``TableArn`` and (with a stream) ``StreamArn`` are exported as
``${AWS::StackName}-TableName`` etc., which the SAM stack of :mod:`dynamodel.emit.sam`
imports. Intrinsic functions use the long form (``{"Fn::Sub": ...}``) so the YAML and the
JSON text carry the same document. The table's ``Metadata`` documents the key templates.
"""

from __future__ import annotations

from dynamodel.design.model import TABLE, Design
from dynamodel.emit._common import (
    DEFAULT_STAGE,
    GENERATED_BY,
    STREAM_VIEW_TYPE,
    TTL_ATTRIBUTE,
    Billing,
    Capacity,
    JsonDict,
    check_billing,
    key_layout,
    key_schema,
    needs_stream,
    needs_ttl,
    projection,
    table_attribute_definitions,
    throughput,
    to_text,
)
from dynamodel.errors import DefinitionError

TABLE_LOGICAL_ID = "Table"
_MAX_TABLE_NAME = 255
_SHORTEST_STAGE = 1


def export_name(output: str) -> JsonDict:
    """The export name of a table-stack output, e.g. ``${AWS::StackName}-TableArn``."""
    return {"Fn::Sub": f"${{AWS::StackName}}-{output}"}


def render_table_resource(
    design: Design, *, billing: Billing = "PAY_PER_REQUEST", capacity: Capacity | None = None
) -> JsonDict:
    """The ``AWS::DynamoDB::Table`` resource alone (used by the template and by tests).

    Args:
        design: the derived design.
        billing: ``PAY_PER_REQUEST`` (on demand) or ``PROVISIONED``.
        capacity: with ``PROVISIONED``, (read, write) units by ``table`` or GSI name;
            indexes left out get 5/5.

    Returns:
        The resource as a dict, keys in a fixed order.

    Raises:
        DefinitionError: the billing options are inconsistent (see ``check_billing``).
    """
    units = check_billing(design, billing, capacity)
    props: JsonDict = {
        "TableName": {"Fn::Sub": f"{design.app.name}-${{Stage}}"},
        "BillingMode": billing,
        "AttributeDefinitions": table_attribute_definitions(design),
        "KeySchema": key_schema(design.table),
    }
    if units:
        props["ProvisionedThroughput"] = throughput(units[TABLE])
    if design.indexes:
        gsis: list[JsonDict] = []
        for ix in design.indexes:
            gsi: JsonDict = {"IndexName": ix.name, "KeySchema": key_schema(ix), "Projection": projection(ix)}
            if units:
                gsi["ProvisionedThroughput"] = throughput(units[ix.name])
            gsis.append(gsi)
        props["GlobalSecondaryIndexes"] = gsis
    if design.local_indexes:  # LSIs share the table's capacity: no throughput of their own
        props["LocalSecondaryIndexes"] = [
            {"IndexName": ix.name, "KeySchema": key_schema(ix), "Projection": projection(ix)}
            for ix in design.local_indexes
        ]
    if needs_stream(design):
        props["StreamSpecification"] = {"StreamViewType": STREAM_VIEW_TYPE}
    if needs_ttl(design):
        props["TimeToLiveSpecification"] = {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    props["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS"}
    return {
        "Type": "AWS::DynamoDB::Table",
        # Retain on both, so neither a stack deletion nor a replacing update deletes the data.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Metadata": {"Dynamodel": key_layout(design)},
        "Properties": props,
    }


def render_cloudformation(
    design: Design, *, billing: Billing = "PAY_PER_REQUEST", capacity: Capacity | None = None
) -> JsonDict:
    """The CloudFormation template of the design's table.

    Args:
        design: the derived design.
        billing: ``PAY_PER_REQUEST`` (default) or ``PROVISIONED``.
        capacity: per-index (read, write) units for ``PROVISIONED``.

    Returns:
        The template as a dict (render it with :func:`render_cloudformation_text`).

    Raises:
        DefinitionError: the billing options are inconsistent, or the app name leaves
            no room for the stage in a 255-character table name.

    Example:
        >>> from dynamodel.spec_file import load_spec_file  # doctest: +SKIP
        >>> template = render_cloudformation(derive(load_spec_file("shop.yaml")))  # doctest: +SKIP
        >>> template["Resources"]["Table"]["Properties"]["BillingMode"]  # doctest: +SKIP
        'PAY_PER_REQUEST'
    """
    room = _MAX_TABLE_NAME - len(design.app.name) - 1
    if room < _SHORTEST_STAGE:
        msg = f"App name '{design.app.name[:40]}...' is {len(design.app.name)} characters; with '-<Stage>' the table name would pass DynamoDB's {_MAX_TABLE_NAME}."
        longest = _MAX_TABLE_NAME - 1 - _SHORTEST_STAGE
        raise DefinitionError(msg, hint=f"shorten the app name to {longest} characters or fewer")
    table = render_table_resource(design, billing=billing, capacity=capacity)
    outputs: JsonDict = {
        "TableName": {
            "Description": "Name of the table",
            "Value": {"Ref": TABLE_LOGICAL_ID},
            "Export": {"Name": export_name("TableName")},
        },
        "TableArn": {
            "Description": "ARN of the table",
            "Value": {"Fn::GetAtt": [TABLE_LOGICAL_ID, "Arn"]},
            "Export": {"Name": export_name("TableArn")},
        },
    }
    if needs_stream(design):
        outputs["StreamArn"] = {
            "Description": "ARN of the table's stream, read by the propagation stack",
            "Value": {"Fn::GetAtt": [TABLE_LOGICAL_ID, "StreamArn"]},
            "Export": {"Name": export_name("StreamArn")},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"DynamoDB table of the dynamodel app '{design.app.name}' ({GENERATED_BY})",
        "Parameters": {
            "Stage": {
                "Type": "String",
                "Description": f"Deployment stage; the table is named {design.app.name}-<Stage>",
                "Default": DEFAULT_STAGE,
                "AllowedPattern": "^[A-Za-z0-9_.-]+$",
                "MinLength": 1,
                "MaxLength": room,
            }
        },
        "Resources": {TABLE_LOGICAL_ID: table},
        "Outputs": outputs,
    }


def render_cloudformation_text(
    design: Design,
    *,
    as_json: bool = False,
    billing: Billing = "PAY_PER_REQUEST",
    capacity: Capacity | None = None,
) -> str:
    """The CloudFormation template as YAML (default) or JSON text; same design, same bytes.

    Args:
        design: the derived design.
        as_json: JSON instead of YAML.
        billing: ``PAY_PER_REQUEST`` (default) or ``PROVISIONED``.
        capacity: per-index (read, write) units for ``PROVISIONED``.

    Returns:
        The template text, ending in a newline.

    Raises:
        DefinitionError: the billing options are inconsistent.
    """
    return to_text(render_cloudformation(design, billing=billing, capacity=capacity), as_json=as_json)
