"""Write patterns that delete: "delete a comment and decrement the ticket's count", atomically.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP, a fresh
table per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from access_patterns.tickets import Comment, Tenant, Ticket, User, tickets
from dynamodel import App, Entity, Get, Write
from dynamodel.errors import ConditionFailedError, RequestError
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _ticket_with_comments(table: Table, n: int) -> list[Comment]:
    table.create(Tenant(tenant_id="acme", name="Acme"))
    table.create(User(user_id="u1", tenant_id="acme", email="ann@acme.test", name="Ann"))
    table.create(
        Ticket(
            ticket_id="t1",
            tenant_id="acme",
            title="Printer on fire",
            status="OPEN",
            reporter_id="u1",
            created_at=T0,
            comment_count=0,
        )
    )
    out = []
    for i in range(n):
        comment = Comment(
            ticket_id="t1", comment_id=f"c{i}", author_id="u1", posted_at=T0 + timedelta(minutes=i), body="hi"
        )
        out += table.add_comment(comment)
    return out


def _count(table: Table) -> int:
    ticket = table.get_ticket(ticket_id="t1")
    assert ticket is not None
    return int(ticket.comment_count)


def _comment_ids(table: Table) -> list[str]:
    return [c.comment_id for c in table.comments_of_ticket(ticket_id="t1").items]


@contextmanager
def _operations(table: Table) -> Iterator[list[str]]:
    """The DynamoDB operations the table's client sends inside the block."""
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    events = table.client.meta.events
    events.register("before-call.dynamodb", record)
    try:
        yield sent
    finally:
        events.unregister("before-call.dynamodb", record)


def test_delete_comment_deletes_and_decrements_in_one_transaction(make_table: MakeTable) -> None:
    table = make_table(tickets)
    c0, _c1, _c2 = _ticket_with_comments(table, 3)
    assert _count(table) == 3
    with _operations(table) as sent:
        assert table.delete_comment(c0) == []
    assert sent == ["TransactWriteItems"]
    assert (_comment_ids(table), _count(table)) == (["c1", "c2"], 2)
    # By key, positionally or by the entity's keyword (the key holds the immutable posted_at).
    table.delete_comment({"ticket_id": "t1", "comment_id": "c1", "posted_at": T0 + timedelta(minutes=1)})
    table.delete_comment(
        comment={"ticket_id": "t1", "comment_id": "c2", "posted_at": T0 + timedelta(minutes=2)}
    )
    assert (_comment_ids(table), _count(table)) == ([], 0)
    assert "keys as comment={key attributes} or positionally" in (table.delete_comment.__doc__ or "")


def test_a_missing_comment_refuses_the_whole_transaction(make_table: MakeTable) -> None:
    table = make_table(tickets)
    (c0,) = _ticket_with_comments(table, 1)
    table.delete_comment(c0)
    with pytest.raises(
        ConditionFailedError, match=r"Comment\(ticket_id='t1', comment_id='c0'\) does not exist"
    ):
        table.delete_comment(c0)
    with pytest.raises(ConditionFailedError, match="Nothing was written"):
        table.delete_comment({"ticket_id": "t1", "comment_id": "nope", "posted_at": T0})
    assert _count(table) == 0  # never decremented for a comment that was not there


def test_a_missing_ticket_refuses_and_keeps_the_comment(make_table: MakeTable) -> None:
    table = make_table(tickets)
    (c0,) = _ticket_with_comments(table, 1)
    table.delete(Ticket, ticket_id="t1")
    with pytest.raises(ConditionFailedError, match="Ticket to increment"):
        table.delete_comment(c0)
    assert _comment_ids(table) == ["c0"]


def test_a_stale_instance_is_refused(make_table: MakeTable) -> None:
    table = make_table(tickets)
    (c0,) = _ticket_with_comments(table, 1)
    table.update(c0.model_copy(update={"body": "edited"}))
    with pytest.raises(ConditionFailedError, match="changed since it was read"):
        table.delete_comment(c0)
    assert (_comment_ids(table), _count(table)) == (["c0"], 1)


