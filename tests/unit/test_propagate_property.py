"""Property: whatever the delivery does, copies converge and nothing else changes.

A random interleaving of application writes (customer renames through ``put`` and
``update``, writes that change no copied attribute, order rewrites that re-fill their copy,
order writes that raced a rename and stored an older name)
and deliveries of the stream's records: random subsets in shuffled order, duplicates of
records already handled (older records after newer ones), a client that crashes after a
few copy updates (a record fails midway and is retried), and a handler that crashes after
part of a batch (nothing of the batch counts as handled). After draining, every order's
copy equals its customer's latest name, and no attribute other than the copies and their
``_copyver_`` stamp differs from what the application wrote.

Engine assumed: moto in-process (``dynamodel.testing.machine.InProcessEngine``), streams
included; tables stay under 20 items so an example takes tens of milliseconds.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access_patterns.shop import Customer, Order, shop
from dynamodel.compile import base_key, guard_key
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.propagate import StreamCheckpoint, drain, poll_records, process_records
from dynamodel.propagate.plan import STAMP_SHIFT
from dynamodel.testing.machine import InProcessEngine

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient

DESIGN = shop.design
COPY_ATTRS = frozenset({"customer_name", "_copyver_Customer"})  # no shop key is built from a copy
CUSTOMERS = ("c0", "c1", "c2")
NAMES = st.sampled_from(["Ann", "Bob", "Cy", "a#b$", "Zoë", ""])
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Item = dict[str, Any]


class InjectedCrashError(Exception):
    """Not a DynamodelError: the handler's process dying midway (a timeout, an OOM)."""


class CrashingClient:
    """Delegates to a client, but UpdateItem crashes once ``budget`` updates went through."""

    def __init__(self, client: DynamoDBClient, budget: int) -> None:
        self._client = client
        self._budget = budget

    def update_item(self, **kwargs: Any) -> Any:
        if self._budget <= 0:
            msg = "injected crash"
            raise InjectedCrashError(msg)
        self._budget -= 1
        return self._client.update_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture(scope="module")
def clients() -> tuple[DynamoDBClient, DynamoDBStreamsClient]:
    """moto in process; its DynamoDB Streams API needs account-id endpoints disabled (done here)."""
    engine = InProcessEngine()
    return cast("DynamoDBClient", engine.client("dynamodb")), cast(
        "DynamoDBStreamsClient", engine.client("dynamodbstreams")
    )


def key_of(item: Mapping[str, Any]) -> tuple[str, str]:
    """(PK, SK)."""
    return item["PK"]["S"], item["SK"]["S"]


def scan(client: DynamoDBClient, table: str) -> dict[tuple[str, str], Item]:
    """Every item by key."""
    out: dict[tuple[str, str], Item] = {}
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            out[key_of(item)] = dict(item)
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def strip(item: Mapping[str, Any]) -> Item:
    """An item without the attributes propagation may write."""
    return {k: v for k, v in item.items() if k not in COPY_ATTRS}


