"""Out-of-order stream records never take a copy back to an older value.

One customer is renamed several times (and, in some examples, deleted and created again:
its new incarnation's stamps must order after the old one's). Its stream records are then
delivered newest first, followed by the older ones in random order with duplicates, in
random batches. The copy lookup reads a GSI, which in DynamoDB lags behind the table: here
it answers with a random earlier state of each order (any state the order really had), so
the handler's own check of the target it read cannot tell an older record from a newer
one, and the UpdateItem's version condition is the only thing that keeps the newest copy.
After every delivery each order must hold the customer's newest name and stamp: checked on
the stored items, not on the text of any condition.

Engine assumed: moto in-process (``InProcessEngine``), streams included.
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
from dynamodel.compile import base_key
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.propagate import StreamCheckpoint, poll_records, process_records
from dynamodel.propagate.plan import source_stamp
from dynamodel.testing.machine import InProcessEngine

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient

DESIGN = shop.design
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Item = dict[str, Any]


@pytest.fixture(scope="module")
def clients() -> tuple[DynamoDBClient, DynamoDBStreamsClient]:
    engine = InProcessEngine()
    return cast("DynamoDBClient", engine.client("dynamodb")), cast(
        "DynamoDBStreamsClient", engine.client("dynamodbstreams")
    )


def _key(item: Mapping[str, Any]) -> tuple[str, str]:
    return item["PK"]["S"], item["SK"]["S"]


class LaggingIndexClient:
    """A client whose Query answers with an earlier state of each item, as a lagging GSI does.

    Every state an item had (as written, then after each copy update) is kept; a Query returns
    the items it finds, each replaced by its first state (``oldest``: the index never caught
    up) or by one of its states chosen at random (``random``).
    """

    def __init__(self, client: DynamoDBClient, rng: random.Random, lag: str) -> None:
        self._client = client
        self._rng = rng
        self._lag = lag
        self.history: dict[tuple[str, str], list[Item]] = {}

    def remember(self, item: Item) -> None:
        self.history.setdefault(_key(item), []).append(dict(item))

    def query(self, **kwargs: Any) -> Any:
        response: dict[str, Any] = dict(self._client.query(**kwargs))
        states = [self.history.get(_key(i), [i]) for i in response["Items"]]
        response["Items"] = [s[0] if self._lag == "oldest" else self._rng.choice(s) for s in states]
        return response

    def update_item(self, **kwargs: Any) -> Any:
        response = self._client.update_item(**kwargs)
        stored = self._client.get_item(TableName=kwargs["TableName"], Key=kwargs["Key"], ConsistentRead=True)
        self.remember(stored["Item"])
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class Customer1:
    """A table with one customer (renamed, maybe re-created) and its orders, and the records."""

    def __init__(
        self,
        client: DynamoDBClient,
        streams: DynamoDBStreamsClient,
        *,
        orders: int,
        renames: int,
        recreate_after: int | None,
    ) -> None:
        self.client = client
        self.name = f"order-{uuid.uuid4().hex[:10]}"
        client.create_table(**render_create_table(DESIGN, self.name))
        checkpoint = StreamCheckpoint()
        self.table = shop.connect(self.name, client, cursor_secret=b"ordering-test-secret")
        self.table.create(Customer(customer_id="c1", email="c1@example.com", name="v0", order_count=0))
        for i in range(orders):
            order = Order(
                order_id=f"o{i}",
                customer_id="c1",
                status="OPEN",
                placed_at=T0 + timedelta(hours=i),
                total=Decimal(i),
            )
            self.table.place_order(order, lines=[])
        poll_records(client, streams, self.name, checkpoint)  # the set-up is not under test
        self.orders = [base_key(DESIGN, "Order", {"order_id": f"o{i}"}) for i in range(orders)]
        self.customer_key = base_key(DESIGN, "Customer", {"customer_id": "c1"})
        for n in range(1, renames + 1):
            if n == recreate_after:
                self.table.delete(Customer, customer_id="c1")
                self.table.create(
                    Customer(customer_id="c1", email="c1@example.com", name=f"v{n}", order_count=0)
                )
                continue
            current = self.table.get_customer(customer_id="c1")
            assert current is not None
            current.name = f"v{n}"
            self.table.update(current)
        self.records = [
            r
            for r in poll_records(client, streams, self.name, checkpoint)
            if (r["dynamodb"].get("NewImage") or r["dynamodb"].get("OldImage", {})).get("_type")
            == {"S": "Customer"}
        ]

    def stored(self, key: Mapping[str, Any]) -> Item:
        item = self.client.get_item(TableName=self.name, Key=dict(key), ConsistentRead=True).get("Item")
        assert item is not None
        return item

    def close(self) -> None:
        self.table.close()
        self.client.delete_table(TableName=self.name)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    orders=st.integers(1, 3),
    renames=st.integers(2, 7),
    recreate=st.integers(0, 7),
    duplicates=st.integers(0, 4),
    lag=st.sampled_from(["oldest", "random"]),
    seed=st.integers(0, 2**16),
)
def test_older_records_never_overwrite_a_newer_copy(
    clients: tuple[DynamoDBClient, DynamoDBStreamsClient],
    *,
    orders: int,
    renames: int,
    recreate: int,
    duplicates: int,
    lag: str,
    seed: int,
) -> None:
    rng = random.Random(seed)
    world = Customer1(
        *clients,
        orders=orders,
        renames=renames,
        recreate_after=recreate if 1 <= recreate <= renames else None,
    )
    try:
        source = world.stored(world.customer_key)
        newest_name, newest_stamp = source["name"], source_stamp(source)
        lagging = LaggingIndexClient(world.client, rng, lag)
        for key in world.orders:
            lagging.remember(world.stored(key))  # the state every order had before any delivery
        *older, newest = world.records
        assert newest["dynamodb"]["NewImage"]["name"] == newest_name
        later = older + rng.choices(world.records, k=duplicates)
        rng.shuffle(later)
        deliveries = [[newest]]
        while later:
            size = rng.randint(1, 3)
            deliveries.append(later[:size])
            later = later[size:]

        refused = 0
        for batch in deliveries:
            result = process_records(batch, design=DESIGN, table_name=world.name, client=cast("Any", lagging))
            assert result.failures == [], result.errors
            refused += result.stats.conflicts
            for key in world.orders:
                order = world.stored(key)
                assert order["customer_name"] == newest_name, "an older record took the copy back"
                assert int(order["_copyver_Customer"]["N"]) == newest_stamp
        if lag == "oldest":
            # Every later record met a target that looked older than it: the table refused it.
            assert refused > 0
    finally:
        world.close()