def test_an_instance_returned_by_put_can_be_deleted(make_table: MakeTable) -> None:
    # put() once remembered "stored without a birth" for the item it returned (moto answers
    # UPDATED_NEW without the _born an if_not_exists kept), so its delete was refused.
    table = make_table(tickets)
    (c0,) = _ticket_with_comments(table, 1)
    replaced = table.put(c0.model_copy(update={"body": "edited"}))
    table.delete_comment(replaced)
    assert (_comment_ids(table), _count(table)) == ([], 0)


@pytest.mark.parametrize(
    ("call", "needle", "fix"),
    [
        (lambda t: t.delete_comment(), "nothing to write", "pass the Comment it deletes"),
        (lambda t: t.delete_comment({"ticket_id": "t1"}), "must be the key", "or a Comment instance"),
        (
            lambda t: t.delete_comment({"ticket_id": "t1", "comment_id": "c0", "posted_at": T0, "body": "x"}),
            "must be the key",
            "or a Comment instance",
        ),
        (
            lambda t: t.delete_comment(ticket={"ticket_id": "t1"}),
            "which entity's key",
            "keys by keyword: comment=",
        ),
        (
            lambda t: t.delete_comment(Tenant(tenant_id="acme", name="Acme")),
            "is a Tenant",
            "pass Comment instances",
        ),
        (lambda t: t.delete_comment("c0"), "is str", "pass Comment instances"),
        (
            lambda t: t.delete_comment(
                {"ticket_id": "t1", "comment_id": "c0", "posted_at": T0},
                {"ticket_id": "t1", "comment_id": "c0", "posted_at": T0},
            ),
            "twice",
            "pass each item once",
        ),
    ],
)
def test_bad_calls_are_request_errors_and_change_nothing(
    make_table: MakeTable, call: Callable[[Table], object], needle: str, fix: str
) -> None:
    table = make_table(tickets)
    _ticket_with_comments(table, 1)
    with pytest.raises(RequestError, match=needle) as exc:
        call(table)
    assert fix in (exc.value.hint or ""), exc.value.hint
    assert (_comment_ids(table), _count(table)) == (["c0"], 1)


# A guarded entity: its unique email is released in the same transaction.


class Club(Entity, identity=("club_id",)):
    club_id: str
    members: int


class Member(Entity, identity=("member_id",), parent=Club, unique=("email",)):
    member_id: str
    club_id: str
    email: str


club = App(
    "club",
    [Club, Member],
    patterns=[
        Get(Club, by="club_id", name="get_club"),
        Get(Member, by="email", unique=True, name="member_by_email"),
        Write(Member, increments={Club.members: 1}, name="join"),
        Write(deletes=[Member], increments={Club.members: -1}, name="leave"),
    ],
)


def test_leaving_releases_the_unique_email_and_decrements(make_table: MakeTable) -> None:
    table = make_table(club)
    table.create(Club(club_id="k1", members=0))
    (ann,) = table.join(Member(member_id="m1", club_id="k1", email="ann@club.test"))
    assert club.design.plan("leave").requests == 2  # the read of the member, then the transaction
    with _operations(table) as sent:
        table.leave(ann)
    assert sent == ["GetItem", "TransactWriteItems"]
    assert table.member_by_email(email="ann@club.test") is None
    club_now = table.get_club(club_id="k1")
    assert club_now is not None
    assert club_now.members == 0
    # The email is free again: someone else may take it.
    table.join(Member(member_id="m2", club_id="k1", email="ann@club.test"))
    with pytest.raises(ConditionFailedError, match="does not exist"):
        table.leave({"member_id": "m1"})
    assert table.get_club(club_id="k1") == Club(club_id="k1", members=1)


# The machine's model of delete patterns predicts what the runtime does.


class Note(Entity, identity=("club_id", "note_id"), parent=Club):
    club_id: str
    note_id: str
    text: str


board = App(
    "board",
    [Club, Member, Note],
    patterns=[
        Get(Club, by="club_id", name="get_club"),
        Get(Member, by="email", unique=True, name="member_by_email"),
        Write(deletes=[Member], increments={Club.members: -1}, name="leave"),
        Write(deletes=[Note, Member], increments={Club.members: -1}, name="purge"),
        Write(deletes=[Note], name="drop_note"),
    ],
)
FORMS = ("key", "instance", "stale")


