"""SAM template for the propagation function: one stack per event source and action.

The function (``dynamodel.propagate.handler.lambda_handler``) reads the table's stream and
updates the denormalised copies. It lives in its own stack so the table stack never
changes when the code does; it finds the table through the table stack's exports
(``${TableStackName}-TableName``, ``-TableArn``, ``-StreamArn``, see
:mod:`dynamodel.emit.cloudformation`).

Failure handling: ``BisectBatchOnFunctionError`` splits a failing batch to isolate the bad
record, ``ReportBatchItemFailures`` lets the handler retry only what failed,
``MaximumRetryAttempts`` bounds the retries, and records that still fail go to an SQS
dead-letter queue defined here.

Permissions: the function gets its own role instead of SAM's generated one, because SAM
attaches ``AWSLambdaDynamoDBExecutionRole`` for a DynamoDB event, which reads every
stream in the account. The role reads only this table's stream, reads and updates only
this table and its indexes, sends only to the dead-letter queue and logs only to its own
log group.

A design without copies has nothing to propagate, so :func:`render_sam` raises
``DefinitionError`` for it (and ``dynamodel emit --format sam`` exits with that error).
"""

from __future__ import annotations

from dynamodel.design.model import Design
from dynamodel.emit._common import GENERATED_BY, JsonDict, needs_stream, to_text
from dynamodel.errors import DefinitionError

HANDLER = "dynamodel.propagate.handler.lambda_handler"
RUNTIME = "python3.12"
FUNCTION_LOGICAL_ID = "PropagateFunction"
DEFAULT_BATCH_SIZE = 100
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 3
# Lambda's limits for a DynamoDB stream event source mapping.
_BATCH_SIZE_RANGE = (1, 10_000)
_RETRY_RANGE = (0, 10_000)
_FOURTEEN_DAYS = 1_209_600  # seconds; the longest SQS keeps a message


def _imported(output: str) -> JsonDict:
    return {"Fn::ImportValue": {"Fn::Sub": f"${{TableStackName}}-{output}"}}


def _under_table_arn(suffix: str) -> JsonDict:
    # Fn::Sub with a variable map, because the ARN is an import, not a parameter.
    return {"Fn::Sub": [f"${{TableArn}}{suffix}", {"TableArn": _imported("TableArn")}]}


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        msg = (
            f"{name} is {value!r}; Lambda accepts a whole number from {low} to {high} for a DynamoDB stream."
        )
        raise DefinitionError(msg, hint=f"pass {name} within {low}..{high}")


def _role(design: Design) -> JsonDict:
    statements: list[JsonDict] = [
        {
            "Sid": "ReadTableStream",
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            "Resource": _under_table_arn("/stream/*"),
        },
        {
            "Sid": "UpdateCopies",
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:ConditionCheckItem",
            ],
            "Resource": [_imported("TableArn"), _under_table_arn("/index/*")],
        },
        {
            "Sid": "SendFailedRecords",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["LogGroup", "Arn"]},
        },
    ]
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"Propagation of copies in the dynamodel app '{design.app.name}'",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "propagate-copies",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def render_sam(
    design: Design,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
) -> JsonDict:
    """The SAM template of the propagation function for the design's copies.

    Args:
        design: the derived design; it must have at least one copy (``copy_of``).
        batch_size: stream records per invocation (1..10000).
        maximum_retry_attempts: retries of a failing batch before its records go to the
            dead-letter queue (0..10000).

    Returns:
        The template as a dict (render it with :func:`render_sam_text`).

    Raises:
        DefinitionError: the design has no copies, or a setting is out of Lambda's range.

    Example:
        >>> template = render_sam(derive(load_spec_file("shop.yaml")))  # doctest: +SKIP
        >>> template["Transform"]  # doctest: +SKIP
        'AWS::Serverless-2016-10-31'
    """
    if not needs_stream(design):
        msg = f"App '{design.app.name}' has no copies that change after they are written (copies of immutable attributes are filled at write time), so there is nothing to propagate and no SAM stack to emit."
        raise DefinitionError(
            msg,
            hint="declare a Copy(...) attribute if a listing needs another entity's field, or skip --format sam",
        )
    _check_range("batch_size", batch_size, _BATCH_SIZE_RANGE)
    _check_range("maximum_retry_attempts", maximum_retry_attempts, _RETRY_RANGE)
    function: JsonDict = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Description": f"Keeps the copies of the dynamodel app '{design.app.name}' fresh",
            "Handler": HANDLER,
            "Runtime": RUNTIME,
            "CodeUri": {"Ref": "CodeUri"},
            "MemorySize": 256,
            "Timeout": 60,
            "Role": {"Fn::GetAtt": ["PropagateRole", "Arn"]},
            "LoggingConfig": {"LogGroup": {"Ref": "LogGroup"}},
            "Environment": {
                "Variables": {"TABLE_NAME": _imported("TableName"), "DYNAMODEL_APP": {"Ref": "AppTarget"}}
            },
            "Events": {
                "TableStream": {
                    "Type": "DynamoDB",
                    "Properties": {
                        "Stream": _imported("StreamArn"),
                        # LATEST would skip every write made before this stack exists; replaying
                        # the stream's 24 h is safe, since a copy update never goes back in version.
                        "StartingPosition": "TRIM_HORIZON",
                        "BatchSize": batch_size,
                        "BisectBatchOnFunctionError": True,
                        "MaximumRetryAttempts": maximum_retry_attempts,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "DestinationConfig": {
                            "OnFailure": {
                                "Type": "SQS",
                                "Destination": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
                            }
                        },
                    },
                }
            },
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"Propagation of copies for the dynamodel app '{design.app.name}' ({GENERATED_BY})",
        "Parameters": {
            "TableStackName": {
                "Type": "String",
                "Description": "Name of the stack holding the table (the dynamodel CloudFormation template)",
                "AllowedPattern": "^[A-Za-z][A-Za-z0-9-]*$",
                "MaxLength": 128,
            },
            "CodeUri": {
                "Type": "String",
                "Description": "S3 URI (s3://bucket/key.zip) of a package holding dynamodel and the app",
            },
            # The handler loads the App by import path (dynamodel.targets.load_app_spec), not by name.
            "AppTarget": {
                "Type": "String",
                "Description": f"Import path of the App in the package, module:APP (e.g. myapp.models:{design.app.name})",
                "AllowedPattern": "^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$",
            },
        },
        "Resources": {
            "DeadLetterQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"MessageRetentionPeriod": _FOURTEEN_DAYS, "SqsManagedSseEnabled": True},
            },
            "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
            "PropagateRole": _role(design),
            FUNCTION_LOGICAL_ID: function,
        },
        "Outputs": {
            "FunctionArn": {
                "Description": "ARN of the propagation function",
                "Value": {"Fn::GetAtt": [FUNCTION_LOGICAL_ID, "Arn"]},
            },
            "DeadLetterQueueUrl": {
                "Description": "Queue receiving the stream records that kept failing",
                "Value": {"Ref": "DeadLetterQueue"},
            },
        },
    }


def render_sam_text(
    design: Design,
    *,
    as_json: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
) -> str:
    """The SAM template as YAML (default) or JSON text.

    Args:
        design: the derived design; it must have at least one copy.
        as_json: JSON instead of YAML.
        batch_size: stream records per invocation.
        maximum_retry_attempts: retries of a failing batch.

    Returns:
        The template text, ending in a newline.

    Raises:
        DefinitionError: as :func:`render_sam`.
    """
    template = render_sam(design, batch_size=batch_size, maximum_retry_attempts=maximum_retry_attempts)
    return to_text(template, as_json=as_json)
