"""The example shop of the README and docs/spec-format.md (the same AppSpec as shop.yaml beside it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from dynamodel import App, Collection, Copy, Entity, Get, Query, Write


class Customer(Entity, identity=("customer_id",)):
    """A customer; ``email`` is unique."""

    customer_id: str
    email: str
    name: str
    order_count: int


class Order(Entity, identity=("order_id",), parent=Customer):
    """An order of a customer, with a copy of the customer's name for listings."""

    order_id: str
    customer_id: str
    status: Literal["OPEN", "SHIPPED", "CANCELLED"]
    placed_at: datetime
    total: Decimal
    customer_name: str = Copy(Customer.name)


class OrderLine(Entity, identity=("order_id", "line_no"), aggregate=Order):
    """A line of an order, written atomically with it."""

    order_id: str
    line_no: int
    sku: str
    qty: int


shop = App(
    "shop",
    [Customer, Order, OrderLine],
    patterns=[
        Get(Customer, by="customer_id", name="get_customer"),
        Get(Customer, by="email", unique=True, name="customer_by_email"),
        Query(
            Order,
            by="customer_id",
            sort="placed_at",
            order="desc",
            range="between",
            name="orders_of_customer",
        ),
        Query(
            Order,
            where={"status": "OPEN"},
            sort="placed_at",
            range="between",
            name="open_orders_by_date",
            reads_per_s=50,
            writes_per_s=2500,
        ),
        Collection(Order, OrderLine, by="order_id", name="order_with_lines"),
        Query(
            Order,
            by="customer_id",
            sort="placed_at",
            order="desc",
            include=[Customer],
            name="customer_with_recent_orders",
        ),
        Write(Order, OrderLine, increments={Customer.order_count: 1}, name="place_order"),
    ],
)
