"""Test stages: one per CI build, named from the build's id in the environment."""

from __future__ import annotations

import pytest

from dynamodel.errors import RequestError
from dynamodel.testing.stages import MAX_STAGE, check_stage, ci_build_stage, session_stage

CI_BUILDS = [
    ({"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "9876543210", "GITHUB_RUN_ATTEMPT": "2"}, "gh-9876543210-2"),
    ({"GITLAB_CI": "true", "CI_PIPELINE_ID": "4411", "CI_JOB_ID": "77"}, "gl-4411-77"),
    ({"CIRCLECI": "true", "CIRCLE_WORKFLOW_ID": "5e1f-aa", "CIRCLE_BUILD_NUM": "12"}, "cci-5e1f-aa"),
    ({"CIRCLECI": "true", "CIRCLE_BUILD_NUM": "12"}, "cci-12"),
    ({"JENKINS_URL": "https://ci.example/", "BUILD_TAG": "jenkins-shop/main-31"}, "jenkins-shop-main-31"),
]


@pytest.mark.parametrize(("environ", "stage"), CI_BUILDS)
def test_each_ci_service_names_its_build(environ: dict[str, str], stage: str) -> None:
    assert ci_build_stage(environ) == stage
    assert check_stage(stage) == stage  # usable in a table name as it is


def test_outside_ci_there_is_no_stage_unless_given() -> None:
    assert ci_build_stage({"HOME": "/root", "CI": "true"}) is None  # CI alone names no build
    assert session_stage(None, {}) is None
    assert session_stage("mine", {"GITHUB_RUN_ID": "1"}) == "mine"  # the option wins
    assert session_stage(None, {"GITHUB_RUN_ID": "1"}) == "gh-1-1"


@pytest.mark.parametrize("bad", ["", "has space", "slash/es", "x" * (MAX_STAGE + 1)])
def test_a_stage_that_cannot_be_in_a_table_name_is_refused(bad: str) -> None:
    with pytest.raises(RequestError, match="cannot be part of a table name"):
        check_stage(bad)
