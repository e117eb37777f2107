"""Reading an item as the table stores it, for tests that check the raw layout (copies, stamps, keys),
and settling its stream (every pending record propagated) before they do."""

from __future__ import annotations

from typing import Any

from dynamodel.compile import base_key
from dynamodel.propagate import drain
from dynamodel.runtime.table import Table
from dynamodel.testing.inprocess import InProcessEngine


def stored(table: Table, entity: str, **key: object) -> dict[str, Any]:
    """The stored item of ``entity`` with this key (strongly consistent); it must exist."""
    item = table.client.get_item(
        TableName=table.name, Key=base_key(table.design, entity, key), ConsistentRead=True
    ).get("Item")
    assert item is not None, f"no stored {entity} {key}"
    return dict(item)


def settle(table: Table, engine: InProcessEngine) -> None:
    """Propagate every record the table's stream holds (the local driver, in this process)."""
    drain(table.design, table.name, table.client, engine.client("dynamodbstreams"))
