"""Actions on the embedded engine's stream: once per change, whatever the delivery does.

The shop's actions (``access_patterns/shop_events.py``) run through the local driver, which
selects records with the emitted event filters; redeliveries, replays, concurrent deliveries,
transient failures and not-retryable errors are each provoked here.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from shop_world import seed

from access_patterns import shop_events
from access_patterns.shop import Customer
from access_patterns.shop_events import Notice
from access_patterns.shop_events import shop_events as app
from dynamodel.actions import ActionEvent, ActionRunner, drain_actions, emitted_patterns
from dynamodel.cli import main
from dynamodel.design import design_to_dict
from dynamodel.emit.boto3_kwargs import render_post_create
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import EffectInProgressError, RequestError
from dynamodel.event_filters import matches_any
from dynamodel.migrator.checks import drift
from dynamodel.propagate import ListDeadLetterQueue, StreamCheckpoint
from dynamodel.propagate.driver import poll_records
from dynamodel.propagate.records import lambda_record
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = pytest.mark.integration


@pytest.fixture
def table(make_table: MakeTable) -> Table:
    shop_events.OUTBOX.clear()
    shop_events.REFUNDS.clear()
    t = make_table(app)
    seed(t)
    return t


def _set_status(table: Table, order_id: str, status: str, **changes: Any) -> None:
    (order,) = [o for o in table.orders_of_customer.iterate(customer_id="c1") if o.order_id == order_id] or [
        o for o in table.orders_of_customer.iterate(customer_id="c2") if o.order_id == order_id
    ]
    table.update(order.model_copy(update={"status": status, **changes}))


def _notices(table: Table, cid: str = "c1") -> list[Notice]:
    return list(table.notices_of_customer.iterate(customer_id=cid))


def _shipped_records(table: Table, engine: EmbeddedEngine) -> list[dict[str, Any]]:
    patterns = emitted_patterns(app.design, "notify_shipped")
    records = poll_records(table.client, engine.streams_client(), table.name, StreamCheckpoint())
    return [r for r in records if matches_any(patterns, lambda_record(r))]


def _fresh(names: list[str]) -> dict[str, StreamCheckpoint]:
    return {n: StreamCheckpoint() for n in names}


def test_a_shipped_order_is_notified_once_however_often_its_record_comes(
    table: Table, engine: EmbeddedEngine
) -> None:
    streams = engine.streams_client()
    _set_status(table, "o1", "SHIPPED")
    report = drain_actions(app.design, app.models, table.name, table.client, streams)
    assert [n.order_id for n in _notices(table)] == ["o1"]
    assert shop_events.OUTBOX == ["to c1: Order o1 has shipped."]
    assert report.delivered["notify_shipped"] == 1  # only the change the filter names
    assert report.delivered["refund_cancelled"] == 0
    # The whole stream again, from the start (a replay): nothing runs twice.
    again = drain_actions(
        app.design,
        app.models,
        table.name,
        table.client,
        streams,
        checkpoints=_fresh(["notify_shipped"]),
        actions=["notify_shipped"],
    )
    # It meets o1's MODIFY again, and the one propagation made when it refreshed o1's copy
    # (a copy refresh keeps the item's version: the same change, so the same marker).
    assert again.delivered["notify_shipped"] == 2
    assert again.runners["notify_shipped"].calls == 0  # the marker was seen before the handler
    assert len(_notices(table)) == 1
    assert len(shop_events.OUTBOX) == 1


def test_a_later_change_of_a_shipped_order_is_not_news(table: Table, engine: EmbeddedEngine) -> None:
    _set_status(table, "o1", "SHIPPED")
    drain_actions(app.design, app.models, table.name, table.client, engine.streams_client())
    _set_status(table, "o1", "SHIPPED", total=Decimal(9))  # a later version, still shipped
    dlq = ListDeadLetterQueue()
    report = drain_actions(app.design, app.models, table.name, table.client, engine.streams_client(), dlq=dlq)
    # The filter delivers the new change (still SHIPPED); the handler sees it is not the
    # shipping and does nothing, and the action's marker records that it ran.
    assert report.runners["notify_shipped"].calls == 1
    assert len(dlq) == 0
    assert len(shop_events.OUTBOX) == 1
    assert len(_notices(table)) == 1


def test_a_cancelled_order_with_nothing_to_refund_goes_to_the_dead_letter_queue_at_once(
    table: Table, engine: EmbeddedEngine
) -> None:
    _set_status(table, "o1", "CANCELLED", total=Decimal(0))
    _set_status(table, "o2", "CANCELLED")
    dlq = ListDeadLetterQueue()
    report = drain_actions(
        app.design,
        app.models,
        table.name,
        table.client,
        engine.streams_client(),
        dlq=dlq,
        actions=["refund_cancelled"],
    )
    (letter,) = dlq.entries
    assert letter.error_code == "not-retryable"
    assert letter.attempts == 1  # not retried: a retry cannot fix it
    assert [("o2", Decimal(2))] == shop_events.REFUNDS  # the stream moved on past it
    assert report.runners["refund_cancelled"].calls == 2


def test_a_transient_failure_is_retried_and_the_effect_made_once(
    table: Table, engine: EmbeddedEngine
) -> None:
    after_email = iter([True, False, False])  # the handler fails after the email, once
    sms_down = iter([True, False, False])  # the SMS itself fails, once
    sent: list[str] = []

    def send(order_id: str, what: str) -> None:
        if what == "sms" and next(sms_down):
            msg = "the SMS gateway refused the message"
            raise ConnectionError(msg)
        sent.append(f"{what} {order_id}")

    def flaky(event: ActionEvent[Any]) -> None:
        order_id = event.item.order_id
        event.table.create(Notice(customer_id="c1", order_id=order_id, text="x", at=event.item.placed_at))
        event.once("email", lambda: send(order_id, "email"))
        if next(after_email):
            msg = "the handler timed out after sending the email"
            raise TimeoutError(msg)
        event.once("sms", lambda: send(order_id, "sms"))

    _set_status(table, "o1", "SHIPPED")
    report = drain_actions(
        app.design,
        app.models,
        table.name,
        table.client,
        engine.streams_client(),
        actions=["notify_shipped"],
        handlers={"notify_shipped": flaky},
    )
    assert report.runners["notify_shipped"].calls == 3
    assert len(_notices(table)) == 1
    # The email completed before the first failure: its record gives the retries its result.
    # The SMS failed itself: its record was deleted with the failure, so a retry made it.
    assert sent == ["email o1", "sms o1"]


def test_concurrent_deliveries_of_one_record_apply_it_once(table: Table, engine: EmbeddedEngine) -> None:
    _set_status(table, "o1", "SHIPPED")
    records = _shipped_records(table, engine)
    (record,) = records
    runners = [
        ActionRunner(app.design, app.models, table.name, table.client, app.spec.action("notify_shipped"))
        for _ in range(4)
    ]
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def deliver(r: ActionRunner) -> None:
        barrier.wait()
        try:
            outcomes.append(r.apply(record))
        except EffectInProgressError:  # retryable: the stream delivers it again
            outcomes.append("in progress")

    threads = [threading.Thread(target=deliver, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 4
    assert outcomes.count("applied") == 1
    assert set(outcomes) <= {"applied", "duplicate", "in progress"}
    assert len(_notices(table)) == 1
    assert len(shop_events.OUTBOX) == 1
    # The deliveries that were told "in progress" come again and find the marker.
    assert {r.apply(record) for r in runners} == {"duplicate"}


def test_a_handler_cannot_use_a_write_pattern_inside_the_action(table: Table, engine: EmbeddedEngine) -> None:
    def writes_pattern(event: ActionEvent[Any]) -> None:
        event.table.place_order(event.item, lines=[])

    _set_status(table, "o1", "SHIPPED")
    (record,) = _shipped_records(table, engine)
    runner = ActionRunner(
        app.design, app.models, table.name, table.client, app.spec.action("notify_shipped"), writes_pattern
    )
    with pytest.raises(RequestError, match="commits on its own"):
        runner.apply(record)


def test_the_actions_command_runs_them_and_writes_dead_letters(
    table: Table, engine: EmbeddedEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_status(table, "o1", "CANCELLED", total=Decimal(0))
    dlq = tmp_path / "dead.jsonl"
    argv = ["actions", "access_patterns.shop_events:shop_events", "--table", table.name]
    argv += ["--endpoint-url", engine.endpoint_url, "--region", engine.region, "--dlq", str(dlq)]
    argv += ["--only", "refund_cancelled"]
    assert main(argv) == 1  # a dead letter was written
    printed = capsys.readouterr().out
    assert printed.startswith("refund_cancelled: 1 record(s) passed its filter, handler called 1 time(s)")
    (line,) = dlq.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["error_code"] == "not-retryable"
    assert main(argv) == 0  # nothing new: the stream position is kept for the process


def test_a_table_deployed_for_actions_shows_no_drift(table: Table) -> None:
    for call, kwargs in render_post_create(app.design, table.name):  # TTL (markers expire), PITR
        getattr(table.client, call)(**kwargs)
    assert drift(table.client, table.name, design_to_dict(app.design), app.spec) == []


def test_an_action_names_keys_as_the_table_does(table: Table, engine: EmbeddedEngine) -> None:
    def typo(event: ActionEvent[Any]) -> None:
        event.table.increment(Customer, "order_count", 1, customer_id="c1", custmer="c1")

    _set_status(table, "o1", "SHIPPED")
    (record,) = _shipped_records(table, engine)
    runner = ActionRunner(
        app.design, app.models, table.name, table.client, app.spec.action("notify_shipped"), typo
    )
    with pytest.raises(
        RequestError, match=r"increment\(Customer\) takes the key attributes \['customer_id'\]"
    ):
        runner.apply(record)
