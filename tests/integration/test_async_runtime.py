"""The async table in its own idiom: coroutines raced with ``asyncio.gather`` on one aiobotocore
client, ``async for`` and ``async with``; and each table refusing the other kind of client.

The rest of the runtime's behaviour is checked on both tables by the modules marked
``both_runtimes`` (their async runs go through :mod:`dynamodel.testing.blocking`).

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP (the session's engine).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from access_patterns.shop import Customer, Order, shop
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import ConditionFailedError, RequestError
from dynamodel.runtime.async_table import AsyncTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.integration

SECRET = b"async-runtime-test"


def fresh_table(client: DynamoDBClient) -> str:
    name = f"shop-async-{uuid.uuid4().hex[:8]}"
    definition: Any = render_create_table(shop.design, name)
    client.create_table(**definition)
    return name


def test_concurrent_coroutines_take_a_unique_email_once(
    engine: EmbeddedEngine, client: DynamoDBClient
) -> None:
    name = fresh_table(client)

    async def race() -> list[str]:
        async with engine.async_client() as aio:
            table = await shop.connect_async(name, aio, cursor_secret=SECRET)

            async def claim(i: int) -> str:
                try:
                    await table.create(
                        Customer(customer_id=f"c{i}", email="same@x", name=f"W{i}", order_count=0)
                    )
                except ConditionFailedError:
                    return "lost"
                return f"won:c{i}"

            return list(await asyncio.gather(*(claim(i) for i in range(10))))

    outcomes = asyncio.run(race())
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1
    stored: Any = client.scan(TableName=name)["Items"]
    assert sorted(i["_type"]["S"] for i in stored) == ["Customer", "_UNIQUE"]
    client.delete_table(TableName=name)


def test_async_for_reads_every_page_in_order_and_async_with_keeps_the_client(
    engine: EmbeddedEngine, client: DynamoDBClient
) -> None:
    name = fresh_table(client)
    start = datetime(2026, 1, 1, tzinfo=UTC)

    async def scenario() -> tuple[list[str], list[int], list[str]]:
        async with engine.async_client() as aio:
            async with await shop.connect_async(name, aio, cursor_secret=SECRET) as table:
                assert isinstance(table, AsyncTable)
                await table.create(Customer(customer_id="c1", email="a@x", name="Ann", order_count=0))
                for i in range(5):
                    placed = start + timedelta(days=i)
                    order = Order(
                        order_id=f"o{i}", customer_id="c1", status="OPEN", placed_at=placed, total=Decimal(i)
                    )
                    await table.place_order(order, lines=[])
                items = [
                    o.order_id
                    async for o in table.iterate_as(Order, "orders_of_customer", customer_id="c1", limit=2)
                ]
                sizes = [
                    len(p.items) async for p in table.orders_of_customer.pages(customer_id="c1", limit=2)
                ]
            # the table's exit leaves the caller's client open
            shards = [o.order_id async for o in table.open_orders_by_date.iterate(limit=2)]
            return items, sizes, shards

    items, sizes, shards = asyncio.run(scenario())
    assert items == [f"o{i}" for i in reversed(range(5))]  # the pattern reads newest first
    assert sizes == [2, 2, 1]
    assert sorted(shards) == [f"o{i}" for i in range(5)]
    client.delete_table(TableName=name)


def test_each_table_refuses_the_other_kind_of_client(engine: EmbeddedEngine, client: DynamoDBClient) -> None:
    with pytest.raises(RequestError, match="aiobotocore") as sync_given:
        asyncio.run(shop.connect_async("t", client))
    assert "connect_async" in str(sync_given.value)

    async def async_given() -> None:
        async with engine.async_client() as aio:
            with pytest.raises(RequestError, match="connect_async"):
                shop.connect("t", aio)  # type: ignore[arg-type]  # the mistake under test

    asyncio.run(async_given())
