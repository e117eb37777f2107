"""The migration fan-out's SAM template: cfn-lint clean for every case, least privilege, the budget.

cfn-lint runs in process (one shared ``Runner``, as in test_emit_cloudformation); it checks
the state machine's definition against the States Language schema (rule E3601), and a
guard test proves the harness reports a broken one.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import re
from typing import Any

import pytest
from test_emit_cloudformation import _lint
from test_emit_support import CASE_IDS, design_of

from dynamodel.emit._common import to_text
from dynamodel.emit.stepfunctions import (
    FINISH_HANDLER,
    PREPARE_HANDLER,
    SEGMENT_HANDLER,
    STATE_MACHINE_LOGICAL_ID,
    TRANSIENT_ERRORS,
    WORKER_WCU,
    map_concurrency,
    render_migrate_stack,
    worker_budget,
)
from dynamodel.errors import DefinitionError

Template = dict[str, Any]


def _shop(**options: Any) -> Template:
    settings: dict[str, Any] = {"segments": 8, "max_wcu": 1000.0, **options}
    return render_migrate_stack(design_of("access_patterns/shop:shop"), **settings)


def _states(template: Template) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"][STATE_MACHINE_LOGICAL_ID]["Properties"]["Definition"][
        "States"
    ]
    return found


@pytest.mark.parametrize("case", CASE_IDS)
def test_every_case_passes_cfn_lint(case: str) -> None:
    template = render_migrate_stack(design_of(case), segments=16, max_wcu=None)
    assert _lint(to_text(template, as_json=False)) == []


@pytest.mark.parametrize("max_wcu", [None, 1.0, 450.0, 1e6], ids=["unlimited", "tiny", "some", "huge"])
def test_every_budget_passes_cfn_lint_as_json_and_yaml(max_wcu: float | None) -> None:
    template = _shop(max_wcu=max_wcu)
    assert _lint(to_text(template, as_json=True)) == []
    assert _lint(to_text(template, as_json=False)) == []


def test_the_linter_reports_a_broken_definition() -> None:
    # Guards the tests above: a lint harness that never reports anything would pass them all.
    template = _shop()
    _states(template)["Prepare"]["Retries"] = _states(template)["Prepare"].pop("Retry")
    assert any("E3601" in match for match in _lint(json.dumps(template)))


def test_same_design_same_bytes() -> None:
    assert to_text(_shop(), as_json=False) == to_text(_shop(), as_json=False)
    assert json.dumps(_shop()) == json.dumps(_shop())


@pytest.mark.parametrize(
    ("segments", "max_wcu", "expected"),
    [
        (8, None, 8),  # no budget: every segment at once
        (8, 50.0, 1),  # less than one worker's worth: one worker, paced below its best
        (8, 200.0, 1),
        (8, 201.0, 2),  # rounded up, each worker paced at 100.5
        (8, 1000.0, 5),
        (8, 1e6, 8),  # never more workers than segments
        (1, 1e6, 1),
    ],
)
def test_max_concurrency_is_the_budget_over_one_workers_writes(
    segments: int, max_wcu: float | None, expected: int
) -> None:
    assert map_concurrency(segments, max_wcu) == expected
    template = _shop(segments=segments, max_wcu=max_wcu)
    segment_map = _states(template)["Segments"]
    assert segment_map["MaxConcurrency"] == expected
    assert template["Outputs"]["MaxConcurrency"]["Value"] == str(expected)
    budget = segment_map["ItemSelector"].get("max_wcu")
    assert budget == worker_budget(max_wcu, expected)
    if max_wcu is not None:
        assert budget * expected == pytest.approx(max_wcu)  # together, exactly the budget
    assert _states(template)["Prepare"]["Parameters"]["segments"] == segments


def test_a_worker_writes_at_most_its_share() -> None:
    assert map_concurrency(10, 450.0, worker_wcu=100.0) == 5
    assert worker_budget(450.0, 5) == 90.0
    assert WORKER_WCU > 0


def test_the_map_is_distributed_standard_and_tolerates_no_failure() -> None:
    states = _states(_shop())
    segment_map = states["Segments"]
    assert segment_map["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert segment_map["ToleratedFailureCount"] == 0
    assert segment_map["ItemsPath"] == "$.step.jobs"
    child = segment_map["ItemProcessor"]["States"]
    (retry,) = child["Segment"]["Retry"]
    assert set(retry["ErrorEquals"]) == set(TRANSIENT_ERRORS)
    assert retry["BackoffRate"] > 1
    assert retry["JitterStrategy"] == "FULL"
    assert "MigrationError" not in retry["ErrorEquals"]  # a bad run is not retried blindly
    assert child["Segment"]["Catch"][0]["Next"] == "Segment failed"
    assert child["Segment done?"]["Default"] == "Segment"  # called again until its segment is done
    for name in ("Prepare", "Finish", "Segments"):
        assert states[name]["Catch"][0]["Next"] == "Abort"


def test_every_next_names_a_state_and_every_substitution_is_defined() -> None:
    template = _shop()
    definition = template["Resources"][STATE_MACHINE_LOGICAL_ID]["Properties"]["Definition"]

    def targets(states: dict[str, Any]) -> set[str]:
        found: set[str] = set()
        for state in states.values():
            found |= {state.get("Next"), state.get("Default")} - {None}
            found |= {c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])}
            assert (found - set(states)) == set(), found - set(states)
        return found

    top = definition["States"]
    assert targets(top) == set(top) - {definition["StartAt"]} | {"Prepare"}
    targets(top["Segments"]["ItemProcessor"]["States"])
    used = set(re.findall(r"\$\{(\w+)\}", json.dumps(definition)))
    substitutions = template["Resources"][STATE_MACHINE_LOGICAL_ID]["Properties"]["DefinitionSubstitutions"]
    assert used == set(substitutions) == {"PrepareFunctionArn", "SegmentFunctionArn", "FinishFunctionArn"}


def test_the_functions_run_the_fanout_entry_points() -> None:
    resources = _shop()["Resources"]
    handlers = {
        resources[f]["Properties"]["Handler"]
        for f in ("PrepareFunction", "SegmentFunction", "FinishFunction")
    }
    assert handlers == {PREPARE_HANDLER, SEGMENT_HANDLER, FINISH_HANDLER}
    for handler in handlers:
        module, name = handler.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), name))
    for f in ("PrepareFunction", "SegmentFunction", "FinishFunction"):
        variables = resources[f]["Properties"]["Environment"]["Variables"]
        assert set(variables) == {"DYNAMODEL_APP", "TABLE_NAME", "DYNAMODEL_MIGRATIONS"}
        assert variables["TABLE_NAME"] == {"Fn::ImportValue": {"Fn::Sub": "${TableStackName}-TableName"}}
        assert resources[f]["Properties"]["Runtime"] == "python3.12"


def test_roles_reach_only_this_table_their_logs_and_their_own_functions() -> None:
    resources = _shop()["Resources"]
    table = {"Fn::ImportValue": {"Fn::Sub": "${TableStackName}-TableArn"}}
    indexes = {"Fn::Sub": ["${TableArn}/index/*", {"TableArn": table}]}
    (policy,) = resources["FunctionRole"]["Properties"]["Policies"]
    by_sid = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert by_sid["MigrateTable"]["Resource"] == [table, indexes]
    assert all(a.startswith("dynamodb:") and "*" not in a for a in by_sid["MigrateTable"]["Action"])
    assert by_sid["WriteLogs"]["Resource"] == {"Fn::GetAtt": ["LogGroup", "Arn"]}
    (policy,) = resources["StateMachineRole"]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    invoke = statements["InvokeOwnFunctions"]
    assert invoke["Action"] == "lambda:InvokeFunction"
    own = {"PrepareFunction", "SegmentFunction", "FinishFunction"}
    named = {r["Fn::GetAtt"][0] for r in invoke["Resource"] if "Fn::GetAtt" in r}
    named |= {r["Fn::Sub"].split(".")[0].lstrip("${") for r in invoke["Resource"] if "Fn::Sub" in r}
    assert named == own
    own_machine = "${AWS::AccountId}:stateMachine:shop-migrate-${Stage}"
    assert statements["RunOwnMapChildren"]["Resource"]["Fn::Sub"].endswith(own_machine)
    assert statements["WatchOwnMapChildren"]["Resource"]["Fn::Sub"].endswith(
        ":execution:shop-migrate-${Stage}/*"
    )


def test_every_name_and_export_carries_the_stage() -> None:
    template = _shop()
    resources = template["Resources"]
    names = [
        resources[f]["Properties"]["FunctionName"]
        for f in ("PrepareFunction", "SegmentFunction", "FinishFunction")
    ]
    names += [
        resources[STATE_MACHINE_LOGICAL_ID]["Properties"]["StateMachineName"],
        resources["LogGroup"]["Properties"]["LogGroupName"],
        *(o["Export"]["Name"] for o in template["Outputs"].values() if "Export" in o),
    ]
    assert len(names) == 6
    assert all("${Stage}" in n["Fn::Sub"] for n in names), names
    assert set(template["Parameters"]) >= {"Stage", "TableStackName"}


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"segments": 0}, "segments is 0"),
        ({"segments": 1001}, "segments is 1001"),
        ({"segments": True}, "segments is True"),
        ({"max_wcu": 0.0}, "max_wcu is 0.0"),
        ({"max_wcu": -5.0}, "max_wcu is -5.0"),
        ({"max_wcu": math.inf}, "max_wcu is inf"),
        ({"max_wcu": math.nan}, "max_wcu is nan"),
        ({"worker_wcu": 0}, "worker_wcu is 0"),
    ],
)
def test_bad_settings_say_what_to_pass(options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(fragment)) as info:
        _shop(**options)
    assert info.value.hint


def test_an_app_name_too_long_for_a_function_name_is_refused() -> None:
    design = design_of("spec/shop")
    longest = dataclasses.replace(design, app=dataclasses.replace(design.app, name="a" * 44))
    assert _lint(json.dumps(render_migrate_stack(longest, segments=4, max_wcu=None))) == []
    too_long = dataclasses.replace(design, app=dataclasses.replace(design.app, name="a" * 45))
    with pytest.raises(DefinitionError, match="Lambda's 64") as info:
        render_migrate_stack(too_long, segments=4, max_wcu=None)
    assert "shorten the app name to 44 characters" in (info.value.hint or ""), info.value.hint
