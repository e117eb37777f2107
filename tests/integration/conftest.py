"""Integration fixtures: one embedded engine (moto over HTTP) per session, a fresh table per test.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 (DESIGN.md §7).
"""

from __future__ import annotations

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
