"""The propagation handler: DynamoDB Streams records → conditioned updates of every copy.

``lambda_handler`` is the Lambda entry point the SAM template subscribes to the table's
stream (``dynamodel.emit.sam.HANDLER``); ``handle_records`` is the same handler for any
caller (the local driver, tests, a DLQ replay). The update protocol (``_copyver_<Source>``,
the condition that makes duplicates, retries and reordered records no-ops, why a REMOVE
leaves copies alone and why the target's ``_version`` is not bumped) is described in
:mod:`dynamodel.propagate.plan`.

Failures are per record: a record that fails is reported in ``batchItemFailures`` (its
``SequenceNumber``), the others proceed. In Lambda the event source mapping counts the
attempts (``MaximumRetryAttempts``, ``BisectBatchOnFunctionError``) and sends records that
still fail to the SQS on-failure destination. Locally the caller keeps the count
(``attempts``, by ``eventID``) and passes a :class:`DeadLetterQueue`: once a record has
failed ``max_attempts`` times it goes there, with the record, the error and the attempt
count, and is no longer reported (the stream moves on).

A malformed record (not a mapping, no ``dynamodb``, nested deeper than DynamoDB allows) is a
RequestError of its own: the rest of the batch proceeds. One that Lambda cannot name (no
``SequenceNumber``) fails the batch after the others are done, so that Lambda bisects it down
to that record; locally it is dead-lettered at once. A dead letter keeps the record whole when
it can be stored, else its eventID, SequenceNumber and Keys (enough to repair its copies).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from dynamodel.codec import Item
from dynamodel.design.model import Design
from dynamodel.emit.sam import DEFAULT_MAXIMUM_RETRY_ATTEMPTS
from dynamodel.errors import (
    ConditionFailedError,
    DefinitionError,
    DynamodelError,
    ExecutionError,
    RequestError,
)
from dynamodel.propagate.malformed import check_depth, clip, letter_record, unreadable
from dynamodel.propagate.plan import (
    CopyUpdate,
    RecordPlan,
    TargetCheck,
    build_copy_update,
    build_forced_copy_update,
    dependent_indexes,
    lookup_requests,
    plan_record,
    refers_to,
    source_update,
)
from dynamodel.propagate.records import record_id
from dynamodel.runtime.retry import DEFAULT_BACKOFF, Backoff, retry_throttled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "BatchResult",
    "DeadLetter",
    "DeadLetterQueue",
    "JsonlDeadLetterQueue",
    "ListDeadLetterQueue",
    "PropagationError",
    "PropagationStats",
    "handle_records",
    "lambda_handler",
    "process_records",
]

log = logging.getLogger("dynamodel.propagate")

DEFAULT_MAX_ATTEMPTS = 1 + DEFAULT_MAXIMUM_RETRY_ATTEMPTS
"""The first delivery plus the SAM stack's ``MaximumRetryAttempts``."""
MAX_CONFLICTS = 5
"""Re-reads of one target whose condition failed before the record is failed (and retried)."""

T = TypeVar("T")


class PropagationError(ExecutionError):
    """Propagation could not bring a copy up to date (a target kept changing, a stuck record)."""


