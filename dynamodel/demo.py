"""`make demo`: derive the shop example's design, then run every pattern on an embedded engine.

Part 1 explains the design. Part 2 starts moto's server on 127.0.0.1 (real HTTP, the
production boto3 client), creates the shop's table from the emitted ``create_table``
kwargs, loads sample customers, orders and lines through the runtime, runs every
declared pattern and prints its results with the number of requests it took (counted
by a botocore event hook on the client), shows copy propagation, then deploys the shop's
v2 (``access_patterns/shop_versions/v2.py``) with its migration from ``migrations/``: the
new index is created and filled online while v2's code refuses to read it half-filled, and
runs the shop's actions (:mod:`dynamodel.demo_actions`). Then it stops the engine.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from dynamodel.demo_actions import show_actions
from dynamodel.design import design_to_json, explain
from dynamodel.design.cost import estimate, explain_cost
from dynamodel.migrate.ops import FillCopies, FillGuards, FillIndexKeys, Operation


def run_demo(out_dir: Path) -> int:
    """Derive the shop's design, print it, and write the design JSON."""
    from access_patterns.shop import shop  # noqa: PLC0415 - the example app is imported on demand

    design = shop.design
    sys.stdout.write("== 1. design derived from the shop's access patterns\n\n")
    sys.stdout.write(explain(design))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "shop.design.json").write_text(design_to_json(design), encoding="utf-8")
    sys.stdout.write(f"\nwrote {out_dir / 'shop.design.json'}\n")
    sys.stdout.write("\n== what it costs (`dynamodel design access_patterns.shop:shop --cost`)\n\n")
    sys.stdout.write(explain_cost(estimate(design)))
    run_shop_on_engine()
    return 0


