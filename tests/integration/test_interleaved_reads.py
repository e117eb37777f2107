"""Interleaved collections end to end: one Query returns two entity types in one date order.

"A user's unread replies across issue comments and pull-request comments, newest first, in a
time window": both types share one partition and one sort-key format that starts with the
date, so pages, cursors and range conditions work across them; marking a reply read takes it
out of the sparse index. Then the AppMachine writes and reads the same app at random.

Engine assumed: moto in process (``InProcessEngine``), one fresh table per test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from dynamodel import App, Entity, Get, Query
from dynamodel.testing import Oracle, check_result, run_app_machine
from dynamodel.testing.inprocess import create_test_table, default_client_factory
from dynamodel.testing.machine import machine_settings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


class IssueComment(Entity, identity=("comment_id",)):
    comment_id: str
    recipient_id: str
    created_at: datetime
    unread: bool
    body: str


class PRComment(Entity, identity=("comment_id",)):
    comment_id: str
    recipient_id: str
    created_at: datetime
    unread: bool
    body: str


replies = App(
    "replies",
    [IssueComment, PRComment],
    patterns=[
        Get(IssueComment, by="comment_id", name="get_issue_comment"),
        Get(PRComment, by="comment_id", name="get_pr_comment"),
        Query(
            IssueComment,
            by="recipient_id",
            where={"unread": True},
            sort="created_at",
            order="desc",
            range="between",
            include=[PRComment],
            name="unread_replies",
        ),
    ],
)


def _load(table: Any, oracle: Oracle) -> list[Entity]:
    written: list[Entity] = []
    for i in range(10):
        cls = IssueComment if i % 3 else PRComment
        # equal instants in other offsets and hours in a different text order than their order
        at = (T0 + timedelta(hours=i * 3 % 7)).astimezone(timezone(timedelta(hours=-(i % 4))))
        values = {
            "comment_id": f"c{i}",
            "recipient_id": "ann" if i % 5 else "bob",
            "created_at": at,
            "unread": i != 4,
            "body": "#$",
        }
        written.append(table.create(cls.model_validate(values)))
        oracle.put(cls.__name__, values)
    return written


def _read(table: Any, args: dict[str, Any], limit: int) -> list[tuple[str, dict[str, Any]]]:
    return [(type(x).__name__, x.model_dump()) for x in table.iterate("unread_replies", limit=limit, **args)]


def test_one_query_pages_through_both_types_newest_first_in_a_window() -> None:
    table = create_test_table(replies, default_client_factory("dynamodb"))
    oracle = Oracle(replies.spec)
    _load(table, oracle)
    windows: list[dict[str, Any]] = [
        {},
        {"lo": T0 + timedelta(hours=1), "hi": T0 + timedelta(hours=4)},
        {"lo": T0 + timedelta(hours=3)},
        {"hi": T0 + timedelta(hours=2)},
        {"lo": T0 + timedelta(hours=9), "hi": T0 + timedelta(hours=10)},
    ]
    for window in windows:
        args = {"recipient_id": "ann", **window}
        oracle_args = {
            "recipient_id": "ann",
            "lo": window.get("lo", T0 - timedelta(days=1)),
            "hi": window.get("hi", T0 + timedelta(days=1)),
        }
        want = oracle.answer("unread_replies", oracle_args)
        for limit in (1, 2, 5):
            got = _read(table, args, limit)
            check_result(oracle, "unread_replies", oracle_args, got)
            assert len(got) == len(want)
    page = table.unread_replies(recipient_id="ann")
    assert {type(x).__name__ for x in page.items} == {"IssueComment", "PRComment"}
    kinds = [type(x).__name__ for x in page.items]
    assert kinds != sorted(kinds)
    assert kinds != sorted(kinds, reverse=True)
    assert page.requests == 1


def test_a_reply_marked_read_leaves_the_list() -> None:
    table = create_test_table(replies, default_client_factory("dynamodb"))
    oracle = Oracle(replies.spec)
    written = _load(table, oracle)
    first = table.unread_replies(recipient_id="ann", limit=1).items[0]
    table.update(first.model_copy(update={"unread": False}))
    values = first.model_dump() | {"unread": False}
    oracle.put(type(first).__name__, values)
    got = _read(table, {"recipient_id": "ann"}, 3)
    assert first.model_dump()["comment_id"] not in {v["comment_id"] for _, v in got}
    check_result(
        oracle,
        "unread_replies",
        {"recipient_id": "ann", "lo": T0 - timedelta(days=1), "hi": T0 + timedelta(days=1)},
        got,
    )
    assert len(written) == 10


def test_app_machine_on_interleaved_replies() -> None:
    run_app_machine(replies, settings=machine_settings(max_examples=8, stateful_step_count=25))
