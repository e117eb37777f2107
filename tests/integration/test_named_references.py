"""Named references: ``Copy(User.name, via={"user_id": "assignee_id"})`` copies one source twice.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 (the integration conftest), streams
drained by the local driver. Issue 11 item 9: a ticket copies its reporter's and its
(optional) assignee's names from the same User entity without renaming its fields.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from stored_items import stored

from dynamodel import App, Copy, DefinitionError, Entity, Get, Query, Write
from dynamodel.compile import base_key
from dynamodel.design import derive, design_to_json
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import UnknownFieldError
from dynamodel.propagate import drain, repair_copies
from dynamodel.runtime.table import Table
from dynamodel.spec_file import dump_spec, parse_spec, parse_spec_text
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]


class User(Entity, identity=("user_id",)):
    user_id: str
    name: str


class Ticket(Entity, identity=("ticket_id",)):
    ticket_id: str
    reporter_id: str
    assignee_id: str | None = None
    reporter_name: str = Copy(User.name, via={"user_id": "reporter_id"})
    assignee_name: str | None = Copy(User.name, via={"user_id": "assignee_id"}, optional=True)


desk = App(
    "desk",
    [User, Ticket],
    patterns=[
        Get(User, by="user_id", name="get_user"),
        Get(Ticket, by="ticket_id", name="get_ticket"),
        Query(Ticket, by="assignee_id", name="tickets_assigned_to"),
    ],
)

SPEC = """
app: desk
entities:
  User:
    identity: [user_id]
    attributes: {user_id: str, name: str}
  Ticket:
    identity: [ticket_id]
    attributes:
      ticket_id: str
      reporter_id: str
      assignee_id: {type: str, optional: true}
      reporter_name: {copy: User.name, via: {user_id: reporter_id}}
      assignee_name: {copy: User.name, via: {user_id: assignee_id}, optional: true}
patterns:
  - {name: get_user, get: User, by: user_id}
  - {name: get_ticket, get: Ticket, by: ticket_id}
  - {name: tickets_assigned_to, query: Ticket, by: assignee_id}
