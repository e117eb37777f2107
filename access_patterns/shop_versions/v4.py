"""Shop v4: nobody lists customers by name any more; the pattern goes, and its index with it."""

from __future__ import annotations

from access_patterns.shop_versions.v3 import Customer, Order, OrderLine
from access_patterns.shop_versions.v3 import shop as v3
from dynamodel import App

__all__ = ["Customer", "Order", "OrderLine", "shop"]

shop = App(
    "shop",
    [Customer, Order, OrderLine],
    patterns=[p for p in v3.spec.patterns if p.name != "customers_by_name"],
    baseline=v3,
)
