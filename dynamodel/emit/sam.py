"""SAM templates of the action stacks: one stack per action, propagation of copies among them.

Each action (:class:`~dynamodel.spec.ActionSpec`) gets a stack of its own, so the table stack
never changes when an action's code does and an action can be deployed, rolled back or
deleted alone. A stack finds the table through the table stack's exports
(``${TableStackName}-TableName``, ``-TableArn``, ``-StreamArn``, see
:mod:`dynamodel.emit.cloudformation`); how the stacks depend on each other is computed from
these imports by :mod:`dynamodel.emit.stacks`.

What runs: a user action's function is ``dynamodel.actions.handler.lambda_handler`` (it
reads ``DYNAMODEL_ACTION`` to know which declared action it is); the built-in ``propagate``
action (copies kept fresh) is ``dynamodel.propagate.handler.lambda_handler``.

What reaches it: Lambda event filtering (``FilterCriteria`` from
:mod:`dynamodel.emit.filter_criteria`), so records of other entities, events or values are
never delivered (and never billed).

Failure handling: ``BisectBatchOnFunctionError`` splits a failing batch to isolate the bad
record, ``ReportBatchItemFailures`` lets the handler retry only what failed,
``MaximumRetryAttempts`` and ``MaximumRecordAgeInSeconds`` bound the retries. A batch that
still fails is sent to the on-failure destination, an SNS topic (``FailureTopic``): every
arrival is published, so someone can subscribe to it (the optional ``AlertEmail``), and the
dead-letter SQS queue subscribed to it keeps the arrivals 14 days for replay. The handler
publishes a record it marks not retryable to the same topic at once. An alarm fires when the
queue holds a message; its actions go to ``AlarmTopicArn``, never to ``FailureTopic``, whose
messages would land in the queue and keep the alarm up.

Permissions: the function gets its own role instead of SAM's generated one, because SAM
attaches ``AWSLambdaDynamoDBExecutionRole`` for a DynamoDB event, which reads every stream in
the account. The role reads only this table's stream, reads and writes only this table and
its indexes, publishes only to its own topic (the event source mapping sends failed batches
with the function's role) and logs only to its own log group.

Names: every named resource is ``<app>-${Stage}-<action>`` plus a suffix
(:func:`function_name`), so stages never share a resource.
"""

from __future__ import annotations

from dynamodel.design.model import Design
from dynamodel.emit._common import GENERATED_BY, JsonDict, to_text
from dynamodel.emit.filter_criteria import action_patterns, filter_criteria, propagation_patterns
from dynamodel.emit.sam_parts import SUFFIXES, failure_resources, imported, parameters, role
from dynamodel.emit.stack_names import function_name, logical_prefix
from dynamodel.errors import DefinitionError
from dynamodel.spec import ActionSpec
from dynamodel.validate_actions import BUILTIN_ACTION

__all__ = [
    "ACTION_HANDLER",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAXIMUM_RETRY_ATTEMPTS",
    "HANDLER",
    "render_action_stack",
    "render_sam",
    "render_sam_text",
]

HANDLER = "dynamodel.propagate.handler.lambda_handler"
ACTION_HANDLER = "dynamodel.actions.handler.lambda_handler"
RUNTIME = "python3.12"
FUNCTION_LOGICAL_ID = "PropagateFunction"
DEFAULT_BATCH_SIZE = 100
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 3
DEFAULT_MAXIMUM_RECORD_AGE = 86_400  # the stream keeps a record 24 h, so older never arrives anyway
# Lambda's limits for a DynamoDB stream event source mapping.
_BATCH_SIZE_RANGE = (1, 10_000)
_RETRY_RANGE = (0, 10_000)


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        msg = (
            f"{name} is {value!r}; Lambda accepts a whole number from {low} to {high} for a DynamoDB stream."
        )
        raise DefinitionError(msg, hint=f"pass {name} within {low}..{high}")


