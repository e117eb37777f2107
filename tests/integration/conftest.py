"""Integration fixtures: one embedded engine (moto over HTTP) per session, a fresh table per test.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 (DESIGN.md §7).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from dynamodel.app import App
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.engine import EmbeddedEngine
from dynamodel.runtime.table import Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

MakeTable = Callable[..., Table]


@pytest.fixture(scope="session")
def engine() -> Iterator[EmbeddedEngine]:
    """moto's server on 127.0.0.1, shared by the session's integration tests."""
    with EmbeddedEngine() as running:
        yield running


@pytest.fixture(scope="session")
def client(engine: EmbeddedEngine) -> DynamoDBClient:
    """A boto3 client on the engine (boto3 clients are thread-safe)."""
    return engine.client()


@pytest.fixture
def make_table(client: DynamoDBClient) -> Iterator[MakeTable]:
    """Create a fresh table for an app (from the emitted create_table kwargs) and connect to it.

    Tables are deleted when the test ends, so moto's per-table costs stay small.
    """
    created: list[str] = []

    def make(app: App, **connect_options: Any) -> Table:
        name = f"{app.name}-{uuid.uuid4().hex[:10]}"
        client.create_table(**render_create_table(app.design, name))
        created.append(name)
        return app.connect(name, client, **connect_options)

    yield make
    for name in created:
        client.delete_table(TableName=name)


@pytest.fixture
def linearizable_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto apply each DynamoDB request atomically, as DynamoDB does.

    moto's server handles requests on threads, and its conditional writes and
    TransactWriteItems check conditions and then write without a lock (a transaction
    even restores a deep copy of the table when it fails, undoing concurrent writes).
    DynamoDB serialises writes to an item; tests about concurrent writers assume that
    guarantee, so this wraps every backend operation in one lock.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in (
        "put_item",
        "update_item",
        "delete_item",
        "get_item",
        "query",
        "scan",
        "transact_write_items",
        "transact_get_items",
        "batch_write_item",
        "batch_get_item",
    ):
        original = getattr(DynamoDBBackend, name, None)
        if original is None:
            continue

        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(*args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)
