"""Multi-entity queries where several members carry the sort attribute.

A member whose identity the pattern's equality attributes fix (the ticket of "a ticket and its
comments") returns at most one item, so the sort cannot order it: it is a block, like a member
without the attribute. Members that are lists and all carry the sort attribute are interleaved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dynamodel.compile import build_query_request, derived_keys
from dynamodel.design import derive
from dynamodel.errors import CollectionConflictError, UnsatisfiablePatternError
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


REPLIES = """
app: replies
entities:
  Inbox:
    identity: [recipient_id]
    attributes: {recipient_id: str, unread_count: int}
  IssueComment:
    identity: [comment_id]
    attributes: {comment_id: str, recipient_id: str, created_at: datetime, unread: bool, body: str}
  PRComment:
    identity: [comment_id]
    attributes: {comment_id: str, recipient_id: str, created_at: datetime, unread: bool, body: str}
patterns:
  - {name: get_inbox, get: Inbox, by: [recipient_id]}
"""
UNREAD = (
    "{name: unread_replies, query: [IssueComment, PRComment], by: [recipient_id], where: {unread: true},"
    " sort: created_at, order: desc, range: RANGE}"
)


def replies(*patterns: str) -> AppSpec:
    return parse_spec_text(REPLIES + "".join(f"  - {p}\n" for p in patterns))


@pytest.mark.parametrize("op", ["between", "lt", "lte", "gt", "gte", "eq"])
def test_members_sorted_by_one_attribute_are_interleaved_in_one_query(op: str) -> None:
    d = derive(replies(UNREAD.replace("RANGE", op)))
    plan = d.plan("unread_replies")
    assert (plan.operation, plan.requests, plan.uses_filter, plan.uses_scan) == ("Query", 1, False, False)
    issue = d.keys_for("IssueComment", plan.index)
    pr = d.keys_for("PRComment", plan.index)
    assert issue is not None
    assert pr is not None
    assert issue.pk.pattern() == pr.pk.pattern()
    # the shared attribute leads; the tag after it keeps keys of two types apart
    assert issue.sk.pattern() == "{created_at}#ISSUE_COMMENT#{comment_id}#"
    assert pr.sk.pattern() == "{created_at}#PR_COMMENT#{comment_id}#"
    assert issue.sparse == pr.sparse == (("unread", True),)
    assert "interleaved by created_at" in plan.reason


def test_a_member_list_of_its_own_never_reads_an_interleaved_partition() -> None:
    # The interleaved keys start with the date, not the entity tag: a query of issue comments
    # alone there would read pull-request comments too, so it gets its own layout.
    d = derive(
        replies(
            UNREAD.replace("RANGE", "between"),
            "{name: issue_replies, query: IssueComment, by: [recipient_id], where: {unread: true}, sort: created_at}",
        )
    )
    assert d.plan("issue_replies").index != d.plan("unread_replies").index
    own = d.keys_for("IssueComment", d.plan("issue_replies").index)
    assert own is not None
    assert own.sk.pattern().startswith("ISSUE_COMMENT#")


def test_an_interleaved_partition_holds_no_other_entity() -> None:
    d = derive(
        replies(
            UNREAD.replace("RANGE", "between"),
            "{name: inbox_with_issue_replies, query: [Inbox, IssueComment], by: [recipient_id]}",
        )
    )
    assert d.plan("inbox_with_issue_replies").index != d.plan("unread_replies").index


def test_a_block_member_cannot_share_an_interleaved_partition() -> None:
    # the inbox is one item (its identity is fixed), so it would be a block among interleaved lists
    with pytest.raises(CollectionConflictError, match="Inbox") as info:
        derive(
            replies(
                "{name: r, query: [Inbox, IssueComment, PRComment], by: [recipient_id], sort: created_at}"
            )
        )
    assert info.value.hint is not None
    assert "separately" in info.value.hint


def test_a_range_over_a_block_member_names_the_member_that_would_fall_outside() -> None:
    with pytest.raises(UnsatisfiablePatternError, match="Inbox"):
        derive(
            replies(
                "{name: r, query: [Inbox, IssueComment], by: [recipient_id], sort: created_at, range: gte}"
            )
        )


def test_oracle_interleaves_and_check_result_wants_one_order_across_types() -> None:
    app = replies(UNREAD.replace("RANGE", "between"))
    o = Oracle(app)
    for i in range(4):
        entity = "IssueComment" if i % 2 else "PRComment"
        o.put(
            entity,
            {
                "comment_id": f"c{i}",
                "recipient_id": "u",
                "created_at": T0 + dt.timedelta(days=i),
                "unread": True,
                "body": "",
            },
        )
    args = {"recipient_id": "u", "lo": T0, "hi": T0 + dt.timedelta(days=2)}
    got = o.answer("unread_replies", args)
    assert [(e, v["comment_id"]) for e, v in got] == [
        ("PRComment", "c2"),
        ("IssueComment", "c1"),
        ("PRComment", "c0"),
    ]
    check_result(o, "unread_replies", args, got)
    by_type = sorted(got, key=lambda row: row[0])  # blocks per type: the old, wrong order
    with pytest.raises(AssertionError, match="order"):
        check_result(o, "unread_replies", args, by_type)


def _key_condition_holds(request: dict[str, Any], item: dict[str, str]) -> bool:
    """DynamoDB's KeyConditionExpression, for the forms the request builders write."""
    names, vals = request["ExpressionAttributeNames"], request["ExpressionAttributeValues"]
    pk, sk = item.get(names["#pk"]), item.get(names.get("#sk", ""))
    expr: str = request["KeyConditionExpression"]
    assert all(x["S"] for x in vals.values()), "DynamoDB refuses empty key condition values"
    if pk != vals[":pk"]["S"]:
        return False
    rest = expr.removeprefix("#pk = :pk")
    if not rest:
        return True
    assert sk is not None
    if rest == " AND begins_with(#sk, :sk)":
        return sk.startswith(vals[":sk"]["S"])
    if rest == " AND #sk BETWEEN :lo AND :hi":
        return bool(vals[":lo"]["S"] <= sk <= vals[":hi"]["S"])
    op = rest.removeprefix(" AND #sk ").removesuffix(" :sk")
    v: str = vals[":sk"]["S"]
    return bool({"<": sk < v, "<=": sk <= v, ">=": sk >= v}[op])


