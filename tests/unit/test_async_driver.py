"""The two drivers run the same steps: answers, failures, retries and fan-outs, sync and async.

Engine assumed: none; hand-made clients answer (a sync one and an async one with the same script).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynamodel.errors import ConditionFailedError, ThrottledError
from dynamodel.runtime.aio import run_async
from dynamodel.runtime.backoff import Backoff
from dynamodel.runtime.drive import run_sync
from dynamodel.runtime.steps import Send, Steps, parallel, with_retries


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")


def refused() -> ClientError:
    return ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem")


class Script:
    """Answers ``get_item`` from a list: an exception is raised, anything else returned."""

    def __init__(self, answers: list[object]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    def answer(self, request: dict[str, Any]) -> Any:
        self.calls.append(request)
        got = self.answers.pop(0)
        if isinstance(got, BaseException):
            raise got
        return got


class SyncClient(Script):
    def get_item(self, **request: Any) -> Any:
        return self.answer(request)


class AsyncClient(Script):
    async def get_item(self, **request: Any) -> Any:
        await asyncio.sleep(0)
        return self.answer(request)


def drive_both(make: Callable[[], Steps[Any]], answers: list[object]) -> tuple[Any, Any, list[Any]]:
    """The result of ``make()``'s steps on each driver (or the exception raised), and the calls."""
    sync_client, async_client = SyncClient(list(answers)), AsyncClient(list(answers))
    results: list[Any] = []
    runs: list[Callable[[], Any]] = [
        lambda: run_sync(make(), sync_client),
        lambda: asyncio.run(run_async(make(), async_client)),
    ]
    for run in runs:
        try:
            results.append(run())
        except Exception as exc:
            results.append(exc)
    return results[0], results[1], [sync_client.calls, async_client.calls]


NO_WAIT = Backoff(attempts=3, sleep=lambda _: None)


def read(backoff: Backoff = NO_WAIT) -> Steps[Any]:
    return with_retries(Send("GetItem", {"Key": {"PK": {"S": "a"}}}), backoff, "GetItem", "test")


def test_both_drivers_retry_throttling_and_answer_the_same() -> None:
    sync, aio, calls = drive_both(read, [throttled(), throttled(), {"Item": {"x": {"S": "1"}}}])
    assert sync == aio == {"Item": {"x": {"S": "1"}}}
    assert [len(c) for c in calls] == [3, 3]


def test_both_drivers_give_up_with_the_same_throttled_error() -> None:
    sync, aio, _ = drive_both(read, [throttled(), throttled(), throttled()])
    assert isinstance(sync, ThrottledError)
    assert isinstance(aio, ThrottledError)
    assert str(sync) == str(aio)


def test_both_drivers_map_a_refusal_into_the_steps_that_catch_it() -> None:
    def caught() -> Steps[str]:
        try:
            yield from read()
        except ConditionFailedError:
            return "refused"
        return "answered"

    sync, aio, _ = drive_both(caught, [refused()])
    assert sync == aio == "refused"


def test_a_fan_out_returns_branch_results_in_order_on_both() -> None:
    def fan() -> Steps[list[Any]]:
        return parallel([read(), read(), read()])

    answers: list[object] = [{"n": 1}, {"n": 2}, {"n": 3}]
    sync, aio, _ = drive_both(fan, answers)
    assert sorted(x["n"] for x in sync) == sorted(x["n"] for x in aio) == [1, 2, 3]


def test_the_sync_fan_out_runs_on_the_executor() -> None:
    client = SyncClient([{"n": 1}, {"n": 2}])
    threads: set[str] = set()
    original = client.get_item

    def noted(**request: Any) -> Any:
        import threading

        threads.add(threading.current_thread().name)
        return original(**request)

    client.get_item = noted  # type: ignore[method-assign]
    with ThreadPoolExecutor(2, thread_name_prefix="shard") as pool:
        run_sync(parallel([read(), read()]), client, lambda: pool)
    assert threads
    assert all(name.startswith("shard") for name in threads)


def test_the_async_driver_awaits_its_pauses_instead_of_blocking_the_loop() -> None:
    """With the default sleep a retry awaits asyncio.sleep, so other tasks run during the pause:
    a ticker ticks twice between the throttled call and its retry (a blocking sleep would hold
    the loop, and the ticks would come after the retry)."""
    backoff = Backoff(base=0.2, cap=0.2, attempts=2, rand=lambda: 1.0)
    assert backoff.sleep is time.sleep
    events: list[str] = []

    class Noting(AsyncClient):
        def answer(self, request: dict[str, Any]) -> Any:
            events.append("call")
            return super().answer(request)

    client = Noting([throttled(), {"Item": {}}])

    async def ticker() -> None:
        for _ in range(3):
            events.append("tick")
            await asyncio.sleep(0.01)

    async def both() -> Any:
        got, _ = await asyncio.gather(run_async(read(backoff), client), ticker())
        return got

    assert asyncio.run(both()) == {"Item": {}}
    assert events == ["tick", "call", "tick", "tick", "call"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_given_sleep_is_used_by_both(kind: str) -> None:
    slept: list[float] = []
    backoff = Backoff(base=1.0, cap=1.0, attempts=2, sleep=slept.append, rand=lambda: 0.5)
    if kind == "sync":
        run_sync(read(backoff), SyncClient([throttled(), {}]))
    else:
        asyncio.run(run_async(read(backoff), AsyncClient([throttled(), {}])))
    assert slept == [0.5]
