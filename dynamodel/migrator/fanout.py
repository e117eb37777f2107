"""The Lambda side of the migration fan-out (the state machine is :mod:`dynamodel.emit.stepfunctions`).

Three entry points, each a plain function of the Step Functions payload and a
:class:`Fanout` (the table, the design of the code, the revisions), wrapped by a Lambda
handler that builds the :class:`Fanout` from the function's environment:

* :func:`prepare`: closes the operation whose segments the map just ran, then takes the
  lease, starts (or resumes) the run of the next revision, applies its table-level
  operations, and answers what to do next: ``segments`` (with the jobs of the next
  item-level operation), ``wait`` (the table is being updated), ``finish`` or ``done``.
* :func:`segment`: one call of one segment (:func:`dynamodel.migrator.worker.run_segment`),
  from its checkpoint until done or near the Lambda time limit; the map calls it again
  until its report says done. A retried call resumes from the checkpoint.
* :func:`finish`: records the revision as applied and gives the lease back; :func:`abort`
  (the same function, called with the ``error``) only gives the lease back, so that the
  next run, by the state machine or by ``migrate up``, resumes where this one stopped.

The steps are the runner's own (:func:`~dynamodel.migrator.runner.start_run`,
:func:`~dynamodel.migrator.runner.close_segments`, ...), so a run started by one can be
finished by the other. Every function of one execution works under one lease owner, the
execution's name; the lease lasts :data:`LEASE_SECONDS`, Lambda's longest time limit, so
that no call outlives it while it works.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynamodel.design.model import Design
from dynamodel.errors import MigrationError
from dynamodel.migrate.ops import Operation
from dynamodel.migrate.revisions import Revision
from dynamodel.migrator.bookkeeping import Books, RunState
from dynamodel.migrator.runner import (
    MigrationRunner,
    close_segments,
    end_run,
    finish_operation,
    revision_operations,
    segment_jobs,
    start_run,
)
from dynamodel.migrator.table_ops import describe, is_table_op, run_table_op
from dynamodel.migrator.worker import Duplicate, SegmentJob, SegmentReport, run_segment

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = [
    "LEASE_SECONDS",
    "TIME_MARGIN_MS",
    "Fanout",
    "abort",
    "finish",
    "finish_handler",
    "prepare",
    "prepare_handler",
    "segment",
    "segment_handler",
]

LEASE_SECONDS = 900.0
TIME_MARGIN_MS = 120_000
"""A segment call starts no page with less time left: a paced page of 100 items may take a minute."""

_LOG = logging.getLogger(__name__)
Payload = Mapping[str, Any]
Plan = list[tuple[Revision, list[Operation]]]


@dataclass(frozen=True)
class Fanout:
    """What the entry points work on.

    Attributes:
        client, table: where.
        design: the design of the code running the migration.
        history: the revisions, first to last (:func:`dynamodel.migrate.revisions.load_history`).
        page_size: items per scanned page (and per checkpoint).
    """

    client: DynamoDBClient
    table: str
    design: Design
    history: Sequence[Revision]
    page_size: int = 100
    _by_id: dict[str, Revision] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {r.revision: r for r in self.history})

    def books(self, owner: str) -> Books:
        """The bookkeeping of the table, as lease owner ``owner``."""
        return Books(self.client, self.table, owner, LEASE_SECONDS)

    def runner(self, owner: str, segments: int) -> MigrationRunner:
        """A runner over the same table and revisions (for its plan; it applies nothing here)."""
        return MigrationRunner(
            self.client,
            self.table,
            self.design,
            self.history,
            segments=segments,
            owner=owner,
            lease_seconds=LEASE_SECONDS,
        )

    def revision(self, revision: str) -> Revision:
        """The revision of that id."""
        found = self._by_id.get(revision)
        if found is None:
            msg = f"the table is migrating revision {revision}, which the function's migrations folder lacks."
            raise MigrationError(msg, hint="deploy the function with the migrations the run started from")
        return found

    def operations(self, revision: str, direction: str) -> list[Operation]:
        """The operations of a run of ``revision`` in ``direction``."""
        return revision_operations(self.revision(revision), direction)


# ---- the payload -------------------------------------------------------------------------------


def _get(payload: Payload, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = payload.get(name) if isinstance(payload, Mapping) else None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        msg = f"the {where} payload has no valid {name!r} (got {value!r})."
        raise MigrationError(msg, hint="start the state machine emitted by `dynamodel emit --stack migrate`")
    return value


def _report_json(report: SegmentReport, before: Payload) -> dict[str, Any]:
    """A segment's report as the map keeps it; what a call does not checkpoint adds up over calls."""
    found = dataclasses.asdict(report)
    for name in ("index_units", "conflicts", "duplicates"):
        found[name] = (before.get(name) or type(found[name])()) + found[name]
    return found


def _report(data: Payload) -> SegmentReport:
    try:
        found = [Duplicate(d["guard"], tuple(d["holder"]), tuple(d["other"])) for d in data["duplicates"]]
        return SegmentReport(**{**data, "duplicates": found})
    except (KeyError, TypeError) as err:
        msg = f"the map's result {data!r} is not a segment report ({err})."
        raise MigrationError(
            msg, hint="start the state machine emitted by `dynamodel emit --stack migrate`"
        ) from None


