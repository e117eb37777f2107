"""The migration runner on the embedded engine: fill, resume, lease, conflicts, duplicates, dry run.

Engine assumed: moto in process (``InProcessEngine``), a fresh table per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dynamodel import App, Entity, Get, Query
from dynamodel.design import design_to_dict
from dynamodel.errors import IndexFillingError, MigrationError
from dynamodel.layout import MIGRATION_TYPE
from dynamodel.migrate.diff import diff_designs, spec_operations
from dynamodel.migrate.ops import FillIndexKeys, RekeyEntity, Transform
from dynamodel.migrate.revisions import Revision
from dynamodel.migrator import MigrationRunner
from dynamodel.migrator.checks import drift, verify
from dynamodel.migrator.worker import SegmentJob, item_type_of, run_segment
from dynamodel.testing.inprocess import InProcessEngine, new_stage
from dynamodel.testing.stored_checks import scan_table


class Member(Entity, identity=("member_id",)):
    """A club member."""

    member_id: str
    handle: str
    city: str
    level: int


V1 = App("club", [Member], patterns=[Get(Member, by="member_id", name="get_member")])
V2 = App(
    "club",
    [Member],
    patterns=[
        Get(Member, by="member_id", name="get_member"),
        Query(Member, by="city", sort="level", name="members_in_city"),
        Get(Member, by="handle", unique=True, name="member_by_handle"),
    ],
    baseline=V1,
)


def _revision(old: App, new: App, rev: str = "r1", parent: str | None = None) -> Revision:
    ops = diff_designs(design_to_dict(old.design), design_to_dict(new.design))
    return Revision(rev, parent, f"{old.name} {rev}", tuple(ops), Path(f"{rev}.py"))


@pytest.fixture
def client() -> Any:
    return InProcessEngine().client()


@pytest.fixture
def table(client: Any) -> Iterator[str]:
    name = f"club-{new_stage()}"
    client.create_table(**V1.to_create_table(name))
    yield name
    client.delete_table(TableName=name)


def _load(client: Any, table: str, n: int, *, handles: Callable[[int], str] = lambda i: f"h{i}") -> None:
    old = V1.connect(table, client, cursor_secret=b"k" * 32)
    for i in range(n):
        old.put(Member(member_id=f"m{i:03d}", handle=handles(i), city=f"c{i % 3}", level=i % 7))


def _runner(client: Any, table: str, **options: Any) -> MigrationRunner:
    settings: dict[str, Any] = {"segments": 3, "workers": 2, "page_size": 7, **options}
    return MigrationRunner(client, table, V2.design, [_revision(V1, V2)], **settings)


def _entity_items(client: Any, table: str) -> list[dict[str, Any]]:
    return [i for i in scan_table(client, table) if i["_type"]["S"] == "Member"]


def test_up_fills_every_item_and_a_second_run_writes_nothing(client: Any, table: str) -> None:
    _load(client, table, 40)
    assert verify(client, table, V2.design).problems  # before: the new keys and guards are missing
    (report,) = _runner(client, table).up()
    assert verify(client, table, V2.design).problems == []
    assert drift(client, table, design_to_dict(V2.design), V2.spec) == []
    written = {type(o.operation).__name__: o.written for o in report.ops}
    assert written["FillIndexKeys"] == 40
    assert written["FillGuards"] == 40
    # Served after the fill: every member of c1, in level order.
    new = V2.connect(table, client, cursor_secret=b"k" * 32)
    got = [m.member_id for m in new.members_in_city(city="c1")]
    want = sorted((f"m{i:03d}" for i in range(40) if i % 3 == 1), key=lambda m: (int(m[1:]) % 7, m))
    assert got == want
    # Applied and recorded: nothing is left to do, and running the fill again writes nothing.
    assert _runner(client, table).up() == []
    replay = [_revision(V1, V2), _revision(V1, V2, "r2", parent="r1")]  # the same steps once more
    before = _entity_items(client, table)
    again = MigrationRunner(client, table, V2.design, replay, segments=2)
    ops = {type(o.operation).__name__: o.written for o in again.up()[0].ops}
    assert ops["FillIndexKeys"] == 0
    assert ops["FillGuards"] == 0  # each guard was read back, found, and left alone
    assert _entity_items(client, table) == before


def test_down_after_up_gives_back_the_old_layout(client: Any, table: str) -> None:
    _load(client, table, 20)
    before = {i["PK"]["S"]: i for i in _entity_items(client, table)}
    runner = _runner(client, table)
    runner.up()
    runner.down()
    assert verify(client, table, V1.design).problems == []
    assert drift(client, table, design_to_dict(V1.design), V1.spec) == []
    after = {i["PK"]["S"]: i for i in _entity_items(client, table)}
    assert after == before  # the same items, attribute for attribute
    assert runner.status().applied == ()


class Crash(BaseException):
    """The runner's process dies (not an error any code would catch)."""


