"""A unit of work: entity writes collected and committed as one TransactWriteItems.

An action's effects commit together with the marker that says the action ran for one
version of its source item (:mod:`dynamodel.actions.markers`), so a redelivered record finds
the marker and changes nothing. The writes here keep the invariants the single-entity writes
keep (keys, sparse indexes, write-time copies, versions, unique guards) but are sent only by
:meth:`UnitOfWork.commit`: every write is conditioned on the state it was decided on (the item
read now, or the version an instance was read at), so a commit either applies all of them
to that state or none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dynamodel.codec import AttributeValue, Item, item_to_values
from dynamodel.compile import (
    Condition,
    base_key,
    build_delete,
    build_increment,
    build_item,
    build_put,
    check_item_size,
)
from dynamodel.errors import RequestError
from dynamodel.layout import PK, SK
from dynamodel.model import Entity
from dynamodel.runtime.copies import describe, fill_copies, read_item, with_absence_stamps
from dynamodel.runtime.guards import guard_actions, guard_releases, transactional
from dynamodel.runtime.immutables import changed_immutable, check_pinned, refuse_immutable_change
from dynamodel.runtime.instances import key_values, values_of
from dynamodel.runtime.sending import Label, stamp_write, transact
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.versions import (
    UNKNOWN_BORN,
    born_of,
    item_born,
    item_version,
    locking_condition,
    remember,
    stored_of,
)

__all__ = ["AsyncUnitOfWork", "UnitOfWork", "Work"]


class Work:
    """Writes of one transaction, as steps; nothing is sent before :meth:`commit`.

    Each method decides its write now (reading the current item where guards or a
    create-or-replace need it) and records it with a condition on that state.
    :class:`UnitOfWork` and :class:`AsyncUnitOfWork` run these steps.
    """

    def __init__(self, session: Session, write_id: str) -> None:
        self._s = session
        self._write_id = write_id
        self.actions: list[dict[str, Any]] = []
        self.labels: list[Label] = []
        self._keys: set[tuple[str, str]] = set()
        self._after: list[Callable[[], None]] = []

    def _add(self, action: dict[str, Any], label: Label, key: Item, what: str) -> None:
        ident = (key[PK]["S"], key[SK]["S"])
        if ident in self._keys:
            msg = f"one transaction writes {what} twice; DynamoDB refuses two operations on one item."
            raise RequestError(msg, hint="combine the changes into one write of that item")
        self._keys.add(ident)
        self.actions.append(action)
        self.labels.append(label)

    def _write(
        self, entity: Entity, version: int, born: int | None, cond: Condition, current: Item | None
    ) -> Steps[None]:
        s = self._s
        name = s.entity_name(type(entity))
        spec = s.design.app.entity(name)
        absent: dict[str, AttributeValue] = {}
        values = yield from fill_copies(s, name, values_of(entity), absent=absent)
        if current is not None:
            changed = changed_immutable(spec, values, current)
            if changed is not None:
                raise refuse_immutable_change(spec, values, changed, current)
        item, _ = with_absence_stamps(*build_item(s.design, name, values, version=version, born=born), absent)
        check_item_size(stamp_write(item, self._write_id), describe(spec, values))
        owner = {PK: item[PK], SK: item[SK]}
        label = f"{describe(spec, values)} changed since it was read (version moved on, or it was created or deleted)"
        self._add({"Put": build_put(s.table_name, item, cond)}, label, owner, describe(spec, values))
        old_values = item_to_values(spec, current) if current is not None else None
        g_actions, g_labels = guard_actions(s, name, values, owner, old_values, written=item)
        self.actions += g_actions
        self.labels += g_labels
        self._after.append(lambda: remember(entity, version, born))

    def _current(self, entity: Entity) -> Steps[Item | None]:
        s = self._s
        name = s.entity_name(type(entity))
        return read_item(s, base_key(s.design, name, values_of(entity)), f"read {name} for an action's write")

    def create(self, entity: Entity) -> Steps[None]:
        """Create the item (the commit fails if it exists)."""
        yield from self._write(entity, 1, born_of(), Condition.not_exists(), None)

    def put(self, entity: Entity) -> Steps[None]:
        """Create or replace the item, conditioned on the state read now."""
        current = yield from self._current(entity)
        if current is None:
            yield from self._write(entity, 1, born_of(), Condition.not_exists(), None)
            return
        version, born = item_version(current), item_born(current)
        yield from self._write(entity, version + 1, born, Condition.version_is(version, born), current)

    def update(self, entity: Entity, *, expected_version: int | None = None) -> Steps[None]:
        """Replace the item if it is still at the version the instance was read at."""
        check_pinned(entity)
        stored = stored_of(entity)
        expected = expected_version if expected_version is not None else (stored.version if stored else None)
        if expected is None:
            msg = f"update({type(entity).__name__}) needs the version the change is based on."
            raise RequestError(
                msg, hint="update an instance read through the table, or pass expected_version=..."
            )
        born = stored.born if stored else UNKNOWN_BORN
        current = (
            (yield from self._current(entity))
            if born == UNKNOWN_BORN or transactional(self._s, type(entity).__name__)
            else None
        )
        if born == UNKNOWN_BORN:
            born = item_born(current) if current is not None else born_of()
        yield from self._write(entity, expected + 1, born, locking_condition(expected, born), current)

    def delete(self, target: type[Entity] | Entity, **key: object) -> Steps[None]:
        """Delete the item (an instance: only at the version it was read at); its guards go with it."""
        s = self._s
        cls = target if isinstance(target, type) else type(target)
        name = s.entity_name(cls)
        spec = s.design.app.entity(name)
        if isinstance(target, Entity) and key:
            msg = "delete(instance) takes no key arguments: the key comes from the instance."
            raise RequestError(msg, hint="call delete(EntityClass, **key) to delete by key")
        values = values_of(target) if isinstance(target, Entity) else key_values(s, name, key, "delete")
        base = base_key(s.design, name, values)
        current = yield from read_item(s, base, f"read {name} for an action's delete")
        if current is None:
            return  # nothing to delete, so nothing joins the transaction
        stored = stored_of(target) if isinstance(target, Entity) else None
        version, born = (
            (stored.version, stored.born) if stored else (item_version(current), item_born(current))
        )
        label = f"{describe(spec, values)} changed since it was read"
        self._add(
            {"Delete": build_delete(s.table_name, base, locking_condition(version, born))},
            label,
            base,
            describe(spec, values),
        )
        releases, release_labels = guard_releases(s, name, base, item_to_values(spec, current))
        self.actions += releases
        self.labels += release_labels

    def increment(self, entity: type[Entity], attr: str, by: int = 1, **key: object) -> None:
        """Add ``by`` to a counter of an existing item (and bump its version)."""
        s = self._s
        name = s.entity_name(entity)
        values = key_values(s, name, key, "increment")
        base = base_key(s.design, name, values)
        label = f"{name} {values} does not exist (nothing to count)"
        self._add({"Update": build_increment(s.table_name, base, attr, by)}, label, base, f"{name} {values}")

    def commit(
        self, extra: Sequence[dict[str, Any]] = (), extra_labels: Sequence[str] = (), *, what: str
    ) -> Steps[None]:
        """Send every write (and ``extra`` actions) in one TransactWriteItems.

        Raises:
            TransactionConditionError: a condition failed (``failed`` names which); nothing was written.
            WriteTooLargeError: over DynamoDB's transaction limits; nothing was sent.
        """
        yield from transact(
            self._s, [*self.actions, *extra], [*self.labels, *extra_labels], what, token=self._write_id
        )
        for after in self._after:
            after()

    def __len__(self) -> int:
        return len(self.actions)


class UnitOfWork:
    """A :class:`Work` whose every write is decided now, through a sync table's client."""

    def __init__(self, work: Work, run: Callable[[Steps[Any]], Any]) -> None:
        self.work = work
        self._run = run

    @property
    def actions(self) -> list[dict[str, Any]]:
        """The TransactWriteItems actions collected so far."""
        return self.work.actions

    def create(self, entity: Entity) -> None:
        """Create the item (the commit fails if it exists)."""
        self._run(self.work.create(entity))

    def put(self, entity: Entity) -> None:
        """Create or replace the item, conditioned on the state read now."""
        self._run(self.work.put(entity))

    def update(self, entity: Entity, *, expected_version: int | None = None) -> None:
        """Replace the item if it is still at the version the instance was read at."""
        self._run(self.work.update(entity, expected_version=expected_version))

    def delete(self, target: type[Entity] | Entity, **key: object) -> None:
        """Delete the item (an instance: only at the version it was read at); its guards go with it."""
        self._run(self.work.delete(target, **key))

    def increment(self, entity: type[Entity], attr: str, by: int = 1, **key: object) -> None:
        """Add ``by`` to a counter of an existing item (and bump its version)."""
        self.work.increment(entity, attr, by, **key)

    def commit(
        self, extra: Sequence[dict[str, Any]] = (), extra_labels: Sequence[str] = (), *, what: str
    ) -> None:
        """Send every write (and ``extra`` actions) in one TransactWriteItems; see :meth:`Work.commit`."""
        self._run(self.work.commit(extra, extra_labels, what=what))

    def __len__(self) -> int:
        return len(self.work)


