"""Integration fixtures: the library's pytest plugin, under the names these tests use.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1, one per session,
and a fresh table per ``make_table`` call, dropped when the test ends.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pytest

from dynamodel.engine import EmbeddedEngine
from dynamodel.testing.pytest_plugin import (
    MakeTable,
    dynamodel_client,
    dynamodel_engine,
    dynamodel_loop,
    dynamodel_machine,
    dynamodel_stage,
    dynamodel_table,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


__all__ = [
    "client",
    "dynamodel_client",
    "dynamodel_engine",
    "dynamodel_loop",
    "dynamodel_machine",
    "dynamodel_stage",
    "dynamodel_table",
    "engine",
    "make_table",
    "runtime",
]


@pytest.fixture(scope="session")
def engine(dynamodel_engine: EmbeddedEngine) -> EmbeddedEngine:
    """moto's server on 127.0.0.1, shared by the session's integration tests."""
    return dynamodel_engine


@pytest.fixture(scope="session")
def client(dynamodel_client: DynamoDBClient) -> DynamoDBClient:
    """A boto3 client on the engine (boto3 clients are thread-safe)."""
    return dynamodel_client


RUNTIMES = ("sync", "async")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module or test marked ``both_runtimes`` runs once per runtime (its ``make_table`` tables)."""
    if metafunc.definition.get_closest_marker("both_runtimes") and "runtime" in metafunc.fixturenames:
        metafunc.parametrize("runtime", RUNTIMES, indirect=True)


@pytest.fixture
def runtime(request: pytest.FixtureRequest) -> str:
    """The runtime ``make_table`` connects: ``sync`` (boto3) unless the test runs both."""
    return str(getattr(request, "param", "sync"))


@pytest.fixture
def make_table(dynamodel_table: MakeTable, runtime: str) -> MakeTable:
    """``make_table(app, **connect_options)``: a fresh table for ``app``, dropped after the test;
    connected through ``runtime`` (the async table behind a blocking view, for ``async``)."""
    return functools.partial(dynamodel_table, runtime=runtime)
