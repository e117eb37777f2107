"""`make demo` shows the shop's bill right after its design (the engine part is tested elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamodel import demo


def test_the_demo_prints_the_bill_per_pattern(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo, "run_shop_on_engine", lambda: None)
    assert demo.run_demo(tmp_path) == 0
    out = capsys.readouterr().out
    bill = out.split("== what it costs", 1)[1]
    assert "open_orders_by_date" in bill
    assert "$24.64" in bill  # 50 reads/s x 1.5 units x 730 h x $0.125 per million
    assert "assumptions:" in bill
    assert (tmp_path / "shop.design.json").is_file()
