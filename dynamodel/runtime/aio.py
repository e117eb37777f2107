"""The async driver: runs runtime steps (:mod:`dynamodel.runtime.steps`) on an aiobotocore client.

It mirrors :func:`dynamodel.runtime.drive.run_sync` step for step; only the sending differs:
requests are awaited, fanned-out branches gathered on the running event loop, and pauses
awaited (``asyncio.sleep``) unless the backoff was given its own ``sleep``.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from dynamodel.runtime.steps import METHODS, Parallel, Pause, Send, Steps, Thunk

T = TypeVar("T")


async def run_async(steps: Steps[T], client: Any) -> T:
    """Run ``steps`` to its end, awaiting each Send on ``client``."""
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
                answer = await getattr(client, METHODS[step.operation])(**step.request)
            elif isinstance(step, Pause):
                if step.default_sleep:
                    await asyncio.sleep(step.seconds)
                else:
                    step.backoff.sleep(step.seconds)
            elif isinstance(step, Thunk):
                answer = step.call()
            elif isinstance(step, Parallel):
                answer = list(await asyncio.gather(*(run_async(b, client) for b in step.branches)))
            else:  # pragma: no cover - the steps module defines every kind
                msg = f"unknown runtime step {step!r}"
                raise TypeError(msg)
        except Exception as exc:
            failure = exc
