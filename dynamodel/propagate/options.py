"""How records are propagated: one options object for the batch loop, the driver and the CLI.

The same settings (where records that keep failing go, after how many failures, whether
application writes of targets are verified, how throttled requests back off) reach the
batch loop from ``drain``, ``handle_records`` and the Lambda entry point; they travel as
one frozen :class:`PropagationOptions`, built once by whoever takes them from a user.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynamodel.emit.sam import DEFAULT_MAXIMUM_RETRY_ATTEMPTS
from dynamodel.propagate.dead_letters import DeadLetterQueue
from dynamodel.runtime.retry import DEFAULT_BACKOFF, Backoff

__all__ = ["DEFAULT_MAX_ATTEMPTS", "DEFAULT_OPTIONS", "PropagationOptions"]

DEFAULT_MAX_ATTEMPTS = 1 + DEFAULT_MAXIMUM_RETRY_ATTEMPTS
"""The first delivery plus the SAM stack's ``MaximumRetryAttempts``."""


@dataclass(frozen=True)
class PropagationOptions:
    """How a batch of stream records is applied.

    Attributes:
        dlq: where records go once they failed ``max_attempts`` times; None (Lambda)
            reports every failure and leaves retries and the dead-letter queue to the event
            source mapping (the local driver stops instead).
        max_attempts: failures of one record (by ``eventID``) before it is dead-lettered.
            The batch loop refuses a value below 1 (it would dead-letter records untried).
        verify_targets: check application writes of target items against their source
            (one GetItem each), so copies converge even when a write raced a source update.
        backoff: retries of throttled requests (and the driver's pauses before redeliveries).
    """

    dlq: DeadLetterQueue | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    verify_targets: bool = True
    backoff: Backoff = DEFAULT_BACKOFF


DEFAULT_OPTIONS = PropagationOptions()
"""Lambda's settings: no local dead-letter queue, the SAM stack's attempts, targets verified."""
