"""The long commands' progress: a bar on a terminal's stderr, nothing with ``--json`` or a pipe.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 (the session's ``engine``), reached
with ``--endpoint-url``. stderr is made a terminal by a stream whose ``isatty`` says so; the
meters are spied on to compare their counts with what each command reports.
"""

from __future__ import annotations

import io
import json
import re
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from shop_world import seed

import dynamodel.actions.cli
import dynamodel.migrator.cli
import dynamodel.propagate.cli
from access_patterns import shop_events
from access_patterns.shop import Customer, shop
from dynamodel.cli import main
from dynamodel.engine import EmbeddedEngine
from dynamodel.migrate.revisions import load_history
from dynamodel.progress import Meter, progress
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def local_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials, no proxies, a plain terminal type for rich."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "160")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_PROFILE", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def meters(monkeypatch: pytest.MonkeyPatch) -> list[Meter]:
    """Every meter the commands open, in order (they count with or without a bar)."""
    opened: list[Meter] = []

    @contextmanager
    def spy(*args: Any, **kwargs: Any) -> Iterator[Meter]:
        with progress(*args, **kwargs) as meter:
            opened.append(meter)
            yield meter

    for module in (dynamodel.migrator.cli, dynamodel.propagate.cli, dynamodel.actions.cli):
        monkeypatch.setattr(module, "progress", spy)
    return opened


def _run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, tty: bool
) -> tuple[int, str, str]:
    """Run the command; with ``tty`` its stderr is a terminal. Returns (code, stdout, stderr)."""
    capsys.readouterr()
    err = FakeTerminal()
    with monkeypatch.context() as m:
        if tty:
            m.setattr("sys.stderr", err)
        code = main(list(argv))
    out, captured = capsys.readouterr()
    return code, out, ANSI.sub("", err.getvalue()) if tty else captured


def _clean_json(out: str, err: str) -> Any:
    assert err == ""  # no bar, no ANSI, nothing else on stderr
    assert "\x1b" not in out
    return json.loads(out)


def _last_frame(err: str) -> str:
    frames = [f for f in err.split("\r") if f.strip()]
    assert frames, "no progress bar was drawn"
    return frames[-1]


def test_propagate_and_repair_copies(
    make_table: MakeTable,
    engine: EmbeddedEngine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    meters: list[Meter],
) -> None:
    table = make_table(shop)
    seed(table)
    common = ["access_patterns.shop:shop", "--table", table.name, "--endpoint-url", engine.endpoint_url]

    code, out, err = _run(capsys, monkeypatch, "propagate", *common, "--batch-size", "3", tty=True)
    assert code == 0
    delivered = int(out.split(" record(s)")[0])
    assert delivered > 3
    frame = _last_frame(err)
    assert re.search(rf"stream records .*\b{delivered} +\d[\d,.]* records/s \d:\d\d:\d\d", frame), frame
    assert meters[-1].overall == delivered

    customer = table.get_customer(customer_id="c2")
    assert customer is not None
    table.update(customer.model_copy(update={"name": "Bobby"}))
    code, out, err = _run(capsys, monkeypatch, "propagate", *common, "--json", tty=True)
    document = _clean_json(out, err)
    assert document["stats"]["updated"] >= 1
    assert meters[-1].overall == document["deliveries"] > 0

    code, out, err = _run(capsys, monkeypatch, "repair-copies", *common, "--json", tty=True)
    document = _clean_json(out, err)
    assert document["checked"] == 4
    assert document["fixed"] == 0
    scanned = meters[-1].overall
    assert scanned >= document["sources"] > 0  # a Scan reads every item to find the sources

    code, out, err = _run(capsys, monkeypatch, "repair-copies", *common, tty=True)
    assert code == 0
    assert "4 target(s) checked" in out
    frame = _last_frame(err)
    # The total is the table's ItemCount, an estimate: "~"; the run read the table once.
    assert re.search(
        rf"items read .*\b{scanned}/~\d+ +\d[\d,.]* items/s \d:\d\d:\d\d ETA \d:\d\d:\d\d", frame
    ), frame

    # Piped (stderr not a terminal): the same text output as before, nothing on stderr.
    code, out, err = _run(capsys, monkeypatch, "repair-copies", *common, tty=False)
    assert (code, err) == (0, "")
    assert "4 target(s) checked" in out


