"""batch_write / batch_get against a stub client that drops and throttles on purpose.

The stub behaves like DynamoDB where it matters (25 writes and 100 keys per request,
no duplicate keys in one request, unordered responses) so that these tests check our
code, not moto's leniency. Backoff sleeps are recorded, never slept.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from dynamodel.errors import ExecutionError, RequestError, UnprocessedItemsError
from dynamodel.runtime.batch import MAX_BATCH_GET, MAX_BATCH_WRITE, batch_get, batch_write
from dynamodel.runtime.retry import Backoff

TABLE = "shop"
Behaviour = Callable[[list[Any]], list[Any] | Exception]
"""Given a request's entries, returns the entries to leave unprocessed, or an error to raise."""


def key(n: int) -> dict[str, Any]:
    return {"PK": {"S": f"P#{n}"}, "SK": {"S": "S#"}}


def item(n: int) -> dict[str, Any]:
    return {**key(n), "n": {"N": str(n)}}


def ident(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["PK"]["S"], entry["SK"]["S"]


def error(code: str) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"RequestId": "R"}}
    return ClientError(response, "Batch")


def ok(_: list[Any]) -> list[Any]:
    return []


def throttle(_: list[Any]) -> Exception:
    return error("ProvisionedThroughputExceededException")


def drop_every_other(entries: list[Any]) -> list[Any]:
    return entries[1::2]


if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def as_client(stub: StubClient) -> DynamoDBClient:
    """The stub, typed as the client it stands in for."""
    return cast("DynamoDBClient", stub)


