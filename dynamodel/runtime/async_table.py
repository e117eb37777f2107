"""The connected table for asyncio: every pattern an ``async`` method, pages ``async for``.

The same calls, results, cursors, conditions, transactions, retries and errors as
:class:`~dynamodel.runtime.table.Table`: both run the steps of :class:`TableBase`; this one
awaits them on an aiobotocore client (``dynamodel.runtime.aio``)::

    from aiobotocore.session import get_session

    async with get_session().create_client("dynamodb") as client:
        table = await shop.connect_async("shop-dev", client)
        customer = await table.get_customer(customer_id="c1")
        page = await table.orders_of_customer(customer_id="c1", limit=20)
        async for order in table.orders_of_customer.iterate(customer_id="c1"):
            ...
        await table.place_order(order, lines=[line])

The shards of a fanned-out query are read concurrently on the running event loop (no threads).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Iterable, Mapping, Sequence
from typing import Any, Self, TypeVar

from dynamodel.model import Entity
from dynamodel.runtime.aio import run_async
from dynamodel.runtime.reads import CollectionPage, Page
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.table_base import PatternMethodBase, TableBase, UnknownPatternError
from dynamodel.runtime.unit_of_work import AsyncUnitOfWork

__all__ = ["AsyncPatternMethod", "AsyncTable"]

E = TypeVar("E", bound=Entity)
T = TypeVar("T")


class AsyncPatternMethod(PatternMethodBase["AsyncTable"]):
    """A declared pattern bound to an async table: ``await`` it, or ``async for`` over
    ``.iterate``/``.pages``; ``.params`` sends nothing."""

    owner = "AsyncTable"

    def __repr__(self) -> str:
        return f"<async pattern {self.__name__} of table {self._table.name!r}>"

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return await self._table.run(self.__name__, *args, **kwargs)

    def iterate(self, *, limit: int | None = None, **args: Any) -> AsyncIterator[Any]:
        """Every item of the query, across all pages (``limit`` is the page size)."""
        return self._table.iterate(self.__name__, limit=limit, **args)

    def pages(self, *, limit: int | None = None, **args: Any) -> AsyncIterator[Page[Any]]:
        """Every page of the query, following cursors to the end."""
        return self._table.pages(self.__name__, limit=limit, **args)

    all_pages = pages


class AsyncTable(TableBase):
    """A DynamoDB table holding one app's entities, reached through an aiobotocore client.

    Create it with ``await app.connect_async(table_name, client)``; the call convention is
    the sync table's (see :mod:`dynamodel.runtime.table`), every call awaited.
    """

    def _drive(self, steps: Steps[T]) -> Coroutine[Any, Any, T]:
        # The driver's coroutine itself, not one wrapping it: every wake-up of a request
        # (aiobotocore awaits many times per request) passes through each frame of the chain.
        return run_async(steps, self._session.client)

    @property
    def client(self) -> Any:
        """The aiobotocore client requests go through."""
        return self._session.client

    def __getattr__(self, name: str) -> AsyncPatternMethod:
        if name.startswith("_"):
            msg = f"{type(self).__name__} has no attribute '{name}'."
            raise UnknownPatternError(msg, hint="pattern names do not start with '_'")
        method = self.pattern(name)
        # Found in the instance from now on: the next call skips this lookup.
        self.__dict__[name] = method
        return method

    def pattern(self, name: str) -> AsyncPatternMethod:
        """The method of pattern ``name``."""
        return self._method(name, AsyncPatternMethod)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Nothing to release: the client is the caller's (close it with its own ``async with``)."""

    # ---- reads ---------------------------------------------------------------------------

    async def run(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Run pattern ``name``: the same as ``await table.<name>(...)``."""
        return await self._drive(self._run_steps(name, args, kwargs))

    async def get(self, entity: type[E], name: str, /, **args: Any) -> E | None:
        """Typed form of a get pattern."""
        return await self._drive(self._get_steps(entity, name, args))

    async def query(
        self,
        entity: type[E],
        name: str,
        /,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        **args: Any,
    ) -> Page[E]:
        """Typed form of a single-entity query pattern, returning ``Page[entity]``."""
        return await self._drive(self._query_steps(entity, name, args, limit, cursor))

    async def collection(
        self, name: str, /, *, limit: int | None = None, cursor: str | None = None, **args: Any
    ) -> CollectionPage:
        """Typed form of a multi-entity query pattern, returning a CollectionPage."""
        return await self._drive(self._collection_steps(name, args, limit, cursor))

    async def pages(
        self, name: str, /, *, limit: int | None = None, cursor: str | None = None, **args: Any
    ) -> AsyncIterator[Page[Entity]]:
        """Every page of a query pattern, following cursors to the end."""
        checked = self._paging(name, args)
        while True:
            page = await self._drive(self._page_steps(name, checked, limit, cursor))
            yield page
            if page.cursor is None:
                return
            cursor = page.cursor

    all_pages = pages

    async def iterate(
        self, name: str, /, *, limit: int | None = None, cursor: str | None = None, **args: Any
    ) -> AsyncIterator[Entity]:
        """Every item of a query pattern, in order, across all pages."""
        async for page in self.pages(name, limit=limit, cursor=cursor, **args):
            for item in page.items:
                yield item

    async def iterate_as(
        self,
        entity: type[E],
        name: str,
        /,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        **args: Any,
    ) -> AsyncIterator[E]:
        """Typed form of :meth:`iterate` for a single-entity query pattern."""
        self._expect(entity, name, "query")
        async for item in self.iterate(name, limit=limit, cursor=cursor, **args):
            assert isinstance(item, entity)
            yield item

    # ---- writes --------------------------------------------------------------------------

    async def create(self, entity: E) -> E:
        """Write a new item (``attribute_not_exists``); ConditionFailedError if it exists."""
        return await self._drive(self._create_steps(entity))

    async def put(self, entity: E, *, expected_version: int | None = None) -> E:
        """Create or replace an item; with ``expected_version``, only over that version."""
        return await self._drive(self._put_steps(entity, expected_version))

    async def update(self, entity: E, *, expected_version: int | None = None) -> E:
        """Replace an existing item if it is still at the version read (or ``expected_version``)."""
        return await self._drive(self._update_steps(entity, expected_version))

    async def delete(
        self, target: type[Entity] | Entity, /, *, expected_version: int | None = None, **key: Any
    ) -> bool:
        """Delete by instance or by ``EntityClass, **key attributes``; True if an item was deleted."""
        return await self._drive(self._delete_steps(target, key, expected_version))

    async def write(self, name: str, /, *entities: Any, **kwargs: Any) -> list[Entity]:
        """Run write pattern ``name`` (the same as ``await table.<name>(...)``)."""
        return await self._drive(self._write_steps(name, entities, kwargs))

    async def batch_put(self, entities: Iterable[Entity]) -> int:
        """Bulk-write items (not conditional, ``_version`` 1)."""
        return await self._drive(self._batch_put_steps(entities))

    async def batch_get(self, entity: type[E], keys: Sequence[Mapping[str, Any]]) -> list[E | None]:
        """Read items by key attributes, aligned with ``keys`` (None where missing)."""
        return await self._drive(self._batch_get_steps(entity, keys))

    def unit_of_work(self) -> AsyncUnitOfWork:
        """Writes collected (``await work.put(...)``) and committed as one transaction."""
        return AsyncUnitOfWork(self._work(), self._drive)