"""


def rename(table: Table, user_id: str, name: str) -> None:
    user = table.get_user(user_id=user_id)
    assert user is not None
    user.name = name
    table.update(user)


def test_a_ticket_copies_its_reporter_and_its_assignee(make_table: MakeTable) -> None:
    table = make_table(desk)
    table.create(User(user_id="u1", name="Ann"))
    table.create(User(user_id="u2", name="Bob"))

    ticket = table.create(Ticket(ticket_id="t1", reporter_id="u1", assignee_id="u2"))
    unassigned = table.create(Ticket(ticket_id="t2", reporter_id="u2"))

    assert (ticket.reporter_name, ticket.assignee_name) == ("Ann", "Bob")
    assert (unassigned.reporter_name, unassigned.assignee_name) == ("Bob", None)


def test_each_reference_follows_its_own_user(make_table: MakeTable, engine: EmbeddedEngine) -> None:
    table = make_table(desk)
    streams = engine.streams_client()
    table.create(User(user_id="u1", name="Ann"))
    table.create(User(user_id="u2", name="Bob"))
    table.create(Ticket(ticket_id="t1", reporter_id="u1", assignee_id="u2"))
    table.create(Ticket(ticket_id="t2", reporter_id="u2", assignee_id="u1"))
    table.create(Ticket(ticket_id="t3", reporter_id="u2"))
    drain(desk.design, table.name, table.client, streams)

    rename(table, "u1", "Ann B")
    report = drain(desk.design, table.name, table.client, streams)

    assert report.dead_letters == []
    t1, t2, t3 = (stored(table, "Ticket", ticket_id=f"t{i}") for i in (1, 2, 3))
    assert (t1["reporter_name"], t1["assignee_name"]) == ({"S": "Ann B"}, {"S": "Bob"})
    assert (t2["reporter_name"], t2["assignee_name"]) == ({"S": "Bob"}, {"S": "Ann B"})
    assert t3["reporter_name"] == {"S": "Bob"}
    assert "assignee_name" not in t3
    # Each reference has its own stamp: the default name stays for items of other apps.
    user_stamps = {k for k in t1 if k.startswith("_copyver_")}
    assert user_stamps == {"_copyver_User@reporter_id", "_copyver_User@assignee_id"}
    assert repair_copies(desk.design, table.name, table.client).fixed == 0


def test_repair_fixes_one_reference_without_touching_the_other(make_table: MakeTable) -> None:
    table = make_table(desk)
    table.create(User(user_id="u1", name="Ann"))
    table.create(User(user_id="u2", name="Bob"))
    table.create(Ticket(ticket_id="t1", reporter_id="u1", assignee_id="u2"))
    key = base_key(desk.design, "Ticket", {"ticket_id": "t1"})
    table.client.update_item(
        TableName=table.name,
        Key=key,
        UpdateExpression="SET assignee_name = :x",
        ExpressionAttributeValues={":x": {"S": "drifted"}},
    )

    report = repair_copies(desk.design, table.name, table.client)

    assert report.fixed == 1
    t1 = stored(table, "Ticket", ticket_id="t1")
    assert (t1["reporter_name"], t1["assignee_name"]) == ({"S": "Ann"}, {"S": "Bob"})


def test_two_references_are_two_copy_paths_and_the_spec_file_says_the_same() -> None:
    paths = {(p.source, p.target, p.via): p for p in desk.design.copy_paths}
    assert set(paths) == {
        ("User", "Ticket", (("user_id", "assignee_id"),)),
        ("User", "Ticket", (("user_id", "reporter_id"),)),
    }
    assert paths["User", "Ticket", (("user_id", "assignee_id"),)].plan.key_condition
    # The assignee lookup reuses the declared query's index: no index for it alone.
    declared = desk.design.plan("tickets_assigned_to").index
    assert paths["User", "Ticket", (("user_id", "assignee_id"),)].plan.index == declared
    from_file = parse_spec_text(SPEC)
    assert from_file == desk.spec
    assert parse_spec(dump_spec(from_file)) == desk.spec
    assert design_to_json(derive(from_file)) == desk.to_json()
    assert '"via": {' in desk.to_json()
    assert "via assignee_id" in desk.explain()


@pytest.mark.parametrize(
    ("via", "error", "words", "fix"),
    [
        (
            {"uid": "reporter_id"},
            UnknownFieldError,
            "not a key attribute of User",
            "via maps User's key attributes to Bad's",
        ),
        ({"user_id": "nobody_id"}, UnknownFieldError, "does not define", "declare 'nobody_id' on Bad"),
        (
            {"user_id": "rank"},
            DefinitionError,
            "which is int",
            "declare 'rank' on Bad with the type of User.user_id",
        ),
    ],
)
def test_a_wrong_via_is_refused_with_what_to_fix(
    via: dict[str, str], error: type[Exception], words: str, fix: str
) -> None:
    class Bad(Entity, identity=("bad_id",)):
        bad_id: str
        reporter_id: str
        rank: int
        reporter_name: str = Copy(User.name, via=via)

    with pytest.raises(error, match=words) as info:
        App("bad", [User, Bad], patterns=[Get(Bad, by="bad_id", name="get_bad")])
    assert fix in (getattr(info.value, "hint", None) or ""), str(info.value)


def test_via_must_be_a_mapping_of_names() -> None:
    with pytest.raises(DefinitionError, match="via") as info:
        Copy(User.name, via=[("user_id", "reporter_id")])  # type: ignore[arg-type]
    assert "via={'user_id': 'assignee_id'}" in (info.value.hint or ""), "the hint shows the mapping form"


@pytest.mark.parametrize(
    ("attribute", "words", "fix"),
    [
        ("{copy: User.name, via: [user_id, reporter_id]}", "via must map", "via: {user_id: assignee_id}"),
        ("{type: str, via: {user_id: reporter_id}}", "via but no copy", "{copy: User.name, via:"),
        ("{copy: User.name, via: {user_id: ghost_id}}", "does not define", "declare 'ghost_id' on Ticket"),
    ],
)
def test_a_wrong_via_in_a_spec_file_is_refused(attribute: str, words: str, fix: str) -> None:
    text = SPEC.replace("{copy: User.name, via: {user_id: reporter_id}}", attribute)
    with pytest.raises(DefinitionError, match=words) as info:
        parse_spec_text(text)
    assert fix in (info.value.hint or ""), info.value.hint


def test_the_ticket_app_copies_its_reporter_and_optional_assignee(make_table: MakeTable) -> None:
    from access_patterns import tickets as app

    assert {(p.source, p.via) for p in app.tickets.design.copy_paths} == {
        ("User", (("user_id", "reporter_id"),)),
        ("User", (("user_id", "assignee_id"),)),
    }
    table = make_table(app.tickets)
    table.create(app.Tenant(tenant_id="acme", name="Acme"))
    table.create(app.User(user_id="u1", tenant_id="acme", email="ann@acme.test", name="Ann"))
    ticket = app.Ticket(
        ticket_id="t1",
        tenant_id="acme",
        title="Printer",
        status="OPEN",
        reporter_id="u1",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
        comment_count=0,
    )
    written = table.create(ticket)
    assert (written.reporter_name, written.assignee_name) == ("Ann", None)


def test_a_write_plan_counts_one_source_read_per_reference() -> None:
    app = App("desk", [User, Ticket], patterns=[Write(Ticket, name="open_ticket")])
    plan = app.design.plan("open_ticket")
    assert plan.requests == 3  # the reporter and the assignee are read before the put
    assert "User via assignee_id, User via reporter_id" in plan.reason
