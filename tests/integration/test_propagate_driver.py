"""The local driver over HTTP: drains the stream, survives crashes, fixes raced target writes, re-keys.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1. Its DynamoDB Streams
API works over HTTP (describe_stream, get_shard_iterator with TRIM_HORIZON,
AFTER_SEQUENCE_NUMBER and AT_SEQUENCE_NUMBER, get_records with NEW_AND_OLD_IMAGES).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Unpack, cast

import pytest

from access_patterns.shop import Order, shop
from dynamodel.codec import item_to_values
from dynamodel.compile import build_item
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.engine import EmbeddedEngine
from dynamodel.propagate import PropagationError, StreamCheckpoint, drain, process_records
from dynamodel.propagate.batch_loop import BatchArgs, BatchResult
from dynamodel.propagate.plan import source_stamp
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

from shop_world import NO_SLEEP, T0, names, raw, rename, seed
from teams_app import Member, Team, teams

pytestmark = pytest.mark.integration


def test_drain_applies_a_rename_and_then_has_nothing_left(
    make_table: MakeTable, engine: EmbeddedEngine
) -> None:
    table = make_table(shop)
    seed(table)
    streams = engine.streams_client()
    first = drain(shop.design, table.name, table.client, streams)
    assert first.deliveries > 0
    rename(table, "c1", "Ann B")

    report = drain(shop.design, table.name, table.client, streams)

    assert names(table) == {"o1": "Ann B", "o2": "Ann B", "o3": "Ann B", "o4": "Bob"}
    assert report.stats.updated == 3
    assert report.stats.lookups == 1
    assert report.dead_letters == []
    # The default checkpoint (per stream, in this process) continues where the drain stopped,
    # and the handler's own writes were read in the same drain: nothing is left.
    assert drain(shop.design, table.name, table.client, streams).deliveries == 0


def test_the_page_shown_to_readers_follows_the_rename(make_table: MakeTable, engine: EmbeddedEngine) -> None:
    table = make_table(shop)
    seed(table)
    rename(table, "c2", "Bobby")
    drain(shop.design, table.name, table.client, engine.streams_client())
    page = table.customer_with_recent_orders(customer_id="c2")
    orders = [x for x in page.items if isinstance(x, Order)]
    assert [o.customer_name for o in orders] == ["Bobby"]


class CrashAfter:
    """A handler that applies the first ``k`` records of its first batch, then crashes."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.crashed = False

    def __call__(self, records: Sequence[Mapping[str, Any]], **batch: Unpack[BatchArgs]) -> BatchResult:
        if not self.crashed and len(records) > self.k:
            self.crashed = True
            process_records(records[: self.k], **batch)
            msg = "injected: the function ran out of time"
            raise TimeoutError(msg)
        return process_records(records, **batch)


def test_a_crash_mid_batch_is_bisected_and_retried(make_table: MakeTable, engine: EmbeddedEngine) -> None:
    table = make_table(shop)
    seed(table)
    streams = engine.streams_client()
    checkpoint = StreamCheckpoint()
    drain(shop.design, table.name, table.client, streams, checkpoint=checkpoint)
    rename(table, "c1", "Ann B")
    rename(table, "c2", "Bob B")
    rename(table, "c1", "Ann C")
    handler = CrashAfter(2)

    report = drain(
        shop.design,
        table.name,
        table.client,
        streams,
        checkpoint=checkpoint,
        handler=handler,
        backoff=NO_SLEEP,
    )

    assert handler.crashed
    assert report.crashes == 1
    assert names(table) == {"o1": "Ann C", "o2": "Ann C", "o3": "Ann C", "o4": "Bob B"}
    assert report.dead_letters == []


def test_an_application_write_that_raced_a_rename_is_fixed(
    make_table: MakeTable, engine: EmbeddedEngine
) -> None:
    table = make_table(shop)
    seed(table)
    streams = engine.streams_client()
    rename(table, "c1", "Ann B")
    drain(shop.design, table.name, table.client, streams)
    o1, o2 = raw(table, "Order", order_id="o1"), raw(table, "Order", order_id="o2")
    # An order write whose copy was read before the rename landed after its propagation:
    # the upsert path keeps the stamp (SET every attribute), ...
    table.client.update_item(
        TableName=table.name,
        Key={"PK": o1["PK"], "SK": o1["SK"]},
        UpdateExpression="SET customer_name = :old, #v = #v + :one",
        ExpressionAttributeNames={"#v": "_version"},
        ExpressionAttributeValues={":old": {"S": "Ann"}, ":one": {"N": "1"}},
    )
    # ... a full-item put drops it.
    replaced = {k: v for k, v in o2.items() if k != "_copyver_Customer"}
    replaced.update(customer_name={"S": "Ann"}, _version={"N": "2"})
    table.client.put_item(TableName=table.name, Item=replaced)

    report = drain(shop.design, table.name, table.client, streams)

    assert report.stats.checks == 2
    assert names(table)["o1"] == names(table)["o2"] == "Ann B"
    customer_stamp = source_stamp(raw(table, "Customer", customer_id="c1"))
    assert raw(table, "Order", order_id="o2")["_copyver_Customer"] == {"N": str(customer_stamp)}
    assert raw(table, "Order", order_id="o1")["_version"] == {"N": "2"}
    # Without target checks the raced writes would stay stale.
    assert drain(shop.design, table.name, table.client, streams).stats.updated == 0


