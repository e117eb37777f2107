"""Progress of the long commands (migrations, propagation, repairs, actions) on a terminal.

::

    with progress("items scanned", total=1200, unit="items", estimate=True) as meter:
        for page in pages:
            meter.advance(len(page))

On a terminal this draws one rich bar on stderr: the count (``~`` before a total that is an
estimate), the rate, the time elapsed and, when the total is known, the time left. Anywhere
else (a pipe, a file, ``--json``), nothing is written: scripts read the same output as before.
The meter counts in both cases, so callers and tests can read ``meter.count``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

__all__ = ["Meter", "progress"]


class Meter:
    """Counts work done and, when drawing, moves the bar. Safe to call from worker threads."""

    def __init__(self, bar: Progress | None, task: TaskID | None) -> None:
        self._bar = bar
        self._task = task
        self._lock = threading.Lock()
        self.count = 0
        """Items advanced since the meter started (or was last restarted)."""
        self.overall = 0
        """Items advanced in all, restarts included."""

    @property
    def drawing(self) -> bool:
        """Whether a bar is drawn (False off a terminal, or with ``enabled=False``)."""
        return self._bar is not None

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items done."""
        with self._lock:
            self.count += n
            self.overall += n
            if self._bar is None or self._task is None:
                return
            task = self._bar.tasks[self._task]
            # An estimated total (DescribeTable's ItemCount) can be below the truth: grow it
            # rather than show more than 100 % and a time left of zero.
            if task.total is not None and self.count > task.total and task.fields.get("estimate"):
                self._bar.update(self._task, total=self.count)
            self._bar.advance(self._task, n)

    def update(self, *, total: int | None, estimate: bool = False) -> None:
        """Set the total (None: unknown, then no time left is shown); ``estimate`` prints it as ``~N``."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=total, estimate=estimate)

    def restart(self, label: str, *, total: int | None, estimate: bool = False) -> None:
        """Start counting again under another label (the next operation of a migration)."""
        with self._lock:
            self.count = 0
            if self._bar is not None and self._task is not None:
                self._bar.reset(self._task, total=total, description=label, estimate=estimate)


def _console(stream: TextIO | Console | None, enabled: bool | None) -> Console | None:
    """The console to draw on, or None when nothing is to be drawn."""
    if enabled is False:
        return None
    from rich.console import Console  # noqa: PLC0415 - rich loads only when a bar is drawn

    if isinstance(stream, Console):
        return stream if enabled or stream.is_terminal else None
    target = sys.stderr if stream is None else stream
    isatty = getattr(target, "isatty", None)
    if not enabled and not (callable(isatty) and isatty()):
        return None
    return Console(file=target, force_terminal=True if enabled else None)


@contextmanager
def progress(
    label: str,
    *,
    total: int | None,
    unit: str,
    estimate: bool = False,
    enabled: bool | None = None,
    stream: TextIO | Console | None = None,
) -> Iterator[Meter]:
    """A meter that draws a bar on ``stream`` (default: stderr) only if it is a terminal.

    Args:
        label: what is counted, shown before the bar ("items scanned").
        total: how many items the work has (None: unknown, as with ``--follow``).
        unit: the items' name in the rate ("items" gives "123 items/s").
        estimate: the total is an estimate (shown ``~N``; grown if the count passes it).
        enabled: None: draw on a terminal only; False: never (``--json``); True: always.
        stream: a text stream, or a rich Console (whose ``is_terminal`` decides).
    """
    console = _console(stream, enabled)
    if console is None:
        yield Meter(None, None)
        return
    bar = _bar(console, unit)
    task = bar.add_task(label, total=total, estimate=estimate)
    with bar:
        yield Meter(bar, task)


def _bar(console: Console, unit: str) -> Progress:
    from rich.progress import (  # noqa: PLC0415 - only for a terminal
        BarColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text  # noqa: PLC0415

    class Count(ProgressColumn):
        def render(self, task: Task) -> Text:
            done = f"{int(task.completed):,}"
            if task.total is None:
                return Text(done, style="progress.download")
            about = "~" if task.fields.get("estimate") else ""
            return Text(f"{done}/{about}{int(task.total):,}", style="progress.download")

    def rate(task: Task) -> float | None:
        # rich's speed needs two samples in its window; one page read so far still has a rate.
        speed = task.finished_speed or task.speed
        if speed is None and task.elapsed and task.completed:
            speed = task.completed / task.elapsed
        return speed

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = rate(task)
            shown = "?" if speed is None else f"{speed:,.1f}" if speed < 10 else f"{speed:,.0f}"
            return Text(f"{shown} {unit}/s", style="progress.data.speed")

    class Eta(ProgressColumn):
        def render(self, task: Task) -> Text:
            if task.total is None:
                return Text("")
            speed = rate(task)
            if not speed:
                return Text("ETA ?", style="progress.remaining")
            minutes, seconds = divmod(round(max(task.total - task.completed, 0) / speed), 60)
            hours, minutes = divmod(minutes, 60)
            return Text(f"ETA {hours}:{minutes:02d}:{seconds:02d}", style="progress.remaining")

    columns: list[Any] = [
        TextColumn("{task.description}"),
        BarColumn(),
        Count(),
        Rate(),
        TimeElapsedColumn(),
        Eta(),
    ]
    # Transient: the bar goes when the work ends, leaving the command's own summary on screen.
    # Lines printed to stdout meanwhile (``--follow``'s summaries) are drawn above the bar when
    # stdout is the terminal too; a piped stdout is never captured into the bar's stream.
    stdout_isatty = getattr(sys.stdout, "isatty", None)
    return Progress(
        *columns,
        console=console,
        transient=True,
        refresh_per_second=4,
        redirect_stdout=bool(callable(stdout_isatty) and stdout_isatty()),
        redirect_stderr=False,
    )
