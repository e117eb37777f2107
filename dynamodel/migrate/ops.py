"""Migration operations: what one step of a migration does to a live table (pure data).

Alembic's model: a diff of two designs gives a list of operations (``diff.py``), each a
small frozen object a person can read in a migration file and edit, and each knows its
``reverse()`` where one exists. Nothing here talks to DynamoDB; a runner carries the
operations out later.

Operations name parts of the design JSON (docs/spec-format.md §2) as they are written there:
an index is its ``indexes`` entry, an entity's keys on an index are its ``entities`` entry,
so the ``repr`` of every operation is valid Python that rebuilds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dynamodel.errors import MigrationError

__all__ = [
    "CreateIndex",
    "DeleteIndex",
    "DisableStream",
    "DisableTtl",
    "EnableStream",
    "EnableTtl",
    "FillCopies",
    "FillExpiry",
    "FillGuards",
    "FillIndexKeys",
    "Operation",
    "RekeyEntity",
    "RemoveGuards",
    "RemoveIndexKeys",
    "RewriteIndexKeys",
    "Transform",
    "indexes_touched",
]


@dataclass(frozen=True)
class Operation:
    """One step of a migration."""

    def describe(self) -> str:
        """One line for people (``dynamodel lock --check``, ``migrate new``, dry runs)."""
        raise NotImplementedError

    def reverse(self) -> Operation | None:
        """The operation that undoes this one, or None when nothing needs undoing."""
        raise NotImplementedError

    @property
    def expands(self) -> bool:
        """Whether the operation adds to the table (run before the ones that take away)."""
        return True


@dataclass(frozen=True)
class CreateIndex(Operation):
    """Create a GSI (``index``: its entry in the design JSON's ``indexes``)."""

    index: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"index {self.index['name']}: created"

    def reverse(self) -> Operation:
        return DeleteIndex(self.index)


@dataclass(frozen=True)
class DeleteIndex(Operation):
    """Delete a GSI; its key attributes stay on the items until removed."""

    index: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"index {self.index['name']}: deleted"

    def reverse(self) -> Operation:
        return CreateIndex(self.index)

    @property
    def expands(self) -> bool:
        return False


NATIVE_KEY = "native"
"""Set in the ``keys`` of a :class:`FillIndexKeys` for a native index: only the stored
``_shard`` of a sharded one is written (its other key attributes are the entity's own)."""


@dataclass(frozen=True)
class FillIndexKeys(Operation):
    """Write an entity's key attributes for an index on every item of that entity.

    ``keys`` is the entity's entry for the index in the design JSON (``pk``, ``sk``, and
    ``sparse_when``/``shards`` where the design has them; ``native`` for a native index).
    """

    entity: str
    index: str
    keys: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"{self.entity} on {self.index}: keys added {self.keys}"

    def reverse(self) -> Operation:
        return RemoveIndexKeys(self.entity, self.index, self.keys)


@dataclass(frozen=True)
class RemoveIndexKeys(Operation):
    """Remove an entity's key attributes for an index from every item of that entity."""

    entity: str
    index: str
    keys: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"{self.entity} on {self.index}: keys removed"

    def reverse(self) -> Operation:
        return FillIndexKeys(self.entity, self.index, self.keys)

    @property
    def expands(self) -> bool:
        return False


@dataclass(frozen=True)
class RewriteIndexKeys(Operation):
    """Re-render an entity's key attributes for an index under a new template, in place.

    Code still running the old design reads that index wrongly until it is replaced; the
    stable re-derivation avoids this (a new index, filled, then the old one dropped).
    """

    entity: str
    index: str
    old: dict[str, Any] = field(hash=False)
    new: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"{self.entity} on {self.index}: keys changed {self.old} -> {self.new}"

    def reverse(self) -> Operation:
        return RewriteIndexKeys(self.entity, self.index, self.new, self.old)


@dataclass(frozen=True)
class RekeyEntity(Operation):
    """Move every item of an entity to a new primary key (copy and delete, one transaction each)."""

    entity: str
    old: dict[str, Any] = field(hash=False)
    new: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"{self.entity} on table: keys changed {self.old} -> {self.new} (every item moves)"

    def reverse(self) -> Operation:
        return RekeyEntity(self.entity, self.new, self.old)


@dataclass(frozen=True)
class FillGuards(Operation):
    """Write the unique-value guard item of every item of an entity (``guard``: its design JSON entry).

    Duplicates already in the table stop the migration before anything is enforced.
    """

    guard: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"unique guard added: {self.guard}"

    def reverse(self) -> Operation:
        return RemoveGuards(self.guard)


@dataclass(frozen=True)
class RemoveGuards(Operation):
    """Delete every guard item of one unique constraint."""

    guard: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"unique guard removed: {self.guard}"

    def reverse(self) -> Operation:
        return FillGuards(self.guard)

    @property
    def expands(self) -> bool:
        return False


@dataclass(frozen=True)
class FillCopies(Operation):
    """Fill a new copy path's attributes on every target item from its source (``path``: design JSON entry)."""

    path: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"copy path added: {self.path}"

    def reverse(self) -> None:
        # The copied attributes may stay: the old design does not read them.
        return None


@dataclass(frozen=True)
class EnableStream(Operation):
    """Turn on the table's stream (NEW_AND_OLD_IMAGES), which copy propagation reads."""

    def describe(self) -> str:
        return "stream: enabled"

    def reverse(self) -> Operation:
        return DisableStream()


@dataclass(frozen=True)
class DisableStream(Operation):
    """Turn off the table's stream: no copy is propagated any more."""

    def describe(self) -> str:
        return "stream: disabled"

    def reverse(self) -> Operation:
        return EnableStream()

    @property
    def expands(self) -> bool:
        return False


@dataclass(frozen=True)
class EnableTtl(Operation):
    """Turn on the table's TTL on ``_expires_at``, which items of entities declaring ``ttl`` carry."""

    def describe(self) -> str:
        return "TTL on _expires_at: enabled"

    def reverse(self) -> Operation:
        return DisableTtl()


@dataclass(frozen=True)
class DisableTtl(Operation):
    """Turn off the table's TTL: no item expires any more."""

    def describe(self) -> str:
        return "TTL on _expires_at: disabled"

    def reverse(self) -> Operation:
        return EnableTtl()

    @property
    def expands(self) -> bool:
        return False


@dataclass(frozen=True)
class FillExpiry(Operation):
    """Write ``_expires_at`` on every item of an entity that now declares ``ttl`` (from its ``attribute``)."""

    entity: str
    attribute: str

    def describe(self) -> str:
        return f"{self.entity}: _expires_at filled from {self.attribute}"

    def reverse(self) -> None:
        # Left in place: without TTL on the table (or the ttl declaration) nothing reads it.
        return None


@dataclass(frozen=True)
class Transform(Operation):
    """Rewrite every item of ``entity`` with a function of the project: a rename, a split, a default.

    ``function`` names ``module:callable``, called with the item's declared values (a dict)
    and returning the new values (a dict); the item is written again laid out by the running
    design, conditioned on being the item read, at the same ``_version``. ``undo`` names the
    function that reverses it, when there is one. Never generated: written by hand in a
    migration file.
    """

    entity: str
    function: str
    undo: str | None = None

    def describe(self) -> str:
        return f"{self.entity}: every item rewritten by {self.function}"

    def reverse(self) -> Operation:
        if self.undo is None:
            msg = f"{self.describe()} cannot be undone: it names no undo function."
            raise MigrationError(
                msg, hint="add undo='module:function' to the Transform, or do not migrate down past it"
            )
        return Transform(self.entity, self.undo, self.function)


def indexes_touched(operations: Iterable[Operation]) -> frozenset[str]:
    """The GSIs whose keys or definition the operations change (reads of them wait for the run)."""
    found: set[str] = set()
    for op in operations:
        if isinstance(op, CreateIndex | DeleteIndex):
            found.add(str(op.index["name"]))
        elif isinstance(op, FillIndexKeys | RemoveIndexKeys | RewriteIndexKeys):
            found.add(op.index)
    return frozenset(found)
