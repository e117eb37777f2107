"""``MigrationMachine``: the AppMachine of a new design, with a migration running between its writes.

The table starts with the old design, and the machine's writes go through the OLD code until a
``deploy`` step swaps in the new code (as a real deploy does before ``migrate up``). From then
on, runner steps interleave with the machine's writes and deletes, each a rule hypothesis can
place anywhere and shrink:

* ``run_pages``: the runner works a few pages and stops (cleanly: it releases its lease);
* ``crash``: the runner's process dies at its n-th request, anywhere, even between a page's
  writes and its checkpoint; the lease is left behind and the next runner waits it out (the
  clock is the machine's, so nobody sleeps);
* ``race``: just before the runner's n-th item write, the application changes that item's
  attribute that the index being filled is keyed on, so the runner's write was computed from
  an item that no longer exists as it read it.

While the migration runs, every read of an index it touches is skipped (it would be refused
or partial; the runner's own tests check the refusal) and the table check compares only the
entities (every written item present once, with the model's values and version). When the
runner is done (a step, or the end of the test case), the AppMachine's whole-table check and
every pattern hold for the new design; then ``down`` runs and the table passes the old
design's checks with the same entities.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from dynamodel.app import App
from dynamodel.codec import item_to_values
from dynamodel.copyrefs import all_references
from dynamodel.design import design_to_dict
from dynamodel.layout import PK, SK, TYPE_ATTR, VERSION_ATTR
from dynamodel.migrate.diff import diff_designs
from dynamodel.migrate.ops import Operation, indexes_touched
from dynamodel.migrate.revisions import Revision
from dynamodel.migrator import MigrationRunner
from dynamodel.migrator.checks import verify
from dynamodel.testing.machine import AppMachine
from dynamodel.testing.stored_checks import scan_table
from dynamodel.testing.table_checks import same_values

LEASE = 30.0
MIN_ITEMS = 3
"""Items written by the old code before the new one may be deployed (else little to migrate)."""
DEPLOY_AT = 6
"""Items after which the new code is deployed at the latest."""


class Crash(BaseException):
    """The runner's process died (nothing catches it)."""


class Pause(BaseException):
    """The runner is stopped after some pages (by its operator)."""


def revision_between(old: App, new: App) -> Revision:
    """The one revision taking ``old``'s design to ``new``'s, as ``migrate new`` would write it."""
    ops = diff_designs(design_to_dict(old.design), design_to_dict(new.design))
    return Revision("r1", None, "edit", tuple(ops), Path("0001_edit.py"))


class _Dying:
    """A client that dies at its ``left``-th request (or item write, ``writes_only``) and stays dead."""

    def __init__(self, client: Any, left: int, *, writes_only: bool = False) -> None:
        self._client, self._left, self._writes_only = client, left, writes_only
        self._dead = False

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name.startswith("_") or name == "meta" or not callable(real):
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            key = kwargs.get("Key") or kwargs.get("Item") or {}
            item_write = name in _ITEM_WRITES and not key.get(PK, {}).get("S", "_").startswith("_")
            if not self._writes_only or item_write:
                self._left -= 1
            if self._dead or self._left < 0:
                self._dead = True
                raise Crash
            return real(*args, **kwargs)

        return call


_ITEM_WRITES = ("update_item", "put_item", "delete_item", "transact_write_items")


class _Racing:
    """A client on which the application changes an item just before the runner's n-th item write."""

    def __init__(self, client: Any, left: int, machine: MigrationMachine) -> None:
        self._client, self._left, self._machine = client, left, machine

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name not in ("update_item", "transact_write_items", "put_item"):
            return real

        def call(**kwargs: Any) -> Any:
            key = kwargs.get("Key") or kwargs.get("Item")
            if key is not None and not key[PK]["S"].startswith("_"):
                self._left -= 1
                if self._left == 0:
                    self._machine.change_under_runner(key)
            return real(**kwargs)

        return call


