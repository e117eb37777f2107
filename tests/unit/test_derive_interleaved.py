"""Multi-entity queries where several members carry the sort attribute.

A member whose identity the pattern's equality attributes fix (the ticket of "a ticket and its
comments") returns at most one item, so the sort cannot order it: it is a block, like a member
without the attribute. Members that are lists and all carry the sort attribute are interleaved.
"""

from __future__ import annotations

import datetime as dt

from dynamodel.design import derive
from dynamodel.spec import AppSpec
from dynamodel.spec_file import parse_spec_text
from dynamodel.testing import Oracle, check_result

TICKETS = """
app: t
entities:
  Ticket:
    identity: [ticket_id]
    attributes: {ticket_id: str, created_at: datetime, title: str}
  Comment:
    identity: [ticket_id, comment_id]
    parent: Ticket
    attributes: {ticket_id: str, comment_id: str, created_at: datetime, body: str}
patterns:
"""
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def tickets(*patterns: str) -> AppSpec:
    return parse_spec_text(TICKETS + "".join(f"  - {p}\n" for p in patterns))


def test_parent_with_the_same_sort_attribute_is_a_block_not_a_conflict() -> None:
    app = tickets("{name: thread, query: [Ticket, Comment], by: [ticket_id], sort: created_at, order: desc}")
    d = derive(app)
    plan = d.plan("thread")
    assert plan.operation == "Query"
    comment = d.keys_for("Comment", plan.index)
    ticket = d.keys_for("Ticket", plan.index)
    assert comment is not None
    assert ticket is not None
    assert comment.sk.attrs()[0] == "created_at"
    assert "created_at" not in ticket.sk.attrs()
    # read backwards, the ticket's block comes first
    assert ticket.tag + "#" > comment.tag + "#"
    assert "Comment sorted by created_at" in plan.reason


def test_oracle_puts_the_fixed_parent_first_and_sorts_the_comments() -> None:
    app = tickets("{name: thread, query: [Ticket, Comment], by: [ticket_id], sort: created_at, order: desc}")
    o = Oracle(app)
    # the ticket's created_at lies between its comments': interleaving would put it in the middle
    o.put("Ticket", {"ticket_id": "t", "created_at": T0 + dt.timedelta(days=1), "title": "x"})
    for i in range(3):
        o.put(
            "Comment",
            {"ticket_id": "t", "comment_id": f"c{i}", "created_at": T0 + dt.timedelta(days=i), "body": ""},
        )
    got = o.answer("thread", {"ticket_id": "t"})
    assert [(e, v.get("comment_id")) for e, v in got] == [
        ("Ticket", None),
        ("Comment", "c2"),
        ("Comment", "c1"),
        ("Comment", "c0"),
    ]
    check_result(o, "thread", {"ticket_id": "t"}, got)
