"""The embedded engine over real HTTP: lifecycle, and the runtime foundations against it.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from dynamodel.codec import entity_to_item, item_to_values, serialize
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import ConditionFailedError, ExecutionError, TransactionCancelledError
from dynamodel.runtime.batch import batch_get, batch_write
from dynamodel.runtime.errors import map_client_error
from dynamodel.spec import AttributeSpec, EntitySpec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine() -> Iterator[EmbeddedEngine]:
    with EmbeddedEngine() as running:
        yield running


def create_table(client: DynamoDBClient) -> str:
    name = f"t-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def key(n: int) -> dict[str, Any]:
    return {"PK": {"S": f"P#{n}"}, "SK": {"S": "S#"}}


def test_put_and_get_over_http(engine: EmbeddedEngine) -> None:
    assert engine.endpoint_url.startswith("http://127.0.0.1:")
    client = engine.client()
    table = create_table(client)
    client.put_item(TableName=table, Item={**key(1), "name": {"S": "Ada"}})
    got = client.get_item(TableName=table, Key=key(1), ConsistentRead=True)
    assert got["Item"] == {**key(1), "name": {"S": "Ada"}}


def test_codec_round_trip_through_the_server(engine: EmbeddedEngine) -> None:
    spec = EntitySpec(
        "Order",
        ("id",),
        (
            AttributeSpec("id", "str"),
            AttributeSpec("total", "decimal"),
            AttributeSpec("weight", "float"),
            AttributeSpec("placed_at", "datetime"),
            AttributeSpec("lines", "list"),
            AttributeSpec("meta", "map"),
            AttributeSpec("blob", "bytes"),
            AttributeSpec("tags", "list"),
        ),
    )
    values = {
        "id": "o#1 ünïcode",
        "total": Decimal("12345678901234567890.123456789012345678"),
        "weight": 0.1,
        "placed_at": datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=-7))),
        "lines": [{"sku": "A", "qty": 2, "price": Decimal("-1E-130")}, None, [True, b"\x00"]],
        "meta": {"nested": {"deep": [1, 2, {"x": "y"}]}, "empty": {}},
        "blob": b"\x00\xffbytes",
        "tags": {"b", "a"},
    }
    client = engine.client()
    table = create_table(client)
    client.put_item(TableName=table, Item={**key(7), **entity_to_item(spec, values)})
    stored = client.get_item(TableName=table, Key=key(7), ConsistentRead=True)["Item"]
    back = item_to_values(spec, dict(stored))  # type: ignore[arg-type]
    assert back == values
    assert getattr(back["placed_at"], "tzinfo", None) is UTC


def test_batch_write_and_get_against_the_server(engine: EmbeddedEngine) -> None:
    client = engine.client()
    table = create_table(client)
    puts = [{**key(n), "n": serialize(n)} for n in range(60)]
    batch_write(client, table, puts)
    batch_write(client, table, [], [key(n) for n in range(0, 60, 3)])
    got = batch_get(client, table, [key(n) for n in range(70, -1, -1)], consistent=True)
    assert [int(i["n"]["N"]) for i in got] == [n for n in range(59, -1, -1) if n % 3]


def test_real_errors_are_mapped(engine: EmbeddedEngine) -> None:
    client = engine.client()
    table = create_table(client)
    client.put_item(TableName=table, Item=key(1))
    with pytest.raises(ClientError) as info:
        client.put_item(TableName=table, Item=key(1), ConditionExpression="attribute_not_exists(PK)")
    err = map_client_error(info.value, operation="create")
    assert isinstance(err, ConditionFailedError)
    assert err.request_id

    with pytest.raises(ClientError) as info:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": key(2)}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": key(1),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    cancelled = map_client_error(info.value, operation="write")
    assert isinstance(cancelled, TransactionCancelledError)
    assert cancelled.reasons == ["None", "ConditionalCheckFailed"]
    assert "Item" not in client.get_item(TableName=table, Key=key(2), ConsistentRead=True)

    with pytest.raises(ClientError) as info:
        client.get_item(TableName="no-such-table", Key=key(1))
    missing = map_client_error(info.value, operation="get")
    assert type(missing) is ExecutionError
    assert missing.aws_code == "ResourceNotFoundException"


def test_streams_client(engine: EmbeddedEngine) -> None:
    client = engine.client()
    table = create_table(client)
    client.update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    streams = engine.streams_client().list_streams(TableName=table)["Streams"]
    assert [s["TableName"] for s in streams] == [table]


RESET_SCRIPT = """
from dynamodel.engine import EmbeddedEngine
with EmbeddedEngine() as engine:
    client = engine.client()
    client.create_table(
        TableName="t", KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    assert client.list_tables()["TableNames"] == ["t"]
    engine.reset()
    assert client.list_tables()["TableNames"] == []
print("reset ok")
"""


def test_reset_clears_the_server() -> None:
    # moto's state is per process, shared by every engine in it: reset in a child
    # process so that other tests' tables survive.
    done = subprocess.run(
        [sys.executable, "-c", RESET_SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "reset ok"
    assert done.stderr == "", "the engine logs nothing (werkzeug is silenced)"


def test_stop_releases_the_port_and_forgets_the_endpoint() -> None:
    engine = EmbeddedEngine().start()
    assert engine.running
    port = int(engine.endpoint_url.rsplit(":", 1)[1])
    engine.stop()
    engine.stop()  # idempotent
    assert not engine.running
    with pytest.raises(ExecutionError, match="not running"):
        _ = engine.endpoint_url
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "nothing listens after stop()"
