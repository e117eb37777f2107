"""The migration runner: applies revisions to a live table, online, resumable, one at a time.

For each revision it takes the lease, records the run (``STATE#``), applies the operations
in order (table-level ones with UpdateTable, item-level ones as parallel scan segments on
worker threads, each with its checkpoint), and records the revision as applied in the same
transaction that ends the run. Killed anywhere, a runner started again (by anyone, once the
lease expired) finds the run and resumes it: finished operations are skipped, segments
continue from their last saved key.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dynamodel.design.model import Design
from dynamodel.errors import DynamodelError, MigrationError
from dynamodel.migrate.ops import CreateIndex, FillIndexKeys, Operation, RewriteIndexKeys
from dynamodel.migrate.revisions import Revision
from dynamodel.migrator.bookkeeping import Applied, Books, RunState
from dynamodel.migrator.pacing import WriteBudget
from dynamodel.migrator.table_ops import describe, is_table_op, run_table_op
from dynamodel.migrator.worker import Duplicate, SegmentJob, SegmentReport, Worker

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = [
    "WRITE_UNIT_PRICE",
    "MigrationRunner",
    "OpReport",
    "RevisionReport",
    "Status",
    "close_segments",
    "end_run",
    "finish_operation",
    "revision_operations",
    "segment_jobs",
    "start_run",
]

WRITE_UNIT_PRICE = 0.625e-6
"""US dollars per on-demand write request unit (us-east-1, since November 2024)."""


@dataclass
class OpReport:
    """What one operation did (or, in a dry run, would do)."""

    operation: Operation
    seen: int = 0
    written: int = 0
    units: int = 0
    index_units: int = 0
    conflicts: int = 0
    note: str = ""

    def line(self, budget: float | None) -> str:
        """One line for people."""
        if is_table_op(self.operation):
            return f"{self.operation.describe()}: {self.note}"
        total = self.units + self.index_units
        text = f"{self.operation.describe()}: {self.seen} item(s) read, {self.written} write(s), {self.units} WCU"
        if self.index_units:
            text += f" (+{self.index_units} on the index)"
        if budget:
            text += f", {total / budget:.1f} s at {budget:g} WCU/s"
        return text + f", ${total * WRITE_UNIT_PRICE:.4f} on demand"


@dataclass
class RevisionReport:
    """What one revision did."""

    revision: str
    direction: str
    message: str
    ops: list[OpReport] = field(default_factory=list)

    @property
    def units(self) -> int:
        """Write units of all its operations."""
        return sum(o.units for o in self.ops)


@dataclass(frozen=True)
class Status:
    """The table's revisions next to the files."""

    applied: tuple[Applied, ...]
    pending: tuple[Revision, ...]
    running: RunState | None

    @property
    def head(self) -> str | None:
        """The last applied revision (None: none)."""
        return self.applied[-1].revision if self.applied else None


def _filling(ops: Sequence[Operation]) -> tuple[str, ...]:
    """The indexes ``ops`` fill, in order: reads of them wait until those operations are done."""
    return tuple(dict.fromkeys(i for op in ops if (i := _filled_index(op)) is not None))


def _filled_index(op: Operation) -> str | None:
    if isinstance(op, FillIndexKeys | RewriteIndexKeys):
        return op.index
    if isinstance(op, CreateIndex):
        return str(op.index["name"])
    return None


