"""emit_files and the CLI: file names, formats, and byte-identical output however the app is declared."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from example_apps import declared_backwards
from paths import SHOP_YAML
from test_emit_support import CASE_IDS, SPECS, design_of, has_copies

from dynamodel.cli import main
from dynamodel.design import Design, derive
from dynamodel.emit import FORMATS, emit_files
from dynamodel.errors import DefinitionError


def _all_files(design: Design) -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    for fmt in FORMATS:
        if fmt == "sam" and not has_copies(design):
            continue
        for as_json in (False, True):
            files += emit_files(design, fmt, as_json=as_json)
    return files


@pytest.mark.parametrize("case", CASE_IDS)
def test_emitting_twice_gives_identical_bytes(case: str) -> None:
    spec = SPECS[case]
    assert _all_files(derive(spec)) == _all_files(derive(spec))


@pytest.mark.parametrize("case", CASE_IDS)
def test_declaration_order_does_not_change_the_output(case: str) -> None:
    spec = SPECS[case]
    reordered = declared_backwards(spec)
    assert _all_files(derive(reordered)) == _all_files(design_of(case))


def test_file_names_and_contents_per_format() -> None:
    design = design_of("spec/shop")
    (cfn,) = emit_files(design, "cloudformation")
    assert cfn[0] == "shop.cloudformation.yaml"
    assert yaml.safe_load(cfn[1])["Resources"]["Table"]["Type"] == "AWS::DynamoDB::Table"
    (cfn_json,) = emit_files(design, "cloudformation", as_json=True)
    assert cfn_json[0] == "shop.cloudformation.json"
    assert json.loads(cfn_json[1]) == yaml.safe_load(cfn[1])
    assert [name for name, _ in emit_files(design, "sam")] == ["shop.sam.yaml"]
    assert [name for name, _ in emit_files(design, "sam", as_json=True)] == ["shop.sam.json"]
    ((name, text),) = emit_files(design, "boto3")
    assert name == "shop.create_table.json"
    document = json.loads(text)
    assert document["create_table"]["TableName"] == "shop-dev"
    assert [call["operation"] for call in document["post_create"]] == ["update_continuous_backups"]
    ((name, text),) = emit_files(design, "pynamodb")
    assert name == "shop_pynamodb.py"
    ast.parse(text)
    assert emit_files(design_of("local/kitchen_sink"), "pynamodb")[0][0] == "kitchen_sink_pynamodb.py"


def test_every_text_ends_with_one_newline() -> None:
    for _, text in _all_files(design_of("spec/shop")):
        assert text.endswith("\n")
        assert not text.endswith("\n\n")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(DefinitionError, match="terraform") as info:
        emit_files(design_of("spec/shop"), "terraform")
    assert "cloudformation, sam, boto3, pynamodb" in (info.value.hint or ""), info.value.hint


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_writes_the_files(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emit", str(SHOP_YAML), "--format", fmt, "--out", str(tmp_path)]) == 0
    ((name, text),) = emit_files(design_of("spec/shop"), fmt)
    assert (tmp_path / name).read_text(encoding="utf-8") == text
    assert name in capsys.readouterr().err


def test_cli_prints_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emit", str(SHOP_YAML), "--format", "cloudformation", "--json"]) == 0
    assert capsys.readouterr().out == emit_files(design_of("spec/shop"), "cloudformation", as_json=True)[0][1]


def test_cli_sam_without_copies_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "plain.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "app": "plain",
                "entities": {"Note": {"identity": ["note_id"], "attributes": {"note_id": "str"}}},
                "patterns": [{"name": "get_note", "get": "Note", "by": ["note_id"]}],
            }
        ),
        encoding="utf-8",
    )
    assert main(["emit", str(spec), "--format", "sam"]) == 2
    assert "nothing to propagate" in capsys.readouterr().err


def test_output_does_not_depend_on_the_hash_seed() -> None:
    # Set and dict order of str keys can follow PYTHONHASHSEED; the bytes must not.
    script = (
        "import sys, json\n"
        "from dynamodel.targets import load_design\n"
        "from dynamodel.emit import emit_files\n"
        "d = load_design(sys.argv[1])\n"
        "print(json.dumps([emit_files(d, f, as_json=j) for f in ('cloudformation', 'sam', 'boto3', 'pynamodb') for j in (False, True)]))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, str(SHOP_YAML)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
