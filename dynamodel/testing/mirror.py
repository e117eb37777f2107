"""The machine's model of the table: the oracle plus what it leaves out.

:class:`Model` wraps an :class:`~dynamodel.testing.oracle.Oracle` with what the machine also
predicts: each entity's version, copied attributes (filled from their sources and refreshed
as propagation would), unique value sets and base key attributes. :class:`ItemRef` is what
the machine's bundles hold: a created item's entity and key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from dynamodel.app import App
from dynamodel.compile import key_attrs
from dynamodel.copyrefs import Reference, references
from dynamodel.spec import AppSpec, PatternSpec
from dynamodel.testing.oracle import Oracle, Values, identity_of, normalise

__all__ = ["ItemRef", "Model", "PlannedDelete", "unfold"]


@dataclass(frozen=True)
class ItemRef:
    """An item the machine created: its entity and base key attribute values."""

    entity: str
    key: tuple[tuple[str, object], ...]

    def values(self) -> dict[str, object]:
        """The key attributes as a dict."""
        return dict(self.key)


@dataclass(frozen=True)
class PlannedDelete:
    """One item a write pattern is asked to delete (see ``runtime/pattern_deletes.py``).

    Attributes:
        entity: its entity.
        values: what the call passes: a key dict, or an instance's values.
        instance: whether an instance is passed (else a key dict).
        version: the version the instance was read at, when the runtime knows it.
        current: whether the instance was read from the item's current life (False once the
            item was deleted and created again: its birth differs, whatever its version).
    """

    entity: str
    values: Mapping[str, object]
    instance: bool = False
    version: int | None = None
    current: bool = True


def _unique_sets(app: AppSpec) -> dict[str, list[tuple[str, ...]]]:
    """Attribute sets that must be unique per entity, from the declarations (not the design)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for e in app.entities:
        for u in e.unique:
            out.setdefault(e.name, []).append((u,))
    for p in app.patterns:
        if p.kind != "get":
            continue  # a write pattern may name no entity to write (one that only deletes)
        ent = app.entity(p.entities[0])
        if p.unique and set(p.by) != set(ent.identity):
            sets = out.setdefault(ent.name, [])
            if tuple(sorted(p.by)) not in sets:
                sets.append(tuple(sorted(p.by)))
    return out


