"""Malformed stream records: dead-lettered alone, the rest of the batch proceeds, never a crash.

The client is a stub that finds no copy targets: good records then cost one lookup Query
each, so the calls it counts show which records were processed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_patterns.shop import shop
from dynamodel.errors import RequestError
from dynamodel.propagate import (
    JsonlDeadLetterQueue,
    ListDeadLetterQueue,
    PropagationOptions,
    process_records,
)


class NoTargets:
    """A DynamoDB client stub: every lookup finds nothing."""

    def __init__(self) -> None:
        self.queries = 0

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.queries += 1
        return {"Items": []}

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {}


def rename_record(seq: str) -> dict[str, Any]:
    """A customer renamed: one copy-path lookup for the handler."""
    old = {
        "PK": {"S": f"CUSTOMER#c{seq}#"},
        "SK": {"S": "CUSTOMER#"},
        "_type": {"S": "Customer"},
        "customer_id": {"S": f"c{seq}"},
        "email": {"S": f"{seq}@example.com"},
        "name": {"S": "Ann"},
        "order_count": {"N": "0"},
        "_version": {"N": "1"},
        "_born": {"N": "5"},
    }
    new = {**old, "name": {"S": "Bo"}, "_version": {"N": "2"}}
    return {
        "eventID": f"event-{seq}",
        "eventName": "MODIFY",
        "dynamodb": {
            "Keys": {"PK": old["PK"], "SK": old["SK"]},
            "OldImage": old,
            "NewImage": new,
            "SequenceNumber": seq,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def deep_record(seq: str, depth: int = 10_000) -> dict[str, Any]:
    record = rename_record(seq)
    value: dict[str, Any] = {"S": "x"}
    for _ in range(depth):
        value = {"M": {"a": value}}
    record["dynamodb"]["NewImage"]["nested"] = value
    return record


def no_body(seq: str) -> dict[str, Any]:
    record = rename_record(seq)
    del record["dynamodb"]
    return record


WITHOUT_ID: list[Any] = [None, no_body("2"), {"dynamodb": "x"}, 42, [rename_record("2")]]
NAMES = ["None", "no-dynamodb", "dynamodb-not-a-mapping", "an-int", "a-list"]


def _run(
    records: list[Any], *, attempts: dict[str, int] | None = None, **options: Any
) -> tuple[Any, NoTargets]:
    client = NoTargets()
    result = process_records(
        records,
        design=shop.design,
        table_name="t",
        client=client,  # type: ignore[arg-type]
        options=PropagationOptions(**options),
        attempts=attempts,
    )
    return result, client


@pytest.mark.parametrize("bad", [*WITHOUT_ID, deep_record("2")], ids=[*NAMES, "10000-deep"])
def test_a_malformed_record_is_dead_lettered_and_the_batch_goes_on(bad: Any) -> None:
    dlq = ListDeadLetterQueue()
    result, client = _run([rename_record("1"), bad, rename_record("3")], dlq=dlq, max_attempts=1)
    assert client.queries == 2  # both good records were propagated
    assert result.failures == []
    assert len(dlq.entries) == 1
    letter = dlq.entries[0]
    assert letter.error_code == "invalid-request"
    assert len(letter.error) < 2000
    json.dumps(letter.to_json())  # a letter can always be written


def test_a_deep_record_fails_alone_then_reaches_the_dead_letter_file(tmp_path: Path) -> None:
    dlq = JsonlDeadLetterQueue(tmp_path / "dead.jsonl")
    attempts: dict[str, int] = {}
    batch = [rename_record("1"), deep_record("2"), rename_record("3")]
    for _ in range(2):
        result, client = _run(batch, dlq=dlq, max_attempts=3, attempts=attempts)
        assert result.response() == {"batchItemFailures": [{"itemIdentifier": "2"}]}
        assert isinstance(result.errors["2"], RequestError)
        assert client.queries == 2
    result, _ = _run(batch, dlq=dlq, max_attempts=3, attempts=attempts)
    assert result.failures == []
    (letter,) = dlq.read()
    assert letter.attempts == 3
    # What cannot be stored whole keeps what finds the item again: its id, sequence number and keys.
    assert letter.record["eventID"] == "event-2"
    assert letter.record["dynamodb"]["SequenceNumber"] == "2"
    assert letter.record["dynamodb"]["Keys"] == batch[1]["dynamodb"]["Keys"]


def test_in_lambda_a_deep_record_is_the_only_failure() -> None:
    result, client = _run([rename_record("1"), deep_record("2"), rename_record("3")])
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert isinstance(result.errors["2"], RequestError)
    assert client.queries == 2


@pytest.mark.parametrize("bad", WITHOUT_ID, ids=NAMES)
def test_in_lambda_a_record_without_id_fails_the_batch_after_the_rest(bad: Any) -> None:
    # Lambda can retry only records it can name; the batch fails (Lambda bisects it down to
    # this record and sends it to the on-failure destination), but only after the others.
    client = NoTargets()
    with pytest.raises(RequestError, match="stream record"):
        process_records(
            [rename_record("1"), bad, rename_record("3")],
            design=shop.design,
            table_name="t",
            client=client,  # type: ignore[arg-type]
        )
    assert client.queries == 2


_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.binary(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["eventID", "eventName", "dynamodb", "SequenceNumber", "NewImage", "OldImage", "Keys"]
)


@st.composite
def _damaged(draw: st.DrawFn) -> Any:
    """A good record with one part replaced by junk, or plain junk."""
    if draw(st.booleans()):
        return draw(_junk)
    record = rename_record("2")
    where = record if draw(st.booleans()) else record["dynamodb"]
    where[draw(_keys)] = draw(_junk)
    return record


@settings(max_examples=60, deadline=None)
@given(_damaged())
def test_damaged_records_never_stop_the_batch(bad: Any) -> None:
    dlq = ListDeadLetterQueue()
    result, client = _run([rename_record("1"), bad, rename_record("3")], dlq=dlq, max_attempts=1)
    assert client.queries >= 2
    assert result.failures == []
    for letter in dlq.entries:
        json.dumps(letter.to_json())
