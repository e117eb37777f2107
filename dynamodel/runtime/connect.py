"""``connect``: an app's declared patterns bound to a DynamoDB table through a boto3 client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynamodel.runtime.retry import DEFAULT_BACKOFF, Backoff
from dynamodel.runtime.table import Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from dynamodel.app import App


def connect(
    app: App,
    table_name: str,
    client: DynamoDBClient,
    *,
    cursor_secret: bytes | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    max_workers: int = 8,
) -> Table:
    """Bind ``app``'s patterns to ``table_name``.

    Args:
        app: the application.
        table_name: an existing table with the app's design (see ``dynamodel emit``).
        client: ``boto3.client("dynamodb", ...)``; any ``endpoint_url`` works (DynamoDB,
            DynamoDB Local, ScyllaDB Alternator, moto).
        cursor_secret: the HMAC key that signs page cursors. The default, derived from the
            app and table names, detects edited or misplaced cursors but not forgery:
            pass a real secret when cursors reach untrusted clients.
        backoff: retries of throttled requests.
        max_workers: threads that read the shards of a fanned-out query in parallel.

    Returns:
        The table, with a method per declared pattern.
    """
    return Table(
        app, table_name, client, cursor_secret=cursor_secret, backoff=backoff, max_workers=max_workers
    )
