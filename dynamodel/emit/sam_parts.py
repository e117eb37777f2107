"""The parts every action stack shares: its parameters, role, failure topic, queue and alarm.

Split from :mod:`dynamodel.emit.sam`, which assembles them; the reasons for each part are
given there and beside the part.
"""

from __future__ import annotations

from dynamodel.emit._common import JsonDict
from dynamodel.emit.stack_names import STAGE_PATTERN

__all__ = ["SUFFIXES", "failure_resources", "imported", "parameters", "role", "under_table_arn"]

_FOURTEEN_DAYS = 1_209_600  # seconds; the longest SQS keeps a message
_VERSION = "2012-10-17"


def imported(output: str) -> JsonDict:
    return {"Fn::ImportValue": {"Fn::Sub": f"${{TableStackName}}-{output}"}}


def under_table_arn(suffix: str) -> JsonDict:
    # Fn::Sub with a variable map, because the ARN is an import, not a parameter.
    return {"Fn::Sub": [f"${{TableArn}}{suffix}", {"TableArn": imported("TableArn")}]}


def role(description: str, policy_name: str, table_actions: list[str], ids: dict[str, str]) -> JsonDict:
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
            "Resource": under_table_arn("/stream/*"),
        },
        {
            "Sid": "UseTable",
            "Effect": "Allow",
            "Action": table_actions,
            "Resource": [imported("TableArn"), under_table_arn("/index/*")],
        },
        {
            # The event source mapping sends failed batches with this role; the handler
            # publishes the records it marks not retryable.
            "Sid": "PublishFailures",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": {"Ref": "FailureTopic"},
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [ids["log"], "Arn"]},
        },
    ]
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": description,
            "AssumeRolePolicyDocument": {
                "Version": _VERSION,
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {"PolicyName": policy_name, "PolicyDocument": {"Version": _VERSION, "Statement": statements}}
            ],
        },
    }


def failure_resources(name: JsonDict, suffix_of: dict[str, str]) -> JsonDict:
    """The topic, the queue subscribed to it, its policy, the email subscription and the alarm."""

    def queue_arn() -> JsonDict:
        # A fresh dict per use: a shared one would be written as a YAML anchor and alias.
        return {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}

    def named(suffix: str) -> JsonDict:
        return {"Fn::Sub": name["Fn::Sub"] + suffix_of[suffix]}

    return {
        "FailureTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": named("topic")}},
        "DeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": named("queue"),
                "MessageRetentionPeriod": _FOURTEEN_DAYS,
                "SqsManagedSseEnabled": True,
            },
        },
        "DeadLetterQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "DeadLetterQueue"}],
                "PolicyDocument": {
                    "Version": _VERSION,
                    "Statement": [
                        {
                            "Sid": "OnlyTheFailureTopic",
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": queue_arn(),
                            "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "FailureTopic"}}},
                        }
                    ],
                },
            },
        },
        "DeadLetterSubscription": {
            "Type": "AWS::SNS::Subscription",
            # Subscribed once the queue accepts the topic's messages, so none is refused.
            "DependsOn": "DeadLetterQueuePolicy",
            "Properties": {
                "TopicArn": {"Ref": "FailureTopic"},
                "Protocol": "sqs",
                "Endpoint": queue_arn(),
                # The queue keeps the record as sent, not wrapped in SNS's envelope, for replay.
                "RawMessageDelivery": True,
            },
        },
        "AlertEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlertEmail",
            "Properties": {
                "TopicArn": {"Ref": "FailureTopic"},
                "Protocol": "email",
                "Endpoint": {"Ref": "AlertEmail"},
            },
        },
        "DeadLetterAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": named("alarm"),
                "AlarmDescription": "Stream records reached the dead-letter queue: read them, fix, replay",
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [
                    {"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}
                ],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": {
                    "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
                },
            },
        },
    }


SUFFIXES = {"topic": "-failures", "queue": "-dlq", "alarm": "-dead-letters"}


def parameters(app: str, stage_room: int) -> JsonDict:
    return {
        "Stage": {
            "Type": "String",
            "Description": "Deployment stage, the same as the table stack's; every resource name carries it",
            "Default": "dev",
            "AllowedPattern": STAGE_PATTERN,
            "MinLength": 1,
            "MaxLength": stage_room,
        },
        "TableStackName": {
            "Type": "String",
            "Description": f"Name of the table stack: {app}-table-<Stage> (deploy-order.json lists it)",
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
            "Description": f"Import path of the App in the package, module:APP (e.g. myapp.models:{app})",
            "AllowedPattern": "^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$",
        },
        "AlertEmail": {
            "Type": "String",
            "Description": "Optional: an address subscribed to the failure topic (empty: none)",
            "Default": "",
            "AllowedPattern": "^$|^[^@\\s]+@[^@\\s]+$",
        },
        "AlarmTopicArn": {
            "Type": "String",
            "Description": "Optional: an SNS topic the dead-letter alarm notifies (empty: none)",
            "Default": "",
            "AllowedPattern": "^$|^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+(\\.fifo)?$",
        },
    }
