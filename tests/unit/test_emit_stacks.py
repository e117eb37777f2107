"""The app's stacks: one per event source and per action, cfn-lint clean, linked only by imports.

The shop with three actions added here (a MODIFY with a ``when``, a REMOVE, every event of
another entity) gives the table stack, the built-in ``action:propagate`` (the shop has
copies), one stack per action and, when this installation has its emitter, ``migrate``.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_emit_cloudformation import _lint

from access_patterns.shop import shop
from dynamodel import Action, App
from dynamodel.cli import main
from dynamodel.design import Design
from dynamodel.emit import DEPLOY_ORDER_FILE, stack_files
from dynamodel.emit.filter_criteria import action_patterns, filter_criteria, propagation_patterns
from dynamodel.emit.sam import ACTION_HANDLER, HANDLER
from dynamodel.emit.stack_names import MAX_FUNCTION_NAME, MIN_STAGE_ROOM, function_name
from dynamodel.emit.stacks import (
    Stack,
    app_stacks,
    deploy_order,
    deploy_plan,
    find_cycle,
    migrate_available,
    resolve_imports,
    stack_graph,
)
from dynamodel.errors import DefinitionError

SHOP_WITH_ACTIONS = App(
    "shop",
    list(shop.models.values()),
    list(shop.spec.patterns),
    actions=[
        Action(
            "notify_shipped",
            on="Order",
            events=("MODIFY",),
            when={"status": "SHIPPED"},
            handler="shop_actions:notify_shipped",
            batch_size=10,
            max_retries=5,
            max_record_age_s=3600,
        ),
        Action("forget_customer", on="Customer", events=("REMOVE",), handler="shop_actions:forget"),
        Action("audit_lines", on="OrderLine", handler="shop_actions:audit"),
    ],
)
ACTIONS = [a.name for a in SHOP_WITH_ACTIONS.spec.actions]
TARGET = "test_emit_stacks:SHOP_WITH_ACTIONS"
NAME_PROPERTIES = {
    "AlarmName",
    "FunctionName",
    "LogGroupName",
    "QueueName",
    "RoleName",
    "StateMachineName",
    "TableName",
    "TopicName",
}
ITEM_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
}
STREAM_ACTIONS = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}


def _design() -> Design:
    return SHOP_WITH_ACTIONS.design


@functools.cache
def _stacks() -> tuple[Stack, ...]:
    return tuple(app_stacks(_design(), include_migrate=migrate_available()))


def _stack(name: str) -> Stack:
    (found,) = [s for s in _stacks() if s.name == name]
    return copy.deepcopy(found)


STACK_NAMES = [s.name for s in _stacks()]
ACTION_STACKS = [n for n in STACK_NAMES if n.startswith("action:")]


def test_the_shop_has_a_stack_per_event_source_and_action() -> None:
    expected = ["table", "action:propagate", *(f"action:{a}" for a in sorted(ACTIONS))]
    assert STACK_NAMES[: len(expected)] == expected
    assert STACK_NAMES[len(expected) :] == (["migrate"] if migrate_available() else [])


@pytest.mark.parametrize("name", STACK_NAMES)
def test_every_stack_passes_cfn_lint(name: str) -> None:
    ((_, text), _) = stack_files(_design(), name)
    assert _lint(text) == []


def _names(template: dict[str, Any]) -> list[Any]:
    return [
        value
        for resource in template["Resources"].values()
        for key, value in resource.get("Properties", {}).items()
        if key in NAME_PROPERTIES
    ]


@pytest.mark.parametrize("name", STACK_NAMES)
def test_every_resource_and_export_name_carries_the_stage(name: str) -> None:
    s = _stack(name)
    names = _names(s.template)
    assert names, "every stack names its resources"
    for value in names:
        assert isinstance(value, dict), value
        assert "${Stage}" in value["Fn::Sub"], value
    assert s.template["Parameters"]["Stage"]["AllowedPattern"]
    assert s.exports
    assert all("${Stage}" in export for export in s.exports)
    assert s.deployed_name.endswith("-${Stage}")


def test_the_graph_is_table_first_acyclic_and_read_from_the_imports() -> None:
    stacks = list(_stacks())
    graph = stack_graph(stacks)
    assert graph["table"] == ()
    assert all(graph[n] == ("table",) for n in STACK_NAMES if n != "table")
    assert find_cycle(graph) is None
    order = deploy_order(stacks)
    assert order[0] == "table"
    assert sorted(order) == sorted(STACK_NAMES)
    for name, deps in graph.items():
        assert all(order.index(d) < order.index(name) for d in deps)


def test_every_import_resolves_to_an_export_of_the_stack_it_comes_from() -> None:
    stacks = list(_stacks())
    exports = {s.name: set(s.exports) for s in stacks}
    imports = resolve_imports(stacks)
    for name in ACTION_STACKS:
        assert {i.export for i in imports[name]} == {
            "shop-table-${Stage}-TableName",
            "shop-table-${Stage}-TableArn",
            "shop-table-${Stage}-StreamArn",
        }
    for found in imports.values():
        for i in found:
            assert i.export in exports[i.source]
            assert i.parameter == "TableStackName"


def test_an_import_from_a_downstream_stack_is_reported_as_a_cycle() -> None:
    stacks = [copy.deepcopy(s) for s in _stacks()]
    table = stacks[0].template
    table["Parameters"]["ActionNotifyShippedStackName"] = {"Type": "String"}
    table["Outputs"]["Shipped"] = {
        "Value": {"Fn::ImportValue": {"Fn::Sub": "${ActionNotifyShippedStackName}-FunctionArn"}}
    }
    assert stack_graph(stacks)["table"] == ("action:notify_shipped",)
    with pytest.raises(DefinitionError, match=r"table -> action:notify_shipped -> table") as info:
        deploy_order(stacks)
    assert "never the reverse" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("text", "params", "fragment"),
    [
        ("${TableStackName}-Nothing", {"TableStackName": {"Type": "String"}}, "no stack of the app exports"),
        ("${Elsewhere}-TableArn", {}, "names no stack of the app"),
        ("${TableStackName}-TableArn", {}, "declares no parameter TableStackName"),
    ],
)
def test_an_import_that_does_not_resolve_is_refused(text: str, params: dict[str, Any], fragment: str) -> None:
    stacks = [copy.deepcopy(s) for s in _stacks()][:2]
    template = stacks[1].template
    template["Parameters"] = params
    template["Outputs"]["Odd"] = {"Value": {"Fn::ImportValue": {"Fn::Sub": text}}}
    with pytest.raises(DefinitionError, match=fragment) as info:
        deploy_order(stacks)
    assert info.value.hint


def _event(template: dict[str, Any]) -> dict[str, Any]:
    (fn,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    return fn["Properties"]["Events"]["TableStream"]["Properties"]  # type: ignore[no-any-return]


def test_the_filter_criteria_are_exactly_filter_criteria_pys() -> None:
    design = _design()
    for action in design.app.actions:
        expected = filter_criteria(action_patterns(design, action), what=f"Action '{action.name}'")
        assert _event(_stack(f"action:{action.name}").template)["FilterCriteria"] == expected
    propagate = filter_criteria(propagation_patterns(design), what="Action 'propagate'")
    assert _event(_stack("action:propagate").template)["FilterCriteria"] == propagate


def _grants(template: dict[str, Any]) -> list[tuple[str, str]]:
    (role,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert set(role["Properties"]) == {"Description", "AssumeRolePolicyDocument", "Policies"}
    (policy,) = role["Properties"]["Policies"]
    grants = []
    for statement in policy["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow"
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        grants += [(a, json.dumps(r, sort_keys=True)) for a in actions for r in resources]
    return grants


def _resource(text: str) -> str:
    return json.dumps(yaml.safe_load(text), sort_keys=True)


TABLE_ARN = _resource("{Fn::ImportValue: {Fn::Sub: '${TableStackName}-TableArn'}}")


def _under_table(suffix: str) -> str:
    return json.dumps(
        {"Fn::Sub": [f"${{TableArn}}{suffix}", {"TableArn": json.loads(TABLE_ARN)}]}, sort_keys=True
    )


@pytest.mark.parametrize("name", ACTION_STACKS)
def test_the_role_grants_nothing_beyond_the_listed_actions_and_resources(name: str) -> None:
    template = _stack(name).template
    table_actions = (
        {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"}
        if name == "action:propagate"
        else ITEM_ACTIONS
    )
    allowed = {(a, _under_table("/stream/*")) for a in STREAM_ACTIONS}
    allowed |= {(a, r) for a in table_actions for r in (TABLE_ARN, _under_table("/index/*"))}
    allowed.add(("sns:Publish", _resource("{Ref: FailureTopic}")))
    allowed |= {
        (a, _resource("{Fn::GetAtt: [LogGroup, Arn]}")) for a in ("logs:CreateLogStream", "logs:PutLogEvents")
    }
    assert sorted(_grants(template)) == sorted(allowed)
    (fn,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert not {"Policies", "ManagedPolicyArns"} & set(fn["Properties"]), "SAM must not add its own role"


@pytest.mark.parametrize("name", ACTION_STACKS)
def test_the_function_its_mapping_and_its_failure_path(name: str) -> None:
    template = _stack(name).template
    resources = template["Resources"]
    action = name.partition(":")[2]
    (fn,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    assert fn["FunctionName"] == {"Fn::Sub": f"shop-${{Stage}}-{action}"}
    assert fn["Handler"] == (HANDLER if action == "propagate" else ACTION_HANDLER)
    env = fn["Environment"]["Variables"]
    assert env["DYNAMODEL_APP"] == {"Ref": "AppTarget"}
    assert env["TABLE_NAME"] == {"Fn::ImportValue": {"Fn::Sub": "${TableStackName}-TableName"}}
    assert env["DYNAMODEL_ACTION"] == action
    assert env["FAILURE_TOPIC_ARN"] == {"Ref": "FailureTopic"}
    event = _event(template)
    spec = next((a for a in _design().app.actions if a.name == action), None)
    expected = (
        (100, 3, 86_400) if spec is None else (spec.batch_size, spec.max_retries, spec.max_record_age_s)
    )
    assert (event["BatchSize"], event["MaximumRetryAttempts"], event["MaximumRecordAgeInSeconds"]) == expected
    assert event["StartingPosition"] == "TRIM_HORIZON"
    assert event["BisectBatchOnFunctionError"] is True
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["DestinationConfig"] == {
        "OnFailure": {"Type": "SNS", "Destination": {"Ref": "FailureTopic"}}
    }
    # The queue is subscribed to the topic, raw, and takes messages from that topic only.
    sub = resources["DeadLetterSubscription"]["Properties"]
    assert (sub["TopicArn"], sub["Protocol"], sub["RawMessageDelivery"]) == (
        {"Ref": "FailureTopic"},
        "sqs",
        True,
    )
    (statement,) = resources["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "FailureTopic"}}}
    assert resources["AlertEmailSubscription"]["Condition"] == "HasAlertEmail"
    alarm = resources["DeadLetterAlarm"]["Properties"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert "FailureTopic" not in json.dumps(alarm), (
        "an alarm into the failure topic would loop into the queue"
    )
    assert {k: v["Export"]["Name"]["Fn::Sub"] for k, v in template["Outputs"].items()} == {
        "FunctionArn": "${AWS::StackName}-FunctionArn",
        "FailureTopicArn": "${AWS::StackName}-FailureTopicArn",
        "DeadLetterQueueUrl": "${AWS::StackName}-DeadLetterQueueUrl",
    }


def test_a_long_function_name_is_cut_with_a_digest_and_leaves_the_stage_room() -> None:
    assert function_name("shop", "notify_shipped") == ({"Fn::Sub": "shop-${Stage}-notify_shipped"}, 44)
    long_app = "a" * 40
    first, room = function_name(long_app, "b" * 32)
    second, _ = function_name(long_app, "b" * 31 + "c")
    assert first != second, "the digest keeps cut names apart"
    assert room >= MIN_STAGE_ROOM
    assert len(first["Fn::Sub"].replace("${Stage}", "x" * room)) == MAX_FUNCTION_NAME


def test_the_same_design_gives_the_same_bytes() -> None:
    again = App(
        "shop", list(shop.models.values()), list(shop.spec.patterns), actions=SHOP_WITH_ACTIONS.spec.actions
    )
    assert stack_files(again.design, "all") == stack_files(_design(), "all")


def test_an_unknown_stack_is_refused_with_the_known_ones() -> None:
    with pytest.raises(DefinitionError, match="no stack 'action:nope'") as info:
        stack_files(_design(), "action:nope")
    assert "action:notify_shipped" in (info.value.hint or "")


def test_cli_emits_every_stack_and_the_deploy_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emit", TARGET, "--format", "sam", "--stack", "all", "--out", str(tmp_path)]) == 0
    files = dict(stack_files(_design(), "all"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
    assert "shop.action-notify_shipped.yaml" in files
    plan = json.loads((tmp_path / DEPLOY_ORDER_FILE).read_text(encoding="utf-8"))
    assert plan == deploy_plan(list(_stacks()))
    assert plan["order"] == deploy_order(list(_stacks()))
    for entry in plan["stacks"]:
        assert (tmp_path / entry["template"]).is_file()
    shipped = next(e for e in plan["stacks"] if e["stack"] == "action:notify_shipped")
    assert shipped["parameters"]["TableStackName"] == {"required": True, "value": "shop-table-${Stage}"}
    capsys.readouterr()
    assert main(["emit", TARGET, "--stack", "action:notify_shipped"]) == 0
    assert capsys.readouterr().out == files["shop.action-notify_shipped.yaml"]
    assert main(["emit", TARGET, "--stack", "all"]) == 2
    assert "--out DIR" in capsys.readouterr().err


def test_cli_stacks_prints_the_graph_and_the_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stacks", TARGET]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\d\. action:notify_shipped +shop-action-notify-shipped-\$\{Stage\}\n", out)
    assert "imports StreamArn, TableArn, TableName from table" in out
    assert f"deploy order: {' -> '.join(deploy_order(list(_stacks())))} (no cycle)" in out
    assert main(["stacks", TARGET, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == deploy_plan(list(_stacks()))