def _stack(
    design: Design, action: ActionSpec, *, handler: str, purpose: str, patterns: list[JsonDict]
) -> JsonDict:
    app = design.app.name
    _check_range("batch_size", action.batch_size, _BATCH_SIZE_RANGE)
    _check_range("maximum_retry_attempts", action.max_retries, _RETRY_RANGE)
    name, stage_room = function_name(app, action.name)
    prefix = logical_prefix(action.name)
    ids = {"function": f"{prefix}Function", "role": f"{prefix}Role", "log": "LogGroup"}
    builtin = action.name == BUILTIN_ACTION
    # Propagation keeps exactly what it always had: it reads and updates copies, never puts
    # or deletes an item.
    table_actions = (
        ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"]
        if builtin
        else [
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ]
    )
    policy_name = "propagate-copies" if builtin else f"action-{action.name.replace('_', '-')}"
    function: JsonDict = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "FunctionName": name,
            "Description": f"{purpose} (dynamodel app '{app}')",
            "Handler": handler,
            "Runtime": RUNTIME,
            "CodeUri": {"Ref": "CodeUri"},
            "MemorySize": 256,
            "Timeout": 60,
            "Role": {"Fn::GetAtt": [ids["role"], "Arn"]},
            "LoggingConfig": {"LogGroup": {"Ref": ids["log"]}},
            "Environment": {
                "Variables": {
                    "TABLE_NAME": imported("TableName"),
                    "DYNAMODEL_APP": {"Ref": "AppTarget"},
                    "DYNAMODEL_ACTION": action.name,
                    "FAILURE_TOPIC_ARN": {"Ref": "FailureTopic"},
                }
            },
            "Events": {
                "TableStream": {
                    "Type": "DynamoDB",
                    "Properties": {
                        "Stream": imported("StreamArn"),
                        # LATEST would skip every write made before this stack exists; replaying
                        # the stream's 24 h is safe, since a copy update never goes back in version
                        # and an action's effects commit with a marker of the source version.
                        "StartingPosition": "TRIM_HORIZON",
                        "BatchSize": action.batch_size,
                        "BisectBatchOnFunctionError": True,
                        "MaximumRetryAttempts": action.max_retries,
                        "MaximumRecordAgeInSeconds": action.max_record_age_s,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "FilterCriteria": filter_criteria(patterns, what=f"Action '{action.name}'"),
                        "DestinationConfig": {
                            "OnFailure": {"Type": "SNS", "Destination": {"Ref": "FailureTopic"}}
                        },
                    },
                }
            },
        },
    }
    resources: JsonDict = failure_resources(name, SUFFIXES)
    resources[ids["log"]] = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/" + name["Fn::Sub"]}, "RetentionInDays": 30},
    }
    resources[ids["role"]] = role(f"{purpose} in the dynamodel app '{app}'", policy_name, table_actions, ids)
    resources[ids["function"]] = function

    def export(output: str, description: str, value: JsonDict) -> JsonDict:
        return {
            "Description": description,
            "Value": value,
            "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{output}"}},
        }

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"{purpose} for the dynamodel app '{app}' ({GENERATED_BY})",
        "Parameters": parameters(app, stage_room),
        "Conditions": {
            "HasAlertEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]},
            "HasAlarmTopic": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]},
        },
        "Resources": resources,
        "Outputs": {
            "FunctionArn": export(
                "FunctionArn",
                f"ARN of the function of action '{action.name}'",
                {"Fn::GetAtt": [ids["function"], "Arn"]},
            ),
            "FailureTopicArn": export(
                "FailureTopicArn",
                "Topic publishing every record that failed for good",
                {"Ref": "FailureTopic"},
            ),
            "DeadLetterQueueUrl": export(
                "DeadLetterQueueUrl",
                "Queue keeping the records that failed, for replay",
                {"Ref": "DeadLetterQueue"},
            ),
        },
    }


def render_action_stack(design: Design, action: ActionSpec) -> JsonDict:
    """The SAM template of one declared action's stack (``action:<name>``).

    Raises:
        DefinitionError: the action needs more event filters than a mapping takes, or a
            setting is out of Lambda's range.
    """
    patterns = action_patterns(design, action)
    purpose = f"Action '{action.name}' on {action.entity} ({', '.join(action.events)})"
    return _stack(design, action, handler=ACTION_HANDLER, purpose=purpose, patterns=patterns)


def render_sam(
    design: Design,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
) -> JsonDict:
    """The SAM template of the built-in propagation action (``action:propagate``).

    Args:
        design: the derived design; it must have at least one copy path.
        batch_size: stream records per invocation (1..10000).
        maximum_retry_attempts: retries of a failing batch before it goes to the failure
            topic and the dead-letter queue (0..10000).

    Returns:
        The template as a dict (render it with :func:`render_sam_text`).

    Raises:
        DefinitionError: the design has no copies to propagate, or a setting is out of
            Lambda's range.

    Example:
        >>> template = render_sam(derive(load_spec_file("shop.yaml")))  # doctest: +SKIP
        >>> template["Transform"]  # doctest: +SKIP
        'AWS::Serverless-2016-10-31'
    """
    if not design.copy_paths:
        msg = f"App '{design.app.name}' has no copies that change after they are written (copies of immutable attributes are filled at write time), so there is nothing to propagate and no SAM stack to emit."
        raise DefinitionError(
            msg,
            hint="declare a Copy(...) attribute if a listing needs another entity's field, or skip --format sam",
        )
    _check_range("batch_size", batch_size, _BATCH_SIZE_RANGE)
    _check_range("maximum_retry_attempts", maximum_retry_attempts, _RETRY_RANGE)
    # The built-in action as an ActionSpec, so it is built exactly like a declared one.
    builtin = ActionSpec(
        name=BUILTIN_ACTION,
        entity="",
        handler=HANDLER.replace(".lambda_handler", ":lambda_handler"),
        events=("INSERT", "MODIFY"),
        batch_size=batch_size,
        max_retries=maximum_retry_attempts,
        max_record_age_s=DEFAULT_MAXIMUM_RECORD_AGE,
    )
    purpose = "Propagation of copies"
    return _stack(design, builtin, handler=HANDLER, purpose=purpose, patterns=propagation_patterns(design))


def render_sam_text(
    design: Design,
    *,
    as_json: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
) -> str:
    """The propagation stack's SAM template as YAML (default) or JSON text.

    Raises:
        DefinitionError: as :func:`render_sam`.
    """
    template = render_sam(design, batch_size=batch_size, maximum_retry_attempts=maximum_retry_attempts)
    return to_text(template, as_json=as_json)
