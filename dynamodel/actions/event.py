"""What an action's handler receives: the change (typed entities) and a table to write with.

``event.table`` reads as the app's table does (every read pattern, ``get``, ``query``, ...)
and writes through a unit of work (:mod:`dynamodel.runtime.unit_of_work`): ``create``,
``put``, ``update``, ``delete`` and ``increment`` are collected and committed after the
handler returns, in one transaction with the action's marker, so they happen once per change
however often the record is delivered. Write patterns commit on their own and are refused
here. ``event.once(name, effect)`` makes an effect outside the table once per change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dynamodel.actions.idempotency import IdempotentEffects
from dynamodel.errors import RequestError
from dynamodel.model import Entity
from dynamodel.runtime.table import Table
from dynamodel.runtime.unit_of_work import UnitOfWork

__all__ = ["ActionEvent", "ActionTable"]

E = TypeVar("E", bound=Entity)
T = TypeVar("T")


class ActionTable:
    """The app's table for a handler: reads sent at once, writes committed with the action."""

    def __init__(self, table: Table, work: UnitOfWork) -> None:
        self._table = table
        self._work = work

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._table.patterns and self._table.design.plan(name).kind == "write":
            msg = f"write pattern '{name}' commits on its own, outside the action's transaction."
            raise RequestError(
                msg,
                hint="write with event.table.create/put/update/delete/increment, which commit with the action",
            )
        return getattr(self._table, name)

    def create(self, entity: Entity) -> None:
        """Create an item (the action fails, to be retried, if it exists)."""
        self._work.create(entity)

    def put(self, entity: Entity) -> None:
        """Create or replace an item."""
        self._work.put(entity)

    def update(self, entity: Entity, *, expected_version: int | None = None) -> None:
        """Replace an item read through the table, if it has not changed since."""
        self._work.update(entity, expected_version=expected_version)

    def delete(self, target: type[Entity] | Entity, **key: object) -> None:
        """Delete an item (an instance, or a class and its key)."""
        self._work.delete(target, **key)

    def increment(self, entity: type[Entity], attr: str, by: int = 1, **key: object) -> None:
        """Add ``by`` to a counter of an existing item."""
        self._work.increment(entity, attr, by, **key)


@dataclass(frozen=True)
class ActionEvent(Generic[E]):
    """One change of an item, delivered to an action's handler.

    Attributes:
        action: the action's name.
        name: ``INSERT``, ``MODIFY`` or ``REMOVE``.
        old: the item before the change (None for INSERT).
        new: the item after the change (None for REMOVE).
        table: reads, and writes committed once with the action (see the module docstring).
        record: the stream record, in the Lambda event's JSON form.
    """

    action: str
    name: str
    old: E | None
    new: E | None
    table: ActionTable
    record: Mapping[str, Any]
    effects: IdempotentEffects

    @property
    def item(self) -> E:
        """The item the action's ``when`` was tested on: ``new``, or ``old`` for a REMOVE."""
        found = self.new if self.new is not None else self.old
        assert found is not None  # a record has at least one image
        return found

    def once(
        self, name: str, effect: Callable[[], T], *, keep_s: int = 3600 * 24 * 15, in_progress_s: int = 60
    ) -> T:
        """Make an effect outside the table once for this change; see :mod:`dynamodel.actions.idempotency`."""
        return self.effects.once(name, effect, keep_s=keep_s, in_progress_s=in_progress_s)
