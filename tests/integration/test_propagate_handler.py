"""The propagation handler on a real table: Lambda-shaped events, the Lambda entry point, poison records.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP, with its
DynamoDB Streams API (``dynamodbstreams`` over the same endpoint).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from access_patterns.shop import shop
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import DefinitionError
from dynamodel.propagate import (
    JsonlDeadLetterQueue,
    ListDeadLetterQueue,
    PropagationOptions,
    StreamCheckpoint,
    drain,
    handle_records,
    lambda_handler,
    process_records,
    replay_dead_letters,
)
from dynamodel.propagate.handler import _CONTAINER
from dynamodel.propagate.plan import source_stamp
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

from shop_world import NO_SLEEP, names, raw, seed

pytestmark = pytest.mark.integration


def event_record(
    seq: str, old: dict[str, Any] | None, new: dict[str, Any], table_name: str
) -> dict[str, Any]:
    """One record exactly as DynamoDB Streams hands it to Lambda (AWS Lambda developer guide)."""
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": 1772323200,
        "Keys": {"PK": new["PK"], "SK": new["SK"]},
        "NewImage": new,
        "SequenceNumber": seq,
        "SizeBytes": 321,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        body["OldImage"] = old
    return {
        "eventID": f"c4ca4238a0b923820dcc509a6f75849b-{seq}",
        "eventName": "MODIFY" if old is not None else "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": body,
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table_name}/stream/2026-03-01T00:00:00.000",
    }


def renamed(image: dict[str, Any], name: str) -> dict[str, Any]:
    """The image after a rename: name set, _version + 1."""
    out = copy.deepcopy(image)
    out["name"] = {"S": name}
    out["_version"] = {"N": str(int(image["_version"]["N"]) + 1)}
    return out


def all_items(table: Table) -> list[dict[str, Any]]:
    """Every item, sorted by key."""
    items = table.client.scan(TableName=table.name, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


# ---- the Lambda event ----------------------------------------------------------------------


def test_a_lambda_event_updates_every_copy_once(make_table: MakeTable) -> None:
    table = make_table(shop)
    seed(table)
    old = raw(table, "Customer", customer_id="c1")
    new = renamed(old, "Ann B")
    event = {"Records": [event_record("4000000000000000001", old, new, table.name)]}
    json.dumps(event)  # the event is plain JSON, as Lambda delivers it

    response = handle_records(
        event["Records"], design=shop.design, table_name=table.name, client=table.client
    )

    assert response == {"batchItemFailures": []}
    assert names(table) == {"o1": "Ann B", "o2": "Ann B", "o3": "Ann B", "o4": "Bob"}
    o1 = raw(table, "Order", order_id="o1")
    assert o1["_copyver_Customer"] == {"N": str(source_stamp(new))}
    assert o1["_version"] == {"N": "1"}  # the target's own version is not bumped
    before = all_items(table)
    # A duplicate and an older record change nothing.
    older = renamed(old, "Ann A")
    older["_version"] = old["_version"]
    for record in (event["Records"][0], event_record("4000000000000000000", None, older, table.name)):
        assert handle_records([record], design=shop.design, table_name=table.name, client=table.client) == {
            "batchItemFailures": []
        }
    assert all_items(table) == before


def test_only_a_change_of_a_copied_attribute_sends_requests(make_table: MakeTable) -> None:
    table = make_table(shop)
    seed(table)
    old = raw(table, "Customer", customer_id="c1")
    touched = copy.deepcopy(old)
    touched["order_count"] = {"N": "99"}
    touched["_version"] = {"N": str(int(old["_version"]["N"]) + 1)}
    result = process_records(
        [event_record("5", old, touched, table.name)],
        design=shop.design,
        table_name=table.name,
        client=table.client,
    )
    assert result.stats.idle == 1
    assert result.stats.requests == 0


@pytest.fixture
def lambda_env(engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The function's environment: the app, the table, and boto3 pointed at the engine."""
    monkeypatch.setenv("DYNAMODEL_APP", "access_patterns.shop:shop")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", engine.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", engine.region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", engine.region)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    yield
    _CONTAINER.clear()


def test_lambda_handler_runs_from_its_environment(
    make_table: MakeTable, lambda_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = make_table(shop)
    seed(table)
    monkeypatch.setenv("TABLE_NAME", table.name)
    old = raw(table, "Customer", customer_id="c2")
    event = {"Records": [event_record("77", old, renamed(old, "Bobby"), table.name)]}

    assert lambda_handler(json.loads(json.dumps(event)), None) == {"batchItemFailures": []}
    assert names(table)["o4"] == "Bobby"
    # A poison record in the same event is reported alone; Lambda retries just that one.
    poison = event_record("78", old, renamed(old, "X"), table.name)
    poison["dynamodb"]["NewImage"]["name"] = {"N": "5"}
    again = renamed(renamed(old, "Bobby"), "Rob")
    event = {"Records": [poison, event_record("79", old, again, table.name)]}
    assert lambda_handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "78"}]}
    assert names(table)["o4"] == "Rob"


