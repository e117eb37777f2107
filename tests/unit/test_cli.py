"""The dynamodel command: design output, JSON contract, errors on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO, SHOP_YAML

from dynamodel.cli import main

REQUIRED = {"name", "operation", "index", "requests", "uses_filter", "uses_scan", "consistency"}


def test_design_json_is_the_only_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["design", str(SHOP_YAML), "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["app"] == "shop"
    assert data["table"] == {"partition_key": "PK", "sort_key": "SK"}
    names = {ix["name"] for ix in data["indexes"]}
    for pattern in data["patterns"]:
        assert set(pattern) >= REQUIRED
        assert pattern["index"] == "table" or pattern["index"] in names
    reads = {p["name"]: p for p in data["patterns"] if p["kind"] != "write"}
    assert len(reads) == 6
    for name, p in reads.items():
        assert p["uses_filter"] is False, name
        assert p["uses_scan"] is False, name
        # open_orders_by_date declares 2,500 writes/s on a 3-valued status: write-sharded (DESIGN §3 rule 5)
        assert p["requests"] == (3 if name == "open_orders_by_date" else 1), name
    for entity, per_index in data["entities"].items():
        assert "table" in per_index, entity


def test_design_text_names_every_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["design", str(SHOP_YAML)]) == 0
    out = capsys.readouterr().out
    for name in ("get_customer", "orders_of_customer", "place_order", "GSI1", "Why:"):
        assert name in out


def test_module_target_gives_the_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["design", str(SHOP_YAML), "--json"]) == 0
    from_yaml = capsys.readouterr().out
    assert main(["design", "access_patterns.shop:shop", "--json"]) == 0
    assert capsys.readouterr().out == from_yaml


def test_unservable_spec_exits_non_zero_with_error_on_stderr(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        SHOP_YAML.read_text(encoding="utf-8").replace(
            "patterns:\n",
            "patterns:\n  - {name: strong_by_email, query: Customer, by: [email], consistency: strong}\n",
            1,
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "dynamodel.cli", "design", str(spec), "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert "strong_by_email" in done.stderr
    assert "Fix:" in done.stderr


def test_bad_target_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["design", "no_such_module:app"]) == 2
    assert "Cannot import module" in capsys.readouterr().err
