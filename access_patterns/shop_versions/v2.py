"""Shop v2: customers listed by name, a pattern no deployed index serves (a new GSI, filled)."""

from __future__ import annotations

from access_patterns.shop import Customer, Order, OrderLine
from access_patterns.shop import shop as v1
from dynamodel import App, Query

__all__ = ["Customer", "Order", "OrderLine", "shop"]

shop = App(
    "shop",
    [Customer, Order, OrderLine],
    patterns=[*v1.spec.patterns, Query(Customer, by="name", name="customers_by_name")],
    baseline=v1,
)