@dataclass
class MigrationRunner:
    """Applies a history of revisions to one table.

    Attributes:
        client, table: where.
        design: the design of the code running the migration (its declarations type items).
        history: the revisions, first to last (:func:`dynamodel.migrate.revisions.load_history`).
        segments: parallel scan segments per operation (kept for a run once it started).
        workers: threads working on segments at once.
        max_wcu: write units per second for the whole runner (None: unpaced).
        page_size: items per page and per checkpoint.
        owner: this runner's id for the lease.
        lease_seconds: how long a silent runner keeps the lease.
        on_page: progress callback (items seen, units written) after every page.
        on_op: called with each operation before it runs (progress display).
        clock: epoch seconds, for the lease (injectable for tests).
    """

    client: DynamoDBClient
    table: str
    design: Design
    history: Sequence[Revision]
    segments: int = 4
    workers: int = 4
    max_wcu: float | None = None
    page_size: int = 100
    owner: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    lease_seconds: float = 60.0
    on_page: Callable[[int, int], None] | None = None
    on_op: Callable[[Operation], None] | None = None
    clock: Callable[[], float] = field(default=time.time, repr=False)
    books: Books = field(init=False)

    def __post_init__(self) -> None:
        if self.segments < 1 or self.workers < 1:
            msg = f"segments={self.segments}, workers={self.workers}: each must be at least 1."
            raise MigrationError(msg, hint="pass --segments N --workers M with N, M >= 1")
        self.books = Books(self.client, self.table, self.owner, self.lease_seconds, self.clock)
        self._budget = WriteBudget(self.max_wcu) if self.max_wcu is not None else None

    # ---- where the table stands ------------------------------------------------------------

    def _reachable(self) -> None:
        try:
            describe(self.client, self.table)
        except DynamodelError as err:
            msg = f"cannot reach table {self.table!r}: {err.message}"
            raise MigrationError(msg, hint="check --table, the endpoint and the credentials") from err

    def status(self) -> Status:
        """The applied revisions (from the table), the pending ones (from the files), a run in progress.

        Raises:
            MigrationError: the table records a revision the files do not have (another app's
                table, or files missing), or applied revisions out of the files' order.
        """
        self._reachable()
        applied = tuple(self.books.applied())
        ids = [r.revision for r in self.history]
        for n, a in enumerate(applied):
            if n >= len(ids) or ids[n] != a.revision:
                known = "is not in migrations/" if a.revision not in ids else "is out of the files' order"
                msg = f"table {self.table!r} records revision {a.revision} ({a.message!r}), which {known}."
                raise MigrationError(
                    msg, hint="check --table (is it another app's table?) and restore the migration files"
                )
        return Status(applied, tuple(self.history[len(applied) :]), self.books.state())

    def _target(self, to: str | None) -> int:
        ids = [r.revision for r in self.history]
        if to is None:
            return len(ids)
        if to in ("base", "none"):
            return 0
        matches = [n for n, r in enumerate(ids) if r.startswith(to)]
        if len(matches) != 1:
            msg = f"--to {to!r} names {'no' if not matches else 'more than one'} revision of migrations/."
            raise MigrationError(msg, hint=f"use one of {', '.join(ids) or '(none)'}, or 'base'")
        return matches[0] + 1

    # ---- up and down -----------------------------------------------------------------------

    def plan(self, direction: str, to: str | None = None) -> list[tuple[Revision, list[Operation]]]:
        """The revisions ``up`` or ``down`` would apply, in order, each with its operations.

        ``up``: the pending revisions up to ``to`` (default: all); ``down``: the applied ones
        undone until ``to`` is the head (default: the last one; 'base': all).
        """
        status = self.status()
        done = len(status.applied)
        if direction == "up":
            target = self._target(to)
            if target < done:
                msg = f"--to {to} is below the table's head {status.head}."
                raise MigrationError(msg, hint="use `migrate down --to` to go back")
            return [(rev, revision_operations(rev, "up")) for rev in self.history[done:target]]
        if direction != "down":
            msg = f"direction {direction!r} is neither 'up' nor 'down'."
            raise MigrationError(msg, hint="migrate 'up' (apply) or 'down' (undo)")
        target = max(done - 1, 0) if to is None else self._target(to)
        if target > done:
            msg = f"--to {to} is above the table's head {status.head}."
            raise MigrationError(msg, hint="use `migrate up --to` to go forward")
        return [(rev, revision_operations(rev, "down")) for rev in reversed(self.history[target:done])]

    def up(self, to: str | None = None, *, dry_run: bool = False) -> list[RevisionReport]:
        """Apply the pending revisions, up to ``to`` (default: all)."""
        return [self._apply(rev, "up", ops, dry_run=dry_run) for rev, ops in self.plan("up", to)]

    def down(self, to: str | None = None, *, dry_run: bool = False) -> list[RevisionReport]:
        """Undo applied revisions until ``to`` is the head (default: undo the last one; 'base': all)."""
        return [self._apply(rev, "down", ops, dry_run=dry_run) for rev, ops in self.plan("down", to)]

    def _apply(self, rev: Revision, direction: str, ops: list[Operation], *, dry_run: bool) -> RevisionReport:
        report = RevisionReport(rev.revision, direction, rev.message)
        if dry_run:
            _refuse_other_run(self.books, rev, direction)
            for op in ops:
                report.ops.append(self._dry(op))
            return report
        state = start_run(self.books, rev, direction, ops, self.segments)
        try:
            for n, op in enumerate(ops):
                if self.books.op_done(state.run, n):
                    continue
                if self.on_op is not None:
                    self.on_op(op)
                report.ops.append(self._run(state, n, op))
                state = finish_operation(self.books, state, ops, n)
            end_run(self.books, state, rev)
        finally:
            self.books.release_lease()
        return report

    def _worker(self, *, dry_run: bool = False) -> Worker:
        return Worker(
            self.client,
            self.table,
            self.design,
            self.books,
            budget=None if dry_run else self._budget,
            page_size=self.page_size,
            dry_run=dry_run,
            on_page=None if dry_run else self.on_page,
        )

    def _run(self, state: RunState, n: int, op: Operation) -> OpReport:
        if is_table_op(op):
            return OpReport(op, note=run_table_op(self.client, self.table, op))
        worker = self._worker()
        jobs = segment_jobs(state, n, op)
        pool = ThreadPoolExecutor(max_workers=min(self.workers, len(jobs)))
        try:
            results = [f.result() for f in [pool.submit(worker.run_segment, job) for job in jobs]]
        except BaseException:
            worker.stop.set()  # the other segments end after their current page
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return close_segments(self.books, state, n, op, results)

    def _dry(self, op: Operation) -> OpReport:
        if is_table_op(op):
            return OpReport(op, note="would run (UpdateTable; no item writes)")
        worker = self._worker(dry_run=True)
        jobs = [SegmentJob("dry-run", 0, op, s, self.segments) for s in range(self.segments)]
        return _total(op, [worker.run_segment(j) for j in jobs])


