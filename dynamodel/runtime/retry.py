"""Exponential backoff with full jitter, and a retry loop for throttled calls.

Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): before retry
``n`` (0-based) sleep a uniform random time in ``[0, min(cap, base * 2**n))``.
``sleep`` and ``rand`` are injectable so that tests never really sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)

from dynamodel.errors import ExecutionError, RequestError, ThrottledError
from dynamodel.runtime.errors import (
    THROTTLING_CODES,
    aws_error_code,
    cancellation_reasons,
    map_client_error,
    restated,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """How often and how long to wait between attempts.

    Attributes:
        base: the first retry's maximum delay, in seconds.
        cap: no delay exceeds this many seconds.
        attempts: total attempts, the first one included (>= 1).
        sleep: called with the delay; ``time.sleep`` by default.
        rand: returns a float in [0, 1); ``random.random`` by default.
    """

    base: float = 0.05
    cap: float = 2.0
    attempts: int = 8
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    rand: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            msg = f"Backoff(attempts={self.attempts}) would never call DynamoDB"
            raise RequestError(msg, hint="pass attempts >= 1 (1 means no retries)")
        if self.base < 0 or self.cap < 0:
            msg = f"Backoff(base={self.base}, cap={self.cap}) has a negative delay"
            raise RequestError(msg, hint="pass base >= 0 and cap >= 0 seconds")

    def delay(self, retry: int) -> float:
        """The (jittered) delay before retry number ``retry`` (0 for the first retry)."""
        ceiling = self.cap if retry >= 63 else min(self.cap, self.base * (2**retry))
        return self.rand() * ceiling

    def pause(self, retry: int) -> None:
        """Sleep before retry number ``retry``."""
        self.sleep(self.delay(retry))


DEFAULT_BACKOFF = Backoff()


# Cancellation reasons DynamoDB documents for a transaction refused by its capacity.
_TRANSACTION_THROTTLING = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", *THROTTLING_CODES})


def _throttled(exc: ClientError) -> bool:
    """Throttling, including a transaction DynamoDB cancelled only because it was throttled."""
    code = aws_error_code(exc)
    if code in THROTTLING_CODES:
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = cancellation_reasons(exc)
    return any(r in _TRANSACTION_THROTTLING for r in reasons) and all(
        r == "None" or r in _TRANSACTION_THROTTLING for r in reasons
    )


def _http_attempts(exc: ClientError) -> int:
    """HTTP requests botocore sent for one call (its own retries included)."""
    meta: Any = exc.response.get("ResponseMetadata", {})
    retries = meta.get("RetryAttempts", 0) if isinstance(meta, dict) else 0
    return 1 + retries if isinstance(retries, int) and retries > 0 else 1


def retry_throttled(
    call: Callable[[], T],
    *,
    backoff: Backoff = DEFAULT_BACKOFF,
    operation: str = "request",
    context: str = "",
) -> T:
    """Call ``call()`` until it is not throttled, sleeping with backoff in between.

    ``backoff.attempts`` bounds the HTTP requests sent, botocore's own retries included
    (read from the response metadata), so our retries do not multiply botocore's. A
    transaction cancelled only for throttling (``TransactionCanceledException`` whose
    reasons are ``ThrottlingError``/``None``) is throttling too.

    Args:
        call: one DynamoDB request, e.g. ``lambda: client.query(**kwargs)``.
        backoff: delays and number of attempts.
        operation, context: name the request in error messages.

    Returns:
        What ``call`` returned.

    Raises:
        ThrottledError: every attempt was throttled (``aws_code``/``request_id`` of the last).
        ExecutionError: any other ClientError, mapped by :func:`map_client_error`
            (ConditionFailedError, TransactionCancelledError, ...), raised at once; or
            botocore could not reach DynamoDB or sign the request (connection refused or
            lost, no credentials): then a write may or may not have been applied.
        RequestError: botocore refused the request's parameters before sending it.
    """
    last: ClientError | None = None
    sent = 0
    for attempt in range(backoff.attempts):
        if attempt:
            backoff.pause(attempt - 1)
        try:
            return call()
        except ClientError as exc:
            if not _throttled(exc):
                raise map_client_error(exc, operation=operation, context=context) from exc
            last = exc
            sent += _http_attempts(exc)
            if sent >= backoff.attempts:
                break
        except ParamValidationError as exc:
            msg = f"{operation} ({context}) was refused by botocore before sending: {exc}"
            raise RequestError(
                msg, hint="this is a dynamodel bug if the request came from a pattern; please report it"
            ) from exc
        except BotoCoreError as exc:
            raise _unreachable(exc, operation, context) from exc
    assert last is not None  # attempts >= 1 and every attempt was throttled
    mapped = map_client_error(last, operation=operation, context=context)
    msg = f"{operation} was throttled on all {max(sent, 1)} attempts (HTTP requests, botocore's included). Last answer: {mapped.message}"
    raise restated(
        ThrottledError,
        msg,
        hint="raise the table's capacity (or use on-demand), spread the load over more partition values, or pass a Backoff with more attempts",
        cause=mapped,
    ) from last


def _unreachable(exc: BotoCoreError, operation: str, context: str) -> ExecutionError:
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        msg = f"{operation} ({context}) was not sent: botocore found no AWS credentials ({exc})."
        return ExecutionError(
            msg,
            hint="configure credentials (environment, ~/.aws, a role), or use dynamodel.EmbeddedEngine for local runs",
        )
    msg = f"{operation} ({context}) did not get an answer from DynamoDB: {exc}. A write may or may not have been applied."
    return ExecutionError(
        msg,
        hint="check the endpoint URL and the network; read the item before retrying a write that is not idempotent",
    )