WORDS = ["", "a", "a#", "ab", "b", "$", "ISSUE_COMMENT#"]
DAYS = [T0 + dt.timedelta(hours=h) for h in (-30, 0, 0, 5, 48)]


@settings(max_examples=150)
# nothing sorts below the empty string: a bound of "" must select nothing, and is not sent empty
@example(
    kind="str", rows=[("PRComment", 6, "u"), ("IssueComment", 0, "u")], order="asc", op="lt", bounds=(0, 0)
)
@given(
    kind=st.sampled_from(["datetime", "str"]),
    rows=st.lists(
        st.tuples(
            st.sampled_from(["IssueComment", "PRComment"]), st.integers(0, 4), st.sampled_from(["u", "v"])
        ),
        max_size=12,
    ),
    order=st.sampled_from(["asc", "desc"]),
    op=st.sampled_from(["between", "lt", "lte", "gt", "gte", "eq", "begins_with", None]),
    bounds=st.tuples(st.integers(0, 6), st.integers(0, 6)),
)
def test_one_query_returns_the_interleaved_items_in_order(
    kind: str, rows: list[tuple[str, int, str]], order: str, op: str | None, bounds: tuple[int, int]
) -> None:
    if op == "begins_with" and kind != "str":
        op = "gte"
    text = REPLIES.replace("created_at: datetime", f"created_at: {kind}")
    rng = "" if op is None else f", range: {op}"
    app = parse_spec_text(
        text
        + f"  - {{name: r, query: [IssueComment, PRComment], by: [recipient_id], sort: created_at, order: {order}{rng}}}\n"
    )
    design = derive(app)
    plan = design.plan("r")
    o = Oracle(app)
    stored: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    for i, (entity, v, recipient) in enumerate(rows):
        created = DAYS[v] if kind == "datetime" else WORDS[v]
        values = {
            "comment_id": f"c{i}",
            "recipient_id": recipient,
            "created_at": created,
            "unread": True,
            "body": "",
        }
        o.put(entity, values)
        stored.append((entity, values, derived_keys(design, entity, values)[0]))
    pool = DAYS if kind == "datetime" else WORDS
    lo, hi = sorted(pool[b % len(pool)] for b in bounds)
    args: dict[str, Any] = {"recipient_id": "u"}
    if op == "between":
        args |= {"lo": lo, "hi": hi}
    elif op is not None:
        args["value"] = pool[bounds[0] % len(pool)]
    request = build_query_request(design, "r", args, "t")
    ix = design.index(plan.index)
    hits = [(e, v, k) for e, v, k in stored if _key_condition_holds(request, k)]
    hits.sort(key=lambda h: h[2][ix.sort_key], reverse=not request["ScanIndexForward"])
    check_result(o, "r", args, [(e, v) for e, v, _ in hits])
