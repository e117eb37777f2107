"""Writes report what happened, under DynamoDB's token rule and with responses lost on the way back.

Engine: moto in process, with :class:`~dynamodel.testing.faults.DynamoRules` applying
DynamoDB's documented ClientRequestToken rule (moto ignores tokens) and dropping chosen
responses after the write was applied (botocore then retries, as it does on a real timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from dynamodel import App, ConditionFailedError, Entity, Get, Query, Write
from dynamodel.runtime.table import Table
from dynamodel.testing.faults import DynamoRules
from dynamodel.testing.inprocess import InProcessEngine, create_test_table


class Account(Entity, identity=("account_id",)):
    """Guarded (unique email), not a copy source: its items carry nothing that changes per call."""

    account_id: str
    email: str
    name: str


class Team(Entity, identity=("team_id",)):
    team_id: str
    member_count: int


class Membership(Entity, identity=("team_id", "user_id"), parent=Team):
    team_id: str
    user_id: str


class Note(Entity, identity=("note_id",)):
    """Unguarded: single-item writes without a transaction."""

    note_id: str
    text: str


truth = App(
    "truth",
    [Account, Team, Membership, Note],
    patterns=[
        Get(Account, by="account_id", name="get_account"),
        Get(Account, by="email", unique=True, name="account_by_email"),
        Get(Team, by="team_id", name="get_team"),
        Query(Membership, by="team_id", name="members"),
        Get(Note, by="note_id", name="get_note"),
        Write(Membership, increments={Team.member_count: 1}, name="join"),
    ],
)


@dataclass
class World:
    table: Table
    rules: DynamoRules


@pytest.fixture
def world() -> Iterator[World]:
    rules = DynamoRules()
    engine = InProcessEngine(rules=rules)
    client = engine.client()
    table = create_test_table(truth, client)
    yield World(table, rules)
    client.delete_table(TableName=table.name)


def _account(email: str = "ann@example.com", name: str = "Ann") -> Account:
    return Account(account_id="a1", email=email, name=name)


# ---- item 1: a token is unique per call ------------------------------------------------------


def test_recreating_a_guarded_entity_stores_it(world: World) -> None:
    t = world.table
    t.create(_account())
    assert t.delete(Account, account_id="a1") is True
    t.create(_account())
    assert t.get_account(account_id="a1") == _account(), "the second create was dropped as a replay"
    assert t.account_by_email(email="ann@example.com") == _account()


def test_rejoining_a_team_is_written(world: World) -> None:
    t = world.table
    t.create(Team(team_id="t1", member_count=0))
    t.join(Membership(team_id="t1", user_id="u1"))
    t.delete(Membership, team_id="t1", user_id="u1")
    t.join(Membership(team_id="t1", user_id="u1"))
    assert [m.user_id for m in t.members(team_id="t1").items] == ["u1"]
    team = t.get_team(team_id="t1")
    assert team is not None
    assert team.member_count == 2


# ---- item 2: a lost response is not reported as a refusal ------------------------------------


def test_create_whose_response_is_lost_succeeds(world: World) -> None:
    t = world.table
    world.rules.lose_next_response()
    t.create(Note(note_id="n1", text="hello"))
    assert world.rules.lost == 1
    assert t.get_note(note_id="n1") == Note(note_id="n1", text="hello")


def test_guarded_create_whose_response_is_lost_succeeds(world: World) -> None:
    t = world.table
    world.rules.lose_next_response()
    t.create(_account())
    assert world.rules.lost == 1
    assert t.get_account(account_id="a1") == _account()


def test_update_whose_response_is_lost_succeeds(world: World) -> None:
    t = world.table
    note = t.create(Note(note_id="n1", text="hello"))
    world.rules.lose_next_response()
    t.update(_edited(note, "bye"))
    assert world.rules.lost == 1
    stored = t.get_note(note_id="n1")
    assert stored is not None
    assert stored.text == "bye"
    t.update(_edited(stored, "again"))  # the version the runtime reported is the stored one


def _edited(note: Note, text: str) -> Note:
    note.text = text  # validate_assignment keeps the instance (and its remembered version)
    return note


def test_put_whose_response_is_lost_bumps_the_version_once(world: World) -> None:
    t = world.table
    t.put(Note(note_id="n1", text="a"))
    world.rules.lose_next_response()
    t.put(Note(note_id="n1", text="b"))
    stored = t.get_note(note_id="n1")
    assert stored is not None
    assert stored.text == "b"
    t.update(_edited(stored, "c"), expected_version=2)


def test_delete_whose_response_is_lost_says_it_deleted(world: World) -> None:
    t = world.table
    t.create(Note(note_id="n1", text="hello"))
    world.rules.lose_next_response()
    assert t.delete(Note, note_id="n1") is True
    assert world.rules.lost == 1
    assert t.delete(Note, note_id="n1") is False


def test_guarded_delete_whose_response_is_lost_says_it_deleted(world: World) -> None:
    t = world.table
    t.create(_account())
    world.rules.lose_next_response()
    assert t.delete(Account, account_id="a1") is True
    assert t.get_account(account_id="a1") is None


# ---- item 3: optimistic locking knows an item's birth ----------------------------------------


def test_stale_instance_of_a_deleted_item_cannot_overwrite_its_successor(world: World) -> None:
    t = world.table
    t.create(_account())
    stale = t.get_account(account_id="a1")
    assert stale is not None
    t.delete(Account, account_id="a1")
    t.create(_account(email="bo@example.com", name="Bo"))
    stale.name = "Ann again"
    with pytest.raises(ConditionFailedError):
        t.update(stale)
    assert t.get_account(account_id="a1") == _account(email="bo@example.com", name="Bo")
    assert t.account_by_email(email="bo@example.com") is not None, "the successor's email guard was released"


def test_stale_unguarded_instance_cannot_overwrite_its_successor(world: World) -> None:
    t = world.table
    stale = t.create(Note(note_id="n1", text="old"))
    t.delete(Note, note_id="n1")
    t.create(Note(note_id="n1", text="new"))
    with pytest.raises(ConditionFailedError):
        t.update(_edited(stale, "stale"))
    with pytest.raises(ConditionFailedError):
        t.delete(stale)
    assert t.get_note(note_id="n1") == Note(note_id="n1", text="new")


# ---- item 7: the in-process engine is linearizable -------------------------------------------


def _race(table: Table, round_: int, writers: int = 6) -> list[str]:
    """``writers`` threads create accounts with one email at once; returns who succeeded."""
    winners: list[str] = []
    barrier = threading.Barrier(writers)

    def claim(i: int) -> None:
        barrier.wait()
        try:
            table.create(Account(account_id=f"r{round_}-{i}", email=f"x{round_}@e", name="n"))
        except ConditionFailedError:
            return
        winners.append(f"r{round_}-{i}")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return winners


def test_one_of_many_concurrent_writers_takes_a_unique_email(world: World) -> None:
    # Without the engine's lock, 30 rounds of 6 writers let 2-3 take one email (measured).
    for round_ in range(30):
        winners = _race(world.table, round_)
        assert len(winners) == 1, f"round {round_}: {winners} all took one email"


# ---- item 13: an entity the app does not declare ---------------------------------------------


class Stranger(Entity, identity=("stranger_id",)):
    stranger_id: str


def test_an_undeclared_entity_is_unknown_entity_at_run_time(world: World) -> None:
    from dynamodel.errors import RequestError, UnknownEntityError

    for call in (
        lambda: world.table.create(Stranger(stranger_id="s1")),
        lambda: world.table.delete(Stranger, stranger_id="s1"),
    ):
        with pytest.raises(UnknownEntityError) as info:
            call()
        assert info.value.code == "unknown-entity"
        assert isinstance(info.value, RequestError), "callers catching RequestError still catch it"
