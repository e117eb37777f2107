"""The unit of a migration's work: one scan segment of one operation.

:func:`run_segment` is a plain function of (revision run, operation, segment, total
segments) whose progress lives in the table (:mod:`~dynamodel.migrator.bookkeeping`): the
runner calls it on threads here, and the same call fits a Lambda function fanned out by a
Step Functions Distributed Map (each child called again until its segment reports done).

A page at a time: scan one page of the segment, give every item of the operation's entity
the conditioned writes it still needs (:func:`dynamodel.migrate.steps.item_writes`), and
only then save the page's last evaluated key with the lease renewed in the same
transaction. A runner killed anywhere redoes at most one page, and redoing it writes nothing
that is already there.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from dynamodel.codec import Item, item_to_values
from dynamodel.compile.expressions import Condition, Placeholders
from dynamodel.design.model import Design
from dynamodel.errors import ConditionFailedError, MigrationError, TransactionCancelledError
from dynamodel.layout import OWNER_PK, OWNER_SK, PK, SK, TYPE_ATTR
from dynamodel.migrate.ops import FillCopies, FillExpiry, FillGuards, Operation, Transform
from dynamodel.migrate.steps import ItemWrite, item_writes, scanned_type, transformed_write
from dynamodel.migrator.bookkeeping import Books, Checkpoint
from dynamodel.migrator.pacing import WriteBudget
from dynamodel.propagate.repair import repair_from_items
from dynamodel.runtime.retry import retry_throttled
from dynamodel.targets import import_target

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["Duplicate", "SegmentJob", "SegmentReport", "Worker", "item_type_of", "run_segment"]

_CONFLICT_RETRIES = 20
CHECKPOINT_UNITS = 4
"""Write units of one checkpoint: a transaction (twice the units) of two small items."""


@dataclass(frozen=True)
class SegmentJob:
    """Which work: operation ``op_index`` (``op``) of the run ``run``, segment ``segment`` of ``total``."""

    run: str
    op_index: int
    op: Operation
    segment: int
    total: int


@dataclass(frozen=True)
class Duplicate:
    """Two items holding one value that a new unique guard makes unique."""

    guard: str
    holder: tuple[str, str]
    other: tuple[str, str]


@dataclass
class SegmentReport:
    """What one call did (``done``: the segment has no page left)."""

    seen: int = 0
    written: int = 0
    units: int = 0
    index_units: int = 0
    conflicts: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    done: bool = False


@functools.cache
def _function(target: str) -> Callable[[dict[str, object]], object]:
    """The transform function ``module:name`` names (imported once, not once per item)."""
    found = import_target(target)
    if not callable(found):
        msg = f"{target} is a {type(found).__name__}, not a function."
        raise MigrationError(msg, hint="name a function taking and returning the item's values (a dict)")
    return found


def _key_of(item: Item) -> tuple[str, str]:
    return item[PK]["S"], item[SK]["S"]


def item_type_of(op: Operation) -> str | None:
    """The ``_type`` of the items an operation reads one by one (None: a table-level operation)."""
    if isinstance(op, FillCopies):
        return str(op.path["source"])
    return scanned_type(op)


@dataclass
class Worker:
    """Runs segments against one table.

    Attributes:
        client, table: where.
        design: the design of the code running the migration (entity declarations for
            typing items, copy paths for filling copies).
        books: the bookkeeping (and the lease) of this runner.
        budget: write units per second shared by every thread (None: unpaced).
        page_size: items per scanned page (and per checkpoint).
        dry_run: write nothing, save nothing; only count what would be written.
        on_page: called after every page with (items seen, units written) for progress.
        stop: once set, segments end after their current page (another segment failed).
        out_of_time: asked after every page; True ends the call with the segment not done
            (a Lambda function near its time limit; it is called again and resumes).
    """

    client: DynamoDBClient
    table: str
    design: Design
    books: Books
    budget: WriteBudget | None = None
    page_size: int = 100
    dry_run: bool = False
    on_page: Callable[[int, int], None] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    out_of_time: Callable[[], bool] | None = None

    def _call(self, operation: str, call: Callable[[], Any]) -> Any:
        return retry_throttled(call, operation=operation, context=f"migrating {self.table}")

    def run_segment(self, job: SegmentJob) -> SegmentReport:
        """Work through one segment, from its checkpoint to its end."""
        kind = item_type_of(job.op)
        if kind is None:
            msg = f"{type(job.op).__name__} is a table-level operation, not one of segments."
            raise MigrationError(msg, hint="run it with the runner (MigrationRunner.up)")
        cp = Checkpoint() if self.dry_run else self.books.checkpoint(job.run, job.op_index, job.segment)
        report = SegmentReport(seen=cp.seen, written=cp.written, units=cp.units)
        if cp.done:
            report.done = True
            return report
        scan: dict[str, Any] = {
            "TableName": self.table,
            "Segment": job.segment,
            "TotalSegments": job.total,
            "Limit": self.page_size,
            "FilterExpression": "#t = :t",
            "ExpressionAttributeNames": {"#t": TYPE_ATTR},
            "ExpressionAttributeValues": {":t": {"S": kind}},
        }
        start = cp.last_key
        while not self.stop.is_set():
            if start is not None:
                scan["ExclusiveStartKey"] = start
            page = self._call("Scan", lambda: self.client.scan(**scan))
            items: list[Item] = page.get("Items", [])
            before = report.units
            self._page(job.op, items, report)
            start = page.get("LastEvaluatedKey")
            report.done = start is None
            if not self.dry_run:
                if self.budget is not None:
                    self.budget.take(CHECKPOINT_UNITS)
                cp = Checkpoint(start, report.done, report.seen, report.written, report.units)
                self.books.save_checkpoint(job.run, job.op_index, job.segment, cp)
            if self.on_page is not None:
                self.on_page(len(items), report.units - before)
            if report.done or (self.out_of_time is not None and self.out_of_time()):
                return report
        return report

    def _page(self, op: Operation, items: list[Item], report: SegmentReport) -> None:
        report.seen += len(items)
        if isinstance(op, FillCopies):
            self._copies(op, items, report)
            return
        if isinstance(op, FillGuards):
            items = self._unguarded(op, items)
        for item in items:
            self._item(op, item, report)

    def _unguarded(self, op: FillGuards, items: list[Item]) -> list[Item]:
        """The items whose guard is not stored yet, owned by them (one BatchGetItem per 100).

        A guard put is unconditionally a write unit, even when it stores what is there; a read
        of half a unit per guard makes a re-run (or the resumed page) write nothing.
        """
        owners: dict[tuple[str, str], tuple[str, str]] = {}  # guard key -> the item claiming it
        for item in items:
            for w in item_writes(op, self.design.app.entity, item):
                if w.guard is not None:
                    owners[_key_of(w.guard)] = _key_of(item)
        done: set[tuple[str, str]] = set()  # items whose guard is stored and theirs
        keys = [{PK: {"S": pk}, SK: {"S": sk}} for pk, sk in owners]
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.table: {"Keys": keys[start : start + 100], "ConsistentRead": True}
            }
            while request:
                got = self._batch_get(request)
                for g in got.get("Responses", {}).get(self.table, []):
                    if owners.get(_key_of(g)) == (g[OWNER_PK]["S"], g[OWNER_SK]["S"]):
                        done.add((g[OWNER_PK]["S"], g[OWNER_SK]["S"]))
                request = got.get("UnprocessedKeys") or {}
        return [i for i in items if _key_of(i) not in done]

    def _batch_get(self, request: dict[str, Any]) -> Any:
        return self._call("BatchGetItem", lambda: self.client.batch_get_item(RequestItems=request))

    def _copies(self, op: FillCopies, items: list[Item], report: SegmentReport) -> None:
        via = op.path.get("via")
        path = self.design.copy_path(
            str(op.path["source"]),
            str(op.path["target"]),
            tuple(sorted(dict(via).items())) if via else None,
        )
        if path is None:
            msg = f"{op.describe()}: the running code's design has no such copy path."
            raise MigrationError(msg, hint="run this migration with the code of its revision (or later)")
        if self.dry_run:
            return  # a copy is rewritten only when it differs: unknown without reading targets
        if self.budget is not None:
            self.budget.take(len(items))
        done = repair_from_items(self.design, self.table, self.client, items, [path])
        report.written += done.fixed
        report.units += done.fixed

    def _writes(self, op: Operation, item: Item) -> list[ItemWrite]:
        if not isinstance(op, Transform | FillExpiry):
            return item_writes(op, self.design.app.entity, item, self.design.guards)
        if item.get(TYPE_ATTR, {}).get("S") != op.entity:
            return []
        values = item_to_values(self.design.app.entity(op.entity), item)
        new = _function(op.function)(dict(values)) if isinstance(op, Transform) else values
        if not isinstance(new, dict):
            msg = f"{getattr(op, 'function', op)} returned {type(new).__name__}, not the item's values as a dict."
            raise MigrationError(msg, hint="return a dict of the entity's attribute values")
        found = transformed_write(self.design, op.entity, item, new)
        return [] if found is None else [found]

    def _item(self, op: Operation, item: Item, report: SegmentReport) -> None:
        for _ in range(_CONFLICT_RETRIES):
            writes = self._writes(op, item)
            if not writes:
                return
            if self.dry_run:
                report.written += len(writes)
                report.units += sum(w.units for w in writes)
                report.index_units += sum(w.index_units for w in writes)
                return
            try:
                for w in writes:
                    self._send(w)
                    report.written += 1
                    report.units += w.units
                    report.index_units += w.index_units
                return
            except (ConditionFailedError, TransactionCancelledError):
                report.conflicts += 1
                if writes[0].guard is not None:
                    found = self._guard_conflict(writes[0], item)
                    if isinstance(found, Duplicate):
                        report.duplicates.append(found)
                        return
                fresh = self._fresh(item)
                if fresh is None:
                    return  # deleted meanwhile: nothing to migrate
                item = fresh
        msg = (
            f"item {item[PK]['S']!r}/{item[SK]['S']!r} changed {_CONFLICT_RETRIES} times while migrating it."
        )
        raise MigrationError(msg, hint="run the migration again when the item is written less often")

    def _send(self, w: ItemWrite) -> None:
        if self.budget is not None:
            self.budget.take(w.units + w.index_units)
        c = self.client
        if w.operation == "UpdateItem":
            self._call(w.operation, lambda: c.update_item(TableName=self.table, **w.kwargs))
        elif w.operation == "PutItem":
            self._call(w.operation, lambda: c.put_item(TableName=self.table, **w.kwargs))
        elif w.operation == "DeleteItem":
            self._call(w.operation, lambda: c.delete_item(TableName=self.table, **w.kwargs))
        else:
            tx = [
                {k: {**v, "TableName": self.table} for k, v in t.items()} for t in w.kwargs["TransactItems"]
            ]
            self._call(w.operation, lambda: c.transact_write_items(TransactItems=cast(Any, tx)))

    def _fresh(self, item: Item) -> Item | None:
        got = self._call(
            "GetItem",
            lambda: self.client.get_item(
                TableName=self.table, Key={PK: item[PK], SK: item[SK]}, ConsistentRead=True
            ),
        )
        fresh: Item | None = got.get("Item")
        return fresh

    def _guard_conflict(self, write: ItemWrite, item: Item) -> Duplicate | None:
        """Another item's guard holds the value: a duplicate if that item still holds it."""
        assert write.guard is not None
        guard = self._fresh(write.guard)
        if guard is None:
            return None  # released meanwhile: try again
        owner = (guard[OWNER_PK]["S"], guard[OWNER_SK]["S"])
        holder = self._fresh({PK: {"S": owner[0]}, SK: {"S": owner[1]}})
        still_theirs = Condition.owned_by(*owner)
        if holder is None:  # a stale guard of a deleted item: take it over, unless it moves
            ph = Placeholders()
            kwargs = ph.into(
                {"Item": write.kwargs["Item"], "ConditionExpression": ph.condition(still_theirs)}
            )
            with contextlib.suppress(ConditionFailedError):  # moved meanwhile: the caller tries again
                self._send(ItemWrite("PutItem", kwargs, write.units))
            return None
        # Contested: nobody holds it until the data is fixed, so that the application can
        # change either holder's value (a release of a guard held by another item fails).
        ph = Placeholders()
        kwargs = ph.into({"Key": write.guard, "ConditionExpression": ph.condition(still_theirs)})
        with contextlib.suppress(ConditionFailedError):
            self._send(ItemWrite("DeleteItem", kwargs, write.units))
        return Duplicate(write.guard[PK]["S"], (item[PK]["S"], item[SK]["S"]), owner)


def run_segment(
    client: DynamoDBClient,
    table: str,
    design: Design,
    job: SegmentJob,
    *,
    owner: str,
    lease_seconds: float = 60.0,
    page_size: int = 100,
    max_wcu: float | None = None,
    out_of_time: Callable[[], bool] | None = None,
) -> SegmentReport:
    """One segment of one operation, as one function call: what a Lambda function runs.

    The run (``job.run``, its state and the operation list) is started by the runner; every
    worker of it, threads or functions, works as the run's lease ``owner``. The call takes (or
    renews) that lease, works from the segment's checkpoint until the segment is done or
    ``out_of_time()`` says to stop, and returns; call it again until ``report.done``.
    Duplicates of a guard fill are in ``report.duplicates`` (the caller stops the run).
    """
    books = Books(client, table, owner, lease_seconds)
    books.take_lease()
    worker = Worker(
        client,
        table,
        design,
        books,
        budget=WriteBudget(max_wcu) if max_wcu is not None else None,
        page_size=page_size,
        out_of_time=out_of_time,
    )
    return worker.run_segment(job)
