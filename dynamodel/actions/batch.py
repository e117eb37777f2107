"""A batch of stream records through one action, answered as Lambda's partial batch response.

Records are applied in stream order and the batch stops at the first one that fails: Lambda
resumes a stream from the lowest failed sequence number, so the records after it come again
anyway, and applying them now would let a later change of an item overtake an earlier one.
A record whose handler raised :class:`~dynamodel.errors.NotRetryableError` is not a failure
of the stream: it goes to the dead-letter queue at once (in Lambda, a publication to the
action's failure topic, to which the queue is subscribed) and the batch goes on. A record
that keeps failing is dead-lettered after ``max_attempts`` (locally) or by the event source
mapping's on-failure destination (in Lambda).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dynamodel.actions.apply import ActionRunner, Outcome
from dynamodel.errors import NotRetryableError
from dynamodel.propagate.batch_loop import BatchResult
from dynamodel.propagate.dead_letters import DeadLetter, DeadLetterQueue
from dynamodel.propagate.records import record_id

__all__ = ["ActionBatch", "run_batch"]

log = logging.getLogger("dynamodel.actions")


@dataclass
class ActionBatch:
    """What a batch did, per outcome, beside the stream's :class:`BatchResult`."""

    result: BatchResult = field(default_factory=BatchResult)
    outcomes: dict[Outcome, int] = field(default_factory=lambda: {"applied": 0, "duplicate": 0, "skipped": 0})

    def response(self) -> dict[str, list[dict[str, str]]]:
        """The Lambda response (``batchItemFailures``)."""
        return self.result.response()


def run_batch(
    records: Sequence[Mapping[str, Any]],
    runner: ActionRunner,
    *,
    dlq: DeadLetterQueue | None,
    max_attempts: int,
    attempts: MutableMapping[str, int] | None = None,
) -> ActionBatch:
    """Apply ``records`` to ``runner``'s action; see the module docstring.

    Args:
        records: the batch, in stream order.
        runner: the action and its table.
        dlq: where records given up on go (None: only not-retryable ones are lost to it,
            reported as failures instead, so nothing is ever dropped).
        max_attempts: failures of one record (by ``eventID``) before it is dead-lettered.
        attempts: failure counts across calls (the local driver keeps them).
    """
    batch = ActionBatch()
    counts: MutableMapping[str, int] = attempts if attempts is not None else {}
    for record in records:
        eid, seq = record_id(record)
        batch.result.stats.records += 1
        try:
            batch.outcomes[runner.apply(record)] += 1
            counts.pop(eid, None)
            continue
        except NotRetryableError as err:
            n, given_up = counts.pop(eid, 0) + 1, True
            error: BaseException = err
        except Exception as err:  # retried by the stream until its attempts are used up
            n = counts.get(eid, 0) + 1
            counts[eid] = n
            given_up, error = n >= max_attempts, err
        batch.result.stats.failed += 1
        log.warning("action %s: stream record %s (attempt %d) failed: %s", runner.action.name, seq, n, error)
        if given_up and dlq is not None:
            letter = DeadLetter.of(record, error, attempts=n, table_name=runner.table_name)
            dlq.send(letter)
            counts.pop(eid, None)
            batch.result.dead_letters.append(letter)
            batch.result.stats.dead_lettered += 1
            continue
        batch.result.failures.append(seq)
        batch.result.errors[seq] = error
        break
    return batch