@pytest.fixture(scope="module")
def inprocess() -> Any:
    from dynamodel.testing.inprocess import InProcessEngine

    return InProcessEngine().client()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    pattern=st.sampled_from(["leave", "purge", "drop_note"]),
    picks=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3), st.sampled_from(FORMS)), max_size=3),
    explicit=st.sampled_from([None, "k1", "k9"]),
)
def test_the_model_predicts_the_runtime(
    inprocess: Any, pattern: str, picks: list[tuple[int, int, str]], explicit: str | None
) -> None:
    from dynamodel.runtime.pattern_deletes import delete_keyword
    from dynamodel.testing.inprocess import create_test_table
    from dynamodel.testing.mirror import Model, PlannedDelete

    table = create_test_table(board, inprocess, cursor_secret=b"s" * 32)
    model = Model(board)
    rows: list[Entity] = [
        Club(club_id="k1", members=2),
        Member(member_id="m0", club_id="k1", email="a@x"),
        Member(member_id="m1", club_id="k1", email="b@x"),
        Member(member_id="m2", club_id="k2", email="c@x"),  # its club does not exist
        Note(club_id="k1", note_id="n0", text="t"),
        Note(club_id="k2", note_id="n1", text="t"),
    ]
    for row in rows:
        table.create(row)
        model.store(type(row).__name__, dict(row), 1)
    pat = board.spec.pattern(pattern)
    # The runtime takes positional arguments first, then keywords in order: so does the model.
    positional: list[PlannedDelete] = []
    by_keyword: dict[str, list[PlannedDelete]] = {}
    args: list[object] = []
    kwargs: dict[str, list[object]] = {}
    for which, n, form in picks:
        entity = pat.deletes[which % len(pat.deletes)]
        key = (
            {"member_id": f"m{n}"} if entity == "Member" else {"club_id": f"k{1 + n % 2}", "note_id": f"n{n}"}
        )
        got = table.batch_get(board.models[entity], [key])[0]
        if form == "key" or got is None:
            if len(pat.deletes) == 1:
                positional.append(PlannedDelete(entity, key))
                args.append(key)
            else:
                by_keyword.setdefault(delete_keyword(entity), []).append(PlannedDelete(entity, key))
                kwargs.setdefault(delete_keyword(entity), []).append(key)
            continue
        version = Table.version_of(got)
        if form == "stale":
            table.update(got.model_copy())  # the item moves on; `got` is now stale
            stored = model.find(entity, dict(got))
            assert stored is not None
            model.store(entity, stored, model.version(entity, stored) + 1)
        positional.append(PlannedDelete(entity, dict(got), instance=True, version=version))
        args.append(got)
    planned = positional + [d for ds in by_keyword.values() for d in ds]
    targets = {"Club": {"club_id": explicit}} if explicit and pat.increments else None
    if targets:
        kwargs["club_key"] = [targets["Club"]]
    outcome, bumped = model.predict_deletes(pat, planned, targets)
    try:
        table.write(pattern, *args, **{k: v[0] if k == "club_key" else v for k, v in kwargs.items()})
        got_outcome = "ok"
    except ConditionFailedError:
        got_outcome = "condition"
    except RequestError:
        got_outcome = "request"
    event(f"{pattern}: {outcome}")
    assert got_outcome == outcome, (pattern, planned, targets)
    if outcome == "ok":
        model.apply_deletes(planned, bumped)
    for entity, keys in (("Club", ["k1"]), ("Member", ["m0", "m1", "m2", "m3"])):
        attr = "club_id" if entity == "Club" else "member_id"
        stored_now = table.batch_get(board.models[entity], [{attr: k} for k in keys])
        want = [model.oracle.get(entity, {attr: k}) for k in keys]
        assert [None if s is None else dict(s) for s in stored_now] == want


def test_the_app_machine_runs_delete_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    from dynamodel.testing import run_app_machine
    from dynamodel.testing.machine import machine_settings
    from dynamodel.testing.mirror import Model

    outcomes: list[str] = []
    predict = Model.predict_deletes

    def counting(self: Model, *args: Any, **kwargs: Any) -> Any:
        found = predict(self, *args, **kwargs)
        outcomes.append(found[0])
        return found

    monkeypatch.setattr(Model, "predict_deletes", counting)
    run_app_machine(board, settings=machine_settings(max_examples=8, database=None, derandomize=True))
    assert "ok" in outcomes
    assert len(set(outcomes)) >= 2  # refusals too
