"""`make demo` part 8: the shop's actions, one stack each, run once per change on the engine's stream.

The app is ``access_patterns/shop_events.py`` (the shop plus a ``Notice`` and two actions) on
a table of its own. Shipping an order runs ``notify_shipped`` once (a notice in the table, an
email outside it); replaying the whole stream runs nothing again; cancelling an order with
nothing to refund is an error no retry fixes, so the record goes to the dead-letter queue at
once and the stream moves on.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

PLACED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
"""When the demo's orders were placed: fixed, so the demo prints the same every run."""


def show_actions(engine: Any) -> None:
    """Part 8 (``engine``: the demo's EmbeddedEngine)."""
    from access_patterns import shop_events as example  # noqa: PLC0415 - the example app, on demand
    from access_patterns.shop import Customer, Order  # noqa: PLC0415
    from dynamodel.actions import drain_actions  # noqa: PLC0415
    from dynamodel.emit.boto3_kwargs import render_create_table  # noqa: PLC0415
    from dynamodel.emit.stacks import app_stacks, deploy_order, resolve_imports  # noqa: PLC0415
    from dynamodel.propagate import ListDeadLetterQueue, StreamCheckpoint  # noqa: PLC0415

    out = sys.stdout.write
    app = example.shop_events
    out("\n== 8. actions: what runs when an order ships or is cancelled, once per change\n\n")
    stacks = app_stacks(app.design)
    imports = resolve_imports(stacks)
    out(f"{len(stacks)} stacks (`dynamodel emit --format sam --stack all`), deployed in this order:\n")
    for name in deploy_order(stacks):
        found = sorted({i.source for i in imports.get(name, ())})
        out(f"  {name}" + (f"  (imports from {', '.join(found)})" if found else "") + "\n")
    client, streams = engine.client(), engine.streams_client()
    client.create_table(**render_create_table(app.design, "shop-events-demo"))
    table = app.connect("shop-events-demo", client, cursor_secret=os.urandom(32))
    table.create(Customer(customer_id="c1", email="ann@example.com", name="Ann", order_count=0))
    for oid, total in (("o1", Decimal("42.50")), ("o2", Decimal(0))):
        table.place_order(
            Order(order_id=oid, customer_id="c1", status="OPEN", placed_at=PLACED, total=total), lines=[]
        )
    example.OUTBOX.clear()
    example.REFUNDS.clear()

    def run(**options: Any) -> Any:
        return drain_actions(app.design, app.models, table.name, client, streams, **options)

    run()  # the creations above: no action takes them
    o1 = table.orders_of_customer(customer_id="c1").items
    shipped = next(o for o in o1 if o.order_id == "o1")
    table.update(shipped.model_copy(update={"status": "SHIPPED"}))
    report = run(actions=["notify_shipped"])
    notices = list(table.notices_of_customer.iterate(customer_id="c1"))
    out("\no1 shipped; the notify_shipped stack's filter passes its MODIFY:\n")
    out(
        f"  handler called {report.runners['notify_shipped'].calls} time(s); notices: {[n.text for n in notices]}\n"
    )
    out(f"  emails sent: {example.OUTBOX}\n")
    replay = run(actions=["notify_shipped"], checkpoints={"notify_shipped": StreamCheckpoint()})
    out(
        f"the whole stream replayed to it ({replay.delivered['notify_shipped']} record(s) pass its filter): "
        f"handler called {replay.runners['notify_shipped'].calls} time(s), "
        f"notices {len(list(table.notices_of_customer.iterate(customer_id='c1')))}, emails {len(example.OUTBOX)}\n"
    )
    cancelled = next(o for o in table.orders_of_customer(customer_id="c1").items if o.order_id == "o2")
    table.update(cancelled.model_copy(update={"status": "CANCELLED"}))
    dlq = ListDeadLetterQueue()
    refund = run(actions=["refund_cancelled"], dlq=dlq)
    out("\no2 (total 0) cancelled; refund_cancelled says no retry can fix it:\n")
    for letter in dlq.entries:
        out(
            f"  dead letter after {letter.attempts} attempt(s): {letter.error_code}: {letter.error.split(' Fix:')[0]}\n"
        )
    out(
        f"  handler called {refund.runners['refund_cancelled'].calls} time(s); refunds made: {example.REFUNDS}\n"
    )
    out("  (deployed, the dead letter is published to the action's failure topic and kept in its queue)\n")
