"""A call that cannot reach DynamoDB, or has no credentials to sign with, raises a DynamodelError.

Issue 11 item 16: connection errors leave the public API as ``ExecutionError`` (a
``DynamodelError``), with a hint, never as botocore's own exceptions. No engine: the client
points at a closed port on 127.0.0.1, and the credential-less client never sends.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.config import Config

from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel.errors import DynamodelError, ExecutionError
from dynamodel.runtime.table import Table

SECRET = b"0123456789abcdef0123456789abcdef"
CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1, read_timeout=1)
CUSTOMER = Customer(customer_id="c1", email="c1@example.com", name="C", order_count=0)
ORDER = Order(
    order_id="o1",
    customer_id="c1",
    status="OPEN",
    placed_at=datetime(2026, 1, 1, tzinfo=UTC),
    total=Decimal(1),
    customer_name="",
)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def calls(table: Table) -> dict[str, Callable[[], object]]:
    """A read of every kind and a write of every kind."""
    return {
        "get": lambda: table.get_customer(customer_id="c1"),
        "query": lambda: table.orders_of_customer(customer_id="c1"),
        "sharded query": table.open_orders_by_date,
        "collection": lambda: table.order_with_lines(order_id="o1"),
        "create (transaction)": lambda: table.create(CUSTOMER),
        "put": lambda: table.put(ORDER),
        "write pattern": lambda: table.place_order(
            ORDER, lines=[OrderLine(order_id="o1", line_no=0, sku="s", qty=1)]
        ),
        "delete": lambda: table.delete(Order, order_id="o1"),
    }


def test_an_unreachable_endpoint_is_an_execution_error() -> None:
    client = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=CONFIG,
    )
    table = shop.connect("t", client, cursor_secret=SECRET)
    for what, call in calls(table).items():
        with pytest.raises(ExecutionError, match="did not get an answer from DynamoDB") as info:
            call()
        assert "check the endpoint URL" in (info.value.hint or ""), what


def test_missing_credentials_are_an_execution_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.session.Session().client(
        "dynamodb", endpoint_url=f"http://127.0.0.1:{closed_port()}", region_name="us-east-1", config=CONFIG
    )
    table = shop.connect("t", client, cursor_secret=SECRET)
    for what, call in calls(table).items():
        with pytest.raises(ExecutionError, match="found no AWS credentials") as info:
            call()
        assert "configure credentials" in (info.value.hint or ""), what


def test_an_unreachable_endpoint_is_an_execution_error_on_the_async_table() -> None:
    async def main() -> list[BaseException]:
        session = get_session()
        errors: list[BaseException] = []
        async with session.create_client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{closed_port()}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=AioConfig(
                retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1, read_timeout=1
            ),
        ) as client:
            table: Any = await shop.connect_async("t", client, cursor_secret=SECRET)
            for call in (
                lambda: table.get_customer(customer_id="c1"),
                table.open_orders_by_date,
                lambda: table.create(CUSTOMER),
            ):
                try:
                    await call()
                except BaseException as exc:
                    errors.append(exc)
        return errors

    errors = asyncio.run(main())
    assert len(errors) == 3
    for err in errors:
        assert isinstance(err, DynamodelError), repr(err)
        assert "did not get an answer from DynamoDB" in str(err)