def test_propagate_follow_prints_json_lines(
    make_table: MakeTable,
    engine: EmbeddedEngine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    meters: list[Meter],
) -> None:
    table = make_table(shop)
    seed(table)

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt  # Ctrl-C at the first wait

    monkeypatch.setattr(dynamodel.propagate.cli, "time", types.SimpleNamespace(sleep=interrupt))
    argv = ["propagate", "access_patterns.shop:shop", "--table", table.name]
    argv += ["--endpoint-url", engine.endpoint_url, "--follow", "--json"]
    code, out, err = _run(capsys, monkeypatch, *argv, tty=True)
    assert code == 0
    (line,) = out.splitlines()
    assert _clean_json(line, err)["deliveries"] == meters[-1].overall > 0


def test_actions(
    make_table: MakeTable,
    engine: EmbeddedEngine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    meters: list[Meter],
) -> None:
    shop_events.OUTBOX.clear()
    table = make_table(shop_events.shop_events)
    seed(table)
    argv = ["actions", "access_patterns.shop_events:shop_events", "--table", table.name]
    argv += ["--endpoint-url", engine.endpoint_url, "--only", "notify_shipped"]

    code, out, err = _run(capsys, monkeypatch, *argv, "--json", tty=True)
    assert code == 0
    document = _clean_json(out, err)
    drained = document["actions"]["notify_shipped"]["drain"]
    assert meters[-1].overall == drained["deliveries"] > 0

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dynamodel.actions.cli, "time", types.SimpleNamespace(sleep=interrupt))
    table.put(Customer(customer_id="c9", email="c9@example.com", name="Nine", order_count=0))
    code, out, err = _run(capsys, monkeypatch, *argv, "--follow", tty=True)
    assert code == 0
    assert out.startswith("notify_shipped: 0 record(s) passed its filter")
    read = int(out.split("; ")[1].split(" record(s)")[0])
    assert meters[-1].overall == read > 0  # the new customer's records, read by the action
    frame = _last_frame(err)
    assert re.search(rf"stream records .*\b{read} +\d[\d,.]* records/s \d:\d\d:\d\d", frame), frame


def test_migrate_up_and_down(
    engine: EmbeddedEngine,
    client: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    meters: list[Meter],
) -> None:
    monkeypatch.chdir(ROOT)
    table = f"shop-progress-{uuid.uuid4().hex[:8]}"
    client.create_table(**shop.to_create_table(table))
    v1 = shop.connect(table, client, cursor_secret=b"c" * 32)
    for i in range(6):
        v1.put(Customer(customer_id=f"c{i}", email=f"c{i}@example.com", name=f"n{i}", order_count=0))
    target = "access_patterns.shop_versions.v4:shop"
    where = ["--table", table, "--endpoint-url", engine.endpoint_url, "--dir", "migrations"]
    where += ["--lock", "migrations", "--segments", "2", "--workers", "2"]

    second = load_history(ROOT / "migrations")[1].revision  # v2 fills GSI3's keys
    code, out, err = _run(capsys, monkeypatch, "migrate", "up", target, *where, "--to", second, tty=True)
    assert code == 0, err
    read = sum(int(n) for n in re.findall(r"(\d+) item\(s\) read", out))
    assert read > 0
    assert meters[-1].overall == read
    frame = _last_frame(err)
    assert re.search(r"\b\d+/~\d+ +\d[\d,.]* items/s \d:\d\d:\d\d ETA \d:\d\d:\d\d", frame), frame

    code, out, err = _run(capsys, monkeypatch, "migrate", "down", target, *where, "--json", tty=True)
    assert code == 0
    document = _clean_json(out, err)
    (undone,) = document["revisions"]
    assert undone["direction"] == "down"
    assert undone["operations"]