class World:
    """One example's table, the application's expectations and the undelivered records."""

    def __init__(self, client: DynamoDBClient, streams: DynamoDBStreamsClient, owners: list[int]) -> None:
        self.client = client
        self.streams = streams
        self.name = f"shop-{uuid.uuid4().hex[:10]}"
        client.create_table(**render_create_table(DESIGN, self.name))
        self.table = shop.connect(self.name, client)
        for i, cid in enumerate(CUSTOMERS):
            self.table.create(
                Customer(customer_id=cid, email=f"{cid}@example.com", name=f"N{i}", order_count=0)
            )
        for i, owner in enumerate(owners):
            self.table.place_order(self.order(i, CUSTOMERS[owner]), lines=[])
        self.owners = owners
        self.names = {cid: [f"N{i}"] for i, cid in enumerate(CUSTOMERS)}
        self.checkpoint = StreamCheckpoint()
        drain(DESIGN, self.name, client, streams, checkpoint=self.checkpoint)
        self.expected = {k: strip(v) for k, v in scan(client, self.name).items()}
        self.pending: dict[str, Item] = {}
        self.done: list[Item] = []
        self.attempts: dict[str, int] = {}

    @staticmethod
    def order(i: int, cid: str) -> Order:
        return Order(
            order_id=f"o{i}",
            customer_id=cid,
            status="OPEN",
            placed_at=T0 + timedelta(hours=i),
            total=Decimal(i),
        )

    def wrote(self, *keys: Mapping[str, Any]) -> None:
        """Record what the application just wrote: those items, as stored, are the expectation."""
        for key in keys:
            item = self.client.get_item(TableName=self.name, Key=dict(key), ConsistentRead=True).get("Item")
            assert item is not None
            self.expected[key_of(item)] = strip(item)

    def customer(self, cid: str) -> Customer:
        found = self.table.get_customer(customer_id=cid)
        assert isinstance(found, Customer)
        return found

    def rename(self, ci: int, name: str, via: str) -> None:
        cid = CUSTOMERS[ci]
        current = self.customer(cid)
        self.names[cid].append(name)
        if via == "update":
            current.name = name
            self.table.update(current)
        else:
            self.table.put(
                Customer(customer_id=cid, email=current.email, name=name, order_count=current.order_count)
            )
        guard = guard_key(DESIGN.guards[0], {"email": current.email})
        assert guard is not None
        self.wrote(base_key(DESIGN, "Customer", {"customer_id": cid}), guard)

    def touch(self, ci: int) -> None:
        current = self.customer(CUSTOMERS[ci])
        current.order_count += 1
        self.table.update(current)
        self.wrote(base_key(DESIGN, "Customer", {"customer_id": current.customer_id}))

    def rewrite(self, oi: int) -> None:
        oi %= len(self.owners)
        self.table.put(self.order(oi, CUSTOMERS[self.owners[oi]]))  # the runtime re-fills the copy
        self.wrote(base_key(DESIGN, "Order", {"order_id": f"o{oi}"}))

    def race(self, oi: int, full_put: bool, rng: random.Random) -> None:
        """An order write whose copy was read before the latest rename, landing after it.

        What ``put``/``update`` of an order would store had ``fill_copies`` read the customer
        just before a rename: the upsert keeps the ``_copyver_`` stamp (it SETs every declared
        attribute), a full-item put drops it. Both bump the order's ``_version``.
        """
        oi %= len(self.owners)
        key = base_key(DESIGN, "Order", {"order_id": f"o{oi}"})
        item = self.client.get_item(TableName=self.name, Key=key, ConsistentRead=True)["Item"]
        history = self.names[item["customer_id"]["S"]]
        item = dict(item)
        item["customer_name"] = {"S": rng.choice(history)}
        item["_version"] = {"N": str(int(item["_version"]["N"]) + 1)}
        if full_put:
            item.pop("_copyver_Customer", None)
        self.client.put_item(TableName=self.name, Item=item)
        self.wrote(key)

    def poll(self) -> None:
        for record in poll_records(self.client, self.streams, self.name, self.checkpoint):
            self.pending[record["dynamodb"]["SequenceNumber"]] = record

    def deliver(self, rng: random.Random, *, crash: str | None, budget: int, dups: int, split: bool) -> None:
        """Hand a shuffled subset of the pending records (plus old duplicates) to the handler.

        ``split`` delivers them one per batch, so no record is superseded by a newer one of
        the same source in its batch and every stale record reaches the table.
        """
        self.poll()
        chosen = rng.sample(list(self.pending.values()), rng.randint(0, len(self.pending)))
        chosen += rng.sample(self.done, min(dups, len(self.done)))
        rng.shuffle(chosen)
        if not chosen:
            return
        client: Any = self.client
        if crash == "client":
            client = CrashingClient(self.client, budget)
        if crash == "batch":  # the function dies after part of the batch: none of it is handled
            process_records(
                chosen[: budget % len(chosen)],
                design=DESIGN,
                table_name=self.name,
                client=self.client,
                attempts=self.attempts,
            )
            return
        batches = [[r] for r in chosen] if split else [chosen]
        failed: set[str] = set()
        for batch in batches:
            result = process_records(
                batch, design=DESIGN, table_name=self.name, client=client, attempts=self.attempts
            )
            failed.update(result.failures)
        for record in chosen:
            seq = record["dynamodb"]["SequenceNumber"]
            if seq not in failed and self.pending.pop(seq, None) is not None:
                self.done.append(record)

    def settle(self, rng: random.Random) -> None:
        """Deliver until nothing is pending and the stream has nothing new."""
        for _ in range(20):
            self.poll()
            if not self.pending:
                return
            self.deliver_all(rng)
        msg = f"records still pending after 20 rounds: {sorted(self.pending)}"
        raise AssertionError(msg)

    def deliver_all(self, rng: random.Random) -> None:
        batch = list(self.pending.values())
        rng.shuffle(batch)
        result = process_records(
            batch, design=DESIGN, table_name=self.name, client=self.client, attempts=self.attempts
        )
        assert result.failures == [], result.errors
        for record in batch:
            self.done.append(self.pending.pop(record["dynamodb"]["SequenceNumber"]))

    def check(self) -> None:
        items = scan(self.client, self.name)
        for key, item in items.items():
            if item["_type"]["S"] != "Order":
                continue
            customer = items[key_of(base_key(DESIGN, "Customer", {"customer_id": item["customer_id"]["S"]}))]
            assert item["customer_name"] == customer["name"], f"{key}: copy differs from its source"
            assert "_copyver_Customer" in item, f"{key}: the copy carries no source version"
            stamp = int(customer.get("_born", {"N": "0"})["N"]) * STAMP_SHIFT + int(customer["_version"]["N"])
            assert int(item["_copyver_Customer"]["N"]) <= stamp
        assert {k: strip(v) for k, v in items.items()} == self.expected, (
            "an attribute other than a copy changed"
        )

    def close(self) -> None:
        self.table.close()
        self.client.delete_table(TableName=self.name)