# ---- dead letters --------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    """A record that kept failing, with what is needed to replay it.

    Attributes:
        record: the stream record in the Lambda event's JSON form (replay it with
            ``handle_records([entry.record], ...)`` or ``dynamodel propagate --replay``).
        error: the last error's text.
        error_type: the last error's class name.
        error_code: dynamodel's error code, when the error was a DynamodelError.
        attempts: how many times the record failed.
        table_name: the table whose stream it came from.
        failed_at: when it was given up, ISO 8601 UTC.
    """

    record: Mapping[str, Any]
    error: str
    error_type: str
    error_code: str | None
    attempts: int
    table_name: str
    failed_at: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (one line of a JSONL dead-letter file)."""
        return {
            "record": dict(self.record),
            "error": self.error,
            "error_type": self.error_type,
            "error_code": self.error_code,
            "attempts": self.attempts,
            "table_name": self.table_name,
            "failed_at": self.failed_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeadLetter:
        """Inverse of :meth:`to_json`.

        Raises:
            RequestError: ``data`` is not a dead letter.
        """
        try:
            return cls(
                record=dict(data["record"]),
                error=str(data["error"]),
                error_type=str(data["error_type"]),
                error_code=None if data.get("error_code") is None else str(data["error_code"]),
                attempts=int(data["attempts"]),
                table_name=str(data["table_name"]),
                failed_at=str(data["failed_at"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            msg = f"not a dead letter: missing or malformed {err}"
            raise RequestError(msg, hint="pass lines written by JsonlDeadLetterQueue") from None


class DeadLetterQueue(Protocol):
    """Where records go after ``max_attempts`` failures (locally; Lambda uses SQS)."""

    def send(self, entry: DeadLetter) -> None:
        """Keep ``entry``; raising makes the record fail again (it is retried)."""


class ListDeadLetterQueue:
    """Dead letters kept in memory (``entries``), for tests and short local runs."""

    def __init__(self) -> None:
        self.entries: list[DeadLetter] = []

    def send(self, entry: DeadLetter) -> None:
        """Append ``entry``."""
        self.entries.append(entry)

    def __len__(self) -> int:
        return len(self.entries)


class JsonlDeadLetterQueue:
    """Dead letters appended to a JSON Lines file, one :meth:`DeadLetter.to_json` per line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, entry: DeadLetter) -> None:
        """Append ``entry`` as one line (the file and its directory are created as needed)."""
        line = json.dumps(entry.to_json(), sort_keys=True, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    def read(self) -> list[DeadLetter]:
        """Every dead letter in the file (none when it does not exist).

        Raises:
            RequestError: a line is not a dead letter.
        """
        if not self.path.exists():
            return []
        out: list[DeadLetter] = []
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                msg = f"{self.path}:{n} is not JSON: {err}"
                raise RequestError(msg, hint="the file holds one JSON dead letter per line") from None
            out.append(DeadLetter.from_json(data))
        return out


# ---- results -------------------------------------------------------------------------------


@dataclass
class PropagationStats:
    """What a batch did.

    Attributes:
        records: records seen.
        idle: records that needed no work (no copied attribute changed, REMOVE, ...).
        superseded: source records skipped because a newer record of the same source item
            in the same batch carries newer copies.
        lookups: copy-path Queries sent (one per shard and page).
        targets: target items examined.
        updated: targets whose copies were written.
        current: targets already holding these or newer copies (nothing written).
        gone: targets deleted before their update.
        conflicts: updates whose condition failed and were re-read.
        checks: target checks (application writes of a target verified against the source).
        failed: record failures (reported or dead-lettered).
        dead_lettered: records sent to the dead-letter queue.
        requests: DynamoDB requests sent (throttled retries not counted).
    """

    records: int = 0
    idle: int = 0
    superseded: int = 0
    lookups: int = 0
    targets: int = 0
    updated: int = 0
    current: int = 0
    gone: int = 0
    conflicts: int = 0
    checks: int = 0
    failed: int = 0
    dead_lettered: int = 0
    requests: int = 0

    def add(self, other: PropagationStats) -> None:
        """Add ``other``'s counts to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class BatchResult:
    """The outcome of one batch.

    Attributes:
        failures: sequence numbers of the records to retry, in batch order.
        errors: the error of each failed record, by sequence number.
        dead_letters: records given up on in this batch.
        stats: counts.
    """

    failures: list[str] = field(default_factory=list)
    errors: dict[str, BaseException] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    stats: PropagationStats = field(default_factory=PropagationStats)

    def response(self) -> dict[str, list[dict[str, str]]]:
        """The Lambda response: ``{"batchItemFailures": [{"itemIdentifier": seq}, ...]}``."""
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in self.failures]}


# ---- the propagator ------------------------------------------------------------------------


class Propagator:
    """Applies copy updates to one table (shared by the handler and the repair command)."""

    def __init__(
        self,
        design: Design,
        table_name: str,
        client: DynamoDBClient,
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        stats: PropagationStats | None = None,
    ) -> None:
        self.design = design
        self.table_name = table_name
        self.client = client
        self.backoff = backoff
        self.stats = stats if stats is not None else PropagationStats()

    def call(self, operation: str, request: Callable[[], T], context: str) -> T:
        """One request, retried while throttled, errors mapped to dynamodel's (counted)."""
        self.stats.requests += 1
        return retry_throttled(
            request,
            backoff=self.backoff,
            operation=operation,
            context=f"table '{self.table_name}', {context}",
        )

    def get(self, key: Item, context: str) -> Item | None:
        """A strongly consistent GetItem; None when there is no item."""
        response: Any = self.call(
            "GetItem",
            lambda: self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True),
            context,
        )
        item: Item | None = response.get("Item")
        return item or None

    def targets(self, update: CopyUpdate) -> Iterator[Item]:
        """Every target item of ``update``'s source item (the copy path's Query, all pages)."""
        path = update.path
        for request in lookup_requests(self.design, path, update.identity, self.table_name):
            start: Any = None
            while True:
                kwargs = dict(request)
                if start is not None:
                    kwargs["ExclusiveStartKey"] = start
                response: Any = self.call(
                    "Query",
                    partial(self.client.query, **kwargs),
                    f"targets of {path.source} {dict(update.identity)} in {path.target}",
                )
                self.stats.lookups += 1
                yield from response.get("Items", [])
                start = response.get("LastEvaluatedKey")
                if not start:
                    break

    def propagate(self, update: CopyUpdate) -> None:
        """Apply ``update`` to every target item of its source item.

        A target that fails does not stop the others; the first error is raised at the
        end, so the record is retried and the targets already updated are no-ops then.
        """
        index = self.design.index(update.path.plan.index)
        full = index.projection == "ALL" or not dependent_indexes(self.design, update.path)
        first: Exception | None = None
        for found in self.targets(update):
            self.stats.targets += 1
            try:
                item: Item | None = found
                if not full:  # keys must be rendered from every stored value
                    item = self.get(self.key_of(found), f"{update.path.target} to update")
                if item is None:
                    self.stats.gone += 1
                    continue
                self.apply(update, item)
            except DynamodelError as err:
                first = first or err
        if first is not None:
            raise first

    def check(self, check: TargetCheck) -> None:
        """Verify an application-written target against its source (read strongly consistent)."""
        self.stats.checks += 1
        source = self.get(check.source_key, f"{check.path.source} copied by a {check.path.target}")
        if source is None:
            return  # a deleted source leaves its copies as they are
        self.stats.targets += 1
        self.apply(source_update(self.design, check.path, source), check.target)

    def key_of(self, item: Item) -> Item:
        """The base-table key of an item."""
        pk, sk = self.design.table.partition_key, self.design.table.sort_key
        return {pk: item[pk], sk: item[sk]}

    def apply(self, update: CopyUpdate, target: Item, *, force: bool = False) -> str:
        """Bring one target's copies to ``update``: ``updated``, ``current`` or ``gone``.

        A failed condition re-reads the target (strongly consistent) and decides again:
        newer copies already there, the target deleted, or (when keys are re-rendered) its
        ``_version`` moved and the keys must be rendered from its new values.

        Raises:
            PropagationError: the target changed under every one of ``MAX_CONFLICTS`` attempts.
        """
        item: Item | None = target
        for _ in range(MAX_CONFLICTS):
            assert item is not None
            if not refers_to(self.design, update, item):
                self.stats.gone += 1  # re-created for another source: its copies follow that one
                return "gone"
            build = build_forced_copy_update if force else build_copy_update
            request = build(self.design, update, item, self.table_name)
            if request is None:
                self.stats.current += 1
                return "current"
            try:
                self.call(
                    "UpdateItem",
                    partial(self.client.update_item, **request),
                    f"copies of {update.path.source} v{update.version} in a {update.path.target}",
                )
            except ConditionFailedError:
                self.stats.conflicts += 1
                item = self.get(self.key_of(item), f"{update.path.target} after a failed copy condition")
                if item is None:
                    self.stats.gone += 1
                    return "gone"
                continue
            self.stats.updated += 1
            return "updated"
        key = self.key_of(target)
        msg = f"the {update.path.target} at {key} changed under {MAX_CONFLICTS} copy updates in a row"
        raise PropagationError(
            msg, hint="the record is retried; if it keeps failing, run repair-copies later"
        )


# ---- the handler ---------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _superseded(plans: Sequence[RecordPlan | None]) -> set[int]:
    """Indexes of plans whose every update is superseded by a later update in the batch."""
    updates = [u for p in plans if p is not None for u in p.updates]
    out: set[int] = set()
    for i, plan in enumerate(plans):
        if plan is None or not plan.updates or plan.checks:
            continue
        if all(any(o.supersedes(u) for o in updates) for u in plan.updates):
            out.add(i)
    return out


def process_records(
    records: Iterable[Mapping[str, Any]],
    *,
    design: Design,
    table_name: str,
    client: DynamoDBClient,
    dlq: DeadLetterQueue | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    attempts: MutableMapping[str, int] | None = None,
    verify_targets: bool = True,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> BatchResult:
    """Apply a batch of stream records; see :func:`handle_records`. Returns the details."""
    if max_attempts < 1:
        msg = f"max_attempts={max_attempts} would dead-letter records before trying them"
        raise RequestError(msg, hint="pass max_attempts >= 1")
    batch = list(records)
    result = BatchResult()
    counts: MutableMapping[str, int] = attempts if attempts is not None else {}
    propagator = Propagator(design, table_name, client, backoff=backoff, stats=result.stats)
    plans: list[RecordPlan | None] = []
    errors: list[BaseException | None] = []
    for record in batch:
        try:
            check_depth(record)
            plans.append(plan_record(design, record, verify_targets=verify_targets))
            errors.append(None)
        except DynamodelError as err:  # a record's failure must not fail the batch
            plans.append(None)
            errors.append(err)
        except Exception as err:  # a record no retry can read: a poison record
            plans.append(None)
            errors.append(unreadable(record, err))
    unnamed: list[BaseException] = []
    skip = _superseded(plans)
    for i, record in enumerate(batch):
        result.stats.records += 1
        plan, error = plans[i], errors[i]
        if plan is not None and error is None:
            if i in skip:
                result.stats.superseded += 1
            elif not plan.needs_work:
                result.stats.idle += 1
            else:
                try:
                    for update in plan.updates:
                        propagator.propagate(update)
                    for check in plan.checks:
                        propagator.check(check)
                except Exception as err:  # reported per record, retried
                    error = err
        if error is None:
            if plan is not None:
                counts.pop(plan.event_id, None)
            continue
        try:
            _fail(
                result,
                record=record,
                error=error,
                counts=counts,
                dlq=dlq,
                max_attempts=max_attempts,
                table_name=table_name,
            )
        except RequestError as err:  # no id to report it by: the batch fails, after the others
            unnamed.append(err)
    if unnamed:
        raise unnamed[0]
    return result


def _fail(
    result: BatchResult,
    *,
    record: Mapping[str, Any],
    error: BaseException,
    counts: MutableMapping[str, int],
    dlq: DeadLetterQueue | None,
    max_attempts: int,
    table_name: str,
) -> None:
    result.stats.failed += 1
    try:
        eid, seq = record_id(record)
    except RequestError:
        if dlq is None:
            # Without a sequence number the record cannot be retried on its own: fail the
            # batch, so Lambda bisects it and sends the record to the on-failure destination.
            raise
        eid, seq, n = "", "", max_attempts  # it can never be retried: dead-letter it now
    else:
        n = counts.get(eid, 0) + 1
        counts[eid] = n
    log.warning("stream record %s (attempt %d) failed: %s", seq or "without id", n, clip(str(error)))
    if dlq is not None and n >= max_attempts:
        code = error.code if isinstance(error, DynamodelError) else None
        letter = DeadLetter(
            record=letter_record(record),
            error=clip(str(error)),
            error_type=type(error).__name__,
            error_code=code,
            attempts=n,
            table_name=table_name,
            failed_at=_now(),
        )
        try:
            dlq.send(letter)
        except Exception as err:  # keep the record; it is retried
            log.error("dead-letter queue refused stream record %s: %s", seq, err)
        else:
            counts.pop(eid, None)
            result.dead_letters.append(letter)
            result.stats.dead_lettered += 1
            return
    result.failures.append(seq)
    result.errors[seq] = error


def handle_records(
    records: Iterable[Mapping[str, Any]],
    *,
    design: Design,
    table_name: str,
    client: DynamoDBClient,
    dlq: DeadLetterQueue | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    attempts: MutableMapping[str, int] | None = None,
    verify_targets: bool = True,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> dict[str, list[dict[str, str]]]:
    """Apply DynamoDB Streams records (``NEW_AND_OLD_IMAGES``) to the copies they feed.

    Args:
        records: the event's ``Records``: ``{"eventID", "eventName", "dynamodb": {"Keys",
            "NewImage", "OldImage", "SequenceNumber", "StreamViewType"}, ...}``, in the
            Lambda event's JSON form or as boto3's ``get_records`` returns them.
        design: the derived design.
        table_name: the table the copies live in.
        client: a boto3 DynamoDB client.
        dlq: where records go once they failed ``max_attempts`` times; None (Lambda) reports
            every failure and leaves retries and the dead-letter queue to the event source
            mapping.
        max_attempts: failures of one record (by ``eventID``, counted in ``attempts``)
            before it is dead-lettered.
        attempts: the failure count per ``eventID`` across calls (the local driver keeps
            it); None counts this call only.
        verify_targets: check application writes of target items against their source
            (one GetItem each), so copies converge even when a write raced a source update.
        backoff: retries of throttled requests.

    Returns:
        ``{"batchItemFailures": [{"itemIdentifier": SequenceNumber}, ...]}``: the records
        to retry (Lambda's ``ReportBatchItemFailures`` response). Other records proceed.
    """
    return process_records(
        records,
        design=design,
        table_name=table_name,
        client=client,
        dlq=dlq,
        max_attempts=max_attempts,
        attempts=attempts,
        verify_targets=verify_targets,
        backoff=backoff,
    ).response()


# ---- Lambda --------------------------------------------------------------------------------

_CONTAINER: dict[tuple[str, ...], Any] = {}
_CONTAINER_LOCK = threading.Lock()
_ENDPOINT_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL")


def _env(name: str, hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        msg = f"the propagation function needs the environment variable {name}"
        raise DefinitionError(msg, hint=hint)
    return value


def _container_design(target: str) -> Design:
    key = ("design", target)
    with _CONTAINER_LOCK:
        found = _CONTAINER.get(key)
    if found is None:
        from dynamodel.targets import load_design  # noqa: PLC0415 - only the Lambda entry point needs it

        found = load_design(target)
        with _CONTAINER_LOCK:
            _CONTAINER[key] = found
    assert isinstance(found, Design)
    return found


def _container_client() -> DynamoDBClient:
    key = ("client", *(os.environ.get(v, "") for v in _ENDPOINT_VARS))
    with _CONTAINER_LOCK:
        found = _CONTAINER.get(key)
        if found is None:
            import boto3  # noqa: PLC0415 - Lambda's runtime provides it
            from botocore.config import Config  # noqa: PLC0415

            found = boto3.client("dynamodb", config=Config(retries={"max_attempts": 3, "mode": "standard"}))
            _CONTAINER[key] = found
    return found


def lambda_handler(event: Mapping[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    """The Lambda entry point (``dynamodel.propagate.handler.lambda_handler``).

    Environment:
        DYNAMODEL_APP: ``package.module:APP`` (or a spec file bundled with the function):
            the app whose design is derived, once per container.
        TABLE_NAME: the table.

    The DynamoDB client is boto3's default (region and credentials from the function's
    environment; ``AWS_ENDPOINT_URL_DYNAMODB`` points it elsewhere), made once per container.

    Returns:
        The ``batchItemFailures`` response of :func:`handle_records`.

    Raises:
        DefinitionError: an environment variable is missing or DYNAMODEL_APP does not load;
            the whole batch fails and Lambda retries it.
        RequestError: the event has no ``Records`` list.
    """
    target = _env(
        "DYNAMODEL_APP",
        "set it to the app's 'package.module:APP' (e.g. access_patterns.shop:shop) in the function's environment",
    )
    table_name = _env(
        "TABLE_NAME", "set it to the table's name (the SAM template imports it from the table stack)"
    )
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        msg = "the Lambda event has no 'Records' list; it is not a DynamoDB Streams event"
        raise RequestError(msg, hint="subscribe the function to the table's stream (see the SAM template)")
    design = _container_design(target)
    return handle_records(records, design=design, table_name=table_name, client=_container_client())
