"""The driver on moto's in-process ``mock_aws``: streams need account-id endpoints disabled.

Engine assumed: ``moto.mock_aws`` (in process, no server). Measured with moto 5.2.5 and
botocore 1.44: without ``account_id_endpoint_mode="disabled"`` DescribeStream answers 404,
which the driver turns into a PropagationError whose hint says what to set. botocore 1.43
(which aiobotocore pins) does not use the account-id endpoint for streams, so the second test
gives DescribeStream that 404 answer itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from access_patterns.shop import Customer, Order, shop
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.propagate import PropagationError, StreamCheckpoint, drain

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in process, with dummy credentials."""
    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", raising=False)
    with mock_aws():
        yield


def clients(mode: Literal["disabled"] | None) -> tuple[DynamoDBClient, DynamoDBStreamsClient]:
    """boto3 clients; ``mode`` is botocore's account_id_endpoint_mode (None: default)."""
    config = Config(account_id_endpoint_mode=mode) if mode else None
    client: DynamoDBClient = boto3.client("dynamodb", region_name="us-east-1", config=config)
    streams: DynamoDBStreamsClient = boto3.client("dynamodbstreams", region_name="us-east-1", config=config)
    return client, streams


def seed(client: DynamoDBClient) -> None:
    """A shop table with a customer and an order."""
    client.create_table(**render_create_table(shop.design, "shop-mock"))
    table = shop.connect("shop-mock", client)
    table.create(Customer(customer_id="c1", email="a@example.com", name="Ann", order_count=0))
    table.place_order(
        Order.model_validate(
            {
                "order_id": "o1",
                "customer_id": "c1",
                "status": "OPEN",
                "placed_at": "2026-01-01T00:00:00Z",
                "total": 1,
            }
        ),
        lines=[],
    )
    customer = table.get_customer(customer_id="c1")
    assert customer is not None
    customer.name = "Ann B"
    table.update(customer)


def test_drain_in_process_with_account_id_endpoints_disabled(aws: None) -> None:
    client, streams = clients("disabled")
    seed(client)
    report = drain(shop.design, "shop-mock", client, streams, checkpoint=StreamCheckpoint())
    assert report.stats.updated >= 1
    order = client.get_item(TableName="shop-mock", Key={"PK": {"S": "ORDER#o1#"}, "SK": {"S": "ORDER#"}})
    assert order["Item"]["customer_name"] == {"S": "Ann B"}


def test_without_it_the_error_says_what_to_set(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client, streams = clients(None)
    seed(client)

    def not_served(**_: object) -> None:
        raise ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "DescribeStream")

    monkeypatch.setattr(streams, "describe_stream", not_served)
    with pytest.raises(PropagationError, match="DescribeStream") as info:
        drain(shop.design, "shop-mock", client, streams, checkpoint=StreamCheckpoint())
    assert "account_id_endpoint_mode" in (info.value.hint or "")
