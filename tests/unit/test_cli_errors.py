"""The dynamodel command: bad input is one line on stderr and a non-zero exit, never a traceback.

Nothing here reaches beyond 127.0.0.1: endpoints are closed ports on 127.0.0.1, and the
credential-less runs disable every credential source that could touch the network.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from paths import REPO, SHOP_YAML

from dynamodel.cli import main

_names = itertools.count()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


CLOSED = f"http://127.0.0.1:{_closed_port()}"


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0, err
    assert "Traceback" not in err
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    # The CLI's last resort also prints one line; an expected failure must never reach it.
    assert "a bug in dynamodel" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> str:
    name = f"cli_target_{os.getpid()}_{next(_names)}"
    (tmp_path / f"{name}.py").write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the CLI puts the cwd on it
    return name


# ---- targets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("raise RuntimeError('boom at import')\n", "boom at import"),
        ("def broken(:\n", "SyntaxError"),
        ("import sys\nsys.exit(3)\n", "exited"),
        ("import no_such_dependency_xyz\n", "no_such_dependency_xyz"),
    ],
)
def test_a_module_that_fails_to_import(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    body: str,
    needle: str,
) -> None:
    name = _module(tmp_path, monkeypatch, body)
    _one_line_error(capsys, ["design", f"{name}:app"], name, needle)


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        (":app", "module"),
        ("access_patterns.shop:", "APP"),
        (":", "module"),
        ("access_patterns.shop:nope", "nope"),
        ("access_patterns..shop:shop", "access_patterns..shop"),
    ],
)
def test_a_target_without_module_or_attribute(
    capsys: pytest.CaptureFixture[str], target: str, needle: str
) -> None:
    _one_line_error(capsys, ["design", target], needle)


def test_stubs_need_an_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _module(tmp_path, monkeypatch, "from access_patterns.shop import shop\nspec = shop.spec\n")
    monkeypatch.syspath_prepend(str(REPO))
    _one_line_error(capsys, ["stubs", f"{name}:spec"], "App")


def test_a_bad_spec_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("app: [unclosed\nentities: {\n", encoding="utf-8")
    _one_line_error(capsys, ["design", str(spec)], "line")


# ---- emit --out ---------------------------------------------------------------------------------


def test_emit_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "taken"
    out.write_text("", encoding="utf-8")
    _one_line_error(capsys, ["emit", str(SHOP_YAML), "--out", str(out)], str(out))
    _one_line_error(capsys, ["emit", str(SHOP_YAML), "--out", str(out / "sub")], str(out))


def test_emit_out_is_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(self: Path, *args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", refuse)  # the suite may run as root, who may write anywhere
    _one_line_error(capsys, ["emit", str(SHOP_YAML), "--out", str(tmp_path)], "Permission denied")


# ---- endpoints, credentials, files of propagate ---------------------------------------------------


@pytest.mark.parametrize(
    "endpoint", ["not-a-url", "ftp://127.0.0.1:1", "http://", "http://127.0.0.1:99999", "http://127.0.0.1:x"]
)
@pytest.mark.parametrize("command", ["propagate", "repair-copies"])
def test_a_malformed_endpoint(capsys: pytest.CaptureFixture[str], command: str, endpoint: str) -> None:
    argv = [command, str(SHOP_YAML), "--table", "t", "--endpoint-url", endpoint]
    _one_line_error(capsys, argv, "--endpoint-url")


@pytest.mark.parametrize("command", ["propagate", "repair-copies"])
def test_an_unreachable_endpoint(capsys: pytest.CaptureFixture[str], command: str) -> None:
    start = time.perf_counter()
    _one_line_error(capsys, [command, str(SHOP_YAML), "--table", "t", "--endpoint-url", CLOSED], CLOSED)
    assert time.perf_counter() - start < 15


def test_a_checkpoint_or_dead_letter_path_that_is_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["propagate", str(SHOP_YAML), "--table", "t", "--endpoint-url", CLOSED]
    _one_line_error(capsys, [*base, "--checkpoint", str(tmp_path)], "directory")
    _one_line_error(capsys, [*base, "--dlq", str(tmp_path)], "directory")
    _one_line_error(capsys, [*base, "--checkpoint", str(tmp_path / "no" / "cp.json")], "no")


def test_replay_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["propagate", str(SHOP_YAML), "--table", "t", "--endpoint-url", CLOSED]
    _one_line_error(capsys, [*base, "--replay", str(tmp_path / "missing.jsonl")], "missing.jsonl")
    _one_line_error(capsys, [*base, "--replay", str(tmp_path)], "directory")


@pytest.mark.parametrize("option", ["--max-attempts", "--batch-size"])
def test_counts_must_be_positive(capsys: pytest.CaptureFixture[str], option: str) -> None:
    with pytest.raises(SystemExit) as info:  # argparse's own usage error: one line, exit 2
        main(["propagate", str(SHOP_YAML), "--table", "t", option, "0"])
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


# ---- through a real process ---------------------------------------------------------------------


def _no_credentials_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        # Even a request that found credentials would go to a closed port on 127.0.0.1.
        AWS_ENDPOINT_URL=CLOSED,
    )
    return env


@pytest.mark.parametrize("command", ["propagate", "repair-copies"])
def test_missing_credentials_in_a_process(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dynamodel.cli", command, str(SHOP_YAML), "--table", "t"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env=_no_credentials_env(),
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "a bug in dynamodel" not in done.stderr, done.stderr
    assert "credentials" in done.stderr
    assert done.stdout == ""


def test_import_failure_in_a_process(tmp_path: Path) -> None:
    (tmp_path / "explodes.py").write_text("raise ValueError('not today')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "dynamodel.cli", "design", "explodes:app"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "a bug in dynamodel" not in done.stderr, done.stderr
    assert "not today" in done.stderr
