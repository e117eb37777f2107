"""Retrying throttled calls: the sync entry point for code that holds a boto3 call.

The retry loop itself is :func:`dynamodel.runtime.steps.with_retries`, shared by the sync
and async tables; this module runs it on one callable for the propagation, action and
migration drivers, and re-exports :class:`Backoff`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from dynamodel.runtime.backoff import DEFAULT_BACKOFF, Backoff
from dynamodel.runtime.drive import run_sync
from dynamodel.runtime.steps import Thunk, with_retries

__all__ = ["DEFAULT_BACKOFF", "Backoff", "retry_throttled"]

T = TypeVar("T")


def retry_throttled(
    call: Callable[[], T],
    *,
    backoff: Backoff = DEFAULT_BACKOFF,
    operation: str = "request",
    context: str = "",
) -> T:
    """Call ``call()`` until it is not throttled, sleeping with backoff in between.

    Args:
        call: one DynamoDB request, e.g. ``lambda: client.query(**kwargs)``.
        backoff: delays and number of attempts (botocore's own retries count).
        operation, context: name the request in error messages.

    Returns:
        What ``call`` returned.

    Raises:
        ThrottledError, ExecutionError, RequestError: see
        :func:`dynamodel.runtime.steps.with_retries`.
    """
    result: T = run_sync(with_retries(Thunk(call), backoff, operation, context))
    return result
