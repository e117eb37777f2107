"""What an :class:`~dynamodel.testing.machine.AppMachine` class runs against.

:class:`MachineConfig` holds the app, the client factory and the machine's options; it hands
out one client per service, connects each test case's table on the chosen runtime, and says
how to drain propagation after a write. The machine builds one per class; the rules read it
through :mod:`dynamodel.testing.machine_api`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from dynamodel.app import App
from dynamodel.errors import RequestError
from dynamodel.runtime.table import Table
from dynamodel.testing.faults import DynamoRules
from dynamodel.testing.inprocess import InProcessEngine, default_client_factory, embedded_client_factory
from dynamodel.testing.machine_async import AsyncRuntime, is_local
from dynamodel.testing.strategies import PoolKey

ClientFactory = Callable[[str], Any]
"""Called with ``"dynamodb"`` (and ``"dynamodbstreams"`` to drain propagation); returns a boto3 client."""
Drain = Callable[[Table], object]
"""``drain(table)`` applies every pending copy update of the table's stream, then returns."""
Runtime = Literal["sync", "async"]
"""Which table the machine drives: ``Table`` (boto3), or ``AsyncTable`` (aiobotocore) behind a blocking view."""


def propagation_driver() -> Callable[..., Any] | None:
    """``dynamodel.propagate.driver.drain`` when propagation is installed, else None (feature test)."""
    try:
        driver = importlib.import_module("dynamodel.propagate.driver")
    except ImportError:
        return None
    found = getattr(driver, "drain", None)
    return found if callable(found) else None


@dataclass
class MachineConfig:
    """What an AppMachine class runs against; built by :func:`app_machine` or a subclass."""

    app: App
    client_factory: ClientFactory = default_client_factory
    max_items: int = 40
    drain: Drain | Literal["auto"] | None = "auto"
    scan_every: int = 1
    swarm: bool = False
    check_all: bool = True
    stage: str | None = None
    runtime: Runtime = "sync"
    pools: dict[PoolKey, tuple[object, ...]] = field(default_factory=dict)
    rules: DynamoRules = field(default_factory=DynamoRules)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _async: AsyncRuntime | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.runtime not in ("sync", "async"):
            msg = f"runtime={self.runtime!r} is not a runtime"
            raise RequestError(msg, hint="pass 'sync' (boto3) or 'async' (aiobotocore)")

    def client(self, service: str) -> Any:
        """One client per service for every test case of the class (boto3 clients are thread-safe).

        DynamoDB clients apply :attr:`rules` (DynamoDB's ClientRequestToken rule, lost
        responses): the default engine's clients, and clients of a server on this machine.
        The default engine of the async runtime is a process-wide EmbeddedEngine (HTTP).
        """
        if service not in self._clients:
            factory = self.client_factory
            if factory is default_client_factory and self.runtime == "async":
                factory = embedded_client_factory  # aiobotocore cannot reach moto in process
            if factory is default_client_factory:
                client = InProcessEngine(rules=self.rules).client(service)
            else:
                client = factory(service)
                if service == "dynamodb" and is_local(client):
                    self.rules.install_http(client)
            self._clients[service] = client
        return self._clients[service]

    def connect(self, table: Table) -> Table:
        """``table`` on the configured runtime: itself, or the async table of the same name.

        For ``"async"``, a :class:`~dynamodel.testing.blocking.BlockingTable`: it has the
        sync table's interface (typed as ``Table`` for the checks that take one).
        """
        if self.runtime == "sync":
            return table
        if self._async is None:
            self._async = AsyncRuntime(self.rules)
        return cast(Table, self._async.connect(self.app, table, self.client("dynamodb")))

    def close(self) -> None:
        """Close what the async runtime opened (its loop and client); the class can run again after."""
        if self._async is not None:
            self._async.close()

    def drain_for(self, table: Table) -> Callable[[], object] | None:
        """How to drain ``table``'s propagation after a write, or None (copies filled at write time)."""
        option = self.drain
        if option is None:
            return None
        if option != "auto":
            return lambda: option(table)
        driver = propagation_driver()
        if driver is None or not self.app.design.needs_stream:
            return None
        streams = self.client("dynamodbstreams")
        return lambda: driver(table.design, table.name, table.client, streams)