def _crash_after(client: Any, calls: int) -> Any:
    """A client that dies at its ``calls``-th request (of any kind) and stays dead."""
    state = {"left": calls}

    class Dying:
        def __getattr__(self, name: str) -> Any:
            real = getattr(client, name)
            if not callable(real) or name.startswith("_") or name == "meta":
                return real

            def call(*args: Any, **kwargs: Any) -> Any:
                state["left"] -= 1
                if state["left"] < 0:
                    raise Crash
                return real(*args, **kwargs)

            return call

    return Dying()


@pytest.mark.parametrize("calls", [3, 11, 29, 47, 80])
def test_a_runner_killed_anywhere_is_resumed_by_another_once_its_lease_expires(
    client: Any, table: str, calls: int
) -> None:
    _load(client, table, 30)
    now = [1000.0]
    dead = _runner(_crash_after(client, calls), table, owner="dead", lease_seconds=60, clock=lambda: now[0])
    with pytest.raises(Crash):
        dead.up()
    other = _runner(client, table, owner="other", lease_seconds=60, clock=lambda: now[0])
    if other.books.state() is not None:
        with pytest.raises(MigrationError, match="holds the lease"):
            other.up()
    now[0] += 61
    other.up()
    assert verify(client, table, V2.design).problems == []
    assert [a.revision for a in other.status().applied] == ["r1"]
    assert other.books.state() is None


def test_a_runner_that_lost_its_lease_records_nothing(client: Any, table: str) -> None:
    _load(client, table, 10)
    now = [1000.0]
    zombie = _runner(client, table, owner="zombie", lease_seconds=60, clock=lambda: now[0])
    zombie.books.take_lease()
    now[0] += 61
    taker = _runner(client, table, owner="taker", lease_seconds=60, clock=lambda: now[0])
    taker.books.take_lease()
    from dynamodel.migrator.bookkeeping import Checkpoint

    with pytest.raises(MigrationError, match="lost the lease"):
        zombie.books.save_checkpoint("run", 0, 0, Checkpoint(None, True, 10, 10, 10))
    assert taker.books.checkpoint("run", 0, 0) == Checkpoint()


def test_an_application_write_between_scan_and_fill_is_never_overwritten(client: Any, table: str) -> None:
    _load(client, table, 12)
    new = V2.connect(table, client, cursor_secret=b"k" * 32, while_filling="partial")
    moved: list[str] = []

    class Racing:
        """Before the runner's first write to each of two items, the application moves it."""

        def __getattr__(self, name: str) -> Any:
            real = getattr(client, name)
            if name != "update_item":
                return real

            def update_item(**kwargs: Any) -> Any:
                key = kwargs["Key"]["PK"]["S"]
                if len(moved) < 2 and key not in moved:
                    moved.append(key)
                    member = new.get_member(member_id=key.split("#")[1])
                    assert member is not None
                    new.put(member.model_copy(update={"city": "moved"}))
                return real(**kwargs)

            return update_item

    runner = MigrationRunner(client, table, V2.design, [_revision(V1, V2)], segments=1, page_size=5)
    runner.client = Racing()  # type: ignore[assignment]
    runner.books.client = client
    (report,) = runner.up()
    assert verify(client, table, V2.design).problems == []
    fills = next(o for o in report.ops if isinstance(o.operation, FillIndexKeys))
    assert fills.conflicts >= 2
    in_moved = {m.member_id for m in new.members_in_city(city="moved")}
    assert len(in_moved) == 2


def test_duplicates_stop_the_guard_fill_and_are_listed(client: Any, table: str) -> None:
    _load(client, table, 9, handles=lambda i: "same" if i in (2, 7) else f"h{i}")
    runner = _runner(client, table)
    with pytest.raises(MigrationError, match=r"cannot be made unique") as info:
        runner.up()
    assert "m002" in str(info.value)
    assert "m007" in str(info.value)
    assert runner.status().applied == ()
    # Fixed by the application (the new code is deployed), the next run finishes.
    new = V2.connect(table, client, cursor_secret=b"k" * 32, while_filling="partial")
    new.put(Member(member_id="m007", handle="h7", city="c1", level=0))
    runner.up()
    assert verify(client, table, V2.design).problems == []


