"""The AppMachine on the async runtime: its tables are AsyncTables behind a BlockingTable.

:class:`AsyncRuntime` holds what a machine class opens for ``runtime="async"``: one
:class:`~dynamodel.testing.blocking.LoopThread` and one aiobotocore client, reused by every
test case of the class (as its boto3 clients are) and closed by :meth:`AsyncRuntime.close`
(:func:`~dynamodel.testing.machine.run_app_machine` calls it; a ``TestCase`` run by
unittest or pytest closes at exit). The aiobotocore client talks to the endpoint of the
class's DynamoDB client, with its region and credentials, so the async table and the
machine's scans see one engine. The fault rules (``DynamoRules``) wrap its aiohttp sender
when that endpoint is local, as they wrap botocore's for the sync runtime.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from typing import Any

from dynamodel.app import App
from dynamodel.engine import async_client
from dynamodel.errors import RequestError
from dynamodel.runtime.table import Table
from dynamodel.testing.blocking import BlockingTable, LoopThread, connect_blocking, open_client
from dynamodel.testing.faults import DynamoRules
from dynamodel.testing.inprocess import IN_PROCESS

__all__ = ["LOCAL_ENDPOINTS", "AsyncRuntime", "is_local"]

LOCAL_ENDPOINTS = ("http://127.0.0.1", "http://localhost")


def is_local(client: Any) -> bool:
    """Whether ``client`` talks HTTP to a server on this machine (the rules may wrap it)."""
    endpoint = str(getattr(getattr(client, "meta", None), "endpoint_url", ""))
    return endpoint.startswith(LOCAL_ENDPOINTS)


class AsyncRuntime:
    """The event loop and aiobotocore client of one machine class (see the module docstring)."""

    def __init__(self, rules: DynamoRules) -> None:
        self._rules = rules
        self._loop: LoopThread | None = None
        self._client: Any = None
        self._close: Callable[[], None] | None = None

    def connect(self, app: App, table: Table, sync_client: Any) -> BlockingTable:
        """``table`` (created and connected on ``sync_client``) connected again, async, behind a blocking view."""
        loop, client = self._open(sync_client)
        return connect_blocking(loop, app, table, client)

    def _open(self, sync_client: Any) -> tuple[LoopThread, Any]:
        if self._loop is not None:
            return self._loop, self._client
        if getattr(sync_client, IN_PROCESS, False):
            msg = (
                "runtime='async' needs an engine over HTTP, and this client factory makes in-process clients"
            )
            raise RequestError(msg, hint="pass client_factory=engine.client of a started EmbeddedEngine")
        meta = sync_client.meta
        creds = sync_client._get_credentials()  # the same identity as the sync client's requests
        loop = LoopThread()
        try:
            client, close = open_client(loop, async_client(meta.endpoint_url, meta.region_name, creds))
        except BaseException:
            loop.stop()
            raise
        if is_local(sync_client):
            self._rules.install_async(client)
        self._loop, self._client, self._close = loop, client, close
        atexit.register(self.close)
        return loop, client

    def close(self) -> None:
        """Close the aiobotocore client and stop the loop (no-op when nothing is open)."""
        loop, close = self._loop, self._close
        self._loop, self._client, self._close = None, None, None
        if loop is None:
            return
        atexit.unregister(self.close)
        try:
            if close is not None:
                close()
        finally:
            loop.stop()
