"""The async table behind the sync table's interface, so one test suite checks both runtimes.

A :class:`BlockingTable` runs every call of an :class:`~dynamodel.runtime.async_table.AsyncTable`
on an event loop of its own thread (:class:`LoopThread`) and waits for it: tests written for
``Table`` (threads included: each caller waits for its own coroutine while the loop serves
them all at once) run unchanged on the async runtime, its aiobotocore client and its
driver. ``table.client`` is the aiobotocore client made blocking the same way, with its
``meta`` (event hooks see the async requests).

    >>> table = dynamodel_table(shop, runtime="async")  # doctest: +SKIP
    >>> table.get_customer(customer_id="c1")             # awaited on the loop  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from dynamodel.app import App
from dynamodel.runtime.async_table import AsyncPatternMethod, AsyncTable
from dynamodel.runtime.table import Table
from dynamodel.runtime.unit_of_work import AsyncUnitOfWork

T = TypeVar("T")


class LoopThread:
    """An asyncio event loop running in a daemon thread; :meth:`run` waits for a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="dynamodel-async", daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[T]) -> T:
        """The awaitable's result (or exception), computed on the loop; callable from any thread."""
        return asyncio.run_coroutine_threadsafe(_awaited(coro), self.loop).result()

    def iterate(self, items: AsyncIterator[T]) -> Iterator[T]:
        """An async iterator consumed step by step on the loop."""
        while True:
            try:
                yield self.run(_next(items))
            except StopAsyncIteration:
                return

    def stop(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


async def _awaited(value: Awaitable[T]) -> T:
    return await value


async def _next(items: AsyncIterator[T]) -> T:
    return await items.__anext__()


def _blocking(loop: LoopThread, attr: Any) -> Any:
    """``attr`` with its coroutines awaited and its async iterators iterated on ``loop``."""
    if inspect.isasyncgenfunction(attr):
        return lambda *a, **k: loop.iterate(attr(*a, **k))
    if callable(attr):

        def call(*args: Any, **kwargs: Any) -> Any:
            got = attr(*args, **kwargs)
            return loop.run(got) if inspect.isawaitable(got) else got

        return call
    return attr


class BlockingClient:
    """An aiobotocore client whose operations block until answered (``meta`` is the client's own)."""

    def __init__(self, client: Any, loop: LoopThread) -> None:
        self._client = client
        self._loop = loop

    @property
    def meta(self) -> Any:
        """The aiobotocore client's ``meta`` (events, config, region)."""
        return self._client.meta

    def __getattr__(self, name: str) -> Any:
        return _blocking(self._loop, getattr(self._client, name))


class BlockingMethod:
    """An async pattern method called as a sync one."""

    def __init__(self, method: AsyncPatternMethod, loop: LoopThread) -> None:
        self._method = method
        self._loop = loop
        self.__name__ = method.__name__
        self.__doc__ = method.__doc__
        self.kind = method.kind

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._loop.run(self._method(*args, **kwargs))

    def iterate(self, **args: Any) -> Iterator[Any]:
        """Every item of the query (pages fetched on the loop)."""
        return self._loop.iterate(self._method.iterate(**args))

    def pages(self, **args: Any) -> Iterator[Any]:
        """Every page of the query."""
        return self._loop.iterate(self._method.pages(**args))

    all_pages = pages

    def params(self, **args: Any) -> dict[str, Any]:
        """The request kwargs the call would send."""
        return self._method.params(**args)


class BlockingWork:
    """An async unit of work driven from sync code."""

    def __init__(self, work: AsyncUnitOfWork, loop: LoopThread) -> None:
        self._work = work
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        return _blocking(self._loop, getattr(self._work, name))

    def __len__(self) -> int:
        return len(self._work)


class BlockingTable:
    """An :class:`AsyncTable` with the sync table's interface (see the module docstring)."""

    def __init__(
        self, table: AsyncTable, loop: LoopThread, *, on_close: Callable[[], None] | None = None
    ) -> None:
        self.async_table = table
        self._loop = loop
        self._on_close = on_close
        self.name = table.name
        self.design = table.design
        self.app_name = table.app_name
        self._session = table._session

    @property
    def client(self) -> BlockingClient:
        """The aiobotocore client, blocking."""
        return BlockingClient(self.async_table.client, self._loop)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The names of the declared patterns."""
        return self.async_table.patterns

    def pattern(self, name: str) -> BlockingMethod:
        """The method of pattern ``name``."""
        return BlockingMethod(self.async_table.pattern(name), self._loop)

    def unit_of_work(self) -> BlockingWork:
        """The async table's unit of work, blocking."""
        return BlockingWork(self.async_table.unit_of_work(), self._loop)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self.async_table, name)
        if isinstance(attr, AsyncPatternMethod):
            return BlockingMethod(attr, self._loop)
        return _blocking(self._loop, attr)

    def __repr__(self) -> str:
        return f"<blocking {self.async_table!r}>"

    def close(self) -> None:
        """Close what was opened for this table (its client), once."""
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    def __enter__(self) -> BlockingTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_client(
    loop: LoopThread, created: AbstractAsyncContextManager[Any]
) -> tuple[Any, Callable[[], None]]:
    """Enter an aiobotocore client's context on ``loop``; the client and a function that closes it."""

    async def enter() -> Any:
        return await created.__aenter__()

    async def leave() -> None:
        await created.__aexit__(None, None, None)

    def close() -> None:
        loop.run(leave())

    return loop.run(enter()), close


def connect_blocking(loop: LoopThread, app: App, table: Table, client: Any, **options: Any) -> BlockingTable:
    """``table`` (created and connected with boto3) connected again through the aiobotocore
    ``client``, with the same cursor secret unless ``options`` give one, behind a blocking view."""
    options = {"cursor_secret": table._session.cursors.secret, **options}
    return BlockingTable(loop.run(app.connect_async(table.name, client, **options)), loop)
