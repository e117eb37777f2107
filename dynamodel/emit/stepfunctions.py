"""SAM template of the migration fan-out: ``migrate up`` as a Step Functions state machine.

The same run as :class:`dynamodel.migrator.runner.MigrationRunner` (its lease, ``STATE#``,
segment checkpoints and ``APPLIED#`` items), with the scan segments of each item-level
operation spread over Lambda calls by a Distributed Map instead of threads; the Lambda side
is :mod:`dynamodel.migrator.fanout`. ``Prepare`` plans the next operation, ``Segments`` maps
its segments (each child calls the segment function until its checkpoint says done, with
Retry for transient errors and a Catch that fails the child with the error; no failure is
tolerated), ``Finish`` records the revision; any failure goes to ``Abort``, which gives the
lease back. docs/architecture.md ("The migration fan-out") draws the states.

Children run as STANDARD workflows: a segment of a big table runs longer than the five
minutes an EXPRESS workflow may, and a STANDARD child runs each of its states once.

``MaxConcurrency``: ``max_wcu`` over what one worker writes at most (:data:`WORKER_WCU`),
rounded up, between 1 and the number of segments; each worker paces itself at
``max_wcu / MaxConcurrency``, so together they keep to ``max_wcu``.

Permissions: the functions' role reads and writes only this table and its indexes and logs
only to the stack's log group; the state machine's role invokes only the stack's functions
and starts, watches and stops only its own executions (the map's children).
"""

from __future__ import annotations

import math

from dynamodel.design.model import Design
from dynamodel.emit._common import DEFAULT_STAGE, GENERATED_BY, JsonDict
from dynamodel.errors import DefinitionError

__all__ = [
    "FINISH_HANDLER",
    "PREPARE_HANDLER",
    "SEGMENT_HANDLER",
    "STATE_MACHINE_LOGICAL_ID",
    "TRANSIENT_ERRORS",
    "WORKER_WCU",
    "map_concurrency",
    "render_migrate_stack",
    "worker_budget",
]

PREPARE_HANDLER = "dynamodel.migrator.fanout.prepare_handler"
SEGMENT_HANDLER = "dynamodel.migrator.fanout.segment_handler"
FINISH_HANDLER = "dynamodel.migrator.fanout.finish_handler"
RUNTIME = "python3.12"
STATE_MACHINE_LOGICAL_ID = "MigrateStateMachine"
WORKER_WCU = 200.0
"""Write units per second one worker sends at most: one write at a time, about 5 ms each in-region."""
WAIT_SECONDS = 30
MAX_SEGMENTS = 1000
"""The map's results (a small report per segment) must fit Step Functions' 256 KiB of state data."""
SEGMENT_TIMEOUT = 900  # Lambda's longest; a call stops itself before it (fanout.TIME_MARGIN_MS)

_LAMBDA_ERRORS = ("ServiceException", "AWSLambdaException", "SdkClientException", "TooManyRequestsException")
TRANSIENT_ERRORS = (
    *("ThrottledError", "ExecutionError", "TransactionCancelledError"),
    *(f"Lambda.{name}" for name in _LAMBDA_ERRORS),
    *("Sandbox.Timedout", "States.Timeout"),
)
"""Errors a call may be retried after: DynamoDB refusals and throttling that outlasted the
call's own retries, Lambda's service errors, and a call cut off by its time limit."""

# Transactions need no action of their own: each of their items needs its action.
_TABLE_ACTIONS = (
    *("BatchGetItem", "ConditionCheckItem", "DeleteItem", "DescribeTable", "DescribeTimeToLive", "GetItem"),
    *("PutItem", "Query", "Scan", "UpdateItem", "UpdateTable", "UpdateTimeToLive"),
)
# Names: '<app>-migrate-<role>-<Stage>'; Lambda allows 64 characters of [A-Za-z0-9_-].
_FUNCTION_NAME_LIMIT = 64
_FUNCTIONS = (  # logical id, name part, handler, time limit (s), what it does
    ("PrepareFunction", "prepare", PREPARE_HANDLER, 300, "applies table operations, plans segments"),
    ("SegmentFunction", "segment", SEGMENT_HANDLER, SEGMENT_TIMEOUT, "runs one scan segment"),
    ("FinishFunction", "finish", FINISH_HANDLER, 300, "records the revision, gives the lease back"),
)