class _Requests:
    """Counts the DynamoDB requests a client sends (botocore ``before-call`` event)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.counts[str(model.name)] += 1

    def take(self) -> str:
        """``"2 (GetItem 1, Query 1)"`` since the last take, then reset."""
        total = sum(self.counts.values())
        detail = ", ".join(f"{op} {n}" for op, n in sorted(self.counts.items()))
        self.counts.clear()
        return f"{total} request{'s' if total != 1 else ''}" + (f" ({detail})" if detail else "")


def _show(value: object) -> str:
    from dynamodel.model import Entity  # noqa: PLC0415

    if isinstance(value, Entity):
        ident = ", ".join(f"{a}={getattr(value, a)!r}" for a in type(value).__entity_spec__.identity)
        return f"{type(value).__name__}({ident})"
    return repr(value)


def run_shop_on_engine() -> None:
    """Part 2: the shop's table on an embedded engine, every pattern run and counted."""
    from access_patterns.shop import Customer, Order, OrderLine, shop  # noqa: PLC0415
    from dynamodel.emit.boto3_kwargs import render_create_table  # noqa: PLC0415
    from dynamodel.engine import EmbeddedEngine  # noqa: PLC0415
    from dynamodel.errors import ConditionFailedError  # noqa: PLC0415

    out = sys.stdout.write
    with EmbeddedEngine() as engine:
        client = engine.client()
        requests = _Requests()
        client.meta.events.register("before-call.dynamodb", requests)
        kwargs = render_create_table(shop.design, "shop-demo")
        client.create_table(**kwargs)
        gsis = ", ".join(g["IndexName"] for g in kwargs.get("GlobalSecondaryIndexes", []))
        out(f"\n== 2. table 'shop-demo' on the embedded engine {engine.endpoint_url} (moto over HTTP)\n")
        out(f"created from the emitted boto3 create_table kwargs: keys PK/SK, GSIs {gsis}\n")
        table = shop.connect("shop-demo", client, cursor_secret=os.urandom(32))
        requests.take()

        out("\n== 3. sample data, written through the runtime\n\n")
        people = [
            ("c1", "ann@example.com", "Ann"),
            ("c2", "bob@example.com", "Bob"),
            ("c3", "cy#x$@example.com", "Cy"),
        ]
        for cid, email, name in people:
            table.create(Customer(customer_id=cid, email=email, name=name, order_count=0))
        out(
            f"create x{len(people)} Customer (item + unique email guard, one transaction each): {requests.take()}\n"
        )
        start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
        statuses = ["OPEN", "SHIPPED", "OPEN", "CANCELLED", "OPEN", "OPEN", "SHIPPED"]
        for i, status in enumerate(statuses):
            cid = people[i % 2 if i < 6 else 2][0]
            order = Order(
                order_id=f"o{i + 1}",
                customer_id=cid,
                status=status,
                placed_at=start + timedelta(days=i),
                total=Decimal("19.90") * (i + 1),
            )
            lines = [
                OrderLine(order_id=order.order_id, line_no=n, sku=f"SKU-{n}", qty=n + 1)
                for n in range(1 + i % 3)
            ]
            table.place_order(order, lines=lines)
        out(
            f"place_order x{len(statuses)} (copy of the customer's name read first, then order + lines "
            f"+ order_count increment in one transaction): {requests.take()}\n"
        )

        out("\n== 4. every declared pattern\n")
        t0, t1 = start + timedelta(days=1), start + timedelta(days=4)
        calls: list[tuple[str, str, Callable[[], Any]]] = [
            ("get_customer", "customer_id='c1'", lambda: table.get_customer(customer_id="c1")),
            (
                "customer_by_email",
                "email='bob@example.com'",
                lambda: table.customer_by_email(email="bob@example.com"),
            ),
            (
                "orders_of_customer",
                "customer_id='c1', lo=Nov 2, hi=Nov 5",
                lambda: table.orders_of_customer(customer_id="c1", lo=t0, hi=t1),
            ),
            ("open_orders_by_date", "limit=2", lambda: table.open_orders_by_date(limit=2)),
            ("order_with_lines", "order_id='o3'", lambda: table.order_with_lines(order_id="o3")),
            (
                "customer_with_recent_orders",
                "customer_id='c1', limit=3",
                lambda: table.customer_with_recent_orders(customer_id="c1", limit=3),
            ),
        ]
        for name, args, call in calls:
            result = call()
            cost = requests.take()
            plan = shop.design.plan(name)
            out(f"\n{name}({args})  -> {plan.operation} on {plan.index}, {cost}\n")
            if result is None or isinstance(result, Customer):
                out(
                    f"  {_show(result)}"
                    + (f" name={result.name!r} order_count={result.order_count}" if result else "")
                    + "\n"
                )
                continue
            for item in result.items:
                extra = ""
                if isinstance(item, Order):
                    extra = f" {item.status} {item.placed_at:%b %d} total={item.total} customer_name={item.customer_name!r}"
                elif isinstance(item, OrderLine):
                    extra = f" {item.sku} x{item.qty}"
                out(f"  {_show(item)}{extra}\n")
            if result.cursor is not None:
                nxt = getattr(table, name)(**_next_args(name), cursor=result.cursor)
                out(
                    f"  next page (cursor passed back, {requests.take()}): {', '.join(_show(x) for x in nxt.items)}\n"
                )
        c1 = table.get_customer(customer_id="c1")
        out(
            f"\nplace_order (write pattern): run in part 3; c1's order_count is now {c1.order_count if c1 else None}\n"
        )
        requests.take()

        out("\n== 5. invariants\n\n")
        try:
            table.create(Customer(customer_id="c9", email="ann@example.com", name="Imposter", order_count=0))
        except ConditionFailedError as err:
            out(f"unique email: refused ({err.message})\n")
        ann = table.get_customer(customer_id="c1")
        assert ann is not None
        stale = ann.model_copy(update={"name": "Ann B."})
        ann.name = "Ann A."
        table.update(ann)
        try:
            table.update(stale, expected_version=table.version_of(ann) - 1)  # type: ignore[operator]
        except ConditionFailedError as err:
            out(f"optimistic locking: stale update refused ({err.message})\n")
        out(f"these took {requests.take()}\n")
        _show_propagation(table, engine, requests)
        _show_migration(table, requests)
        show_actions(engine)
    out("\nengine stopped.\n")


def _show_propagation(table: Any, engine: Any, requests: _Requests) -> None:
    """Part 6: Ann's rename reaches the copies in her orders once the stream is drained."""
    from dynamodel.propagate import drain  # noqa: PLC0415

    out = sys.stdout.write
    out("\n== 6. copies kept fresh by stream propagation\n\n")

    def names() -> str:
        page = table.orders_of_customer(customer_id="c1")
        return ", ".join(f"{o.order_id}: {o.customer_name!r}" for o in page.items)

    out(f"Ann was renamed in part 5; her orders' customer_name copies before draining: {names()}\n")
    requests.take()
    report = drain(table.design, table.name, table.client, engine.streams_client())
    out(f"drained the table's stream ({report.summary()}; {requests.take()})\n")
    out(f"after draining: {names()}\n")


def _next_args(name: str) -> dict[str, Any]:
    following: dict[str, dict[str, Any]] = {
        "open_orders_by_date": {"limit": 2},
        "customer_with_recent_orders": {"customer_id": "c1", "limit": 3},
    }
    return following.get(name, {})


