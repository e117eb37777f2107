"""Optional copies: an absent reference, or a source that does not exist, means an absent copy.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 (the integration conftest), streams
drained by the local driver. Regression of issue 11 item 8: ``Copy(User.name,
optional=True)`` demanded the reference anyway, so an unassigned ticket could not be
written, an assignee could not be removed, and deleting a user made its tickets unwritable.
"""

from __future__ import annotations

import pytest
from stored_items import stored

from dynamodel import App, Copy, DefinitionError, Entity, Get, Query, RequestError
from dynamodel.engine import EmbeddedEngine
from dynamodel.propagate import drain, repair_copies
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]


class User(Entity, identity=("user_id",)):
    user_id: str
    name: str


class Ticket(Entity, identity=("ticket_id",)):
    ticket_id: str
    title: str
    user_id: str | None = None
    user_name: str | None = Copy(User.name, optional=True)


class Note(Entity, identity=("note_id",)):
    note_id: str
    user_id: str
    author: str = Copy(User.name)


desk = App(
    "desk",
    [User, Ticket, Note],
    patterns=[
        Get(User, by="user_id", name="get_user"),
        Get(Ticket, by="ticket_id", name="get_ticket"),
        Query(Ticket, by="user_id", name="tickets_of_user"),
    ],
)


def test_an_unassigned_ticket_is_written_without_the_copy(make_table: MakeTable) -> None:
    table = make_table(desk)
    written = table.create(Ticket(ticket_id="t1", title="Printer"))
    assert written.user_name is None
    item = stored(table, "Ticket", ticket_id="t1")
    assert "user_name" not in item
    assert "user_id" not in item
    got = table.get_ticket(ticket_id="t1")
    assert got is not None
    assert got.user_name is None


def test_an_assignee_can_be_set_and_removed(make_table: MakeTable) -> None:
    table = make_table(desk)
    table.create(User(user_id="u1", name="Ann"))
    ticket = table.create(Ticket(ticket_id="t1", title="Printer", user_id="u1"))
    assert ticket.user_name == "Ann"
    assert [t.ticket_id for t in table.tickets_of_user(user_id="u1").items] == ["t1"]

    ticket.user_id = None
    updated = table.update(ticket)

    assert updated.user_name is None
    assert "user_name" not in stored(table, "Ticket", ticket_id="t1")
    assert table.tickets_of_user(user_id="u1").items == []
    put = table.put(Ticket(ticket_id="t1", title="Printer", user_id="u1"))
    assert put.user_name == "Ann"


def test_a_missing_source_makes_an_optional_copy_absent_and_a_required_one_an_error(
    make_table: MakeTable,
) -> None:
    table = make_table(desk)
    table.create(User(user_id="u1", name="Ann"))
    ticket = table.create(Ticket(ticket_id="t1", title="Printer", user_id="u1"))
    table.delete(User, user_id="u1")

    ticket.title = "Printer on fire"
    updated = table.update(ticket)  # the deleted user no longer makes the ticket unwritable

    assert updated.user_name is None
    assert table.create(Ticket(ticket_id="t2", title="Fax", user_id="nobody")).user_name is None
    with pytest.raises(RequestError, match="does not exist") as info:
        table.create(Note(note_id="n1", user_id="nobody"))
    assert "create the User first" in (info.value.hint or ""), info.value.hint


def test_propagation_and_repair_pass_over_tickets_without_a_user(
    make_table: MakeTable, engine: EmbeddedEngine
) -> None:
    table = make_table(desk)
    streams = engine.streams_client()
    table.create(User(user_id="u1", name="Ann"))
    table.create(Ticket(ticket_id="t1", title="Printer", user_id="u1"))
    table.create(Ticket(ticket_id="t2", title="Fax"))
    table.create(Ticket(ticket_id="t3", title="Phone", user_id="gone"))
    user = table.get_user(user_id="u1")
    assert user is not None
    user.name = "Ann B"
    table.update(user)

    report = drain(desk.design, table.name, table.client, streams)

    assert report.dead_letters == []
    assert stored(table, "Ticket", ticket_id="t1")["user_name"] == {"S": "Ann B"}
    assert "user_name" not in stored(table, "Ticket", ticket_id="t2")
    assert "user_name" not in stored(table, "Ticket", ticket_id="t3")
    repaired = repair_copies(desk.design, table.name, table.client)
    assert (repaired.fixed, repaired.checked) == (0, 1)


def test_a_required_copy_through_an_optional_reference_is_refused_at_declaration() -> None:
    class Task(Entity, identity=("task_id",)):
        task_id: str
        user_id: str | None = None
        user_name: str = Copy(User.name)

    with pytest.raises(DefinitionError, match="could never be written") as info:
        App("tasks", [User, Task], patterns=[Get(Task, by="task_id", name="get_task")])
    assert "optional=True" in (info.value.hint or "")