def test_a_table_without_a_stream_is_refused(client: DynamoDBClient, engine: EmbeddedEngine) -> None:
    kwargs = render_create_table(shop.design, "shop-nostream")
    kwargs.pop("StreamSpecification", None)
    client.create_table(**kwargs)
    try:
        with pytest.raises(PropagationError, match="has no stream") as info:
            drain(shop.design, "shop-nostream", client, engine.streams_client())
        assert "NEW_AND_OLD_IMAGES" in (info.value.hint or "")
    finally:
        client.delete_table(TableName="shop-nostream")


# ---- copies inside GSI keys ----------------------------------------------------------------


def assert_keys_match_values(table: Table, member_id: str) -> None:
    """The member's stored keys are exactly what the runtime derives from its stored values."""
    stored = raw(table, "Member", member_id=member_id)
    values = item_to_values(teams.design.app.entity("Member"), stored)
    expected, _ = build_item(teams.design, "Member", values, version=int(stored["_version"]["N"]))
    keys = set(teams.design.key_attribute_names())
    assert {k: v for k, v in stored.items() if k in keys} == {k: v for k, v in expected.items() if k in keys}


def ids(items: Sequence[object]) -> list[str]:
    """Member ids of a page's items."""
    return [cast("Member", m).member_id for m in items]


def test_keys_made_of_copies_move_with_the_source(make_table: MakeTable, engine: EmbeddedEngine) -> None:
    table = make_table(teams)
    streams = engine.streams_client()
    team = table.create(Team(team_id="t1", region="eu", status="ACTIVE"))
    for i in range(3):
        table.create(Member(member_id=f"m{i}", team_id="t1", joined_at=T0 + timedelta(hours=i)))
    drain(teams.design, table.name, table.client, streams)
    assert ids(table.members_by_region(team_region="eu").items) == ["m0", "m1", "m2"]

    team.region, team.status = "us", "PAUSED"
    team = table.update(team)
    drain(teams.design, table.name, table.client, streams)
    assert ids(table.members_by_region(team_region="us").items) == ["m0", "m1", "m2"]
    assert table.members_by_region(team_region="eu").items == []
    assert table.active_members().items == []  # left the sparse index

    team.status = "ACTIVE"
    table.update(team)
    drain(teams.design, table.name, table.client, streams)
    assert ids(table.active_members().items) == ["m0", "m1", "m2"]
    for i in range(3):
        assert_keys_match_values(table, f"m{i}")


class WriteBeforeFirstUpdate:
    """A client that lets the application rewrite the target just before the first copy update."""

    def __init__(self, client: DynamoDBClient, write: Callable[[], object]) -> None:
        self._client = client
        self._write: Callable[[], object] | None = write

    def update_item(self, **kwargs: Any) -> Any:
        if self._write is not None:
            write, self._write = self._write, None
            write()
        return self._client.update_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_keys_are_rendered_from_the_values_the_target_has_when_it_is_written(
    make_table: MakeTable, engine: EmbeddedEngine
) -> None:
    table = make_table(teams)
    streams = engine.streams_client()
    checkpoint = StreamCheckpoint()
    team = table.create(Team(team_id="t1", region="eu", status="ACTIVE"))
    table.create(Member(member_id="m0", team_id="t1", joined_at=T0))
    drain(teams.design, table.name, table.client, streams, checkpoint=checkpoint)
    team.region = "us"
    table.update(team)

    def move_member() -> None:  # the application changes the sort attribute meanwhile
        table.put(Member(member_id="m0", team_id="t1", joined_at=T0 + timedelta(days=9)))

    racing = WriteBeforeFirstUpdate(table.client, move_member)
    report = drain(teams.design, table.name, cast("DynamoDBClient", racing), streams, checkpoint=checkpoint)

    assert report.stats.conflicts >= 1
    assert_keys_match_values(table, "m0")
    (member,) = table.members_by_region(team_region="us").items
    assert cast("Member", member).joined_at == T0 + timedelta(days=9)