def test_a_dry_run_writes_nothing_and_predicts_the_units(client: Any, table: str) -> None:
    _load(client, table, 25)
    before = scan_table(client, table)
    runner = _runner(client, table)
    (dry,) = runner.up(dry_run=True)
    assert scan_table(client, table) == before
    (real,) = runner.up()
    assert [(o.written, o.units, o.index_units) for o in dry.ops] == [
        (o.written, o.units, o.index_units) for o in real.ops
    ]
    fill = next(o for o in dry.ops if isinstance(o.operation, FillIndexKeys))
    assert fill.index_units == fill.written  # each small item enters the index once: one unit
    assert dry.units > 0
    assert "on demand" in dry.ops[-1].line(100.0)


def test_reads_of_a_filling_index_are_refused_until_the_fill_is_done(client: Any, table: str) -> None:
    _load(client, table, 15)
    refuse = V2.connect(table, client, cursor_secret=b"k" * 32)
    partial = V2.connect(table, client, cursor_secret=b"k" * 32, while_filling="partial")
    seen: list[str] = []

    def on_page(items: int, units: int) -> None:
        del items, units
        if not seen:
            assert refuse._session.gate is not None
            refuse._session.gate.ttl = 0
            with pytest.raises(IndexFillingError, match="members_in_city"):
                list(refuse.members_in_city(city="c0"))
            seen.append("refused")
            list(partial.members_in_city(city="c0"))  # allowed, possibly incomplete

    _runner(client, table, on_page=on_page, workers=1).up()
    assert seen == ["refused"]
    assert len(list(refuse.members_in_city(city="c0"))) == 5
    assert refuse.get_member(member_id="m001") is not None  # base-table reads never wait


def test_bad_input_is_refused_and_nothing_is_written(client: Any, table: str) -> None:
    _load(client, table, 5)
    before = scan_table(client, table)
    with pytest.raises(MigrationError, match="cannot reach table"):
        _runner(client, "no-such-table").up()
    with pytest.raises(MigrationError, match="--to"):
        _runner(client, table).up("nope")
    with pytest.raises(MigrationError, match="at least 1"):
        _runner(client, table, segments=0)
    assert scan_table(client, table) == before
    # A table whose history is not the files' (another app's table, or files lost).
    _runner(client, table).up()
    stranger = MigrationRunner(client, table, V2.design, [_revision(V1, V2, "other")])
    with pytest.raises(MigrationError, match="not in migrations/"):
        stranger.up()


def test_bookkeeping_items_are_invisible_to_patterns_and_checks(client: Any, table: str) -> None:
    _load(client, table, 6)
    _runner(client, table).up()
    kinds = {i["_type"]["S"] for i in scan_table(client, table)}
    assert MIGRATION_TYPE in kinds  # the applied revision is recorded in the table
    assert verify(client, table, V2.design).problems == []


class Pause(BaseException):
    """The runner stops after its first page (the operator, or a Step Functions execution)."""


def test_a_segment_runs_as_a_plain_function_called_until_done(client: Any, table: str) -> None:
    # What a Lambda function does under a Distributed Map: one call works a page (its time is
    # up), returns, and is called again; the checkpoint in the table carries it on.
    _load(client, table, 30)
    revision = _revision(V1, V2)

    def pause(items: int, units: int) -> None:
        raise Pause

    starter = _runner(client, table, owner="orchestrator", on_page=pause)
    with pytest.raises(Pause):
        starter.up()
    state = starter.books.state()
    assert state is not None
    op = next(
        n
        for n, o in enumerate(revision.operations)
        if item_type_of(o) and not starter.books.op_done(state.run, n)
    )
    calls = 0
    for segment in range(state.segments):
        job = SegmentJob(state.run, op, revision.operations[op], segment, state.segments)
        while True:
            calls += 1
            report = run_segment(
                client, table, V2.design, job, owner="orchestrator", page_size=4, out_of_time=lambda: True
            )
            if report.done:
                break
    assert calls > state.segments  # several invocations per segment, each resumed from its checkpoint
    # The runner (the map's next state) finds the segments done and finishes the revision.
    (report_after,) = _runner(client, table, owner="orchestrator").up()
    assert verify(client, table, V2.design).problems == []
    assert report_after.ops  # it ran what was left after the fanned-out operation


def shout_city(values: dict[str, object]) -> dict[str, object]:
    """A Transform of the tests: cities in capitals."""
    return {**values, "city": str(values["city"]).upper()}


def quiet_city(values: dict[str, object]) -> dict[str, object]:
    """Its undo."""
    return {**values, "city": str(values["city"]).lower()}


