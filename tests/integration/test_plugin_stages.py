"""The pytest plugin's --dynamodel-stage and --dynamodel-endpoint, run as a user's suite would.

Engine assumed: the session's moto server (``engine``), which the inner suite reaches with
``--dynamodel-endpoint URL``; the inner suite without it starts its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from access_patterns.shop import shop
from dynamodel.engine import EmbeddedEngine
from dynamodel.testing import app_machine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
USER_TEST = """
from access_patterns.shop import Customer, shop


def test_a_table_of_this_build(dynamodel_table, dynamodel_engine, dynamodel_stage):
    table = dynamodel_table(shop)
    print("TABLE", table.name, "ENGINE", type(dynamodel_engine).__name__, "STAGE", dynamodel_stage)
    table.create(Customer(customer_id="c1", email="a@example.com", name="A", order_count=0))
    assert table.get_customer(customer_id="c1") is not None
"""


def _suite(tmp_path: Path, *options: str, env: dict[str, str] | None = None) -> str:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["dynamodel.testing.pytest_plugin"]\n')
    (tmp_path / "test_user.py").write_text(USER_TEST)
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI_", "CIRCLE", "JENKINS"))
    }
    environ.update(env or {})
    environ["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(tmp_path), *options],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return next(line for line in done.stdout.splitlines() if line.startswith("TABLE") or " TABLE " in line)


def test_the_same_tests_run_on_another_engine_under_a_given_stage(
    engine: EmbeddedEngine, tmp_path: Path
) -> None:
    line = _suite(tmp_path, "--dynamodel-stage", "pr-17", "--dynamodel-endpoint", engine.endpoint_url)
    name = line.split("TABLE ", 1)[1].split()[0]
    assert name.startswith("shop-pr-17-")
    assert "ENGINE EndpointEngine" in line


def test_in_ci_the_stage_is_the_build(tmp_path: Path) -> None:
    line = _suite(tmp_path, env={"GITHUB_RUN_ID": "555", "GITHUB_RUN_ATTEMPT": "3"})
    assert "TABLE shop-gh-555-3-" in line
    assert "ENGINE EmbeddedEngine" in line


def test_the_app_machine_names_its_tables_with_the_stage() -> None:
    machine = app_machine(shop, stage="pr-9", drain=None)()
    other = app_machine(shop, drain=None)()
    assert machine.table_name.startswith("shop-pr-9-")
    assert other.table_name.startswith("shop-t")
    assert machine.table_name != app_machine(shop, stage="pr-9", drain=None)().table_name
