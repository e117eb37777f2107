"""botocore ClientError → dynamodel errors, and the throttling retry loop."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynamodel.errors import (
    ConditionFailedError,
    DynamodelError,
    ExecutionError,
    RequestError,
    ThrottledError,
    TransactionCancelledError,
)
from dynamodel.runtime.errors import THROTTLING_CODES, cancellation_reasons, map_client_error
from dynamodel.runtime.retry import Backoff, retry_throttled


def client_error(code: str, message: str = "boom", request_id: str = "RID-1", **extra: Any) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 400},
        **extra,
    }
    return ClientError(response, "PutItem")


def test_condition_failed() -> None:
    err = map_client_error(
        client_error("ConditionalCheckFailedException", "The conditional request failed"),
        operation="Order.create",
        context="table shop",
    )
    assert type(err) is ConditionFailedError
    assert err.code == "condition-failed"
    assert err.aws_code == "ConditionalCheckFailedException"
    assert err.request_id == "RID-1"
    assert "Order.create (table shop) failed" in err.message
    assert "read it again and retry" in (err.hint or ""), err.hint


def test_transaction_cancelled_reads_cancellation_reasons() -> None:
    exc = client_error(
        "TransactionCanceledException",
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]",
        CancellationReasons=[
            {"Code": "None"},
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
            {"Code": "TransactionConflict"},
        ],
    )
    err = map_client_error(exc, operation="write_order")
    assert isinstance(err, TransactionCancelledError)
    assert err.reasons == ["None", "ConditionalCheckFailed", "TransactionConflict"]
    assert err.aws_code == "TransactionCanceledException"
    assert err.request_id == "RID-1"
    assert "[None, ConditionalCheckFailed, TransactionConflict]" in err.message


def test_transaction_cancelled_falls_back_to_the_message_text() -> None:
    exc = client_error(
        "TransactionCanceledException",
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]",
    )
    err = map_client_error(exc, operation="write_order")
    assert isinstance(err, TransactionCancelledError)
    assert err.reasons == ["None", "ConditionalCheckFailed"]


def test_transaction_cancelled_without_any_reasons() -> None:
    exc = client_error("TransactionCanceledException", "Transaction cancelled")
    assert cancellation_reasons(exc) == []
    err = map_client_error(exc, operation="w")
    assert isinstance(err, TransactionCancelledError)
    assert err.reasons == []


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
def test_throttling(code: str) -> None:
    err = map_client_error(client_error(code), operation="Query")
    assert type(err) is ThrottledError
    assert err.aws_code == code
    assert err.code == "throttled"


def test_resource_not_found_hints_at_creating_the_table() -> None:
    err = map_client_error(
        client_error("ResourceNotFoundException", "Requested resource not found"), operation="GetItem"
    )
    assert type(err) is ExecutionError
    assert err.code == "execution"
    assert err.hint is not None
    assert "create the table" in err.hint


def test_validation_keeps_the_message() -> None:
    err = map_client_error(
        client_error("ValidationException", "One or more parameter values were invalid: Missing the key SK"),
        operation="PutItem",
    )
    assert type(err) is ExecutionError
    assert "Missing the key SK" in err.message
    assert err.aws_code == "ValidationException"


def test_unknown_codes_and_missing_metadata() -> None:
    exc = ClientError({"Error": {"Code": "SomethingNew"}}, "PutItem")
    err = map_client_error(exc, operation="PutItem")
    assert type(err) is ExecutionError
    assert err.aws_code == "SomethingNew"
    assert err.request_id is None
    bare = map_client_error(ClientError({}, "PutItem"), operation="PutItem")
    assert bare.aws_code is None
    assert isinstance(bare, DynamodelError)


# ---- Backoff and retry_throttled -----------------------------------------------------------


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_backoff_is_full_jitter_capped() -> None:
    b = Backoff(base=0.1, cap=1.0, attempts=5, rand=lambda: 0.5)
    assert [b.delay(n) for n in range(6)] == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]
    assert Backoff(rand=lambda: 0.0).delay(3) == 0.0
    assert Backoff(cap=2.0, rand=lambda: 0.999).delay(500) == pytest.approx(1.998)


@pytest.mark.parametrize("kwargs", [{"attempts": 0}, {"base": -1.0}, {"cap": -0.5}])
def test_backoff_rejects_nonsense(kwargs: dict[str, Any]) -> None:
    with pytest.raises(RequestError):
        Backoff(**kwargs)


def test_retry_throttled_retries_then_succeeds() -> None:
    sleeps = Sleeps()
    answers: list[Any] = [client_error("ThrottlingException"), client_error("RequestLimitExceeded"), "ok"]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    backoff = Backoff(base=0.1, cap=10, attempts=5, sleep=sleeps, rand=lambda: 1.0)
    assert retry_throttled(call, backoff=backoff) == "ok"
    assert sleeps.calls == [0.1, 0.2]


def test_retry_throttled_gives_up_with_throttled_error() -> None:
    sleeps = Sleeps()
    calls = 0

    def call() -> None:
        nonlocal calls
        calls += 1
        raise client_error("ProvisionedThroughputExceededException", request_id=f"R{calls}")

    backoff = Backoff(attempts=4, sleep=sleeps, rand=lambda: 0.0)
    with pytest.raises(ThrottledError) as info:
        retry_throttled(call, backoff=backoff, operation="Query")
    assert calls == 4
    assert len(sleeps.calls) == 3
    assert info.value.request_id == "R4"
    assert info.value.aws_code == "ProvisionedThroughputExceededException"
    assert "throttled on all 4 attempts" in info.value.message
    assert isinstance(info.value.__cause__, ClientError)


def test_retry_throttled_maps_other_errors_at_once() -> None:
    sleeps = Sleeps()

    def call() -> None:
        raise client_error("ConditionalCheckFailedException")

    with pytest.raises(ConditionFailedError):
        retry_throttled(call, backoff=Backoff(sleep=sleeps))
    assert sleeps.calls == []