# ---- prepare -----------------------------------------------------------------------------------


class _TableBusyError(Exception):
    """UpdateTable was sent; the table is not ACTIVE yet (the state machine waits, then asks again)."""


def _busy(client: DynamoDBClient, table: str) -> bool:
    desc = describe(client, table)
    return desc.get("TableStatus") != "ACTIVE" or any(
        g.get("IndexStatus", "ACTIVE") != "ACTIVE" for g in desc.get("GlobalSecondaryIndexes", [])
    )


def _still_busy(_: float) -> None:
    raise _TableBusyError


def _close(fanout: Fanout, books: Books, previous: Payload, results: Sequence[Payload]) -> str:
    """Record the operation whose segments just ran as done (a line saying what it did)."""
    state = books.state()
    run = _get(previous, "run", str, "previous step's")
    n = _get(previous, "op", int, "previous step's")
    if state is None or state.run != run:
        msg = f"the run {run} of {books.table} ended or changed while its segments ran."
        raise MigrationError(msg, hint="run `migrate status` to see what another runner did")
    if books.op_done(state.run, n):
        return "closed already"  # a retried call: the first one closed it
    ops = fanout.operations(state.revision, state.direction)
    open_segments = [s for s in range(state.segments) if not books.checkpoint(state.run, n, s).done]
    if open_segments:
        msg = f"{ops[n].describe()}: segments {open_segments} did not finish, though the map did."
        raise MigrationError(
            msg, hint="start the state machine again: the segments resume from their checkpoints"
        )
    found = close_segments(books, state, n, ops[n], [_report(r) for r in results])
    finish_operation(books, state, ops, n)
    return found.line(None)


def _resolve(runner: MigrationRunner, previous: Payload, request: Payload) -> tuple[str, str | None, Plan]:
    """The direction, the revision to stop at and what is left: the first call fixes the stop, so
    that ``down`` (undo the last revision) undoes one revision, not one per call."""
    if "target" in previous:
        direction, target = str(previous["direction"]), previous["target"]
        return direction, target, runner.plan(direction, target)
    direction = request.get("direction", "up")
    to = request.get("to")
    if direction not in ("up", "down") or not (to is None or isinstance(to, str)):
        msg = f"the execution input {dict(request)!r} is not a migration request."
        raise MigrationError(
            msg, hint='start it with {} (up to the last revision) or {"to": REV, "direction": "up"|"down"}'
        )
    plan = runner.plan(direction, to)
    if plan:
        last = plan[-1][0]
        to = last.revision if direction == "up" else (last.parent or "base")
    return direction, to, plan


def _step(state: RunState, direction: str, target: str | None, **more: Any) -> dict[str, Any]:
    return {"revision": state.revision, "direction": direction, "target": target, "run": state.run, **more}


def prepare(payload: Payload, fanout: Fanout) -> dict[str, Any]:
    """The next step of the run: ``segments`` (with ``jobs``), ``wait``, ``finish`` or ``done``."""
    owner = _get(payload, "owner", str, "Prepare")
    segments = _get(payload, "segments", int, "Prepare")
    request = payload.get("request") or {}
    previous = payload.get("previous") or {}
    runner = fanout.runner(owner, segments)
    books = runner.books
    closed = None
    if previous.get("action") == "segments":
        books.take_lease()
        closed = _close(fanout, books, previous, payload.get("results") or [])
    direction, target, plan = _resolve(runner, previous, request)
    if not plan:
        return {"action": "done", "direction": direction, "target": target, "closed": closed}
    rev, ops = plan[0]
    state = start_run(books, rev, direction, ops, segments)
    for n, op in enumerate(ops):
        if books.op_done(state.run, n):
            continue
        if not is_table_op(op):
            jobs = [_job(j, rev.revision, direction) for j in segment_jobs(state, n, op)]
            return _step(state, direction, target, action="segments", op=n, jobs=jobs, closed=closed)
        try:
            if _busy(fanout.client, fanout.table):
                raise _TableBusyError
            note = run_table_op(fanout.client, fanout.table, op, sleep=_still_busy)
        except _TableBusyError:
            return _step(state, direction, target, action="wait", op=n, closed=closed)
        _LOG.info("%s: %s", op.describe(), note)
        state = finish_operation(books, state, ops, n)
    return _step(state, direction, target, action="finish", closed=closed)


def _job(job: SegmentJob, revision: str, direction: str) -> dict[str, Any]:
    return {
        "revision": revision,
        "direction": direction,
        "run": job.run,
        "op": job.op_index,
        "segment": job.segment,
        "total": job.total,
    }


# ---- segment, finish, abort --------------------------------------------------------------------


