"""Loading a target keeps what the App declares about its deployed design."""

from __future__ import annotations

import pytest

from access_patterns.shop_versions import v4
from dynamodel.cli import main
from dynamodel.design import derive
from dynamodel.targets import load_design

TARGET = "access_patterns.shop_versions.v4:shop"


def test_an_app_with_a_baseline_loads_the_design_it_was_deployed_with() -> None:
    # v4 was derived against v3 (GSI3 dropped, GSI4 kept): a fresh derivation would call GSI4 GSI3.
    assert [ix.name for ix in derive(v4.shop.spec).indexes] != [ix.name for ix in v4.shop.design.indexes]
    assert load_design(TARGET) == v4.shop.design


def test_the_cli_emits_the_deployed_index_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emit", TARGET, "--format", "boto3", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"IndexName": "GSI4"' in out
    assert '"IndexName": "GSI3"' not in out
