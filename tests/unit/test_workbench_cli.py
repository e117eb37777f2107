"""The CLI of the NoSQL Workbench round trip: ``emit --format workbench``, ``import-workbench``, and the
example model in docs/examples, which must be what the CLI writes today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paths import REPO, SHOP_YAML

from access_patterns.shop import shop
from dynamodel.cli import main
from dynamodel.emit.workbench import emit_workbench
from dynamodel.testing.samples import sample_items

EXAMPLE = REPO / "docs" / "examples" / "shop.workbench.json"
REGENERATE = ".venv/bin/python tests/golden/regen.py  (or: make golden)"


def test_emit_prints_the_model_with_sample_items(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emit", str(SHOP_YAML), "--format", "workbench"]) == 0
    out = capsys.readouterr().out
    assert out == emit_workbench(shop.design, sample_items(shop.design))
    assert json.loads(out)["DataModel"][0]["TableData"], "the CLI fills the model with sample items"


def test_the_example_model_in_docs_is_what_the_cli_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emit", str(SHOP_YAML), "--format", "workbench", "--out", str(tmp_path)]) == 0
    assert f"wrote {tmp_path / 'shop.workbench.json'}" in capsys.readouterr().err
    written = (tmp_path / "shop.workbench.json").read_text(encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8") == written, f"{EXAMPLE} is stale: run {REGENERATE}"


def test_import_prints_the_skeleton_or_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-workbench", str(EXAMPLE)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# Spec skeleton of the NoSQL Workbench table 'shop-dev'")
    assert "app: shop\n" in captured.out
    assert captured.err == ""
    out = tmp_path / "shop.yaml"
    assert main(["import-workbench", str(EXAMPLE), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == captured.out
    assert capsys.readouterr() == ("", f"wrote {out}\n")


def test_import_says_what_it_could_not_map_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = {
        "ModelName": "m",
        "DataModel": [
            {
                "TableName": "T",
                "KeyAttributes": {"PartitionKey": {"AttributeName": "PK", "AttributeType": "S"}},
            }
        ],
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    assert main(["import-workbench", str(path)]) == 0
    err = capsys.readouterr().err
    assert "not mapped: the table has no facets" in err
    assert "not mapped: T: the table's key ['PK'] is rendered" in err


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        (None, [], "Cannot read"),
        ("not json", [], "not valid JSON"),
        ('{"DataModel": [{"TableName": "A"}, {"TableName": "B"}]}', [], "--table"),
        ('{"DataModel": [{"TableName": "A"}]}', ["--table", "B"], "no table 'B'"),
    ],
)
def test_import_errors_are_one_line_and_exit_nonzero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, args: list[str], words: str
) -> None:
    path = tmp_path / "model.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["import-workbench", str(path), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert captured.err.count("\n") == 1
    assert words in captured.err


def test_import_to_an_unwritable_out_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-workbench", str(EXAMPLE), "--out", str(tmp_path / "missing" / "spec.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot write")
    assert err.count("\n") == 1


def test_emit_refuses_a_stack_with_the_workbench_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emit", str(SHOP_YAML), "--format", "workbench", "--stack", "table"]) == 2
    assert "--stack selects" in capsys.readouterr().err


def test_the_readme_documents_both_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    reference = readme.split("## CLI reference", 1)[1].split("\n## ", 1)[0]
    assert "`dynamodel emit TARGET --format cloudformation\\|sam\\|boto3\\|pynamodb\\|workbench " in reference
    assert "`dynamodel import-workbench FILE [--out SPEC] [--table NAME]`" in reference
    assert "## NoSQL Workbench" in readme