def segment(
    payload: Payload, fanout: Fanout, *, out_of_time: Callable[[], bool] | None = None
) -> dict[str, Any]:
    """One call of one segment; the state machine calls again while ``done`` is false."""
    job = _get(payload, "job", Mapping, "Segment")
    owner = _get(payload, "owner", str, "Segment")
    budget = payload.get("max_wcu")
    run, n = _get(job, "run", str, "job"), _get(job, "op", int, "job")
    ops = fanout.operations(_get(job, "revision", str, "job"), _get(job, "direction", str, "job"))
    state = fanout.books(owner).state()
    if state is None or state.run != run:
        msg = f"the run {run} of {fanout.table} is over; this segment call is late."
        raise MigrationError(msg, hint="nothing to do: the run it belonged to ended")
    report = run_segment(
        fanout.client,
        fanout.table,
        fanout.design,
        SegmentJob(run, n, ops[n], _get(job, "segment", int, "job"), _get(job, "total", int, "job")),
        owner=owner,
        lease_seconds=LEASE_SECONDS,
        page_size=fanout.page_size,
        max_wcu=float(budget) if isinstance(budget, int | float) else None,
        out_of_time=out_of_time,
    )
    return _report_json(report, payload.get("report") or {})


def finish(payload: Payload, fanout: Fanout) -> dict[str, Any]:
    """Record the revision of the run as applied (or undone) and give the lease back."""
    owner = _get(payload, "owner", str, "Finish")
    step = _get(payload, "step", Mapping, "Finish")
    books = fanout.books(owner)
    state = books.state()
    if state is not None and state.run == step.get("run"):
        books.take_lease()
        end_run(books, state, fanout.revision(state.revision))
    # Else a retried call: the first one ended the run.
    books.release_lease()
    return {"revision": step.get("revision"), "direction": step.get("direction")}


def abort(payload: Payload, fanout: Fanout) -> dict[str, Any]:
    """Give the lease back after a failure; the run stays recorded for the next run to resume."""
    owner = _get(payload, "owner", str, "Abort")
    error = payload.get("error")
    error = error if isinstance(error, Mapping) else {"Error": repr(error)}
    _LOG.error("migration of %s stopped: %s: %s", fanout.table, error.get("Error"), error.get("Cause"))
    fanout.books(owner).release_lease()
    return {"released": True}


# ---- the Lambda handlers -----------------------------------------------------------------------

_CONTAINER: dict[tuple[str, ...], Fanout] = {}
_CONTAINER_LOCK = threading.Lock()


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, "").strip() or default
    if not value:
        msg = f"the migration functions need the environment variable {name}."
        raise MigrationError(msg, hint="deploy them with the stack `dynamodel emit --stack migrate` writes")
    return value


def _from_environment() -> Fanout:
    """The Fanout of this function's environment, made once per container."""
    key = tuple(
        os.environ.get(v, "")
        for v in ("DYNAMODEL_APP", "TABLE_NAME", "DYNAMODEL_MIGRATIONS", "DYNAMODEL_LOCK")
    )
    with _CONTAINER_LOCK:
        found = _CONTAINER.get(key)
        if found is None:
            found = _CONTAINER[key] = _load(_env("DYNAMODEL_APP"), _env("TABLE_NAME"))
    return found


def _load(target: str, table: str) -> Fanout:
    # Imported here: only a Lambda container needs the loaders and boto3. This entry point is
    # where the migrator makes its client, as propagate.handler does for propagation.
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    from dynamodel.migrate.lock import existing_lock  # noqa: PLC0415
    from dynamodel.migrate.revisions import load_history  # noqa: PLC0415
    from dynamodel.targets import load_app_spec, load_design, lock_path  # noqa: PLC0415

    folder = Path(_env("DYNAMODEL_MIGRATIONS", "migrations"))
    if not folder.is_dir():
        msg = f"the migrations folder {folder} is not in the function's package."
        raise MigrationError(
            msg, hint="package it with the function, or set DYNAMODEL_MIGRATIONS to its path"
        )
    # As `migrate up` does: the design derived against the lock, when the package has one.
    spec = load_app_spec(target)
    lock = existing_lock(
        lock_path(target, os.environ.get("DYNAMODEL_LOCK") or None), spec.name, option="DYNAMODEL_LOCK"
    )
    design = load_design(target, baseline=lock.design if lock is not None else None)
    client = boto3.client("dynamodb", config=Config(retries={"max_attempts": 3, "mode": "standard"}))
    return Fanout(client, table, design, load_history(folder))


def _near_limit(context: object) -> Callable[[], bool] | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    return lambda: int(remaining()) < TIME_MARGIN_MS


def prepare_handler(event: Payload, context: object) -> dict[str, Any]:
    """Lambda entry point of :func:`prepare` (environment: DYNAMODEL_APP, TABLE_NAME, DYNAMODEL_MIGRATIONS)."""
    del context
    return prepare(event, _from_environment())


def segment_handler(event: Payload, context: object) -> dict[str, Any]:
    """Lambda entry point of :func:`segment`; a call stops :data:`TIME_MARGIN_MS` before its limit."""
    return segment(event, _from_environment(), out_of_time=_near_limit(context))


def finish_handler(event: Payload, context: object) -> dict[str, Any]:
    """Lambda entry point of :func:`finish`, and of :func:`abort` when the event carries an ``error``."""
    del context
    fanout = _from_environment()
    return abort(event, fanout) if "error" in event else finish(event, fanout)