def _migrations_folder() -> Path | None:
    """``migrations/`` of the repository that holds ``access_patterns`` (None: not there)."""
    import access_patterns  # noqa: PLC0415 - the example apps are imported on demand

    folder = Path(access_patterns.__file__).resolve().parent.parent / "migrations"
    return folder if folder.is_dir() else None


def _op_name(op: Operation) -> str:
    """A short name for one migration operation (its ``describe()`` spells out whole templates)."""
    if isinstance(op, FillIndexKeys):
        return f"{op.entity} keys on {op.index}"
    if isinstance(op, FillGuards):
        return f"unique guards of {op.guard['entity']}.{'+'.join(op.guard['attributes'])}"
    if isinstance(op, FillCopies):
        return f"copies {op.path['target']}.{', '.join(op.path['attributes'])} from {op.path['source']}"
    return op.describe()


def _show_migration(table: Any, requests: _Requests) -> None:
    """Part 7: v2 of the shop deployed with its migration; its new index refused until filled."""
    from access_patterns.shop_versions.v2 import shop as shop_v2  # noqa: PLC0415
    from dynamodel.errors import IndexFillingError  # noqa: PLC0415
    from dynamodel.migrate.revisions import load_history  # noqa: PLC0415
    from dynamodel.migrator.checks import verify  # noqa: PLC0415
    from dynamodel.migrator.runner import WRITE_UNIT_PRICE, MigrationRunner  # noqa: PLC0415
    from dynamodel.migrator.table_ops import is_table_op  # noqa: PLC0415

    out = sys.stdout.write
    out("\n== 7. shop v2 deployed with a migration: customers_by_name needs a new index\n\n")
    folder = _migrations_folder()
    if folder is None:
        out("no migrations/ folder beside access_patterns (an installed copy): skipped\n")
        return
    history = load_history(folder)
    v2_rev = history[1]
    name, client = table.name, table.client
    deployed = shop_v2.connect(name, client, cursor_secret=os.urandom(32), while_filling="refuse")
    out(
        f"v2's code is deployed first (connect(..., while_filling='refuse')); then `migrate up --to "
        f"{v2_rev.revision}`\napplies 2 of the {len(history)} revisions in {folder.name}/ (the table, "
        "created from v1's template, records none yet):\n"
    )
    requests.take()
    running: list[Operation] = []
    during: list[str] = []
    guard = threading.Lock()

    def read_while_filling(seen: int, units: int) -> None:
        del seen, units
        with guard:
            if during or not running or not isinstance(running[-1], FillIndexKeys):
                return
            try:
                found = deployed.customers_by_name(name="Bob")
                during.append(f"served {', '.join(_show(c) for c in found.items)} (not expected)")
            except IndexFillingError as err:
                during.append(f"refused with IndexFillingError: {err.message}")

    runner = MigrationRunner(
        client,
        name,
        shop_v2.design,
        history,
        segments=2,
        workers=2,
        page_size=10,
        on_op=running.append,
        on_page=read_while_filling,
    )
    units = 0
    for report in runner.up(to=v2_rev.revision):
        out(f"  applied {report.revision} {report.message}\n")
        for op in report.ops:
            if is_table_op(op.operation):
                out(f"    {op.note}\n")
            else:
                out(
                    f"    {_op_name(op.operation)}: {op.seen} item(s) read, {op.written} write(s), "
                    f"{op.units} WCU\n"
                )
        units += report.units
    out(f"  {units} write units (${units * WRITE_UNIT_PRICE:.6f} on demand)\n")
    out(f"  {requests.take()}, the runner's bookkeeping included\n")
    tried = during[0] if during else "not tried"
    out(f"while GSI3 was being filled: customers_by_name(name='Bob') {tried}\n")
    # A fresh connection reads the migration state now; a running one re-reads it within 30 s.
    after = shop_v2.connect(name, client, cursor_secret=os.urandom(32), while_filling="refuse")
    found = after.customers_by_name(name="Bob")
    plan = shop_v2.design.plan("customers_by_name")
    out(
        f"after up: customers_by_name(name='Bob') -> {', '.join(_show(c) for c in found.items)}; "
        f"{plan.operation} on {plan.index}, {requests.take()}: the GetItem reads the migration state\n"
    )
    checked = verify(client, name, shop_v2.design)
    verdict = "match v2's design" if not checked.problems else f"{len(checked.problems)} problem(s)"
    out(f"migrate verify: {checked.items} item(s) and {checked.guards} guard(s) {verdict}\n")
    for problem in checked.problems[:5]:
        out(f"  {problem}\n")
