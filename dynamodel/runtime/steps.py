"""The runtime's logic as steps: what to send, what to wait, what to run side by side.

Every read and write of the runtime is a generator that *yields* the requests it needs and
receives their answers; it never touches a client, a clock or a thread. A driver sends them:
``drive.run`` with a boto3 client (threads for fanned-out reads), ``aio.run`` with an
aiobotocore client (``asyncio.gather`` for fanned-out reads). So the sync and the async
table share every decision (keys, conditions, retries, cursors, errors) and differ only in
how they send.

A driver answers each step:

* :class:`Send` — call the client's operation with the request; the answer goes back in, a
  botocore exception is thrown back in (:func:`with_retries` maps it).
* :class:`Pause` — wait ``seconds`` (``backoff.sleep`` unless it is the default sleep, which
  an async driver replaces with ``asyncio.sleep``).
* :class:`Parallel` — run every sub-generator to its end, concurrently; the list of their
  results goes back in, or the first failure is thrown back in.
* :class:`Thunk` — call a zero-argument callable (the sync-only :func:`retry_throttled` API).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)

from dynamodel.errors import ExecutionError, RequestError, ThrottledError
from dynamodel.runtime.backoff import Backoff
from dynamodel.runtime.errors import (
    THROTTLING_CODES,
    aws_error_code,
    cancellation_reasons,
    map_client_error,
    restated,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Send:
    """One DynamoDB operation (``"GetItem"``) with its request kwargs."""

    operation: str
    request: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait before a retry."""

    seconds: float
    backoff: Backoff

    @property
    def default_sleep(self) -> bool:
        """Whether the backoff sleeps with ``time.sleep`` (an async driver awaits instead)."""
        return self.backoff.sleep is time.sleep


@dataclass(frozen=True, slots=True)
class Parallel:
    """Sub-steps run concurrently (the shards of a fanned-out query)."""

    branches: tuple[Generator[Any, Any, Any], ...]


@dataclass(frozen=True, slots=True)
class Thunk:
    """A call the driver makes as is (``retry_throttled(lambda: client.x(...))``)."""

    call: Callable[[], Any]


Step = Send | Pause | Parallel | Thunk
Steps = Generator[Step, Any, T]
"""A piece of runtime logic: yields steps, returns its result."""

# The client method of each operation the runtime sends (botocore's snake_case names).
METHODS: dict[str, str] = {
    "GetItem": "get_item",
    "PutItem": "put_item",
    "UpdateItem": "update_item",
    "DeleteItem": "delete_item",
    "Query": "query",
    "Scan": "scan",
    "TransactWriteItems": "transact_write_items",
    "TransactGetItems": "transact_get_items",
    "BatchWriteItem": "batch_write_item",
    "BatchGetItem": "batch_get_item",
}


def parallel(branches: Sequence[Steps[T]]) -> Steps[list[T]]:
    """The results of ``branches`` in order, run concurrently by the driver (one runs inline)."""
    if len(branches) == 1:
        return [(yield from branches[0])]
    got: list[T] = yield Parallel(tuple(branches))
    return got


# Cancellation reasons DynamoDB documents for a transaction refused by its capacity.
_TRANSACTION_THROTTLING = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", *THROTTLING_CODES})


def throttled(exc: ClientError) -> bool:
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


def with_retries(step: Send | Thunk, backoff: Backoff, operation: str, context: str) -> Steps[Any]:
    """``step`` until it is not throttled, pausing with backoff in between; errors mapped.

    ``backoff.attempts`` bounds the HTTP requests sent, botocore's own retries included
    (read from the response metadata), so our retries do not multiply botocore's. A
    transaction cancelled only for throttling (``TransactionCanceledException`` whose
    reasons are ``ThrottlingError``/``None``) is throttling too.

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
            yield Pause(backoff.delay(attempt - 1), backoff)
        try:
            return (yield step)
        except ClientError as exc:
            if not throttled(exc):
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
