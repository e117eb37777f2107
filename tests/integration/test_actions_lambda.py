"""The action's Lambda entry point as deployed: its environment, its filter, its failure topic.

Engine assumed: moto's server on 127.0.0.1, serving DynamoDB, its stream, SNS and SQS (with
SNS delivering to a subscribed queue), as the action stack wires them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from shop_world import seed

from access_patterns import shop_events
from access_patterns.shop_events import shop_events as app
from dynamodel.actions import emitted_patterns
from dynamodel.actions.handler import _CONTAINER, lambda_handler
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import DefinitionError
from dynamodel.event_filters import matches_any
from dynamodel.propagate import StreamCheckpoint
from dynamodel.propagate.driver import poll_records
from dynamodel.propagate.records import lambda_record
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = pytest.mark.integration


@pytest.fixture
def lambda_env(engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The function's environment, with boto3 pointed at the engine."""
    monkeypatch.setenv("DYNAMODEL_APP", "access_patterns.shop_events:shop_events")
    monkeypatch.setenv("DYNAMODEL_ACTION", "refund_cancelled")
    for service in ("DYNAMODB", "SNS"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", engine.endpoint_url)
    for var, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", engine.region),
        ("AWS_DEFAULT_REGION", engine.region),
        ("NO_PROXY", "127.0.0.1,localhost"),
    ):
        monkeypatch.setenv(var, value)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    _CONTAINER.clear()
    yield
    _CONTAINER.clear()


def _client(engine: EmbeddedEngine, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=engine.endpoint_url,
        region_name=engine.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_not_retryable_record_is_published_and_lands_in_the_queue(
    make_table: MakeTable, engine: EmbeddedEngine, lambda_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sns, sqs = _client(engine, "sns"), _client(engine, "sqs")
    topic = sns.create_topic(Name=f"failures-{id(engine)}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"dlq-{id(sns)}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    monkeypatch.setenv("FAILURE_TOPIC_ARN", topic)
    table = make_table(app)
    monkeypatch.setenv("TABLE_NAME", table.name)
    seed(table)
    shop_events.REFUNDS.clear()
    for oid, total in (("o1", Decimal(0)), ("o2", Decimal(2))):
        (order,) = [o for o in table.orders_of_customer.iterate(customer_id="c1") if o.order_id == oid]
        table.update(order.model_copy(update={"status": "CANCELLED", "total": total}))
    patterns = emitted_patterns(app.design, "refund_cancelled")
    records = poll_records(table.client, engine.streams_client(), table.name, StreamCheckpoint())
    event = {"Records": [lambda_record(r) for r in records if matches_any(patterns, lambda_record(r))]}
    assert len(event["Records"]) == 2
    assert json.loads(json.dumps(event)) == event  # what Lambda hands over is plain JSON

    assert lambda_handler(event, None) == {"batchItemFailures": []}  # the stream moves on

    assert [("o2", Decimal(2))] == shop_events.REFUNDS
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (letter,) = [json.loads(m["Body"]) for m in messages]
    assert letter["error_code"] == "not-retryable"
    assert letter["record"]["dynamodb"]["Keys"]["PK"]["S"] == "ORDER#o1#"
    # A redelivery of the batch (the function's answer lost) refunds nothing again.
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    assert [("o2", Decimal(2))] == shop_events.REFUNDS


def test_the_function_needs_an_app_with_its_entity_classes(
    lambda_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNAMODEL_APP", "access_patterns.shop_events:OUTBOX")
    monkeypatch.setenv("TABLE_NAME", "t")
    with pytest.raises(DefinitionError, match="not an App"):
        lambda_handler({"Records": []}, None)
