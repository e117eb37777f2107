"""Operations on the table itself (UpdateTable): indexes and the stream.

Each is idempotent: it looks at DescribeTable first, so a runner that died after sending it
and runs it again finds it done. Index creation waits until DynamoDB has built the index
(it backfills from the attributes items already have; the runner's fill steps write the
ones they lack).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dynamodel.design.explain import index_keys_from_json
from dynamodel.errors import MigrationError
from dynamodel.layout import EXPIRES_ATTR
from dynamodel.migrate.ops import (
    CreateIndex,
    DeleteIndex,
    DisableStream,
    DisableTtl,
    EnableStream,
    EnableTtl,
    Operation,
)
from dynamodel.runtime.retry import retry_throttled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["describe", "is_table_op", "run_table_op"]

STREAM_VIEW = "NEW_AND_OLD_IMAGES"


def is_table_op(op: Operation) -> bool:
    """Whether ``op`` changes the table, not its items."""
    return isinstance(op, CreateIndex | DeleteIndex | EnableStream | DisableStream | EnableTtl | DisableTtl)


def describe(client: DynamoDBClient, table: str) -> dict[str, Any]:
    """DescribeTable's ``Table``."""
    found: Any = retry_throttled(
        lambda: client.describe_table(TableName=table), operation="DescribeTable", context=f"table {table}"
    )
    table_desc: dict[str, Any] = found["Table"]
    return table_desc


def _gsis(desc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["IndexName"]: g for g in desc.get("GlobalSecondaryIndexes", [])}


def run_table_op(
    client: DynamoDBClient,
    table: str,
    op: Operation,
    *,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 3600.0,
) -> str:
    """Apply ``op`` unless the table has it already; a line saying what happened."""
    if isinstance(op, EnableTtl | DisableTtl):
        return _ttl(client, table, on=isinstance(op, EnableTtl))
    desc = describe(client, table)
    update: dict[str, Any]
    if isinstance(op, CreateIndex):
        name = op.index["name"]
        if name in _gsis(desc):
            return f"index {name} exists already"
        keys = index_keys_from_json(op.index)
        create: dict[str, Any] = {
            "IndexName": name,
            "KeySchema": [{"AttributeName": n, "KeyType": kind} for n, kind, _ in keys],
            "Projection": {
                "ProjectionType": op.index.get("projection", "ALL"),
                **(
                    {"NonKeyAttributes": list(op.index["non_key_attributes"])}
                    if op.index.get("non_key_attributes")
                    else {}
                ),
            },
        }
        if desc.get("BillingModeSummary", {}).get("BillingMode") != "PAY_PER_REQUEST":
            throughput = desc.get("ProvisionedThroughput", {})
            create["ProvisionedThroughput"] = {
                "ReadCapacityUnits": max(1, int(throughput.get("ReadCapacityUnits", 1))),
                "WriteCapacityUnits": max(1, int(throughput.get("WriteCapacityUnits", 1))),
            }
        update = {
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, _, t in keys],
            "GlobalSecondaryIndexUpdates": [{"Create": create}],
        }
    elif isinstance(op, DeleteIndex):
        name = op.index["name"]
        if name not in _gsis(desc):
            return f"index {name} is gone already"
        update = {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": name}}]}
    elif isinstance(op, EnableStream | DisableStream):
        want = isinstance(op, EnableStream)
        spec = desc.get("StreamSpecification", {})
        if bool(spec.get("StreamEnabled")) == want and (
            not want or spec.get("StreamViewType") == STREAM_VIEW
        ):
            return f"stream {'on' if want else 'off'} already"
        update = {
            "StreamSpecification": {
                "StreamEnabled": want,
                **({"StreamViewType": STREAM_VIEW} if want else {}),
            }
        }
    else:  # pragma: no cover - the runner only passes table-level operations
        msg = f"{type(op).__name__} is not a table-level operation."
        raise MigrationError(msg)
    retry_throttled(
        lambda: client.update_table(TableName=table, **update), operation="UpdateTable", context=op.describe()
    )
    _wait_active(client, table, sleep=sleep, timeout=timeout, what=op.describe())
    return op.describe()


def _ttl(client: DynamoDBClient, table: str, *, on: bool) -> str:
    found: Any = retry_throttled(
        lambda: client.describe_time_to_live(TableName=table), operation="DescribeTimeToLive", context=table
    )
    status = found.get("TimeToLiveDescription", {}).get("TimeToLiveStatus", "DISABLED")
    if (status in ("ENABLED", "ENABLING")) == on:
        return f"TTL {'on' if on else 'off'} already"
    spec = {"Enabled": on, "AttributeName": EXPIRES_ATTR}
    retry_throttled(
        lambda: client.update_time_to_live(TableName=table, TimeToLiveSpecification=spec),  # type: ignore[arg-type]
        operation="UpdateTimeToLive",
        context=table,
    )
    return f"TTL on {EXPIRES_ATTR}: {'enabled' if on else 'disabled'}"


def _wait_active(
    client: DynamoDBClient, table: str, *, sleep: Callable[[float], None], timeout: float, what: str
) -> None:
    waited = 0.0
    while True:
        desc = describe(client, table)
        busy = desc.get("TableStatus") != "ACTIVE" or any(
            g.get("IndexStatus", "ACTIVE") != "ACTIVE" for g in desc.get("GlobalSecondaryIndexes", [])
        )
        if not busy:
            return
        if waited >= timeout:
            msg = f"{what}: the table was not ACTIVE after {timeout:.0f} s."
            raise MigrationError(msg, hint="run `migrate up` again later: it resumes where it stopped")
        sleep(5.0)
        waited += 5.0
