"""Shop v3: customers found by phone (a new unique attribute) and orders that carry the customer's email (a new copy)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from access_patterns.shop_versions.v2 import shop as v2
from dynamodel import App, Copy, Entity, Get

__all__ = ["Customer", "Order", "OrderLine", "shop"]


class Customer(Entity, identity=("customer_id",)):
    """A customer; ``email`` is unique, and so is ``phone`` (optional: v2 customers have none)."""

    customer_id: str
    email: str
    name: str
    order_count: int
    phone: str | None = None


class Order(Entity, identity=("order_id",), parent=Customer):
    """An order of a customer, with copies of the customer's name and email."""

    order_id: str
    customer_id: str
    status: Literal["OPEN", "SHIPPED", "CANCELLED"]
    placed_at: datetime
    total: Decimal
    # Optional: orders written before the migration filled it, or by v2 code still running,
    # have none. Declared before customer_name because the lock stores a copy's attributes
    # sorted and the diff compares them in order (see test_copy_attribute_order_is_no_change):
    # otherwise every later revision would fill this copy again.
    customer_email: str | None = Copy(Customer.email, optional=True)
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
    patterns=[*v2.spec.patterns, Get(Customer, by="phone", unique=True, name="customer_by_phone")],
    baseline=v2,
)