def map_concurrency(segments: int, max_wcu: float | None, worker_wcu: float = WORKER_WCU) -> int:
    """The Distributed Map's ``MaxConcurrency``: workers the budget keeps busy, 1..``segments``."""
    if max_wcu is None:
        return segments
    return max(1, min(segments, math.ceil(max_wcu / worker_wcu)))


def worker_budget(max_wcu: float | None, concurrency: int) -> float | None:
    """Write units per second for each worker, so that ``concurrency`` of them keep to ``max_wcu``."""
    return None if max_wcu is None else max_wcu / concurrency


def _check(segments: int, max_wcu: float | None, worker_wcu: float) -> None:
    if isinstance(segments, bool) or not isinstance(segments, int) or not 1 <= segments <= MAX_SEGMENTS:
        msg = f"segments is {segments!r}; the fan-out runs 1 to {MAX_SEGMENTS} scan segments per operation."
        raise DefinitionError(msg, hint=f"pass --segments between 1 and {MAX_SEGMENTS}")
    for name, value in (("max_wcu", max_wcu), ("worker_wcu", worker_wcu)):
        if value is not None and not (isinstance(value, int | float) and 0 < value < math.inf):
            msg = f"{name} is {value!r}; a write budget is a number of units per second above 0."
            raise DefinitionError(msg, hint=f"pass {name} > 0 (max_wcu=None for no limit)")


def _imported(output: str) -> JsonDict:
    return {"Fn::ImportValue": {"Fn::Sub": f"${{TableStackName}}-{output}"}}


def _name(app: str, role: str) -> JsonDict:
    return {"Fn::Sub": f"{app}-migrate-{role}-${{Stage}}"}


def _states_arn(app: str, kind: str, suffix: str = "") -> JsonDict:
    # Built, not read with GetAtt: the state machine's role cannot refer to the state machine.
    return {
        "Fn::Sub": f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:{kind}:{app}-migrate-${{Stage}}{suffix}"
    }


def _role(service: str, description: str, name: str, statements: list[JsonDict]) -> JsonDict:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": description,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
                ],
            },
            "Policies": [
                {"PolicyName": name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
            ],
        },
    }


def _allow(sid: str, action: str | list[str], resource: object) -> JsonDict:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}


def _function_role(app: str) -> JsonDict:
    table = _imported("TableArn")
    indexes = {"Fn::Sub": ["${TableArn}/index/*", {"TableArn": table}]}
    return _role(
        "lambda.amazonaws.com",
        f"Migration fan-out functions of the dynamodel app '{app}'",
        "migrate-table",
        [
            _allow("MigrateTable", [f"dynamodb:{a}" for a in _TABLE_ACTIONS], [table, indexes]),
            _allow(
                "WriteLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                {"Fn::GetAtt": ["LogGroup", "Arn"]},
            ),
        ],
    )


def _state_machine_role(app: str) -> JsonDict:
    functions = [logical for logical, *_ in _FUNCTIONS]
    arns = [{"Fn::GetAtt": [f, "Arn"]} for f in functions] + [
        {"Fn::Sub": f"${{{f}.Arn}}:*"} for f in functions
    ]
    return _role(
        "states.amazonaws.com",
        f"Migration fan-out state machine of the dynamodel app '{app}'",
        "run-migration",
        [
            _allow("InvokeOwnFunctions", "lambda:InvokeFunction", arns),
            _allow("RunOwnMapChildren", "states:StartExecution", _states_arn(app, "stateMachine")),
            _allow(
                "WatchOwnMapChildren",
                ["states:DescribeExecution", "states:StopExecution"],
                _states_arn(app, "execution", "/*"),
            ),
        ],
    )