class AsyncUnitOfWork:
    """A :class:`Work` on an async table: ``await work.put(order)``, then ``await work.commit(...)``."""

    def __init__(self, work: Work, run: Callable[[Steps[Any]], Any]) -> None:
        self.work = work
        self._run = run

    @property
    def actions(self) -> list[dict[str, Any]]:
        """The TransactWriteItems actions collected so far."""
        return self.work.actions

    async def create(self, entity: Entity) -> None:
        """Create the item (the commit fails if it exists)."""
        await self._run(self.work.create(entity))

    async def put(self, entity: Entity) -> None:
        """Create or replace the item, conditioned on the state read now."""
        await self._run(self.work.put(entity))

    async def update(self, entity: Entity, *, expected_version: int | None = None) -> None:
        """Replace the item if it is still at the version the instance was read at."""
        await self._run(self.work.update(entity, expected_version=expected_version))

    async def delete(self, target: type[Entity] | Entity, **key: object) -> None:
        """Delete the item (an instance: only at the version it was read at); its guards go with it."""
        await self._run(self.work.delete(target, **key))

    def increment(self, entity: type[Entity], attr: str, by: int = 1, **key: object) -> None:
        """Add ``by`` to a counter of an existing item (nothing is read, so nothing to await)."""
        self.work.increment(entity, attr, by, **key)

    async def commit(
        self, extra: Sequence[dict[str, Any]] = (), extra_labels: Sequence[str] = (), *, what: str
    ) -> None:
        """Send every write (and ``extra`` actions) in one TransactWriteItems; see :meth:`Work.commit`."""
        await self._run(self.work.commit(extra, extra_labels, what=what))

    def __len__(self) -> int:
        return len(self.work)
