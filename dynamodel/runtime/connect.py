"""``connect`` and ``connect_async``: an app's declared patterns bound to a DynamoDB table through
a boto3 client, or an aiobotocore client for asyncio."""

from __future__ import annotations

import inspect
import os
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Any

from dynamodel.errors import DynamodelWarning, RequestError
from dynamodel.runtime.async_table import AsyncTable
from dynamodel.runtime.cursor import check_secret
from dynamodel.runtime.migration_gate import WhileFilling
from dynamodel.runtime.retry import DEFAULT_BACKOFF, Backoff
from dynamodel.runtime.table import Table

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb.client import DynamoDBClient

    from dynamodel.design import Design
    from dynamodel.model import Entity

SECRET_ENV = "DYNAMODEL_CURSOR_SECRET"
"""Environment variable holding the cursor secret when ``connect`` is given none (UTF-8 text)."""

_WARNED: set[tuple[str, str]] = set()
_WARNED_LOCK = threading.Lock()


def connect(
    design: Design,
    models: Mapping[str, type[Entity]],
    table_name: str,
    client: DynamoDBClient,
    *,
    cursor_secret: bytes | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    max_workers: int = 8,
    while_filling: WhileFilling | None = None,
) -> Table:
    """Bind a design's patterns to ``table_name`` (``App.connect`` passes its own).

    Args:
        design: the derived design.
        models: the entity classes by name, one for each entity of the design.
        table_name: an existing table with the app's design (see ``dynamodel emit``).
        client: ``boto3.client("dynamodb", ...)``; any ``endpoint_url`` works (DynamoDB,
            DynamoDB Local, ScyllaDB Alternator, moto).
        cursor_secret: the HMAC key (bytes) that signs page cursors, the same on every
            instance of the application, e.g. ``os.urandom(32)`` kept in a secret store.
            None reads ``$DYNAMODEL_CURSOR_SECRET`` (UTF-8 text); without either, a default
            derived from the app and table names is used, which detects edited or
            misplaced cursors but not forgery, and a ``DynamodelWarning`` says so once per
            app and table.
        backoff: retries of throttled requests.
        max_workers: threads that read the shards of a fanned-out query in parallel.
        while_filling: for a table evolved by migrations: ``"refuse"`` raises
            IndexFillingError for a read of an index a running migration is still filling
            (the table's migration state is read at most every 30 s); ``"partial"`` reads it
            anyway; None (default) does not look.

    Returns:
        The table, with a method per declared pattern.

    Raises:
        RequestError: ``cursor_secret`` is a str, empty, or not bytes; ``client`` is not a
            client; ``backoff`` is not a Backoff; ``max_workers`` is not a whole number >= 1.
    """
    _check_options(client, backoff, max_workers)
    if _is_async(client):
        msg = "connect() got an aiobotocore (async) client; it sends through boto3's."
        raise RequestError(
            msg,
            hint="await app.connect_async(table_name, client) for asyncio, or pass boto3.client('dynamodb')",
        )
    _check_while_filling(while_filling)
    secret = _secret(design.app.name, table_name, cursor_secret)
    return Table(
        design,
        models,
        table_name,
        client,
        cursor_secret=secret,
        backoff=backoff,
        max_workers=max_workers,
        while_filling=while_filling,
    )


def connect_async(
    design: Design,
    models: Mapping[str, type[Entity]],
    table_name: str,
    client: Any,
    *,
    cursor_secret: bytes | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    while_filling: WhileFilling | None = None,
) -> AsyncTable:
    """Bind a design's patterns to ``table_name`` through an aiobotocore client.

    The arguments of :func:`connect` (no ``max_workers``: the shards of a fanned-out query
    are read concurrently on the event loop); ``client`` comes from
    ``aiobotocore.session.get_session().create_client("dynamodb", ...)`` and stays the
    caller's to close.

    Raises:
        RequestError: ``client`` is a boto3 (sync) client or not a client, or as :func:`connect`.
    """
    _check_options(client, backoff, 1)
    if not _is_async(client):
        msg = "connect_async() needs an aiobotocore (async) client, not a boto3 one."
        raise RequestError(
            msg,
            hint="async with aiobotocore.session.get_session().create_client('dynamodb', ...) as client: ... (or app.connect for boto3)",
        )
    _check_while_filling(while_filling)
    secret = _secret(design.app.name, table_name, cursor_secret)
    return AsyncTable(
        design, models, table_name, client, cursor_secret=secret, backoff=backoff, while_filling=while_filling
    )


def _check_while_filling(while_filling: object) -> None:
    if while_filling not in (None, "refuse", "partial"):
        msg = f"while_filling={while_filling!r} is not an option."
        raise RequestError(msg, hint="pass 'refuse', 'partial' or None")


def _is_async(client: object) -> bool:
    """Whether ``client`` sends with coroutines (aiobotocore) rather than blocking calls (boto3)."""
    if any(c.__module__.startswith("aiobotocore.") for c in type(client).__mro__):
        return True
    # aiobotocore's own methods are not marked as coroutine functions; a hand-made double may be.
    return inspect.iscoroutinefunction(getattr(client, "get_item", None))


def _check_options(client: object, backoff: object, max_workers: object) -> None:
    # Mistakes that would otherwise surface as an AttributeError at the first request.
    if client is None or isinstance(client, str | bytes | int | float):
        msg = f"client={client!r} is not a DynamoDB client."
        raise RequestError(msg, hint='pass boto3.client("dynamodb", region_name=..., endpoint_url=...)')
    if not isinstance(backoff, Backoff):
        msg = f"backoff={backoff!r} is not a Backoff."
        raise RequestError(msg, hint="pass dynamodel.runtime.retry.Backoff(...), or leave it out")
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        msg = f"max_workers={max_workers!r} is not a number of threads."
        raise RequestError(msg, hint="pass a whole number >= 1 (threads reading the shards of a query)")


def _secret(app: str, table: str, given: object) -> bytes | None:
    if given is not None:
        return check_secret(given)
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env.encode("utf-8")
    with _WARNED_LOCK:
        if (app, table) in _WARNED:
            return None
        _WARNED.add((app, table))
    warnings.warn(
        f"dynamodel: table '{table}' of app '{app}' signs page cursors with the default secret, "
        "which is derived from the app and table names: anyone who knows them can forge a cursor "
        f"(and read any key range of the patterns that take cursors). Pass connect(..., "
        f"cursor_secret=...) the same random bytes on every instance (os.urandom(32), kept in a "
        f"secret store), or set the {SECRET_ENV} environment variable.",
        DynamodelWarning,
        stacklevel=_caller_level(),
    )
    return None


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside dynamodel (App.connect, the test toolkit)."""
    level, frame = 2, sys._getframe(2)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("dynamodel."):
        level, frame = level + 1, frame.f_back
    return level
