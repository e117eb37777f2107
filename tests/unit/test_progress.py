"""``dynamodel.progress``: a bar with rate and ETA on a terminal, nothing anywhere else."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable

import pytest
from rich.console import Console

from dynamodel.progress import progress

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal, as stderr does in an interactive shell."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich reads these; the CI's own values must not decide what a "terminal" is here.
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "120")
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)


def _text(stream: io.StringIO) -> str:
    return ANSI.sub("", stream.getvalue())


def _pages(advance: Callable[[int], None], pages: int, size: int) -> None:
    for _ in range(pages):
        advance(size)
        time.sleep(0.05)


def test_a_terminal_shows_count_rate_elapsed_and_eta() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with progress("items scanned", total=100, unit="items", stream=console) as meter:
        assert meter.drawing
        _pages(meter.advance, 4, 10)
    text = _text(out)
    assert "items scanned" in text
    assert "40/100" in text
    assert re.search(r"\b\d[\d,.]* items/s", text), text  # a number, not "?"
    assert re.search(r"ETA \d+:\d\d:\d\d", text), text
    assert re.search(r"\b0:00:0\d\b", text)  # elapsed
    assert meter.count == 40


def test_a_stream_that_isatty_gets_the_bar() -> None:
    out = FakeTerminal()
    with progress("records", total=None, unit="records", stream=out) as meter:
        _pages(meter.advance, 3, 5)
    text = _text(out)
    assert re.search(r"\b15 +\d[\d,.]* records/s", text), text
    assert "ETA" not in text  # no total (--follow): count, rate and elapsed only
    assert "15/" not in text


def test_an_estimated_total_is_marked_and_grows_with_the_count() -> None:
    below, past = FakeTerminal(), FakeTerminal()
    with progress("scan", total=100, unit="items", estimate=True, stream=below) as meter:
        _pages(meter.advance, 2, 30)
    assert "60/~100" in _text(below)
    with progress("scan", total=100, unit="items", estimate=True, stream=past) as meter:
        _pages(meter.advance, 3, 60)
    # Past the estimate the total follows the count: no "180/~100", no bar past its end.
    assert "180/~180" in _text(past)
    assert "180/~100" not in _text(past)


@pytest.mark.parametrize("as_console", [False, True], ids=["pipe", "console"])
def test_off_a_terminal_nothing_is_written_but_the_meter_counts(as_console: bool) -> None:
    written = io.StringIO()
    stream: io.StringIO | Console = Console(file=written, force_terminal=False) if as_console else written
    with progress("items", total=10, unit="items", stream=stream) as meter:
        meter.advance(3)
        meter.advance(4)
        meter.update(total=20)
    assert not meter.drawing
    assert meter.count == 7
    assert written.getvalue() == ""


def test_enabled_false_draws_nothing_even_on_a_terminal() -> None:
    out = FakeTerminal()
    with progress("items", total=10, unit="items", enabled=False, stream=out) as meter:
        meter.advance(10)
    assert out.getvalue() == ""
    assert meter.count == 10


def test_the_default_stream_is_stderr_and_a_captured_one_stays_clean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with progress("items", total=5, unit="items") as meter:
        meter.advance(5)
    assert capsys.readouterr() == ("", "")
    assert meter.count == 5


def test_stderr_on_a_terminal_gets_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    err = FakeTerminal()
    monkeypatch.setattr("sys.stderr", err)
    with progress("items", total=4, unit="items") as meter:
        _pages(meter.advance, 2, 2)
    assert "4/4" in _text(err)


def test_restart_counts_each_operation_and_keeps_the_overall_count() -> None:
    out = FakeTerminal()
    with progress("migrating", total=None, unit="items", stream=out) as meter:
        meter.restart("fill GSI3", total=10, estimate=True)
        _pages(meter.advance, 2, 5)
        meter.restart("fill guards", total=10, estimate=True)
        meter.advance(3)
    assert (meter.count, meter.overall) == (3, 13)
    # The last frame (drawn when the work ends) is the last operation's, counted from zero.
    last = _text(out).rsplit("\r", 2)[-2]
    assert "fill guards" in last
    assert "3/~10" in last


def test_worker_threads_may_advance_at_once() -> None:
    with progress("items", total=4000, unit="items", stream=FakeTerminal()) as meter:

        def work() -> None:
            for _ in range(1000):
                meter.advance(1)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert meter.count == 4000
