"""`where` with several allowed values (status in [OPEN, PENDING]) is one Query on a sparse index.

The index holds exactly the items whose status is one of the values, and its keys leave the
status out, so an item moving between OPEN and PENDING keeps its place and one moving to
CLOSED leaves. Planner, request builders, the runtime on moto in process, the oracle and the
value strategies are each checked.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

import pytest

from dynamodel import App, Entity, Query
from dynamodel.compile import build_scan_request, derived_keys, parse_read_args
from dynamodel.design import derive
from dynamodel.errors import RequestError
from dynamodel.spec import AppSpec
from dynamodel.spec_file import parse_spec_text
from dynamodel.testing import Oracle, check_result
from dynamodel.testing.inprocess import create_test_table, default_client_factory
from dynamodel.testing.strategies import value_pools

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
Status = Literal["OPEN", "PENDING", "SOLVED", "CLOSED"]


class Ticket(Entity, identity=("ticket_id",)):
    ticket_id: str
    tenant_id: str
    status: Status
    created_at: dt.datetime


ACTIVE = ["OPEN", "PENDING"]
app = App(
    "wherein",
    [Ticket],
    patterns=[
        Query(Ticket, by="tenant_id", where={"status": ACTIVE}, sort="created_at", name="active_of_tenant"),
        Query(Ticket, where={"status": ["PENDING", "OPEN"]}, sort="created_at", order="desc", name="active"),
        Query(Ticket, by="tenant_id", where={"status": "SOLVED"}, name="solved_of_tenant"),
    ],
)
SPEC: AppSpec = app.spec


def ticket(i: int, status: str, tenant: str = "t1") -> dict[str, object]:
    return {
        "ticket_id": f"k{i}",
        "tenant_id": tenant,
        "status": status,
        "created_at": T0 + dt.timedelta(days=i),
    }


def test_each_pattern_is_one_query_on_an_index_sparse_on_the_allowed_values() -> None:
    design = app.design
    for name in ("active_of_tenant", "active"):
        plan = design.plan(name)
        assert (plan.operation, plan.requests, plan.uses_filter) == ("Query", 1, False), name
        keys = design.keys_for("Ticket", plan.index)
        assert keys is not None
        assert keys.sparse == (("status", ("OPEN", "PENDING")),)
        assert "status" not in keys.pk.attrs() + keys.sk.attrs()
    assert design.plan("active_of_tenant").index != design.plan("solved_of_tenant").index
    assert "status in [OPEN, PENDING]" in app.explain()
    entry = json.loads(app.to_json())["entities"]["Ticket"][design.plan("active").index]
    assert entry["sparse_when"] == {"status": ["OPEN", "PENDING"]}


def test_several_values_never_share_an_index_that_is_not_sparse_on_them() -> None:
    text = """
app: w
entities:
  T:
    identity: [tid]
    attributes: {tid: str, tenant: str, status: {enum: [A, B, C]}}
patterns:
  - {name: ab, query: T, by: [tenant], where: {status: [A, B]}}
  - {name: ac, query: T, by: [tenant], where: {status: [A, C]}}
  - {name: all, query: T, by: [tenant]}
"""
    design = derive(parse_spec_text(text))
    assert len({design.plan(n).index for n in ("ab", "ac", "all")}) == 3


def test_keys_stay_while_the_status_moves_among_the_values_and_go_when_it_leaves() -> None:
    design = app.design
    index = design.index(design.plan("active_of_tenant").index)
    keys = {s: derived_keys(design, "Ticket", ticket(1, s)) for s in ("OPEN", "PENDING", "CLOSED")}
    assert keys["OPEN"][0][index.partition_key] == keys["PENDING"][0][index.partition_key]
    assert keys["OPEN"][0][index.sort_key] == keys["PENDING"][0][index.sort_key]
    assert index.partition_key not in keys["CLOSED"][0]
    assert index.partition_key in keys["CLOSED"][1]


def test_the_status_is_not_an_argument() -> None:
    read = parse_read_args(app.design, "active_of_tenant", {"tenant_id": "t1"})
    assert "status" not in read.values
    with pytest.raises(RequestError, match="status") as info:
        parse_read_args(app.design, "active_of_tenant", {"tenant_id": "t1", "status": "OPEN"})
    assert "leave 'status' out of the call" in (info.value.hint or ""), info.value.hint


def test_a_scan_filters_on_the_allowed_values() -> None:
    scan = App(
        "wherescan",
        [Ticket],
        patterns=[Query(Ticket, where={"status": ACTIVE}, consistency="strong", allow_scan=True, name="s")],
    )
    request = build_scan_request(scan.design, "s", {}, "t")
    assert " IN (" in request["FilterExpression"]
    assert {"S": "OPEN"} in request["ExpressionAttributeValues"].values()
    assert {"S": "PENDING"} in request["ExpressionAttributeValues"].values()


def test_oracle_returns_the_items_whose_status_is_one_of_the_values() -> None:
    o = Oracle(SPEC)
    for i, s in enumerate(["OPEN", "CLOSED", "PENDING", "SOLVED", "OPEN"]):
        o.put("Ticket", ticket(i, s))
    got = o.answer("active", {})
    assert [v["ticket_id"] for _, v in got] == ["k4", "k2", "k0"]
    check_result(o, "active", {}, got)
    with pytest.raises(AssertionError):
        check_result(o, "active", {}, [*got, ("Ticket", ticket(1, "CLOSED"))])


def test_pools_draw_each_allowed_value_often() -> None:
    pool = value_pools(SPEC)[("status", "enum")]
    for value in ("OPEN", "PENDING", "SOLVED"):
        assert pool.count(value) > pool.count("CLOSED"), pool


def test_runtime_moves_items_in_and_out_of_the_index() -> None:
    table = create_test_table(app, default_client_factory("dynamodb"))
    o = Oracle(SPEC)

    def check() -> None:
        calls: tuple[tuple[str, dict[str, Any]], ...] = (
            ("active_of_tenant", {"tenant_id": "t1"}),
            ("active", {}),
        )
        for name, args in calls:
            # a page of one item: cursors carry the reads across the index's pages
            got = [(type(x).__name__, x.model_dump()) for x in table.iterate(name, limit=1, **args)]
            check_result(o, name, args, got)

    for i, status in enumerate(["OPEN", "PENDING", "CLOSED"]):
        table.create(Ticket.model_validate(ticket(i, status)))
        o.put("Ticket", ticket(i, status))
    check()
    assert [t.ticket_id for t in table.iterate_as(Ticket, "active")] == ["k1", "k0"]
    for i, status in ((0, "PENDING"), (1, "CLOSED"), (2, "OPEN")):
        table.put(Ticket.model_validate(ticket(i, status)))
        o.put("Ticket", ticket(i, status))
        check()
    assert [t.ticket_id for t in table.iterate_as(Ticket, "active")] == ["k2", "k0"]