OPS = st.one_of(
    st.tuples(st.just("rename"), st.integers(0, 2), NAMES, st.sampled_from(["put", "update"])),
    st.tuples(st.just("touch"), st.integers(0, 2)),
    st.tuples(st.just("rewrite"), st.integers(0, 4)),
    st.tuples(st.just("race"), st.integers(0, 4), st.booleans()),
    st.tuples(
        st.just("deliver"),
        st.sampled_from([None, None, "client", "batch"]),
        st.integers(0, 4),
        st.integers(0, 3),
        st.booleans(),
    ),
)


@settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    owners=st.lists(st.integers(0, 2), min_size=1, max_size=5),
    ops=st.lists(OPS, min_size=1, max_size=14),
    seed=st.integers(0, 2**16),
)
def test_copies_converge_under_any_delivery(
    clients: tuple[DynamoDBClient, DynamoDBStreamsClient],
    owners: list[int],
    ops: list[tuple[Any, ...]],
    seed: int,
) -> None:
    rng = random.Random(seed)
    world = World(*clients, owners)
    try:
        for op in ops:
            if op[0] == "rename":
                world.rename(op[1], op[2], op[3])
            elif op[0] == "touch":
                world.touch(op[1])
            elif op[0] == "rewrite":
                world.rewrite(op[1])
            elif op[0] == "race":
                world.race(op[1], op[2], rng)
            else:
                world.deliver(rng, crash=op[1], budget=op[2], dups=op[3], split=op[4])
        world.settle(rng)
        world.check()
        # Replaying the whole stream again, in any order, moves no copy. (A replayed target
        # check may advance a stamp to the source's current version: stamps only grow.)
        before = scan(world.client, world.name)
        everything = list(world.done)
        rng.shuffle(everything)
        for record in everything:  # one per batch: nothing is superseded within a batch
            process_records([record], design=DESIGN, table_name=world.name, client=world.client)
        after = scan(world.client, world.name)
        assert {k: strip(v) | {"n": v.get("customer_name")} for k, v in after.items()} == {
            k: strip(v) | {"n": v.get("customer_name")} for k, v in before.items()
        }
        for key, item in after.items():
            if "_copyver_Customer" in before[key]:
                assert int(item["_copyver_Customer"]["N"]) >= int(before[key]["_copyver_Customer"]["N"])
    finally:
        world.close()


def test_the_world_detects_a_stale_copy(clients: tuple[DynamoDBClient, DynamoDBStreamsClient]) -> None:
    """The property's oracle is not vacuous: an undelivered rename is caught."""
    world = World(*clients, [0])
    try:
        world.rename(0, "Renamed", "update")
        with pytest.raises(AssertionError, match="copy differs"):
            world.check()
    finally:
        world.close()


def test_the_world_detects_a_changed_attribute(clients: tuple[DynamoDBClient, DynamoDBStreamsClient]) -> None:
    """... and so is a write to an attribute that is not a copy."""
    world = World(*clients, [0])
    try:
        key = base_key(DESIGN, "Order", {"order_id": "o0"})
        world.client.update_item(
            TableName=world.name,
            Key=key,
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "SHIPPED"}},
        )
        with pytest.raises(AssertionError, match="other than a copy"):
            world.check()
    finally:
        world.close()
