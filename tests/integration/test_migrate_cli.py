"""``dynamodel migrate status|up|down|verify|check`` against a running engine, as a user runs them.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 (the session's ``engine``), reached
with ``--endpoint-url``; the shop's own ``migrations/`` folder.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from access_patterns.shop import Customer, shop
from dynamodel.cli import main
from dynamodel.engine import EmbeddedEngine
from dynamodel.migrate.revisions import load_history

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TARGET = "access_patterns.shop_versions.v4:shop"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_status_up_verify_check_down_on_a_live_table(
    engine: EmbeddedEngine, client: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    table = f"shop-cli-{uuid.uuid4().hex[:8]}"
    client.create_table(**shop.to_create_table(table))
    v1 = shop.connect(table, client, cursor_secret=b"c" * 32)
    for i in range(6):
        v1.put(Customer(customer_id=f"c{i}", email=f"c{i}@example.com", name=f"name {i % 2}", order_count=0))
    where = [
        "--table",
        table,
        "--endpoint-url",
        engine.endpoint_url,
        "--dir",
        "migrations",
        "--lock",
        "migrations",
    ]
    revisions = [r.revision for r in load_history(ROOT / "migrations")]

    code, out, _ = _run(capsys, "migrate", "status", TARGET, *where)
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()] == [["pending", r] for r in revisions]

    code, out, _ = _run(capsys, "migrate", "up", TARGET, *where, "--dry-run", "--max-wcu", "10")
    assert code == 0
    assert "would apply" in out
    assert "dry run: nothing was written" in out
    code, out, _ = _run(capsys, "migrate", "status", TARGET, *where)
    assert "applied" not in out  # the dry run recorded nothing

    code, _, err = _run(capsys, "migrate", "check", TARGET, *where)
    assert code == 2  # before: v4's GSI4 is missing
    assert "index GSI4 is missing" in err

    code, out, _ = _run(capsys, "migrate", "up", TARGET, *where, "--segments", "2", "--workers", "2")
    assert code == 0
    assert out.count("applied ") == 4
    assert _run(capsys, "migrate", "verify", TARGET, *where)[0] == 0
    assert _run(capsys, "migrate", "check", TARGET, *where)[0] == 0
    code, out, _ = _run(capsys, "migrate", "up", TARGET, *where)
    assert "nothing to do" in out

    code, out, _ = _run(capsys, "migrate", "down", TARGET, *where, "--to", revisions[0])
    assert code == 0
    assert out.count("undid ") == 3
    code, out, _ = _run(capsys, "migrate", "status", TARGET, *where)
    assert [line.split()[0] for line in out.splitlines()] == ["applied", "pending", "pending", "pending"]
    code, _, err = _run(capsys, "migrate", "check", TARGET, *where)
    assert code == 2  # the table is at v1, the lock records v4
    assert "differs from" in err


def test_bad_input_is_one_line_and_exit_code_2(
    engine: EmbeddedEngine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    where = ["--endpoint-url", engine.endpoint_url, "--dir", "migrations", "--lock", "migrations"]
    code, _, err = _run(capsys, "migrate", "status", TARGET, "--table", "no-such-table", *where)
    assert code == 2
    assert "cannot reach table 'no-such-table'" in err
    assert "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["migrate", "up", TARGET, "--table", "t", "--max-wcu", "0", *where])
    assert "write units per second > 0" in capsys.readouterr().err