class StubClient:
    """A fake DynamoDB client with a script of behaviours, one per call (then ``ok``)."""

    def __init__(self, script: Iterable[Behaviour] = (), stored: Iterable[dict[str, Any]] = ()) -> None:
        self.script = iter(script)
        self.writes: Counter[tuple[str, str, str]] = Counter()
        self.stored = {ident(i): i for i in stored}
        self.calls = 0
        self.request_sizes: list[int] = []

    def _behaviour(self) -> Behaviour:
        return next(self.script, ok)

    def batch_write_item(self, *, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls += 1
        (table, requests), *rest = RequestItems.items()
        assert table == TABLE
        assert not rest
        assert 1 <= len(requests) <= 25, "DynamoDB takes at most 25 writes per request"
        idents = [
            ident(r["PutRequest"]["Item"] if "PutRequest" in r else r["DeleteRequest"]["Key"])
            for r in requests
        ]
        if len(set(idents)) != len(idents):
            raise error("ValidationException")  # DynamoDB: "Provided list of item keys contains duplicates"
        self.request_sizes.append(len(requests))
        outcome = self._behaviour()(requests)
        if isinstance(outcome, Exception):
            raise outcome
        for request, i in zip(requests, idents, strict=True):
            if any(request is u for u in outcome):
                continue
            self.writes["put" if "PutRequest" in request else "delete", *i] += 1
        return {"UnprocessedItems": {TABLE: outcome} if outcome else {}}

    def batch_get_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        keys = RequestItems[TABLE]["Keys"]
        assert 1 <= len(keys) <= 100, "DynamoDB takes at most 100 keys per request"
        assert len({ident(k) for k in keys}) == len(keys), "DynamoDB rejects duplicate keys"
        self.request_sizes.append(len(keys))
        outcome = self._behaviour()(keys)
        if isinstance(outcome, Exception):
            raise outcome
        served = [
            self.stored[ident(k)]
            for k in keys
            if not any(k is u for u in outcome) and ident(k) in self.stored
        ]
        random.Random(self.calls).shuffle(served)  # DynamoDB returns items in any order
        unprocessed = {TABLE: {"Keys": outcome, "ConsistentRead": RequestItems[TABLE]["ConsistentRead"]}}
        return {"Responses": {TABLE: served}, "UnprocessedKeys": unprocessed if outcome else {}}


def backoff(sleeps: list[float], attempts: int = 8) -> Backoff:
    return Backoff(base=0.05, cap=2.0, attempts=attempts, sleep=sleeps.append, rand=lambda: 1.0)


# ---- batch_write ---------------------------------------------------------------------------


def test_splits_into_25_and_writes_everything_once() -> None:
    stub = StubClient()
    sleeps: list[float] = []
    batch_write(
        as_client(stub),
        TABLE,
        [item(n) for n in range(60)],
        [key(n) for n in range(100, 110)],
        backoff=backoff(sleeps),
    )
    assert stub.request_sizes == [25, 25, 20]
    assert set(stub.writes.values()) == {1}
    assert len(stub.writes) == 70
    assert sleeps == []


def test_unprocessed_items_and_throttling_are_retried_until_done() -> None:
    stub = StubClient(
        [drop_every_other, throttle, drop_every_other, ok, throttle, throttle, drop_every_other]
    )
    sleeps: list[float] = []
    puts = [item(n) for n in range(70)]
    batch_write(as_client(stub), TABLE, puts, [key(n) for n in range(500, 505)], backoff=backoff(sleeps))
    assert Counter(stub.writes.values()) == Counter({1: 75}), "every write applied exactly once"
    assert all(size <= MAX_BATCH_WRITE for size in stub.request_sizes)
    # chunk 1: drop, throttle, drop, ok -> 3 sleeps; chunk 2: throttle, throttle, drop, ok -> 3 sleeps
    assert sleeps == [0.05, 0.1, 0.2, 0.05, 0.1, 0.2]


def test_retries_run_out_and_the_error_lists_exactly_what_was_not_written() -> None:
    def keep_first_three(entries: list[Any]) -> list[Any]:
        return entries[:3]

    stub = StubClient([ok, keep_first_three, keep_first_three, keep_first_three])
    sleeps: list[float] = []
    puts = [item(n) for n in range(80)]
    with pytest.raises(UnprocessedItemsError) as info:
        batch_write(as_client(stub), TABLE, puts, backoff=backoff(sleeps, attempts=3))
    err = info.value
    # chunk 1 written; chunk 2 keeps items 25..27 unprocessed 3 times; chunks 3-4 never sent.
    expected = [{"PutRequest": {"Item": item(n)}} for n in [25, 26, 27, *range(50, 80)]]
    assert err.items == expected
    written = {i[1] for i in stub.writes}
    assert written == {f"P#{n}" for n in range(80)} - {f"P#{n}" for n in [25, 26, 27, *range(50, 80)]}
    assert set(stub.writes.values()) == {1}
    assert "33 of 80 writes not applied" in err.message
    assert "3 unprocessed, 30 never sent" in err.message
    assert err.code == "unprocessed-items"
    assert ".items lists exactly the writes not applied" in (err.hint or ""), err.hint
    assert len(sleeps) == 2


def test_throttled_to_the_end_lists_every_unsent_item() -> None:
    stub = StubClient(iter(lambda: throttle, None))  # always throttles
    sleeps: list[float] = []
    with pytest.raises(UnprocessedItemsError) as info:
        batch_write(as_client(stub), TABLE, [item(n) for n in range(30)], backoff=backoff(sleeps, attempts=4))
    assert [r["PutRequest"]["Item"] for r in info.value.items] == [item(n) for n in range(30)]
    assert info.value.aws_code == "ProvisionedThroughputExceededException"
    assert stub.calls == 4
    assert not stub.writes


@given(st.lists(st.sampled_from(["ok", "throttle", "drop", "drop_all"]), max_size=30), st.integers(1, 90))
def test_every_item_is_written_once_or_reported(script: list[str], count: int) -> None:
    behaviours: dict[str, Behaviour] = {
        "ok": ok,
        "throttle": throttle,
        "drop": drop_every_other,
        "drop_all": list,
    }
    stub = StubClient([behaviours[s] for s in script])
    puts = [item(n) for n in range(count)]
    not_written: list[Any] = []
    try:
        batch_write(as_client(stub), TABLE, puts, backoff=backoff([], attempts=4))
    except UnprocessedItemsError as err:
        not_written = err.items
    reported = {r["PutRequest"]["Item"]["PK"]["S"] for r in not_written}
    assert len(reported) == len(not_written), "each unwritten item reported once"
    written = {pk for _, pk, _ in stub.writes}
    assert set(stub.writes.values()) <= {1}, "nothing written twice"
    assert written.isdisjoint(reported), "nothing both written and reported"
    assert written | reported == {f"P#{n}" for n in range(count)}, "nothing dropped"


def test_duplicate_keys_are_refused_before_sending() -> None:
    stub = StubClient()
    with pytest.raises(RequestError, match=r"two writes for one key .*put #0 and put #2"):
        batch_write(as_client(stub), TABLE, [item(1), item(2), item(1)])
    with pytest.raises(RequestError, match=r"put #1 and delete #0"):
        batch_write(as_client(stub), TABLE, [item(1), item(3)], [key(3)])
    assert stub.calls == 0


def test_keys_are_checked_before_sending() -> None:
    stub = StubClient()
    with pytest.raises(RequestError, match="put #1 has no key attribute 'SK'"):
        batch_write(as_client(stub), TABLE, [item(1), {"PK": {"S": "x"}}])
    with pytest.raises(RequestError, match="not part of the key: n"):
        batch_write(as_client(stub), TABLE, [], [item(1)])
    with pytest.raises(RequestError, match="key attributes are S, N or B"):
        batch_write(as_client(stub), TABLE, [{"PK": {"S": "x"}, "SK": {"L": []}}])
    assert stub.calls == 0


def test_table_with_a_partition_key_only() -> None:
    stub_items = [{"id": {"N": str(n)}} for n in range(3)]
    calls: list[Any] = []

    class Client:
        def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
            calls.append(kwargs)
            return {}

    batch_write(cast("DynamoDBClient", Client()), TABLE, stub_items, key_attributes=("id",))
    assert len(calls[0]["RequestItems"][TABLE]) == 3


def test_nothing_to_write_sends_nothing() -> None:
    stub = StubClient()
    batch_write(as_client(stub), TABLE, [], [])
    assert stub.calls == 0


def test_other_errors_are_mapped_and_say_how_far_it_got() -> None:
    stub = StubClient([ok, lambda _: error("ValidationException")])
    with pytest.raises(ExecutionError) as info:
        batch_write(as_client(stub), TABLE, [item(n) for n in range(40)])
    assert not isinstance(info.value, UnprocessedItemsError)
    assert info.value.aws_code == "ValidationException"
    assert "25 of 40 writes done" in info.value.message


# ---- batch_get -----------------------------------------------------------------------------

STORED = [item(n) for n in range(0, 300, 2)]  # even numbers exist, odd ones do not


def test_get_returns_items_in_input_order_across_chunks() -> None:
    stub = StubClient([drop_every_other, throttle, ok, drop_every_other], stored=STORED)
    sleeps: list[float] = []
    wanted = [key(n) for n in range(250, 0, -1)] + [key(4), key(3)]
    got = batch_get(as_client(stub), TABLE, wanted, consistent=True, backoff=backoff(sleeps))
    expected = [item(n) for n in range(250, 0, -1) if n % 2 == 0] + [item(4)]
    assert got == expected
    assert all(size <= MAX_BATCH_GET for size in stub.request_sizes)
    assert stub.request_sizes[0] == 100
    assert len(sleeps) == 3


def test_get_gives_up_listing_exactly_the_keys_not_read() -> None:
    def keep_two(keys: list[Any]) -> list[Any]:
        return keys[-2:]

    stub = StubClient([keep_two, keep_two], stored=STORED)
    wanted = [key(n) for n in range(150)]
    with pytest.raises(UnprocessedItemsError) as info:
        batch_get(as_client(stub), TABLE, wanted, backoff=backoff([], attempts=2))
    assert info.value.items == [key(98), key(99), *[key(n) for n in range(100, 150)]]
    assert "52 of 150 keys not read" in info.value.message


def test_get_refuses_mixed_key_shapes_and_sends_nothing_for_no_keys() -> None:
    stub = StubClient()
    assert batch_get(as_client(stub), TABLE, []) == []
    with pytest.raises(RequestError, match="key #1 has attributes"):
        batch_get(as_client(stub), TABLE, [key(1), {"PK": {"S": "x"}}])
    assert stub.calls == 0
