"""The runtime benchmark's sequence of calls, run the same way on every side (sync or awaited).

Each side is a shop object with one method per operation (:class:`ShopSide`,
:class:`AsyncShopSide`), so every side runs exactly the same calls in the same order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Protocol

from runtime_common import PAGE_LIMIT, CustomerWork, Meter

from access_patterns.shop import Customer, Order, OrderLine


class ShopSide(Protocol):
    """One side of the benchmark: each operation returns how many items it wrote or read."""

    def create_customer(self, c: Customer) -> int: ...
    def place_order(self, o: Order, lines: tuple[OrderLine, ...]) -> int: ...
    def get_customer(self, customer_id: str) -> int: ...
    def customer_by_email(self, email: str) -> int: ...
    def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> int: ...
    def order_with_lines(self, order_id: str) -> int: ...
    def customer_with_recent_orders(self, customer_id: str) -> int: ...
    def open_orders_by_date(self, lo: datetime, hi: datetime) -> int: ...
    def orders_pages(self, customer_id: str, limit: int) -> Iterator[int]: ...


class AsyncShopSide(Protocol):
    """:class:`ShopSide` awaited."""

    async def create_customer(self, c: Customer) -> int: ...
    async def place_order(self, o: Order, lines: tuple[OrderLine, ...]) -> int: ...
    async def get_customer(self, customer_id: str) -> int: ...
    async def customer_by_email(self, email: str) -> int: ...
    async def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> int: ...
    async def order_with_lines(self, order_id: str) -> int: ...
    async def customer_with_recent_orders(self, customer_id: str) -> int: ...
    async def open_orders_by_date(self, lo: datetime, hi: datetime) -> int: ...
    def orders_pages(self, customer_id: str, limit: int) -> AsyncIterator[int]: ...


def run_sequence(side: ShopSide, meter: Meter, work: list[CustomerWork]) -> None:
    """The benchmark's sequence of calls, each timed by ``meter`` under its operation's name."""
    for w in work:
        cid = w.customer.customer_id
        meter.call("create customer", side.create_customer, w.customer)
        for order, lines in w.orders:
            meter.call("place_order", side.place_order, order, lines)
        meter.call("get_customer", side.get_customer, cid)
        meter.call("customer_by_email", side.customer_by_email, w.customer.email)
        meter.call("orders_of_customer", side.orders_of_customer, cid, w.lo, w.hi)
        for order, _ in w.orders:
            meter.call("order_with_lines", side.order_with_lines, order.order_id)
        meter.call("customer_with_recent_orders", side.customer_with_recent_orders, cid)
        meter.call("open_orders_by_date", side.open_orders_by_date, w.lo, w.hi)
        meter.pages("orders_of_customer (page)", side.orders_pages(cid, PAGE_LIMIT))


async def run_sequence_async(side: AsyncShopSide, meter: Meter, work: list[CustomerWork]) -> None:
    """:func:`run_sequence` awaited on the running loop."""
    for w in work:
        cid = w.customer.customer_id
        await meter.acall("create customer", side.create_customer, w.customer)
        for order, lines in w.orders:
            await meter.acall("place_order", side.place_order, order, lines)
        await meter.acall("get_customer", side.get_customer, cid)
        await meter.acall("customer_by_email", side.customer_by_email, w.customer.email)
        await meter.acall("orders_of_customer", side.orders_of_customer, cid, w.lo, w.hi)
        for order, _ in w.orders:
            await meter.acall("order_with_lines", side.order_with_lines, order.order_id)
        await meter.acall("customer_with_recent_orders", side.customer_with_recent_orders, cid)
        await meter.acall("open_orders_by_date", side.open_orders_by_date, w.lo, w.hi)
        await meter.apages("orders_of_customer (page)", side.orders_pages(cid, PAGE_LIMIT))