class Model:
    """The oracle plus what it leaves out: versions, copies, uniqueness, key attributes."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.spec = app.spec
        self.oracle = Oracle(app.spec)
        self.versions: dict[tuple[str, tuple[object, ...]], int] = {}
        self.unique = _unique_sets(app.spec)
        self.key_attrs = {e.name: key_attrs(app.design, e.name) for e in app.spec.entities}
        self.copies: dict[str, list[tuple[str, str, str]]] = {
            e.name: [(a.name, *a.copy_of) for a in e.attributes if a.copy_of is not None]
            for e in app.spec.entities
        }
        self.references = {e.name: references(app.spec, e.name) for e in app.spec.entities}

    def ident(self, entity: str, values: Mapping[str, object]) -> tuple[object, ...]:
        """The normalised identity of an entity's values."""
        return identity_of(self.spec.entity(entity), values)

    def size(self) -> int:
        """How many entities the model holds."""
        return sum(len(v) for v in self.oracle.items.values())

    def find(self, entity: str, key: Mapping[str, object]) -> Values | None:
        """The stored entity whose base key attributes equal ``key``'s, or None."""
        if any(key.get(a) is None for a in self.key_attrs[entity]):
            return None
        found = self.oracle.get(entity, key)
        if found is None or any(
            normalise(found.get(a)) != normalise(key.get(a)) for a in self.key_attrs[entity]
        ):
            return None
        return found

    def align(self, entity: str, values: dict[str, object]) -> dict[str, object]:
        """Give ``values`` the key attributes of the stored entity with the same identity.

        The base key can hold more than the identity (a parent's key): keeping identity →
        key a function makes identity and item one-to-one, as the oracle assumes.
        """
        found = self.oracle.get(entity, values)
        if found is not None:
            for a in self.key_attrs[entity]:
                values[a] = found.get(a)
        return values

    def fill_copies(
        self, entity: str, values: Mapping[str, object], pending: Sequence[tuple[str, Values]] = ()
    ) -> dict[str, object] | None:
        """``values`` with copies taken from their sources; None when the write is refused.

        An optional reference that names nothing, or a source that does not exist, leaves
        its copies None; for a required one the write is refused.
        """
        out = dict(values)
        for ref in self.references[entity]:
            key = self.source_key(ref, out)
            src = None
            if key is not None:
                src = next(
                    (
                        v
                        for e, v in pending
                        if e == ref.source
                        and all(normalise(v.get(a)) == normalise(key[a]) for a in self.key_attrs[ref.source])
                    ),
                    None,
                )
                if src is None:
                    src = self.find(ref.source, key)
            if src is None and not ref.optional:
                return None
            for attr, source_attr in ref.attributes:
                out[attr] = None if src is None else src.get(source_attr)
        return out

    def source_key(self, ref: Reference, values: Mapping[str, object]) -> dict[str, object] | None:
        """The base key attributes of the source item ``values`` names; None when it names none."""
        key = ref.source_values(values, self.key_attrs[ref.source])
        return None if any(v is None for v in key.values()) else key

    def propagated_copies(
        self, entity: str, values: Mapping[str, object]
    ) -> list[tuple[str, str, str, dict[str, object] | None]]:
        """(copy, source entity, source attribute, source key or None) of each copy of
        ``values`` that propagation keeps equal to its source (copies of immutable
        attributes are only filled at write time)."""
        out: list[tuple[str, str, str, dict[str, object] | None]] = []
        for ref in self.references[entity]:
            key = self.source_key(ref, values)
            out += [(attr, ref.source, source_attr, key) for attr, source_attr in ref.propagated]
        return out

    def unique_taken(self, entity: str, values: Mapping[str, object]) -> bool:
        """Whether another stored entity holds one of ``values``' unique value sets."""
        me = self.ident(entity, values)
        for attrs in self.unique.get(entity, []):
            mine = [normalise(values.get(a)) for a in attrs]
            if any(v is None for v in mine):
                continue
            for other in self.oracle.all(entity):
                if self.ident(entity, other) != me and [normalise(other.get(a)) for a in attrs] == mine:
                    return True
        return False

    def store(self, entity: str, values: Mapping[str, object], version: int) -> None:
        """Put an entity and its version."""
        # normalise() keeps datetime.fold and check_result compares reprs, so an equal
        # datetime with fold=1 (which hypothesis generates) would read back "different".
        self.oracle.put(entity, {k: unfold(v) for k, v in values.items()})
        self.versions[(entity, self.ident(entity, values))] = version

    def remove(self, entity: str, values: Mapping[str, object]) -> None:
        """Delete an entity."""
        self.oracle.delete(entity, values)
        self.versions.pop((entity, self.ident(entity, values)), None)

    def version(self, entity: str, values: Mapping[str, object]) -> int:
        """The stored version of an entity (0 when absent)."""
        return self.versions.get((entity, self.ident(entity, values)), 0)

    def predict_deletes(
        self,
        pattern: PatternSpec,
        deletes: Sequence[PlannedDelete],
        target_keys: Mapping[str, Mapping[str, object]] | None = None,
    ) -> tuple[Literal["ok", "condition", "request"], list[tuple[str, str, int, dict[str, object]]]]:
        """The outcome of a write pattern that only deletes, and its increment targets.

        Follows the runtime's order: each item in turn (an item that must be read first,
        because it holds unique guards or because its key alone names no increment target,
        refuses at once when missing or stale; the same item twice is a request error); then
        the targets (none found, or one that is also deleted: a request error); then the
        transaction (a missing or stale item, or a missing target: a condition failure).
        """
        if not deletes:
            return "request", []  # nothing to write
        guarded = {g.entity for g in self.app.design.guards}
        seen: set[tuple[str, tuple[object, ...]]] = set()
        removed: list[tuple[PlannedDelete, dict[str, object]]] = []
        condition = False
        for d in deletes:
            stored = self.find(d.entity, d.values)
            stale = (
                stored is not None
                and d.instance
                and d.version is not None
                and (not d.current or self.version(d.entity, stored) != d.version)
            )
            blind = not d.instance and any(
                t not in (target_keys or {}) and not all(a in d.values for a in self.key_attrs[t])
                for t, _, _ in pattern.increments
            )
            if (d.entity in guarded or blind) and (stored is None or stale):
                return "condition", []
            condition = condition or stored is None or stale
            ident = (d.entity, self.ident(d.entity, d.values))
            if ident in seen:
                return "request", []
            seen.add(ident)
            removed.append((d, dict(stored) if (d.entity in guarded or blind) and stored else dict(d.values)))
        targets: list[tuple[str, str, int, dict[str, object]]] = []
        for t, attr, n in pattern.increments:
            keys = [target_keys[t]] if target_keys and t in target_keys else [v for _, v in removed]
            found = {
                self.ident(t, k): {a: k[a] for a in self.key_attrs[t]}
                for k in keys
                if all(k.get(a) is not None for a in self.key_attrs[t])
            }
            if not found:
                return "request", []
            for ident_t, key in found.items():
                if (t, ident_t) in seen:
                    return "request", []
                seen.add((t, ident_t))
                targets.append((t, attr, n, key))
        if condition or any(self.find(t, k) is None for t, _, _, k in targets):
            return "condition", []
        return "ok", targets

    def apply_deletes(
        self, deletes: Sequence[PlannedDelete], targets: Sequence[tuple[str, str, int, dict[str, object]]]
    ) -> list[tuple[str, dict[str, object]]]:
        """Apply a write pattern ``predict_deletes`` said is ok; the incremented targets' values."""
        for d in deletes:
            self.remove(d.entity, d.values)
        bumped: list[tuple[str, dict[str, object]]] = []
        for t, attr, n, key in targets:
            target = self.find(t, key)
            assert target is not None
            count = target.get(attr)
            new = {**target, attr: (count if isinstance(count, int | Decimal) else 0) + n}
            self.store(t, new, self.version(t, target) + 1)
            bumped.append((t, new))
        return bumped

    def has_copies_of(self, source: str, values: Mapping[str, object]) -> bool:
        """Whether a stored entity holds copies of the ``source`` entity with ``values``' key."""
        keys = self.key_attrs[source]
        for entity, refs in self.references.items():
            for ref in refs:
                if ref.source == source and any(
                    (key := self.source_key(ref, v)) is not None
                    and all(normalise(key[a]) == normalise(values.get(a)) for a in keys)
                    for v in self.oracle.all(entity)
                ):
                    return True
        return False

    def refresh_copies(self) -> None:
        """What propagation converges to: each propagated copy equals its source's current value.

        A target naming no source, or a source that does not exist (deleted, or never
        created), keeps its copies as they are; copies of immutable attributes never change.
        """
        for entity, refs in self.references.items():
            for values in self.oracle.all(entity):
                for ref in refs:
                    key = self.source_key(ref, values)
                    src = None if key is None else self.find(ref.source, key)
                    if src is None:
                        continue
                    for attr, source_attr in ref.propagated:
                        if src.get(source_attr) is None:
                            values.pop(attr, None)
                        else:
                            values[attr] = src[source_attr]


def unfold(value: object) -> object:
    """``value``, with ``fold=0`` if it is a datetime (so equal datetimes have equal reprs)."""
    return value.replace(fold=0) if isinstance(value, dt.datetime) else value