def _retry(attempts: int) -> list[JsonDict]:
    backoff = {"IntervalSeconds": 1, "BackoffRate": 2.0, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"}
    return [{"ErrorEquals": list(TRANSIENT_ERRORS), **backoff, "MaxAttempts": attempts}]


def _to_abort() -> list[JsonDict]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Abort"}]


def _definition(segments: int, concurrency: int, budget: float | None) -> JsonDict:
    """The state machine's definition (ASL), the functions' ARNs left as ``${PrepareFunctionArn}``…"""
    selector: JsonDict = {"job.$": "$$.Map.Item.Value", "owner.$": "$$.Execution.Name"}
    if budget is not None:
        selector["max_wcu"] = budget
    segment_states: JsonDict = {
        "Segment": {
            "Type": "Task",
            "Comment": "One call: from the segment's checkpoint until done or near the time limit",
            "Resource": "${SegmentFunctionArn}",
            "ResultPath": "$.report",
            "Retry": _retry(8),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Segment failed"}],
            "Next": "Segment done?",
        },
        "Segment done?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.report.done", "BooleanEquals": True, "Next": "Segment finished"}],
            "Default": "Segment",
        },
        "Segment finished": {"Type": "Pass", "OutputPath": "$.report", "End": True},
        "Segment failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
    }
    return {
        "Comment": f"dynamodel migrate up, fanned out ({GENERATED_BY})",
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Pass",
                "Parameters": {"request.$": "$", "step": {"action": "start"}, "results": []},
                "Next": "Prepare",
            },
            "Prepare": {
                "Type": "Task",
                "Resource": "${PrepareFunctionArn}",
                "Parameters": {
                    "request.$": "$.request",
                    "previous.$": "$.step",
                    "results.$": "$.results",
                    "owner.$": "$$.Execution.Name",
                    "segments": segments,
                },
                "ResultPath": "$.step",
                "Retry": _retry(5),
                "Catch": _to_abort(),
                "Next": "Route",
            },
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.step.action", "StringEquals": "segments", "Next": "Segments"},
                    {"Variable": "$.step.action", "StringEquals": "wait", "Next": "Wait for the table"},
                    {"Variable": "$.step.action", "StringEquals": "finish", "Next": "Finish"},
                ],
                "Default": "Done",
            },
            "Wait for the table": {"Type": "Wait", "Seconds": WAIT_SECONDS, "Next": "Prepare"},
            "Segments": {
                "Type": "Map",
                "Label": "Segments",
                "ItemsPath": "$.step.jobs",
                "ItemSelector": selector,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Segment",
                    "States": segment_states,
                },
                "MaxConcurrency": concurrency,
                "ToleratedFailureCount": 0,
                "ResultPath": "$.results",
                "Catch": _to_abort(),
                "Next": "Prepare",
            },
            "Finish": {
                "Type": "Task",
                "Resource": "${FinishFunctionArn}",
                "Parameters": {"step.$": "$.step", "owner.$": "$$.Execution.Name"},
                "ResultPath": "$.finished",
                "Retry": _retry(5),
                "Catch": _to_abort(),
                "Next": "Prepare",
            },
            "Abort": {
                "Type": "Task",
                "Comment": "Gives the lease back; the run stays recorded, and the next run resumes it",
                "Resource": "${FinishFunctionArn}",
                "Parameters": {"error.$": "$.error", "step.$": "$.step", "owner.$": "$$.Execution.Name"},
                "ResultPath": "$.aborted",
                "Retry": _retry(5),
                "Next": "Failed",
            },
            "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
            "Done": {"Type": "Succeed"},
        },
    }


def _param(description: str, pattern: str | None = None) -> JsonDict:
    found: JsonDict = {"Type": "String", "Description": description}
    return found if pattern is None else found | {"AllowedPattern": pattern}


def _function(app: str, role: str, handler: str, timeout: int, what: str) -> JsonDict:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "FunctionName": _name(app, role),
            "Description": f"dynamodel migration of '{app}': {what}",
            "Handler": handler,
            "Runtime": RUNTIME,
            "CodeUri": {"Ref": "CodeUri"},
            "MemorySize": 512,
            "Timeout": timeout,
            "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
            "LoggingConfig": {"LogGroup": {"Ref": "LogGroup"}},
            "Environment": {
                "Variables": {
                    "DYNAMODEL_APP": {"Ref": "AppTarget"},
                    "TABLE_NAME": _imported("TableName"),
                    "DYNAMODEL_MIGRATIONS": {"Ref": "MigrationsDir"},
                }
            },
        },
    }


