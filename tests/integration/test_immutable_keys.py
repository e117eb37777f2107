"""An immutable attribute in a base sort key, end to end: comments live in their ticket's
partition sorted by ``posted_at`` (no GSI), and a delete by key takes ``posted_at`` too.

Engine assumed: moto in process (``InProcessEngine``), one fresh table per test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dynamodel import App, Entity, Query
from dynamodel.compile import key_attrs
from dynamodel.design.model import TABLE
from dynamodel.errors import RequestError
from dynamodel.testing import run_app_machine
from dynamodel.testing.inprocess import create_test_table, default_client_factory
from dynamodel.testing.machine import machine_settings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 1, tzinfo=UTC)


class Ticket(Entity, identity=("ticket_id",)):
    ticket_id: str
    title: str


class Comment(Entity, identity=("ticket_id", "comment_id"), parent=Ticket, immutable=("posted_at",)):
    ticket_id: str
    comment_id: str
    posted_at: datetime
    body: str


thread = App(
    "thread",
    [Ticket, Comment],
    patterns=[
        Query(
            Comment,
            by="ticket_id",
            sort="posted_at",
            order="desc",
            range="between",
            name="comments_of_ticket",
        ),
        Query(Comment, by="ticket_id", sort="posted_at", include=[Ticket], name="ticket_with_comments"),
    ],
)


def test_comments_are_read_from_the_tickets_partition_and_deleted_by_their_full_key() -> None:
    design = thread.design
    assert design.indexes == ()
    assert design.plan("comments_of_ticket").index == TABLE
    assert key_attrs(design, "Comment") == ("ticket_id", "posted_at", "comment_id")
    table = create_test_table(thread, default_client_factory("dynamodb"))
    table.create(Ticket(ticket_id="t", title="printer"))
    for i in (2, 0, 1):
        table.create(Comment(ticket_id="t", comment_id=f"c{i}", posted_at=T0 + timedelta(hours=i), body="b"))
    newest = [x.comment_id for x in table.iterate_as(Comment, "comments_of_ticket", ticket_id="t", limit=1)]
    assert newest == ["c2", "c1", "c0"]
    both = table.ticket_with_comments(ticket_id="t")
    assert [type(x).__name__ for x in both.items] == ["Ticket", "Comment", "Comment", "Comment"]
    with pytest.raises(RequestError, match="posted_at"):
        table.delete(Comment, ticket_id="t", comment_id="c1")
    assert table.delete(Comment, ticket_id="t", comment_id="c1", posted_at=T0 + timedelta(hours=1))
    left = [x.comment_id for x in table.iterate_as(Comment, "comments_of_ticket", ticket_id="t")]
    assert left == ["c2", "c0"]


def test_app_machine_with_an_immutable_key_attribute() -> None:
    run_app_machine(thread, settings=machine_settings(max_examples=6, stateful_step_count=25))