_DUPLICATES_HINT = "make the values unique (or drop the unique constraint), then run `migrate up` again"


def _total(op: Operation, results: list[SegmentReport]) -> OpReport:
    return OpReport(
        op,
        seen=sum(r.seen for r in results),
        written=sum(r.written for r in results),
        units=sum(r.units for r in results),
        index_units=sum(r.index_units for r in results),
        conflicts=sum(r.conflicts for r in results),
    )


def _duplicates_message(op: Operation, duplicates: list[Duplicate]) -> str:
    shown = "; ".join(f"{d.holder} and {d.other} share {d.guard}" for d in duplicates[:20])
    more = f" (and {len(duplicates) - 20} more)" if len(duplicates) > 20 else ""
    return (
        f"{op.describe()}: {len(duplicates)} item(s) hold a value another item holds, so it cannot be "
        f"made unique: {shown}{more}. Nothing else of this revision ran after it."
    )


# ---- the steps of a run, shared with the Step Functions fan-out (dynamodel.migrator.fanout) ----


def revision_operations(rev: Revision, direction: str) -> list[Operation]:
    """The operations a run of ``rev`` applies, in order: its own (up), or their reverses backwards (down)."""
    if direction == "up":
        return list(rev.operations)
    return [r for op in reversed(rev.operations) if (r := op.reverse()) is not None]


def _refuse_other_run(books: Books, rev: Revision, direction: str) -> None:
    running = books.state()
    if running is not None and (running.revision, running.direction) != (rev.revision, direction):
        msg = f"a run of revision {running.revision} ({running.direction}) did not finish."
        raise MigrationError(msg, hint=f"run `migrate {running.direction}` to finish it first")


def start_run(
    books: Books, rev: Revision, direction: str, ops: Sequence[Operation], segments: int
) -> RunState:
    """Take the lease and return the run of ``rev`` (the one recorded, or a new one).

    Raises:
        MigrationError: a run of another revision did not finish, or another runner holds the lease.
    """
    _refuse_other_run(books, rev, direction)
    books.take_lease()
    try:
        state = books.state()
        if state is None:
            state = RunState(rev.revision, direction, uuid.uuid4().hex[:12], segments, _filling(ops))
            books.save_state(state)
    except BaseException:
        books.release_lease()
        raise
    return state


def segment_jobs(state: RunState, n: int, op: Operation) -> list[SegmentJob]:
    """The scan segments of operation ``n`` of the run (their number is fixed when the run starts)."""
    return [SegmentJob(state.run, n, op, s, state.segments) for s in range(state.segments)]


def close_segments(
    books: Books, state: RunState, n: int, op: Operation, results: Sequence[SegmentReport]
) -> OpReport:
    """What operation ``n`` did, from its segments' reports.

    Raises:
        MigrationError: values of a new unique guard are held twice; the operation's
            checkpoints are forgotten, so that it starts over once the data is fixed.
    """
    found = _total(op, list(results))
    duplicates = [d for r in results for d in r.duplicates]
    if duplicates:
        books.forget_segments(state.run, n)
        raise MigrationError(_duplicates_message(op, duplicates), hint=_DUPLICATES_HINT)
    return found


def finish_operation(books: Books, state: RunState, ops: Sequence[Operation], n: int) -> RunState:
    """Record operation ``n`` as done; reads of an index wait only while a later operation fills it."""
    books.finish_op(state.run, n)
    rest = _filling(ops[n + 1 :])
    if rest != state.filling:
        state = dataclasses.replace(state, filling=rest)
        books.save_state(state)
    return state


def end_run(books: Books, state: RunState, rev: Revision) -> None:
    """Record ``rev`` as applied (up) or not (down), ending the run, in one transaction."""
    books.finish_revision(state, rev.parent if state.direction == "up" else None, rev.message)