class MigrationMachine(AppMachine):
    """Subclass with ``app`` (the new App, its ``baseline`` the old one) and ``old_app``."""

    old_app: ClassVar[App]
    revision: ClassVar[Revision]

    def __init__(self) -> None:
        super().__init__()
        # AppMachine made the table with the new design: the deployed table has the old one.
        self.new_table = self.table
        self.client.delete_table(TableName=self.table_name)
        self.client.create_table(**self.old_app.to_create_table(self.table_name))
        self.table = self.old_app.connect(self.table_name, self.client, cursor_secret=b"m" * 32)
        self.era = "old"
        self.now = 1000.0
        self.runs = 0
        self.touched = indexes_touched(self.revision.operations)

    # ---- the runner ------------------------------------------------------------------------

    def runner(self, client: Any, **options: Any) -> MigrationRunner:
        self.runs += 1
        return MigrationRunner(
            client,
            self.table_name,
            self.app.design,
            [self.revision],
            segments=2,
            workers=1,
            page_size=2,
            owner=f"runner{self.runs}",
            lease_seconds=LEASE,
            clock=lambda: self.now,
            **options,
        )

    def finished(self) -> None:
        self.era = "done"
        self.check_stored()

    @precondition(lambda self: self.era == "old" and self.model.size() >= MIN_ITEMS)
    @rule()
    def deploy(self) -> None:
        """The new code replaces the old (the runner may start), once there are items to migrate."""
        self.table = self.new_table
        self.era = "migrating"

    @precondition(lambda self: self.era == "migrating")
    @rule(pages=st.integers(1, 4))
    def run_pages(self, pages: int) -> None:
        self.advance(pages)

    def advance(self, pages: int) -> None:
        """The runner works ``pages`` pages and stops (releasing its lease), or finishes."""
        left = [pages]

        def on_page(items: int, units: int) -> None:
            del items, units
            left[0] -= 1
            if left[0] <= 0:
                raise Pause

        try:
            self.runner(self.client, on_page=on_page).up()
        except Pause:
            self.check_entities()
            return
        self.finished()

    def after_write(self, check: tuple[str, int], focus: Any = ()) -> None:
        """The new code is deployed at the latest once the old one wrote ``DEPLOY_AT`` items."""
        super().after_write(check, focus)
        if self.era == "old" and self.model.size() >= DEPLOY_AT:
            self.deploy()

    @precondition(lambda self: self.era == "migrating")
    @rule(calls=st.integers(1, 40))
    def crash(self, calls: int) -> None:
        """The runner dies at its n-th request (of any kind: bookkeeping, scans, writes)."""
        self.crash_with(_Dying(self.client, calls))

    @precondition(lambda self: self.era == "migrating")
    @rule(writes=st.integers(1, 6))
    def crash_before_write(self, writes: int) -> None:
        """The runner dies just before its n-th item write (mid-page, before the page's checkpoint)."""
        self.crash_with(_Dying(self.client, writes, writes_only=True))

    def crash_with(self, client: _Dying) -> None:
        try:
            self.runner(client).up()
        except Crash:
            self.now += LEASE + 1  # the dead runner's lease runs out before anyone resumes
            self.check_entities()
            return
        self.finished()

    @precondition(lambda self: self.era == "migrating")
    @rule(nth=st.integers(1, 3))
    def race(self, nth: int) -> None:
        """The application changes the item of the runner's n-th write just before it is sent."""
        racing = _Racing(self.client, nth, self)

        def on_page(items: int, units: int) -> None:
            del items, units
            if racing._left <= 0:
                raise Pause  # the page of the race is done: back to the application

        runner = self.runner(self.client, on_page=on_page)
        runner.client = racing  # type: ignore[assignment]
        try:
            runner.up()
        except Pause:
            self.check_entities()
            return
        self.finished()

    def change_under_runner(self, key: dict[str, Any]) -> None:
        """The application changes an attribute the filled keys hold (new code: new keys too)."""
        got = self.client.get_item(
            TableName=self.table_name, Key={PK: key[PK], SK: key[SK]}, ConsistentRead=True
        )
        item = got.get("Item")
        entity = (item or {}).get(TYPE_ATTR, {}).get("S")
        if item is None or entity not in self.app.models:
            return
        spec = self.spec.entity(entity)
        current = self.model.find(entity, item_to_values(spec, item))
        if current is None:
            return
        keyed = {
            a
            for k in self.app.design.entity_indexes(entity)
            if k.index in self.touched
            for a in (*k.pk.attrs(), *k.sk.attrs())
        }
        changeable = [
            a.name
            for a in spec.attributes
            if a.name in keyed
            and a.type == "str"
            and not a.immutable
            and not a.enum
            and a.copy_of is None
            and a.name not in self.model.key_attrs[entity]
            and isinstance(current.get(a.name), str)
        ]
        # References name other entities (a changed one may name nothing, and changes the copies
        # taken through it): keyed values that name nothing only. A reference is an identity
        # attribute's name, or the local attribute of a named one (a ticket's ``assignee_id``).
        references = {a for e in self.spec.entities for a in e.identity}
        references |= {a for ref in all_references(self.spec) for a in ref.local_attrs}
        changeable = [a for a in changeable if a not in references]
        if not changeable:
            return
        changed = {**current, changeable[0]: str(current[changeable[0]]) + "~"}
        if self.model.unique_taken(entity, changed):
            return
        version = self.model.version(entity, current)
        self.table.put(self.instance(entity, changed))
        self.model.store(entity, changed, version + 1)

    # ---- checks while the runner is not done -------------------------------------------------

    def check_read(self, pattern: str, rng: random.Random, limit: int, focus: Any = None) -> None:
        if self.era == "old":
            return  # the old code serves the old patterns; the new ones are checked once deployed
        if self.era == "migrating" and self.app.design.plan(pattern).index in self.touched:
            return  # refused or partial while its index fills
        super().check_read(pattern, rng, limit, focus)

    def check_stored(self) -> None:
        if self.era == "done":
            super().check_stored()
        else:
            self.check_entities()

    def check_entities(self) -> None:
        """Every entity the model holds is stored once, with its values and version: none lost,
        none duplicated, no application write undone by the runner."""
        count = 0
        for item in scan_table(self.client, self.table_name):
            kind = item.get(TYPE_ATTR, {}).get("S")
            if kind is None or kind.startswith("_"):
                assert kind is not None, f"a stored item has no _type: {item}"
                continue
            values = item_to_values(self.spec.entity(kind), item)
            want = self.model.oracle.get(kind, values)
            assert want is not None, f"{kind} {values} is stored, but was never written or was deleted"
            assert same_values(values, want), f"{kind} stored as {values}, expected {want}"
            stored = int(item[VERSION_ATTR]["N"])
            assert stored == self.model.version(kind, values), f"{kind} {values}: _version {stored}"
            count += 1
        assert count == self.model.size(), f"the table holds {count} entities, the model {self.model.size()}"

    def teardown(self) -> None:
        try:
            if self.era == "old":
                self.deploy()
            if self.era == "migrating":
                self.runner(self.client).up()
                self.finished()
            for i, name in enumerate(self._reads):
                self.check_read(name, random.Random(i), 2)
            self.checked.update(self._reads)
            self.runner(self.client).down()
            assert verify(self.client, self.table_name, self.old_app.design).problems == []
            self.era = "down"
            self.check_entities()
        finally:
            super().teardown()


def migration_machine(old: App, new: App) -> type[MigrationMachine]:
    """The machine class of one edit (``new`` declared with ``baseline=old``)."""
    namespace: dict[str, Any] = {
        "app": new,
        "old_app": old,
        "revision": revision_between(old, new),
        "drain": None,
        "check_all": False,
        "__module__": __name__,
    }
    return type(f"Migrate{new.name.title().replace('_', '')}Machine", (MigrationMachine,), namespace)


def ops_of(machine: type[MigrationMachine]) -> tuple[Operation, ...]:
    """The revision's operations (for the test's report)."""
    return machine.revision.operations
