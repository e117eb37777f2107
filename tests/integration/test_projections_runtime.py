"""An INCLUDE index at run time: its readers get what they named, and nothing is lost by writing.

Engine assumed: moto's server on 127.0.0.1; moto honours a GSI's INCLUDE projection (a Query
returns the keys and the included attributes only).
"""

from __future__ import annotations

import dataclasses

import pytest
from projection_app import Ticket, helpdesk

from dynamodel import App
from dynamodel.errors import PartialItemError, RequestError
from dynamodel.testing import machine_settings, run_app_machine
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]
BODY = "x" * 3000


def test_a_listing_returns_its_fields_and_refuses_the_rest(make_table: MakeTable) -> None:
    table = make_table(helpdesk())
    for i in range(3):
        table.create(
            Ticket(tenant_id="t1", ticket_id=f"k{i}", status="OPEN", title=f"printer {i}", body=BODY)
        )
    listed = table.queue.iterate(status="OPEN")
    assert [(t.ticket_id, t.title) for t in listed] == [
        ("k0", "printer 0"),
        ("k1", "printer 1"),
        ("k2", "printer 2"),
    ]
    first = table.queue(status="OPEN").items[0]
    assert first.tenant_id == "t1"  # the identity comes with every item
    with pytest.raises(PartialItemError, match=r"Ticket\.body was not read") as info:
        _ = first.body
    assert isinstance(info.value, AttributeError)
    assert info.value.hint
    # Writing it back would drop body: refused before anything is sent.
    with pytest.raises(RequestError, match="holds only"):
        table.update(first.model_copy(update={"title": "renamed"}))
    whole = table.get_ticket(tenant_id="t1", ticket_id="k0")
    assert whole is not None
    assert whole.body == BODY
    table.update(whole.model_copy(update={"title": "renamed"}))
    assert table.queue(status="OPEN").items[0].title == "renamed"


def test_reading_every_field_keeps_the_whole_item(make_table: MakeTable) -> None:
    table = make_table(helpdesk(fields=()))
    table.create(Ticket(tenant_id="t1", ticket_id="k0", status="OPEN", title="printer", body=BODY))
    (item,) = table.queue(status="OPEN").items
    assert item.body == BODY


def test_the_app_machine_runs_an_app_with_an_include_index() -> None:
    # Random writes; every read of the listing holds its declared fields and agrees with the
    # oracle on them (the machine compares fields and identities where a pattern names fields).
    run_app_machine(helpdesk(), settings=machine_settings(max_examples=8, stateful_step_count=15))


def test_the_shop_machine_with_fields_on_its_sparse_sharded_index() -> None:
    # GSI2 serves a unique get (customer_by_email) and a sharded sparse query
    # (open_orders_by_date); with fields on both it projects INCLUDE.
    from access_patterns.shop import shop

    fields = {"customer_by_email": ("name",), "open_orders_by_date": ("status", "total")}
    patterns = [dataclasses.replace(p, fields=fields.get(p.name, ())) for p in shop.spec.patterns]
    narrowed = App("shop", list(shop.models.values()), patterns)
    assert narrowed.design.index("GSI2").projection == "INCLUDE"
    run_app_machine(narrowed, settings=machine_settings(max_examples=6, stateful_step_count=15))


def test_an_optional_attribute_the_index_leaves_out_is_not_read_as_none(make_table: MakeTable) -> None:
    table = make_table(helpdesk())
    table.create(
        Ticket(tenant_id="t1", ticket_id="k0", status="OPEN", title="printer", body=BODY, assignee="ann")
    )
    (listed,) = table.queue(status="OPEN").items
    with pytest.raises(PartialItemError, match=r"Ticket\.assignee was not read"):
        _ = listed.assignee


def test_an_item_with_every_required_field_but_not_every_attribute_is_still_partial(
    make_table: MakeTable,
) -> None:
    # Every required attribute is projected, the optional assignee is not: the item validates
    # whole, but writing it back would drop the assignee.
    table = make_table(helpdesk(fields=("body", "status", "title")))
    table.create(
        Ticket(tenant_id="t1", ticket_id="k0", status="OPEN", title="printer", body=BODY, assignee="ann")
    )
    (listed,) = table.queue(status="OPEN").items
    with pytest.raises(RequestError, match="holds only"):
        table.update(listed.model_copy(update={"title": "renamed"}))
    whole = table.get_ticket(tenant_id="t1", ticket_id="k0")
    assert whole is not None
    assert whole.assignee == "ann"


def test_the_machine_checks_items_that_leave_attributes_out_are_partial() -> None:
    # Every required attribute projected, the optional assignee not: each listed item must be
    # partial, which the machine checks on every read.
    run_app_machine(
        helpdesk(fields=("body", "status", "title")),
        settings=machine_settings(max_examples=6, stateful_step_count=12),
    )
