"""The batch loop: one batch of stream records, each failing on its own.

Failures are per record: a record that fails is reported in ``batchItemFailures`` (its
``SequenceNumber``), the others proceed. In Lambda the event source mapping counts the
attempts (``MaximumRetryAttempts``, ``BisectBatchOnFunctionError``) and sends records that
still fail to the SQS on-failure destination. Locally the caller keeps the count
(``attempts``, by ``eventID``) and passes a :class:`~dynamodel.propagate.dead_letters.DeadLetterQueue`
in the options: once a record has failed ``max_attempts`` times it goes there, with the
record, the error and the attempt count, and is no longer reported (the stream moves on).

A malformed record (not a mapping, no ``dynamodb``, nested deeper than DynamoDB allows) is a
RequestError of its own: the rest of the batch proceeds. One that Lambda cannot name (no
``SequenceNumber``) fails the batch after the others are done, so that Lambda bisects it down
to that record; locally it is dead-lettered at once. A dead letter keeps the record whole when
it can be stored, else its eventID, SequenceNumber and Keys (enough to repair its copies).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

from dynamodel.design.model import Design
from dynamodel.errors import DynamodelError, RequestError
from dynamodel.propagate.dead_letters import DeadLetter
from dynamodel.propagate.malformed import check_depth, clip, letter_record, unreadable
from dynamodel.propagate.options import DEFAULT_OPTIONS, PropagationOptions
from dynamodel.propagate.plan import RecordPlan, plan_record
from dynamodel.propagate.propagator import PropagationStats, Propagator
from dynamodel.propagate.records import record_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["BatchArgs", "BatchResult", "handle_records", "process_records"]

log = logging.getLogger("dynamodel.propagate")


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


class BatchArgs(TypedDict, total=False):
    """The keyword arguments of :func:`process_records`, for callers that pass them on.

    Attributes:
        design: the derived design.
        table_name: the table the copies live in.
        client: a boto3 DynamoDB client.
        options: how records are applied and given up on (:class:`PropagationOptions`).
        attempts: the failure count per ``eventID`` across calls (the local driver keeps
            it); None counts this call only.
    """

    design: Required[Design]
    table_name: Required[str]
    client: Required[DynamoDBClient]
    options: PropagationOptions
    attempts: MutableMapping[str, int] | None


def process_records(
    records: Iterable[Mapping[str, Any]],
    *,
    design: Design,
    table_name: str,
    client: DynamoDBClient,
    options: PropagationOptions = DEFAULT_OPTIONS,
    attempts: MutableMapping[str, int] | None = None,
) -> BatchResult:
    """Apply DynamoDB Streams records (``NEW_AND_OLD_IMAGES``) to the copies they feed.

    Args:
        records: the event's ``Records``: ``{"eventID", "eventName", "dynamodb": {"Keys",
            "NewImage", "OldImage", "SequenceNumber", "StreamViewType"}, ...}``, in the
            Lambda event's JSON form or as boto3's ``get_records`` returns them.
        design, table_name, client, options, attempts: see :class:`BatchArgs`.

    Returns:
        What was done: the records to retry (in batch order), their errors, the records
        dead-lettered, and counts. Other records proceed.

    Raises:
        RequestError: ``options.max_attempts`` is below 1, or (without a dead-letter
            queue) a record has no id to report it by; the latter after the others ran.
    """
    if options.max_attempts < 1:
        msg = f"max_attempts={options.max_attempts} would dead-letter records before trying them"
        raise RequestError(msg, hint="pass max_attempts >= 1")
    batch = list(records)
    result = BatchResult()
    counts: MutableMapping[str, int] = attempts if attempts is not None else {}
    propagator = Propagator(design, table_name, client, backoff=options.backoff, stats=result.stats)
    plans: list[RecordPlan | None] = []
    errors: list[BaseException | None] = []
    for record in batch:
        try:
            check_depth(record)
            plans.append(plan_record(design, record, verify_targets=options.verify_targets))
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
            _fail(result, record, error, counts=counts, options=options, table_name=table_name)
        except RequestError as err:  # no id to report it by: the batch fails, after the others
            unnamed.append(err)
    if unnamed:
        raise unnamed[0]
    return result


def _fail(
    result: BatchResult,
    record: Mapping[str, Any],
    error: BaseException,
    *,
    counts: MutableMapping[str, int],
    options: PropagationOptions,
    table_name: str,
) -> None:
    """Count a record's failure, then dead-letter it (its attempts are used up) or report it."""
    result.stats.failed += 1
    dlq, max_attempts = options.dlq, options.max_attempts
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
    records: Iterable[Mapping[str, Any]], **batch: Unpack[BatchArgs]
) -> dict[str, list[dict[str, str]]]:
    """Apply a batch of stream records as :func:`process_records` does; answer as Lambda wants.

    Returns:
        ``{"batchItemFailures": [{"itemIdentifier": SequenceNumber}, ...]}``: the records
        to retry (Lambda's ``ReportBatchItemFailures`` response). Other records proceed.
    """
    return process_records(records, **batch).response()
