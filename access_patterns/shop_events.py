"""The shop with actions: what happens when an order ships or is cancelled.

Two actions on ``Order`` changes, each a handler in this module:

* ``notify_shipped`` (MODIFY, when status is SHIPPED): writes a ``Notice`` to the customer
  and sends an email. The notice commits with the action's marker, once per change; the email
  is an effect outside the table, made once through ``event.once``.
* ``refund_cancelled`` (MODIFY, when status is CANCELLED): refunds through a payment
  provider (``event.once``); an order with nothing to refund is an error no retry can fix, so
  it raises ``NotRetryableError`` and the record goes to the action's dead-letter queue.

``OUTBOX`` and ``REFUNDS`` stand for the email service and the payment provider: a real
handler calls them over HTTP.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel import Action, App, Entity, Query
from dynamodel.actions import ActionEvent, NotRetryableError

OUTBOX: list[str] = []
REFUNDS: list[tuple[str, Decimal]] = []


class Notice(Entity, identity=("customer_id", "order_id"), parent=Customer):
    """A message shown to the customer on their account page."""

    customer_id: str
    order_id: str
    text: str
    at: datetime


def notify_shipped(event: ActionEvent[Order]) -> None:
    """Tell the customer their order shipped: a notice in the table and an email.

    The action's filter delivers every change of a shipped order; only the one that shipped
    it (the old image not yet SHIPPED) is news to the customer.
    """
    order = event.item
    if event.old is not None and event.old.status == "SHIPPED":
        return
    text = f"Order {order.order_id} has shipped."
    event.table.create(
        Notice(customer_id=order.customer_id, order_id=order.order_id, text=text, at=order.placed_at)
    )
    event.once("email", lambda: OUTBOX.append(f"to {order.customer_id}: {text}"))


def refund_cancelled(event: ActionEvent[Order]) -> None:
    """Refund a cancelled order's total through the payment provider."""
    order = event.item
    if order.total <= 0:
        msg = f"order {order.order_id} was cancelled with a total of {order.total}: nothing to refund."
        raise NotRetryableError(msg, hint="check how the order was placed")
    event.once("refund", lambda: REFUNDS.append((order.order_id, order.total)))


shop_events = App(
    "shop_events",
    [Customer, Order, OrderLine, Notice],
    patterns=[
        *shop.spec.patterns,
        Query(Notice, by="customer_id", sort="order_id", name="notices_of_customer"),
    ],
    actions=[
        Action(
            "notify_shipped",
            on=Order,
            events=("MODIFY",),
            when={"status": "SHIPPED"},
            handler=notify_shipped,
        ),
        Action(
            "refund_cancelled",
            on=Order,
            events=("MODIFY",),
            when={"status": "CANCELLED"},
            handler=refund_cancelled,
            max_retries=2,
        ),
    ],
)
