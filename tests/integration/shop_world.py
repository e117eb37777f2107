"""The shop data the propagation tests share: two customers, four orders, raw item reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from stored_items import stored

from access_patterns.shop import Customer, Order
from dynamodel.runtime.retry import Backoff
from dynamodel.runtime.table import Table

T0 = datetime(2026, 3, 1, tzinfo=UTC)
NO_SLEEP = Backoff(base=0.0, cap=0.0, sleep=lambda _: None)


def seed(table: Table) -> None:
    """Customers c1 (orders o1-o3) and c2 (order o4)."""
    table.create(Customer(customer_id="c1", email="ann@example.com", name="Ann", order_count=0))
    table.create(Customer(customer_id="c2", email="bob@example.com", name="Bob", order_count=0))
    for i, cid in enumerate(["c1", "c1", "c1", "c2"], start=1):
        order = Order(
            order_id=f"o{i}",
            customer_id=cid,
            status="OPEN",
            placed_at=T0 + timedelta(days=i),
            total=Decimal(i),
        )
        table.place_order(order, lines=[])


def rename(table: Table, cid: str, name: str) -> None:
    """Rename a customer through the runtime (optimistic update)."""
    customer = table.get_customer(customer_id=cid)
    assert customer is not None
    customer.name = name
    table.update(customer)


raw = stored
"""The stored item (strongly consistent)."""


def names(table: Table) -> dict[str, str]:
    """order_id → stored customer_name."""
    return {f"o{i}": raw(table, "Order", order_id=f"o{i}")["customer_name"]["S"] for i in range(1, 5)}
