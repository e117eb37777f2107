"""The property: an action's effects happen once per matching change, whatever the deliveries do.

Random writes make a stream of changes; a random schedule then delivers its records to the
action duplicated, reordered and replayed, with handler crashes before the commit (the unit of
work is dropped, the record comes again) and lost responses after it (botocore's retry meets
DynamoDB's ClientRequestToken rule). Every record is finally delivered until it succeeds. The
model reads the declaration literally: a change counts when its event is declared and the
image the action reads satisfies ``when``. The action's table effect is an increment, which
is not idempotent, so any double application shows; its outside effect is ``once``.

Engine assumed: moto in process, with DynamoDB's token rule (``DynamoRules``).
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamodel import Action, App, Entity, Get
from dynamodel.actions import ActionEvent, ActionRunner, emitted_patterns
from dynamodel.event_filters import matches_any
from dynamodel.propagate import StreamCheckpoint
from dynamodel.propagate.driver import poll_records
from dynamodel.propagate.records import lambda_record, parse_record
from dynamodel.runtime.table import Table
from dynamodel.testing.faults import DynamoRules
from dynamodel.testing.inprocess import InProcessEngine, create_test_table

pytestmark = pytest.mark.integration

Status = Literal["NEW", "PAID", "SHIPPED"]


class Parcel(Entity, identity=("parcel_id",)):
    parcel_id: str
    status: Status
    weight: int


class Tally(Entity, identity=("key",)):
    key: str
    count: int


EFFECTS: list[str] = []
CRASH = {"next": False}


def count_paid_or_shipped(event: ActionEvent[Parcel]) -> None:
    """Count the change in the table (an increment) and outside it (once)."""
    event.table.increment(Tally, "count", 1, key="tally")
    name = f"{event.item.parcel_id}:{event.name}:{event.record['dynamodb'].get('SequenceNumber')}"
    event.once("effect", lambda: EFFECTS.append(name))
    if CRASH["next"]:  # the function dies before its writes commit
        CRASH["next"] = False
        msg = "the function was stopped"
        raise TimeoutError(msg)


ACTION = Action(
    "count",
    on=Parcel,
    events=("INSERT", "MODIFY"),
    when={"status": ["PAID", "SHIPPED"]},
    handler=count_paid_or_shipped,
)
app = App(
    "parcels",
    [Parcel, Tally],
    [Get(Parcel, by="parcel_id", name="get_parcel"), Get(Tally, by="key", name="get_tally")],
    actions=[ACTION],
)

RULES = DynamoRules()
ENGINE = InProcessEngine(rules=RULES)
_SEQ = itertools.count()


@pytest.fixture(scope="module")
def world() -> tuple[Table, Any, StreamCheckpoint]:
    table = create_test_table(app, ENGINE.client())
    table.create(Tally(key="tally", count=0))
    cp = StreamCheckpoint()
    poll_records(table.client, ENGINE.client("dynamodbstreams"), table.name, cp)
    return table, ENGINE.client("dynamodbstreams"), cp


writes = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["NEW", "PAID", "SHIPPED"]), st.booleans()),
    min_size=1,
    max_size=8,
)
schedule = st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["deliver", "crash", "lose"])), max_size=25)


def _expected(record: dict[str, Any]) -> bool:
    parsed = parse_record(record)
    image = parsed.new
    return parsed.event_name in ACTION.events and image.get("status", {}).get("S") in ("PAID", "SHIPPED")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=writes, schedule=schedule)
def test_each_matching_change_takes_effect_once(
    world: tuple[Table, Any, StreamCheckpoint],
    writes: list[tuple[int, str, bool]],
    schedule: list[tuple[int, str]],
) -> None:
    table, streams, cp = world
    run = next(_SEQ)
    EFFECTS.clear()
    RULES.clear()
    before = table.get_tally(key="tally")
    assert before is not None
    for parcel, status, heavy in writes:
        table.put(Parcel(parcel_id=f"r{run}-p{parcel}", status=status, weight=2 if heavy else 1))
    records = poll_records(table.client, streams, table.name, cp)
    patterns = emitted_patterns(app.design, "count")
    delivered = [r for r in records if matches_any(patterns, lambda_record(r))]
    expected = sum(_expected(r) for r in records)
    assert len(delivered) == expected  # the emitted filter selects what the declaration names
    runner = ActionRunner(app.design, app.models, table.name, table.client, app.spec.action("count"))
    done: set[int] = set()
    for pick, fault in schedule:
        if not delivered:
            break
        i = pick % len(delivered)
        CRASH["next"] = fault == "crash"
        if fault == "lose":
            RULES.lose_next_response()
        try:
            runner.apply(delivered[i])
            done.add(i)
        except TimeoutError:
            pass
        RULES.clear()
    CRASH["next"] = False
    for i, record in enumerate(delivered):  # the stream delivers each record until it succeeds
        assert runner.apply(record) in ("applied", "duplicate")
        done.add(i)
    after = table.get_tally(key="tally")
    assert after is not None
    assert after.count - before.count == expected
    assert len(EFFECTS) == len(set(EFFECTS)) == expected