def test_lambda_handler_names_a_missing_environment_variable(
    lambda_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    with pytest.raises(DefinitionError, match="TABLE_NAME"):
        lambda_handler({"Records": []}, None)


# ---- poison records ------------------------------------------------------------------------


def test_an_undecodable_record_reaches_the_dlq_after_the_configured_attempts(make_table: MakeTable) -> None:
    table = make_table(shop)
    seed(table)
    ann = raw(table, "Customer", customer_id="c1")
    bob = raw(table, "Customer", customer_id="c2")
    poison = event_record("20", ann, renamed(ann, "?"), table.name)
    poison["dynamodb"]["NewImage"]["name"] = {"N": "5"}
    good = event_record("21", bob, renamed(bob, "Bobby"), table.name)
    dlq = ListDeadLetterQueue()
    attempts: dict[str, int] = {}

    def deliver() -> dict[str, Any]:
        return handle_records(
            [poison, good],
            design=shop.design,
            table_name=table.name,
            client=table.client,
            options=PropagationOptions(dlq=dlq, max_attempts=3),
            attempts=attempts,
        )

    assert deliver() == {"batchItemFailures": [{"itemIdentifier": "20"}]}
    assert names(table)["o4"] == "Bobby"  # the rest of the batch proceeded
    assert deliver() == {"batchItemFailures": [{"itemIdentifier": "20"}]}
    assert len(dlq) == 0
    assert deliver() == {"batchItemFailures": []}  # third failure: dead-lettered, not retried
    (letter,) = dlq.entries
    assert letter.attempts == 3
    assert letter.record == poison
    assert letter.error_type == "RequestError"
    assert "Customer.name is declared str" in letter.error
    assert letter.table_name == table.name
    assert attempts == {}
    assert names(table) == {"o1": "Ann", "o2": "Ann", "o3": "Ann", "o4": "Bobby"}


class FailingTarget:
    """A DynamoDB client whose UpdateItem on one key always fails (a poison target)."""

    def __init__(self, client: DynamoDBClient, pk: str) -> None:
        self._client = client
        self._pk = pk
        self.refused = 0

    def update_item(self, **kwargs: Any) -> Any:
        if kwargs["Key"]["PK"]["S"] == self._pk:
            self.refused += 1
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "injected: item too large"}},
                "UpdateItem",
            )
        return self._client.update_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_target_that_always_fails_dead_letters_its_record_and_the_rest_proceeds(
    make_table: MakeTable, engine: EmbeddedEngine, tmp_path: Path
) -> None:
    table = make_table(shop)
    seed(table)
    streams = engine.streams_client()
    checkpoint = StreamCheckpoint()
    drain(shop.design, table.name, table.client, streams, checkpoint=checkpoint)
    for cid, name in (("c1", "Ann B"), ("c2", "Bob B")):
        customer = table.get_customer(customer_id=cid)
        assert customer is not None
        customer.name = name
        table.update(customer)
    failing = FailingTarget(table.client, "ORDER#o2#")
    dlq = JsonlDeadLetterQueue(tmp_path / "dead.jsonl")

    report = drain(
        shop.design,
        table.name,
        cast("DynamoDBClient", failing),
        streams,
        dlq=dlq,
        max_attempts=3,
        checkpoint=checkpoint,
        backoff=NO_SLEEP,
    )

    assert failing.refused == 3
    assert report.stats.failed == 3
    assert report.redeliveries == 2
    (letter,) = report.dead_letters
    assert letter.attempts == 3
    assert letter.record["dynamodb"]["NewImage"]["name"] == {"S": "Ann B"}
    assert "injected: item too large" in letter.error
    # o2 kept the old copy; its siblings and the other customer's orders were updated.
    assert names(table) == {"o1": "Ann B", "o2": "Ann", "o3": "Ann B", "o4": "Bob B"}
    # The file holds what is needed to replay the record once the cause is fixed.
    (stored,) = dlq.read()
    assert stored == letter
    result = replay_dead_letters(dlq.read(), design=shop.design, table_name=table.name, client=table.client)
    assert result.failures == []
    assert names(table)["o2"] == "Ann B"
    # Draining again reads only the replay's own writes.
    assert drain(shop.design, table.name, table.client, streams, checkpoint=checkpoint).stats.updated == 0


def test_without_a_dlq_a_stuck_record_stops_the_drain(make_table: MakeTable, engine: EmbeddedEngine) -> None:
    from dynamodel.propagate import PropagationError

    table = make_table(shop)
    seed(table)
    customer = table.get_customer(customer_id="c1")
    assert customer is not None
    customer.name = "Ann B"
    table.update(customer)
    failing = FailingTarget(table.client, "ORDER#o1#")
    with pytest.raises(PropagationError, match="failed 2 times"):
        drain(
            shop.design,
            table.name,
            cast("DynamoDBClient", failing),
            engine.streams_client(),
            max_attempts=2,
            checkpoint=StreamCheckpoint(),
            backoff=NO_SLEEP,
        )
