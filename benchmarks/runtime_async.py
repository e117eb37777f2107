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

from runtime_common import PAGE_LIMIT, CustomerWork, Meter
from runtime_raw import Kwargs, RawRequests, decode, decode_customer, merge_shards

from access_patterns.shop import Customer, Order, OrderLine


async def run_dynamodel_async(table: Any, meter: Meter, work: list[CustomerWork]) -> None:
    """The benchmark's sequence through dynamodel's AsyncTable."""

    async def create(c: Customer) -> int:
        await table.create(c)
        return 1

    async def place(o: Order, lines: tuple[OrderLine, ...]) -> int:
        return len(await table.place_order(o, lines=list(lines)))

    async def get(cid: str) -> int:
        return 1 if await table.get_customer(customer_id=cid) else 0

    async def by_email(email: str) -> int:
        return 1 if await table.customer_by_email(email=email) else 0

    async def orders(cid: str, lo: datetime, hi: datetime) -> int:
        return len((await table.orders_of_customer(customer_id=cid, lo=lo, hi=hi)).items)

    async def with_lines(oid: str) -> int:
        return len((await table.order_with_lines(order_id=oid)).items)

    async def recent(cid: str) -> int:
        return len((await table.customer_with_recent_orders(customer_id=cid)).items)

    async def open_orders(lo: datetime, hi: datetime) -> int:
        return len((await table.open_orders_by_date(lo=lo, hi=hi)).items)

    async def pages(cid: str) -> AsyncIterator[int]:
        async for p in table.orders_of_customer.pages(customer_id=cid, limit=PAGE_LIMIT):
            yield len(p.items)

    for w in work:
        cid = w.customer.customer_id
        await meter.acall("create customer", create, w.customer)
        for order, lines in w.orders:
            await meter.acall("place_order", place, order, lines)
        await meter.acall("get_customer", get, cid)
        await meter.acall("customer_by_email", by_email, w.customer.email)
        await meter.acall("orders_of_customer", orders, cid, w.lo, w.hi)
        for order, _ in w.orders:
            await meter.acall("order_with_lines", with_lines, order.order_id)
        await meter.acall("customer_with_recent_orders", recent, cid)
        await meter.acall("open_orders_by_date", open_orders, w.lo, w.hi)
        await meter.apages("orders_of_customer (page)", pages(cid))


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


async def run_raw_async(raw: AsyncRawShop, meter: Meter, work: list[CustomerWork]) -> None:
    """The benchmark's sequence through the hand-written aiobotocore code."""
    for w in work:
        cid = w.customer.customer_id
        await meter.acall("create customer", raw.create_customer, w.customer)
        for order, lines in w.orders:
            await meter.acall("place_order", raw.place_order, order, lines)
        await meter.acall("get_customer", raw.get_customer, cid)
        await meter.acall("customer_by_email", raw.customer_by_email, w.customer.email)
        await meter.acall("orders_of_customer", raw.orders_of_customer, cid, w.lo, w.hi)
        for order, _ in w.orders:
            await meter.acall("order_with_lines", raw.order_with_lines, order.order_id)
        await meter.acall("customer_with_recent_orders", raw.customer_with_recent_orders, cid)
        await meter.acall("open_orders_by_date", raw.open_orders_by_date, w.lo, w.hi)
        await meter.apages("orders_of_customer (page)", raw.orders_pages(cid, PAGE_LIMIT))
