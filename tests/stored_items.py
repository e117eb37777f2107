"""Reading an item as the table stores it, for tests that check the raw layout (copies, stamps, keys)."""

from __future__ import annotations

from typing import Any

from dynamodel.compile import base_key
from dynamodel.runtime.table import Table


def stored(table: Table, entity: str, **key: object) -> dict[str, Any]:
    """The stored item of ``entity`` with this key (strongly consistent); it must exist."""
    item = table.client.get_item(
        TableName=table.name, Key=base_key(table.design, entity, key), ConsistentRead=True
    ).get("Item")
    assert item is not None, f"no stored {entity} {key}"
    return dict(item)
