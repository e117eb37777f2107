"""A cursor is refused by every pattern but its own, even one whose query is the same.

Two patterns declared alike read the same index with the same key condition, so the query
digest a cursor carries cannot tell them apart: only the cursor's pattern binding can. Each
case below pages one pattern and hands every cursor it got to its twin; the twin must refuse it
before sending any request. The tests assert what happens (refused, nothing read), not what
the message says.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest

from dynamodel import App, Entity
from dynamodel import Query as QueryPattern
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import RequestError
from dynamodel.runtime.table import Table
from dynamodel.spec import PatternSpec

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]

T0 = datetime(2026, 3, 1, tzinfo=UTC)


class Note(Entity, identity=("note_id",)):
    note_id: str
    owner: str
    status: Literal["OPEN", "DONE"]
    written_at: datetime


def _twins(kind: str) -> list[PatternSpec]:
    if kind == "query":
        options: dict[str, Any] = {"by": "owner", "sort": "written_at", "order": "desc"}
    elif kind == "sharded":  # one request per shard, the cursor holds every shard's position
        options = {"where": {"status": "OPEN"}, "sort": "written_at", "writes_per_s": 2500}
    else:
        # a strongly consistent read cannot use a GSI: the twins scan the base table
        options = {"by": "owner", "consistency": "strong", "allow_scan": True}
    return [QueryPattern(Note, name=f"notes_{side}", **options) for side in ("a", "b")]


KINDS = ["query", "sharded", "scan"]
APPS = {kind: App(f"twins_{kind}", [Note], patterns=_twins(kind)) for kind in KINDS}
ARGS: dict[str, dict[str, object]] = {"query": {"owner": "ann"}, "sharded": {}, "scan": {"owner": "ann"}}
OPERATION = {"query": "Query", "sharded": "Query", "scan": "Scan"}


def _counting(engine: EmbeddedEngine, table: Table, app: App) -> tuple[Table, list[str]]:
    """The same table through a client of our own, recording every operation it sends."""
    client = engine.client()
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    client.meta.events.register("before-call.dynamodb.*", record)
    return app.connect(table.name, client, cursor_secret=b"cursor-scope-test-secret"), sent


def _load(table: Table, count: int) -> None:
    for i in range(count):
        table.create(
            Note(note_id=f"n{i:02d}", owner="ann", status="OPEN", written_at=T0 + timedelta(minutes=i))
        )


@pytest.mark.parametrize("kind", KINDS)
def test_the_twin_patterns_send_the_same_request(kind: str, make_table: Callable[..., Table]) -> None:
    # Guards the test below: if the twins' requests differed, the query digest alone would
    # refuse the cursor and the pattern binding would go untested.
    app = APPS[kind]
    plan_a, plan_b = app.design.plan("notes_a"), app.design.plan("notes_b")
    assert (plan_a.operation, plan_a.index, plan_a.shards) == (plan_b.operation, plan_b.index, plan_b.shards)
    assert plan_a.operation == OPERATION[kind]
    if kind == "sharded":
        assert plan_a.shards > 1
    table = make_table(app)
    assert table.requests("notes_a", limit=2, **ARGS[kind]) == table.requests(
        "notes_b", limit=2, **ARGS[kind]
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("own", "twin"), [("notes_a", "notes_b"), ("notes_b", "notes_a")])
def test_a_cursor_is_refused_by_the_twin_pattern(
    kind: str,
    own: str,
    twin: str,
    make_table: Callable[..., Table],
    engine: EmbeddedEngine,
) -> None:
    app = APPS[kind]
    base = make_table(app)
    _load(base, 7)
    table, sent = _counting(engine, base, app)

    cursors: list[str] = []
    page = table.run(own, limit=2, **ARGS[kind])
    while page.cursor is not None:
        cursors.append(page.cursor)
        page = table.run(own, limit=2, cursor=page.cursor, **ARGS[kind])
    assert len(cursors) >= 2, "the test needs several pages"
    assert OPERATION[kind] in sent, "the recorder sees what the table sends"

    for cursor in cursors:
        before = list(sent)
        with pytest.raises(RequestError):
            table.run(twin, limit=2, cursor=cursor, **ARGS[kind])
        assert sent == before, "a refused cursor must not reach the table"
        # The cursor itself is sound: its own pattern still accepts it.
        assert table.run(own, limit=2, cursor=cursor, **ARGS[kind]).items
