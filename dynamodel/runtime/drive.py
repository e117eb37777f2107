"""The sync driver: runs runtime steps (:mod:`dynamodel.runtime.steps`) on a boto3 client.

Fanned-out steps run on a thread pool (boto3 clients are thread-safe); pauses sleep with
the backoff's own ``sleep``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from dynamodel.runtime.steps import METHODS, Parallel, Pause, Send, Steps, Thunk

T = TypeVar("T")


def run_sync(steps: Steps[T], client: Any = None, executor: Callable[[], Executor] | None = None) -> T:
    """Run ``steps`` to its end: each Send through ``client``, Parallel on ``executor()``."""
    answer: Any = None
    failure: BaseException | None = None
    while True:
        try:
            step = steps.send(answer) if failure is None else steps.throw(failure)
        except StopIteration as done:
            result: T = done.value
            return result
        answer, failure = None, None
        try:
            if isinstance(step, Send):
                answer = getattr(client, METHODS[step.operation])(**step.request)
            elif isinstance(step, Pause):
                step.backoff.sleep(step.seconds)
            elif isinstance(step, Thunk):
                answer = step.call()
            elif isinstance(step, Parallel):
                answer = _parallel(step, client, executor)
            else:  # pragma: no cover - the steps module defines every kind
                msg = f"unknown runtime step {step!r}"
                raise TypeError(msg)
        except Exception as exc:
            failure = exc


def _parallel(step: Parallel, client: Any, executor: Callable[[], Executor] | None) -> list[Any]:
    if executor is None:
        return [run_sync(branch, client) for branch in step.branches]
    pool = executor()
    futures = [pool.submit(run_sync, branch, client, executor) for branch in step.branches]
    return [f.result() for f in futures]
