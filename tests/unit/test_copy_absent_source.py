"""A copy filled while its source was absent stays absent when an older record of that source arrives.

Engine assumed: moto in process (``InProcessEngine``), streams drained by the local driver.
Found by the AppMachine on the tickets app (an optional named reference): a user is created and
deleted, a ticket is then assigned to that user id (the write finds no user: no copy), and the
drain that follows applies the user's old INSERT record to the ticket, which had no stamp.
The ticket ended up holding the name of a user that did not exist when it was written, and
nothing later corrected it (a REMOVE leaves copies as they are).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from stored_items import settle, stored

from access_patterns.tickets import Tenant, Ticket, User, tickets
from dynamodel.compile import build_item
from dynamodel.layout import STAMP_SHIFT
from dynamodel.propagate import repair_copies
from dynamodel.runtime import writes
from dynamodel.runtime.table import Table
from dynamodel.testing import app_machine
from dynamodel.testing.inprocess import InProcessEngine, create_test_table

T0 = datetime(2026, 3, 1, tzinfo=UTC)
STAMP = "_copyver_User@assignee_id"


@pytest.fixture(scope="module")
def engine() -> InProcessEngine:
    return InProcessEngine()


@pytest.fixture
def table(engine: InProcessEngine) -> Iterator[Table]:
    table = create_test_table(tickets, engine.client())
    yield table
    table.client.delete_table(TableName=table.name)


def _ticket(assignee: str | None) -> Ticket:
    return Ticket(
        ticket_id="k",
        tenant_id="t",
        title="",
        status="OPEN",
        reporter_id="b",
        assignee_id=assignee,
        created_at=T0,
        comment_count=0,
    )


def _create_and_delete_ann(table: Table) -> None:
    ann = User(user_id="a", tenant_id="t", email="a@example.com", name="Ann")
    table.create(ann)
    assert table.delete(ann)


def _tenant_and_reporter(table: Table) -> None:
    table.create(Tenant(tenant_id="t", name="T"))
    table.create(User(user_id="b", tenant_id="t", email="b@example.com", name="Bob"))


def test_an_older_record_of_a_deleted_source_does_not_fill_a_later_targets_copy(
    table: Table, engine: InProcessEngine
) -> None:
    _tenant_and_reporter(table)
    _create_and_delete_ann(table)
    table.create(_ticket("a"))  # no user "a" now: no assignee name
    assert "assignee_name" not in stored(table, "Ticket", ticket_id="k")

    settle(table, engine)  # Ann's INSERT record is applied only now, after the ticket's write

    assert "assignee_name" not in stored(table, "Ticket", ticket_id="k")
    assert stored(table, "Ticket", ticket_id="k")["reporter_name"] == {"S": "Bob"}


def test_a_source_created_after_the_target_reaches_its_copy(table: Table, engine: InProcessEngine) -> None:
    _tenant_and_reporter(table)
    table.create(_ticket("a"))  # no user "a" yet
    table.create(User(user_id="a", tenant_id="t", email="a@example.com", name="Ann"))

    settle(table, engine)

    assert stored(table, "Ticket", ticket_id="k")["assignee_name"] == {"S": "Ann"}
    assert repair_copies(table.design, table.name, table.client).fixed == 0


def test_a_source_deleted_and_created_again_after_the_target_reaches_its_copy(
    table: Table, engine: InProcessEngine
) -> None:
    _tenant_and_reporter(table)
    _create_and_delete_ann(table)
    table.create(_ticket("a"))
    table.create(User(user_id="a", tenant_id="t", email="a@example.com", name="Ann Two"))

    settle(table, engine)

    assert stored(table, "Ticket", ticket_id="k")["assignee_name"] == {"S": "Ann Two"}


def test_a_source_born_before_the_absence_was_seen_still_reaches_its_copy(
    table: Table, engine: InProcessEngine
) -> None:
    """The race the absence stamp opens: a source written while the target's write read it
    (its ``_born`` taken before the read, its item stored after it) has a lower stamp than
    the target's absence stamp. The target check of the write re-reads the source and fills
    the copy anyway."""
    _tenant_and_reporter(table)
    early = time.time_ns() - 10**9  # the user's writer took its _born a second before
    table.create(_ticket("a"))
    assert int(stored(table, "Ticket", ticket_id="k")[STAMP]["N"]) > early * STAMP_SHIFT + 1
    ann = User(user_id="a", tenant_id="t", email="a@example.com", name="Ann")
    item, _ = build_item(table.design, "User", ann.model_dump(), version=1, born=early)
    table.client.put_item(TableName=table.name, Item=item)  # stored now, born a second ago

    settle(table, engine)

    assert stored(table, "Ticket", ticket_id="k")["assignee_name"] == {"S": "Ann"}


def test_an_assigned_ticket_carries_no_absence_stamp(table: Table, engine: InProcessEngine) -> None:
    _tenant_and_reporter(table)
    table.create(User(user_id="a", tenant_id="t", email="a@example.com", name="Ann"))
    table.create(_ticket("a"))
    item = stored(table, "Ticket", ticket_id="k")
    assert item["assignee_name"] == {"S": "Ann"}
    assert STAMP not in item  # a write removes stamps; the check of the write stamps again


def _replay_the_deleted_assignee() -> None:
    """The AppMachine's own failing steps (shrunk by hypothesis), which its random runs meet
    only rarely: the user's records must still wait for a drain when the ticket is written."""
    state: Any = app_machine(tickets)()  # rules are attached per app at run time
    try:
        state.check_table()
        tenant = state.create_Tenant(
            check=("get_tenant", 1), lose=False, pick=0, values={"tenant_id": "a", "name": "a"}
        )
        user = {"tenant_id": "a", "email": "a", "name": "a"}
        gone = state.create_User_in_Tenant(
            check=("get_user", 1), lose=False, parent=tenant, pick=0, values={"user_id": "a", **user}
        )
        state.delete_User(check=("get_user", 1), lose=False, mode="plain", ref=gone)
        reporter = state.create_User_in_Tenant(
            check=("get_user", 1), lose=False, parent=tenant, pick=0, values={"user_id": "a#b", **user}
        )
        ticket = {
            "ticket_id": "a",
            "tenant_id": "a",
            "title": "",
            "status": "OPEN",
            "reporter_id": "#",
            "assignee_id": "a",
            "created_at": T0,
            "comment_count": 0,
        }
        state.create_Ticket_in_Tenant(
            check=("get_ticket", 1), lose=False, parent=tenant, pick=5474, values=ticket
        )
        state.delete_User(check=("get_user", 1), lose=False, mode="plain", ref=reporter)
        state.check_table()
    finally:
        state.teardown()


def test_the_app_machine_passes_this_replay() -> None:
    _replay_the_deleted_assignee()


def test_the_app_machine_fails_this_replay_without_the_absence_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth: the fix taken out (writes store no absence stamp), the machine's checks fail."""
    monkeypatch.setattr(writes, "with_absence_stamps", lambda item, remove, _absent: (item, remove))
    with pytest.raises(AssertionError, match="assignee_name"):
        _replay_the_deleted_assignee()
