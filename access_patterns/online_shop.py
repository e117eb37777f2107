"""An online shop with warehouses, invoices and shipments (aws-samples design patterns), in Python.

The same application as ``benchmarks/cases/specs/aws-samples-online-shop.yaml``: customers place
orders for products; each order is invoiced and shipped, possibly in several shipments from
different warehouses, and every warehouse keeps an inventory per product.

Notes on the modelling (shared with the spec file):

- The source's Payment has no item of its own: payments are embedded in their invoice
  (``Invoice.payments``), so "payments of an invoice" reads the invoice.
- The source has no write access patterns; every write is a single-item put.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dynamodel import App, Collection, Copy, Entity, Get, Query


class Customer(Entity, identity=("customer_id",)):
    """A shopper with an account."""

    customer_id: str
    name: str
    email: str


class Product(Entity, identity=("product_id",)):
    """An article for sale; ``detail`` holds its name and description."""

    product_id: str
    detail: dict[str, str]
    price: Decimal


class Warehouse(Entity, identity=("warehouse_id",)):
    """A storage site that ships orders."""

    warehouse_id: str
    address: dict[str, str]


class WarehouseItem(Entity, identity=("product_id", "warehouse_id"), parent=Product):
    """The stock of one product held in one warehouse."""

    product_id: str
    warehouse_id: str
    quantity: int


class Order(Entity, identity=("order_id",), parent=Customer):
    """A customer's purchase, placed on ``order_date``."""

    order_id: str
    customer_id: str
    order_date: date


class OrderItem(Entity, identity=("order_id", "product_id"), parent=Order):
    """One product on an order, at the price charged when the order was placed.

    The customer and the order date are copied from the order so the items can be listed per
    customer and per product by date.
    """

    order_id: str
    product_id: str
    quantity: int
    price: Decimal
    customer_id: str = Copy(Order.customer_id)
    order_date: date = Copy(Order.order_date)


class Invoice(Entity, identity=("invoice_id",), parent=Order):
    """The bill for an order, with the payments made against it embedded as a list."""

    invoice_id: str
    order_id: str
    customer_id: str
    amount: Decimal
    invoice_date: date
    payments: list[dict[str, Any]]


class Shipment(Entity, identity=("shipment_id",), parent=Order):
    """A parcel of (part of) an order sent from one warehouse to an address."""

    shipment_id: str
    order_id: str
    warehouse_id: str
    address: dict[str, str]
    shipment_type: str
    shipment_date: date


class ShipmentItem(Entity, identity=("shipment_id", "product_id"), parent=Shipment):
    """A quantity of one product packed in a shipment; ``order_id`` ties it to the order."""

    shipment_id: str
    order_id: str
    product_id: str
    quantity: int


online_shop = App(
    "online_shop",
    [Customer, Product, Warehouse, WarehouseItem, Order, OrderItem, Invoice, Shipment, ShipmentItem],
    patterns=[
        Get(Customer, by="customer_id", name="ap1_get_customer"),
        Get(Product, by="product_id", name="ap2_get_product"),
        Get(Warehouse, by="warehouse_id", name="ap3_get_warehouse"),
        Query(WarehouseItem, by="product_id", name="ap4_inventory_of_product"),
        Collection(
            Order, OrderItem, Invoice, Shipment, ShipmentItem, by="order_id", name="ap5_order_details"
        ),
        Query(OrderItem, by="order_id", name="ap6_items_of_order"),
        Query(Invoice, by="order_id", name="ap7_invoice_of_order"),
        Query(Shipment, by="order_id", name="ap8_shipments_of_order"),
        Query(
            OrderItem,
            by="product_id",
            sort="order_date",
            range="between",
            name="ap9_order_items_of_product_by_date",
        ),
        Get(Invoice, by="invoice_id", name="ap10_get_invoice"),
        # Payments are embedded in the invoice: the same single-item read as ap10.
        Get(Invoice, by="invoice_id", name="ap11_payments_of_invoice"),
        Collection(Shipment, ShipmentItem, by="shipment_id", name="ap12_shipment_with_items"),
        Query(Shipment, by="warehouse_id", name="ap13_shipments_of_warehouse"),
        Query(WarehouseItem, by="warehouse_id", name="ap14_inventory_of_warehouse"),
        Query(
            Invoice,
            by="customer_id",
            sort="invoice_date",
            range="between",
            name="ap15_invoices_of_customer_by_date",
        ),
        Query(
            OrderItem,
            by="customer_id",
            sort="order_date",
            range="between",
            name="ap16_order_items_of_customer_by_date",
        ),
    ],
)
