"""The async half of the runtime benchmark: dynamodel's AsyncTable against raw aiobotocore.

Both sides run on one event loop in this process, each with its own aiobotocore client and table:

* **dynamodel async**: ``await shop.connect_async(table, client)`` and its awaited pattern methods;
* **raw aiobotocore**: the requests of :class:`runtime_raw.RawRequests` (the same as the sync raw
  side's) awaited by hand, shard queries gathered on the loop as dynamodel's are, items decoded
  into dicts by hand.

CPU is ``time.process_time()`` around each awaited call (nothing else runs on the loop meanwhile).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from runtime_raw import Kwargs, RawRequests, decode, decode_customer, merge_shards

from access_patterns.shop import Customer, Order, OrderLine


class AsyncDynamodelShop:
    """The shop through dynamodel's AsyncTable."""

    def __init__(self, table: Any) -> None:
        self.table = table

    async def create_customer(self, c: Customer) -> int:
        await self.table.create(c)
        return 1

    async def place_order(self, o: Order, lines: tuple[OrderLine, ...]) -> int:
        return len(await self.table.place_order(o, lines=list(lines)))

    async def get_customer(self, customer_id: str) -> int:
        return 1 if await self.table.get_customer(customer_id=customer_id) else 0

    async def customer_by_email(self, email: str) -> int:
        return 1 if await self.table.customer_by_email(email=email) else 0

    async def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> int:
        return len((await self.table.orders_of_customer(customer_id=customer_id, lo=lo, hi=hi)).items)

    async def order_with_lines(self, order_id: str) -> int:
        return len((await self.table.order_with_lines(order_id=order_id)).items)

    async def customer_with_recent_orders(self, customer_id: str) -> int:
        return len((await self.table.customer_with_recent_orders(customer_id=customer_id)).items)

    async def open_orders_by_date(self, lo: datetime, hi: datetime) -> int:
        return len((await self.table.open_orders_by_date(lo=lo, hi=hi)).items)

    async def orders_pages(self, customer_id: str, limit: int) -> AsyncIterator[int]:
        async for p in self.table.orders_of_customer.pages(customer_id=customer_id, limit=limit):
            yield len(p.items)


class AsyncRawShop:
    """The hand-written shop on an aiobotocore client."""

    def __init__(self, client: Any, requests: RawRequests) -> None:
        self.client = client
        self.rq = requests

    async def create_customer(self, c: Customer) -> int:
        await self.client.transact_write_items(**self.rq.create_customer(c))
        return 1

    async def place_order(self, o: Order, lines: tuple[OrderLine, ...]) -> int:
        got = await self.client.get_item(**self.rq.customer_key(o.customer_id))
        await self.client.transact_write_items(**self.rq.place_order(o, lines, got["Item"]["name"]["S"]))
        return 1 + len(lines)

    async def get_customer(self, customer_id: str) -> int:
        return 1 if decode_customer(await self.client.get_item(**self.rq.customer_key(customer_id))) else 0

    async def customer_by_email(self, email: str) -> int:
        items = (await self.client.query(**self.rq.customer_by_email(email)))["Items"]
        return 1 if decode(items[:1]) else 0

    async def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> int:
        got = await self.client.query(**self.rq.orders_of_customer(customer_id, lo, hi))
        return len(decode(got["Items"]))

    async def order_with_lines(self, order_id: str) -> int:
        return len(decode((await self.client.query(**self.rq.order_with_lines(order_id)))["Items"]))

    async def customer_with_recent_orders(self, customer_id: str) -> int:
        got = await self.client.query(**self.rq.customer_with_recent_orders(customer_id))
        return len(decode(got["Items"]))

    async def open_orders_by_date(self, lo: datetime, hi: datetime) -> int:
        answers = await asyncio.gather(*(self.client.query(**kw) for kw in self.rq.open_orders(lo, hi)))
        return len(merge_shards([a["Items"] for a in answers]))

    async def orders_pages(self, customer_id: str, limit: int) -> AsyncIterator[int]:
        """Pages of the customer's orders, following LastEvaluatedKey to the end."""
        start: Kwargs | None = None
        while True:
            got = await self.client.query(**self.rq.orders_page(customer_id, limit, start))
            yield len(decode(got["Items"]))
            start = got.get("LastEvaluatedKey")
            if not start:
                return