def move_member(values: dict[str, object]) -> dict[str, object]:
    """A Transform that may not be: it changes the identity (the item would move)."""
    return {**values, "member_id": f"{values['member_id']}x"}


def test_a_hand_written_transform_rewrites_every_item_and_its_undo_reverses_it(
    client: Any, table: str
) -> None:
    _load(client, table, 12)
    first = _revision(V1, V2)
    shout = Transform("Member", f"{__name__}:shout_city", undo=f"{__name__}:quiet_city")
    second = Revision("r2", "r1", "capitals", (shout,), Path("r2.py"))
    runner = MigrationRunner(client, table, V2.design, [first, second], segments=2, page_size=5)
    runner.up()
    assert verify(client, table, V2.design).problems == []  # the city's index keys follow the new values
    new = V2.connect(table, client, cursor_secret=b"k" * 32)
    assert len(list(new.members_in_city(city="C1"))) == 4
    runner.down()
    assert len(list(new.members_in_city(city="c1"))) == 4
    assert verify(client, table, V2.design).problems == []
    with pytest.raises(MigrationError, match="cannot be undone"):
        Transform("Member", f"{__name__}:shout_city").reverse()


def test_a_transform_that_moves_items_is_refused_before_writing(client: Any, table: str) -> None:
    _load(client, table, 3)
    before = _entity_items(client, table)
    bad = Revision("r1", None, "move", (Transform("Member", f"{__name__}:move_member"),), Path("r1.py"))
    with pytest.raises(MigrationError, match="moves the item"):
        MigrationRunner(client, table, V1.design, [bad], segments=1).up()
    assert _entity_items(client, table) == before


class Pass(Entity, identity=("pass_id",), ttl="valid_until"):
    """A day pass that expires."""

    pass_id: str
    valid_until: int


def _pass_before_ttl() -> type[Entity]:
    class Pass(Entity, identity=("pass_id",)):  # the same entity, before it declared its expiry
        pass_id: str
        valid_until: int

    return Pass


def test_a_new_ttl_turns_ttl_on_and_fills_the_expiry_of_existing_items(client: Any) -> None:
    before = _pass_before_ttl()
    old = App("passes", [before], patterns=[Get(before, by="pass_id", name="get_pass")])
    new = App("passes", [Pass], patterns=[Get(Pass, by="pass_id", name="get_pass")], baseline=old)
    ops = diff_designs(design_to_dict(old.design), design_to_dict(new.design)) + spec_operations(
        old.spec, new.spec
    )
    assert [op.describe() for op in ops] == [
        "TTL on _expires_at: enabled",
        "Pass: _expires_at filled from valid_until",
    ]
    name = f"passes-{new_stage()}"
    client.create_table(**old.to_create_table(name))
    for i in range(4):
        client.put_item(
            TableName=name,
            Item={
                "PK": {"S": f"PASS#p{i}#"},
                "SK": {"S": "PASS#"},
                "_type": {"S": "Pass"},
                "_version": {"N": "1"},
                "pass_id": {"S": f"p{i}"},
                "valid_until": {"N": str(1_900_000_000 + i)},
            },
        )
    MigrationRunner(client, name, new.design, [Revision("r1", None, "ttl", tuple(ops), Path("r1.py"))]).up()
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "_expires_at")
    expiries = sorted(
        int(i["_expires_at"]["N"]) for i in scan_table(client, name) if i["_type"]["S"] == "Pass"
    )
    assert expiries == [1_900_000_000 + i for i in range(4)]


def test_a_rekey_moves_every_item_with_its_guards_and_down_moves_it_back(client: Any, table: str) -> None:
    _load(client, table, 10)
    first = _revision(V1, V2)
    old_key = design_to_dict(V2.design)["entities"]["Member"]["table"]
    new_key = {"pk": "CLUB#{member_id}#", "sk": "MEMBER#"}
    second = Revision("r2", "r1", "re-key", (RekeyEntity("Member", old_key, new_key),), Path("r2.py"))
    runner = MigrationRunner(client, table, V2.design, [first, second], segments=2, page_size=3)
    runner.up()
    stored = scan_table(client, table)
    members = {i["PK"]["S"] for i in stored if i["_type"]["S"] == "Member"}
    assert members == {f"CLUB#m{i:03d}#" for i in range(10)}
    owners = {i["owner_pk"]["S"] for i in stored if i["_type"]["S"] == "_UNIQUE"}
    assert owners == members  # every guard still claimed by its (moved) member
    runner.down()
    assert verify(client, table, V2.design).problems == []
