"""Stage names for integration tests: one per CI build, so parallel builds never share a table.

A test table is named ``<app>-<stage>-<unique>``. The stage is ``--dynamodel-stage NAME`` when
given; in CI, the build's id found in the environment, so every table (and every item in it) can
be traced to the build that wrote it; otherwise none (each table gets a unique name alone).

The variables each CI service documents for its build:

* GitHub Actions: ``GITHUB_RUN_ID`` and ``GITHUB_RUN_ATTEMPT`` (a re-run is another attempt);
* GitLab CI: ``CI_PIPELINE_ID`` and ``CI_JOB_ID``;
* CircleCI: ``CIRCLE_WORKFLOW_ID`` or ``CIRCLE_BUILD_NUM``;
* Jenkins: ``BUILD_TAG`` (``jenkins-<job>-<number>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dynamodel.errors import RequestError

__all__ = ["MAX_STAGE", "check_stage", "ci_build_stage", "session_stage"]

MAX_STAGE = 64
"""The longest stage: table names (up to 255 characters) also hold the app and a unique suffix."""

_STAGE = re.compile(r"[A-Za-z0-9_.-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _clean(text: str) -> str:
    """``text`` with what a table name may not hold replaced by ``-``, and shortened."""
    return _UNSAFE.sub("-", text).strip("-")[:MAX_STAGE]


def ci_build_stage(environ: Mapping[str, str]) -> str | None:
    """The stage of the CI build running now (None outside a CI service we know)."""
    get = environ.get
    if get("GITHUB_RUN_ID"):
        return _clean(f"gh-{get('GITHUB_RUN_ID')}-{get('GITHUB_RUN_ATTEMPT') or '1'}")
    if get("GITLAB_CI") and get("CI_PIPELINE_ID"):
        return _clean(f"gl-{get('CI_PIPELINE_ID')}-{get('CI_JOB_ID') or '0'}")
    if get("CIRCLECI") and (get("CIRCLE_WORKFLOW_ID") or get("CIRCLE_BUILD_NUM")):
        return _clean(f"cci-{get('CIRCLE_WORKFLOW_ID') or get('CIRCLE_BUILD_NUM')}")
    if get("JENKINS_URL") and get("BUILD_TAG"):
        return _clean(str(get("BUILD_TAG")))
    return None


def check_stage(stage: str) -> str:
    """A stage given by the user, checked: it becomes part of table and stack names.

    Raises:
        RequestError: empty, too long, or with characters a table name may not hold.
    """
    if not _STAGE.fullmatch(stage) or len(stage) > MAX_STAGE:
        msg = f"stage {stage!r} cannot be part of a table name."
        raise RequestError(
            msg, hint=f"use up to {MAX_STAGE} letters, digits, '_', '-' or '.', e.g. --dynamodel-stage ci-42"
        )
    return stage


def session_stage(option: str | None, environ: Mapping[str, str]) -> str | None:
    """The session's stage: the option when given, else the CI build's, else None."""
    if option:
        return check_stage(option)
    return ci_build_stage(environ)