def render_migrate_stack(
    design: Design,
    *,
    segments: int,
    max_wcu: float | None,
    worker_wcu: float = WORKER_WCU,
) -> JsonDict:
    """The SAM template of the migration fan-out for the design's table.

    Args:
        design: the derived design (its app names the stack's resources).
        segments: parallel scan segments per item-level operation (1..1000).
        max_wcu: write units per second for the whole run (None: no limit).
        worker_wcu: what one worker writes at most per second (sets ``MaxConcurrency``).

    Returns:
        The template as a dict (render it with :func:`dynamodel.emit._common.to_text`).

    Raises:
        DefinitionError: ``segments`` or a budget is out of range, or the app name leaves
            no room for the stage in a Lambda function name.

    Example:
        >>> render_migrate_stack(design, segments=16, max_wcu=1000)["Outputs"]["MaxConcurrency"]  # doctest: +SKIP
        {'Description': 'Segments migrated at once', 'Value': '5'}
    """
    _check(segments, max_wcu, worker_wcu)
    app = design.app.name
    room = _FUNCTION_NAME_LIMIT - len(f"{app}-migrate-segment-")
    if room < len(DEFAULT_STAGE):  # the default stage must fit too
        msg = f"App name '{app[:40]}...' is {len(app)} characters: '<app>-migrate-segment-{DEFAULT_STAGE}' would pass Lambda's {_FUNCTION_NAME_LIMIT}."
        raise DefinitionError(
            msg, hint=f"shorten the app name to {_FUNCTION_NAME_LIMIT - 17 - len(DEFAULT_STAGE)} characters"
        )
    concurrency = map_concurrency(segments, max_wcu, worker_wcu)
    log = {"Fn::Sub": f"/dynamodel/{app}/migrate/${{Stage}}"}
    resources: JsonDict = {
        "LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": log, "RetentionInDays": 30},
        },
        "FunctionRole": _function_role(app),
    }
    for logical, role, handler, timeout, what in _FUNCTIONS:
        resources[logical] = _function(app, role, handler, timeout, what)
    resources["StateMachineRole"] = _state_machine_role(app)
    resources[STATE_MACHINE_LOGICAL_ID] = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "StateMachineName": {"Fn::Sub": f"{app}-migrate-${{Stage}}"},
            "StateMachineType": "STANDARD",
            "RoleArn": {"Fn::GetAtt": ["StateMachineRole", "Arn"]},
            "Definition": _definition(segments, concurrency, worker_budget(max_wcu, concurrency)),
            "DefinitionSubstitutions": {
                f"{logical}Arn": {"Fn::GetAtt": [logical, "Arn"]} for logical, *_ in _FUNCTIONS
            },
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"Migration fan-out for the dynamodel app '{app}' ({GENERATED_BY})",
        "Parameters": {
            # Lambda function names allow no '.', which table stages may hold.
            "Stage": _param("Deployment stage; every resource and export name carries it", "^[A-Za-z0-9_-]+$")
            | {"Default": DEFAULT_STAGE, "MinLength": 1, "MaxLength": room},
            "TableStackName": _param(
                "Name of the stack holding the table (the dynamodel CloudFormation template)",
                "^[A-Za-z][A-Za-z0-9-]*$",
            )
            | {"MaxLength": 128},
            "CodeUri": _param("S3 URI (s3://bucket/key.zip) of dynamodel, the app and its migrations"),
            "AppTarget": _param(
                f"Import path of the App in the package, module:APP (e.g. myapp.models:{app})",
                "^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$",
            ),
            "MigrationsDir": _param("The migrations folder in the package") | {"Default": "migrations"},
        },
        "Resources": resources,
        "Outputs": {
            "StateMachineArn": {
                "Description": 'Start an execution (input {} or {"to": REVISION}) to migrate the table',
                "Value": {"Ref": STATE_MACHINE_LOGICAL_ID},
                "Export": {"Name": {"Fn::Sub": f"{app}-migrate-${{Stage}}-StateMachineArn"}},
            },
            "MaxConcurrency": {"Description": "Segments migrated at once", "Value": str(concurrency)},
        },
    }
