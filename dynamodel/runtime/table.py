"""The connected table: one method per declared pattern, plus entity writes and batches.

Call convention (every pattern method is keyword-only, except write patterns)::

    table = shop.connect("shop-dev", boto3.client("dynamodb"))
    table.get_customer(customer_id="c1")                      # get → Customer | None
    page = table.orders_of_customer(customer_id="c1", lo=t0, hi=t1, limit=20)
    page.items, page.cursor                                    # cursor=None on the last page
    table.orders_of_customer(customer_id="c1", cursor=page.cursor, limit=20)
    for order in table.orders_of_customer.iterate(customer_id="c1"): ...
    page = table.order_with_lines(order_id="o1")               # CollectionPage
    page.items_of(OrderLine), page.groups["Order"]
    table.place_order(order, lines=[line1, line2])             # write pattern: one transaction
    table.orders_of_customer.params(customer_id="c1")          # the Query kwargs, nothing sent

* ``by`` attributes are required keyword arguments; ``where`` values come from the
  declaration and cannot be passed.
* Range arguments by the declared operator: ``value=`` for eq, lt, lte, gt, gte and
  begins_with; ``lo=``/``hi=`` for between (either may be left out: ``lo`` alone is
  ``>=``, ``hi`` alone is ``<=``). Leaving the range out reads the whole sorted list.
* Query patterns take ``limit=`` (page size) and ``cursor=`` (from the previous page).
* A pattern whose name clashes with a method of this class is reached with
  ``table.run("name", ...)``.

For static types use the typed entry points: ``table.get(Customer, "get_customer", ...)``
returns ``Customer | None`` and ``table.query(Order, "orders_of_customer", ...)`` returns
``Page[Order]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

from dynamodel.model import Entity
from dynamodel.runtime.backoff import DEFAULT_BACKOFF, Backoff
from dynamodel.runtime.drive import run_sync
from dynamodel.runtime.migration_gate import WhileFilling
from dynamodel.runtime.reads import CollectionPage, Page
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.table_base import PatternMethodBase, TableBase, UnknownPatternError
from dynamodel.runtime.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from dynamodel.design.model import Design

__all__ = ["PatternMethod", "Table", "UnknownPatternError"]

E = TypeVar("E", bound=Entity)
T = TypeVar("T")


class PatternMethod(PatternMethodBase["Table"]):
    """A declared pattern bound to a table: call it, or use ``.iterate``/``.pages``/``.params``."""

    def __repr__(self) -> str:
        return f"<pattern {self.__name__} of table {self._table.name!r}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._table.run(self.__name__, *args, **kwargs)

    def iterate(self, *, limit: int | None = None, **args: Any) -> Iterator[Any]:
        """Every item of the query, across all pages (``limit`` is the page size).

        Items are typed ``Any`` like the call itself; ``table.iterate_as(Entity, name, ...)``
        is the statically typed form.
        """
        return self._table.iterate(self.__name__, limit=limit, **args)

    def pages(self, *, limit: int | None = None, **args: Any) -> Iterator[Page[Any]]:
        """Every page of the query, following cursors to the end."""
        return self._table.pages(self.__name__, limit=limit, **args)

    all_pages = pages


class Table(TableBase):
    """A DynamoDB table holding one app's entities, with a method per declared pattern.

    Create it with ``app.connect(table_name, client)``; see the module docstring for the
    call convention. It needs only the design and the entity classes, not the ``App``.
    """

    def __init__(
        self,
        design: Design,
        models: Mapping[str, type[Entity]],
        table_name: str,
        client: DynamoDBClient,
        *,
        cursor_secret: bytes | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        max_workers: int = 8,
        while_filling: WhileFilling | None = None,
    ) -> None:
        super().__init__(
            design,
            models,
            table_name,
            client,
            cursor_secret=cursor_secret,
            backoff=backoff,
            max_workers=max_workers,
            while_filling=while_filling,
        )

    def _drive(self, steps: Steps[T]) -> T:
        s = self._session
        return run_sync(steps, s.client, lambda: s.executor)

    @property
    def client(self) -> DynamoDBClient:
        """The boto3 client requests go through."""
        client: DynamoDBClient = self._session.client
        return client

    def __getattr__(self, name: str) -> PatternMethod:
        if name.startswith("_"):
            msg = f"{type(self).__name__} has no attribute '{name}'."
            raise UnknownPatternError(msg, hint="pattern names do not start with '_'")
        method = self.pattern(name)
        # Found in the instance from now on: the next call skips this lookup.
        self.__dict__[name] = method
        return method

    def pattern(self, name: str) -> PatternMethod:
        """The method of pattern ``name``."""
        return self._method(name, PatternMethod)

    def close(self) -> None:
        """Release the threads of sharded queries (the client stays open)."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reads ---------------------------------------------------------------------------

    def run(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Run pattern ``name``: the same as ``table.<name>(...)``."""
        return self._drive(self._run_steps(name, args, kwargs))

    def get(self, entity: type[E], name: str, /, **args: Any) -> E | None:
        """Typed form of a get pattern: ``table.get(Customer, "get_customer", customer_id=...)``."""
        return self._drive(self._get_steps(entity, name, args))

    def query(
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
        return self._drive(self._query_steps(entity, name, args, limit, cursor))

    def collection(
        self, name: str, /, *, limit: int | None = None, cursor: str | None = None, **args: Any
    ) -> CollectionPage:
        """Typed form of a multi-entity query pattern, returning a CollectionPage."""
        return self._drive(self._collection_steps(name, args, limit, cursor))

    def pages(
        self, name: str, /, *, limit: int | None = None, cursor: str | None = None, **args: Any
    ) -> Iterator[Page[Entity]]:
        """Every page of a query pattern, following cursors to the end."""
        checked = self._paging(name, args)
        return self._follow(name, checked, limit, cursor)

    def _follow(
        self, name: str, checked: Mapping[str, object], limit: int | None, cursor: str | None
    ) -> Iterator[Page[Entity]]:
        while True:
            page = self._drive(self._page_steps(name, checked, limit, cursor))
            yield page
            if page.cursor is None:
                return
            cursor = page.cursor

    all_pages = pages

    def iterate(
        self, name: str, /, *, limit: int | None = None, cursor: str | None = None, **args: Any
    ) -> Iterator[Entity]:
        """Every item of a query pattern, in order, across all pages."""
        for page in self.pages(name, limit=limit, cursor=cursor, **args):
            yield from page.items

    def iterate_as(
        self,
        entity: type[E],
        name: str,
        /,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        **args: Any,
    ) -> Iterator[E]:
        """Typed form of :meth:`iterate` for a single-entity query pattern."""
        self._expect(entity, name, "query")
        for item in self.iterate(name, limit=limit, cursor=cursor, **args):
            assert isinstance(item, entity)
            yield item

    # ---- writes --------------------------------------------------------------------------

    def create(self, entity: E) -> E:
        """Write a new item (``attribute_not_exists``); ConditionFailedError if it exists."""
        return self._drive(self._create_steps(entity))

    def put(self, entity: E, *, expected_version: int | None = None) -> E:
        """Create or replace an item; with ``expected_version``, only over that version."""
        return self._drive(self._put_steps(entity, expected_version))

    def update(self, entity: E, *, expected_version: int | None = None) -> E:
        """Replace an existing item if it is still at the version read (or ``expected_version``)."""
        return self._drive(self._update_steps(entity, expected_version))

    def delete(
        self, target: type[Entity] | Entity, /, *, expected_version: int | None = None, **key: Any
    ) -> bool:
        """Delete by instance or by ``EntityClass, **key attributes``; True if an item was deleted."""
        return self._drive(self._delete_steps(target, key, expected_version))

    def write(self, name: str, /, *entities: Any, **kwargs: Any) -> list[Entity]:
        """Run write pattern ``name`` (the same as ``table.<name>(...)``)."""
        return self._drive(self._write_steps(name, entities, kwargs))

    def batch_put(self, entities: Iterable[Entity]) -> int:
        """Bulk-write items (not conditional, ``_version`` 1); see bulk.batch_put."""
        return self._drive(self._batch_put_steps(entities))

    def batch_get(self, entity: type[E], keys: Sequence[Mapping[str, Any]]) -> list[E | None]:
        """Read items by key attributes, aligned with ``keys`` (None where missing)."""
        return self._drive(self._batch_get_steps(entity, keys))

    def unit_of_work(self) -> UnitOfWork:
        """Writes collected and committed as one transaction (see ``runtime/unit_of_work.py``)."""
        return UnitOfWork(self._work(), self._drive)
