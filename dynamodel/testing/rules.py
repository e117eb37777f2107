"""The AppMachine's rules, generated per app from its declarations.

:func:`install_rules` adds to a machine class one bundle per entity and the rules that
create, update and delete each entity, run each ``write`` pattern, and check any pattern
(``check_pattern``). Each rule writes to the table and to the model, predicts the outcome,
and checks what the write returned. The rules of ``write`` patterns live in
:mod:`~dynamodel.testing.write_rules` (patterns that create) and
:mod:`~dynamodel.testing.delete_rules` (patterns that only delete).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, multiple, precondition, rule

from dynamodel.app import App
from dynamodel.compile import key_attrs
from dynamodel.naming import snake_case
from dynamodel.testing.delete_rules import delete_pattern_rule
from dynamodel.testing.machine_api import MachineApi, Outcome
from dynamodel.testing.mirror import ItemRef
from dynamodel.testing.rule_args import LOSE, PICK, adopt, named, values_strategy
from dynamodel.testing.table_checks import entity_values, same_values
from dynamodel.testing.write_rules import write_pattern_rule

__all__ = ["install_rules"]

UpdateMode = Literal["put", "update", "stale"]
"""How an update is sent: a full replace, an update at the current version, or at a stale one."""
DeleteMode = Literal["plain", "versioned", "stale", "twice"]
"""How a delete is sent: by key, at the current version, at a stale version, or twice."""

_MODES_UPDATE: tuple[UpdateMode, ...] = ("put", "update", "put", "update", "stale")
_MODES_DELETE: tuple[DeleteMode, ...] = ("plain", "versioned", "stale", "twice")


def _reference(app: App, entity: str) -> str | None:
    """The entity whose key ``entity``'s items most need to exist: copy source, parent, or another key."""
    spec = app.spec.entity(entity)
    own = set(key_attrs(app.design, entity))
    refs = [
        e.name
        for e in app.spec.entities
        if e.name != entity
        and all(spec.has(a) for a in key_attrs(app.design, e.name))
        and set(key_attrs(app.design, e.name)) != own
    ]
    preferred = [a.copy_of[0] for a in spec.attributes if a.copy_of] + [
        x for x in (spec.parent, spec.aggregate) if x
    ]
    return next((r for r in preferred if r in refs), refs[0] if refs else None)


def install_rules(cls: type[MachineApi]) -> None:
    """Add to ``cls`` the bundles and rules of its app (``cls._config.app``), and ``cls._reads``."""
    app = cls._config.app
    spec = app.spec
    cls._reads = tuple(p.name for p in spec.patterns if p.kind != "write")
    bundles = {e.name: Bundle(snake_case(e.name)) for e in spec.entities}
    room = precondition(lambda self: self.model.size() < self.cfg.max_items)
    rules: list[Callable[..., Any]] = []

    def check_of(*entities: str) -> Any:
        reading = [p for p in cls._reads if set(entities) & set(spec.pattern(p).entities)]
        return st.sampled_from([(p, limit) for p in reading or cls._reads for limit in range(1, 6)])

    for e in spec.entities:
        name, bundle = e.name, bundles[e.name]
        keys = set(key_attrs(app.design, name))
        ref = _reference(app, name)
        # Attributes pointing at the reference change only through update_<E>_in_<ref>, to
        # a reference that exists; otherwise most updates would point nowhere and be refused.
        moving = {a for a in key_attrs(app.design, ref) if e.has(a)} - keys if ref else set()
        changeable = frozenset(
            a.name for a in e.attributes if a.name not in keys | moving and a.copy_of is None
        )
        values = st.fixed_dictionaries(values_strategy(cls, name))
        check = check_of(name)
        if ref is None:
            # An entity that references another is created under an existing one: items
            # with missing sources (copies) are reached by deleting the source instead.
            rules.append(
                rule(target=bundle, values=values, check=check, lose=LOSE, pick=PICK)(
                    room(_create_rule(name, None))
                )
            )
        if ref is not None:
            fn = _create_rule(name, ref)
            rules.append(
                rule(target=bundle, values=values, check=check, parent=bundles[ref], lose=LOSE, pick=PICK)(
                    room(fn)
                )
            )
        # Attributes that decide sparse index membership, and attributes other entities copy,
        # change on every update: items keep entering and leaving sparse indexes, and
        # propagation always has work.
        copied = {
            a.copy_of[1] for x in spec.entities for a in x.attributes if a.copy_of and a.copy_of[0] == name
        }
        sparse = {
            a for k in app.design.entity_indexes(name) for a in (*(w for w, _ in k.sparse), *k.optional_attrs)
        }
        toggles = frozenset(copied | sparse) & changeable
        changes = st.fixed_dictionaries(
            values_strategy(cls, name, toggles), optional=values_strategy(cls, name, changeable - toggles)
        )
        modes = st.sampled_from(_MODES_UPDATE)
        update = rule(ref=bundle, changes=changes, mode=modes, check=check, lose=LOSE, pick=PICK)(
            _update_rule(name, None)
        )
        if ref is not None and moving:
            rules.append(
                rule(
                    ref=bundle,
                    changes=changes,
                    mode=modes,
                    check=check,
                    parent=bundles[ref],
                    lose=LOSE,
                    pick=PICK,
                )(_update_rule(name, ref))
            )
        delete = rule(
            target=bundle, ref=consumes(bundle), mode=st.sampled_from(_MODES_DELETE), check=check, lose=LOSE
        )(_delete_rule(name))
        recreate = rule(
            target=bundle, ref=consumes(bundle), changes=changes, check=check, lose=LOSE, pick=PICK
        )(_recreate_rule(name))
        rules += [update, delete, recreate]
    for p in spec.patterns:
        if p.kind == "write" and not p.entities:  # a pattern that only deletes
            check = check_of(*p.deletes, *(t for t, _, _ in p.increments))
            rules.append(delete_pattern_rule(cls, p, bundles, check, LOSE))
        elif p.kind == "write":
            under = p.increments[0][0] if p.increments else _reference(app, p.entities[0])
            check = check_of(*p.entities, *(t for t, _, _ in p.increments))
            root_copies = {a.copy_of[0] for a in spec.entity(p.entities[0]).attributes if a.copy_of}
            if under is None or under not in root_copies:
                rules.append(room(write_pattern_rule(cls, p, bundles[p.entities[0]], None, check)))
            if under is not None:
                rules.append(
                    room(write_pattern_rule(cls, p, bundles[p.entities[0]], (under, bundles[under]), check))
                )
    rules.append(
        rule(pattern=st.sampled_from(cls._reads), seed=st.integers(0, 2**16 - 1), limit=st.integers(1, 5))(
            _check_rule()
        )
    )
    for fn in rules:
        setattr(cls, fn.__name__, fn)


def _create_rule(entity: str, ref: str | None) -> Callable[..., Any]:
    def create(
        self: MachineApi,
        values: dict[str, object],
        check: tuple[str, int],
        parent: ItemRef | None = None,
        lose: bool = False,
        pick: int = 0,
    ) -> Any:
        m = self.model
        values = m.align(entity, self.wire(entity, adopt(dict(values), entity, self.app, parent), pick, ref))
        filled = _create_checked(self, entity, values, "create", lose)
        if filled is None:
            self.after_write(check)
            return multiple()
        self.after_write(check, [(entity, filled)])
        return ItemRef(entity, tuple((a, filled[a]) for a in m.key_attrs[entity]))

    return named(create, f"create_{entity}" + (f"_in_{ref}" if ref else ""))


def _create_checked(
    self: MachineApi, entity: str, values: dict[str, object], what: str, lose: bool
) -> dict[str, object] | None:
    """Create ``values`` as the model predicts; the stored values when written, else None."""
    m = self.model
    filled = m.fill_copies(entity, values)
    expected: Outcome = (
        "request"
        if filled is None
        else "condition"
        if m.oracle.get(entity, values) is not None or m.unique_taken(entity, filled)
        else "ok"
    )
    obj = self.instance(entity, values)
    done = self.attempt(expected, f"{what} {entity}", lambda: self.table.create(obj), lose=lose)
    if expected != "ok" or filled is None:
        return None
    assert same_values(entity_values(done), filled), f"{what} returned {done}, expected {filled}"
    m.store(entity, filled, 1)
    self.kept[(entity, m.ident(entity, filled))] = done
    return filled


def _update_rule(entity: str, moved_to: str | None) -> Callable[..., Any]:
    def update(
        self: MachineApi,
        ref: ItemRef,
        changes: dict[str, object],
        mode: UpdateMode,
        check: tuple[str, int],
        parent: ItemRef | None = None,
        lose: bool = False,
        pick: int = 0,
    ) -> None:
        m = self.model
        current = m.find(entity, ref.values())
        assert current is not None, f"{ref} is in the bundle but not in the model"
        keys = m.key_attrs[entity]
        moved = {a: v for a, v in adopt({}, entity, self.app, parent).items() if a not in keys}
        new = {**current, **changes, **moved}
        if pick % 2:
            new = self.wire(entity, new, pick, moved_to)
        filled = m.fill_copies(entity, new)
        version = m.version(entity, current)
        obj = self.instance(entity, new)
        expected: Outcome = "request" if filled is None else "ok"
        if mode == "stale":
            expected = "request" if filled is None else "condition"
            action: Callable[[], Any] = lambda: self.table.update(obj, expected_version=version + 1)  # noqa: E731
        elif mode == "update":
            action = lambda: self.table.update(obj, expected_version=version)  # noqa: E731
        else:
            action = lambda: self.table.put(obj)  # noqa: E731
        if expected == "ok" and filled is not None and m.unique_taken(entity, filled):
            expected = "condition"
        if mode != "stale" and filled is not None and _changes_immutable(self, entity, current, new):
            expected = "request"  # the stored values refuse it; a stale version is refused first
        done = self.attempt(expected, f"{mode} {entity}", action, lose=lose)
        if expected != "ok" or filled is None:
            self.after_write(check)
            return
        assert same_values(entity_values(done), filled), f"{mode} returned {done}, expected {filled}"
        m.store(entity, filled, version + 1)
        self.kept[(entity, m.ident(entity, filled))] = done
        self.after_write(check, [(entity, current), (entity, filled)])

    return named(update, f"update_{entity}" + (f"_in_{moved_to}" if moved_to else ""))


def _changes_immutable(
    self: MachineApi, entity: str, current: Mapping[str, object], new: Mapping[str, object]
) -> bool:
    """Whether a write of ``new`` over ``current`` changes an attribute declared immutable."""
    return any(
        a.immutable and current.get(a.name) != new.get(a.name)
        for a in self.app.spec.entity(entity).attributes
    )


def _delete_rule(entity: str) -> Callable[..., Any]:
    def delete(
        self: MachineApi, ref: ItemRef, mode: DeleteMode, check: tuple[str, int], lose: bool = False
    ) -> Any:
        m = self.model
        current = m.find(entity, ref.values())
        assert current is not None, f"{ref} is in the bundle but not in the model"
        key = {a: current[a] for a in m.key_attrs[entity]}
        cls = self.app.models[entity]
        version = m.version(entity, current)
        if mode == "stale":
            self.attempt(
                "condition",
                f"delete {entity} at a stale version",
                lambda: self.table.delete(cls, expected_version=version + 1, **key),
            )
            self.after_write(check)
            return ref
        given = version if mode == "versioned" else None
        deleted = self.attempt(
            "ok", f"delete {entity}", lambda: self.table.delete(cls, expected_version=given, **key), lose=lose
        )
        assert deleted is True, f"delete {entity} {key} returned {deleted}, but it exists"
        m.remove(entity, current)
        if mode == "twice":
            again = self.attempt("ok", f"delete {entity} again", lambda: self.table.delete(cls, **key))
            assert again is False, f"a second delete of {entity} {key} returned {again}"
        self.after_write(check, [(entity, current)])
        return multiple()

    return named(delete, f"delete_{entity}")


def _recreate_rule(entity: str) -> Callable[..., Any]:
    """Delete an item and create it again under the same identity; a stale instance of the old
    item must then be refused (its version may equal the new item's: only the birth differs)."""

    def recreate(
        self: MachineApi,
        ref: ItemRef,
        changes: dict[str, object],
        check: tuple[str, int],
        lose: bool = False,
        pick: int = 0,
    ) -> Any:
        m = self.model
        current = m.find(entity, ref.values())
        assert current is not None, f"{ref} is in the bundle but not in the model"
        key = {a: current[a] for a in m.key_attrs[entity]}
        cls = self.app.models[entity]
        stale = self.kept.pop((entity, m.ident(entity, current)), None)
        deleted = self.attempt("ok", f"delete {entity}", lambda: self.table.delete(cls, **key), lose=lose)
        assert deleted is True, f"delete {entity} {key} returned {deleted}, but it exists"
        m.remove(entity, current)
        self.after_write(check, [(entity, current)])
        filled = _create_checked(
            self, entity, self.wire(entity, {**current, **changes, **key}, pick), "re-create", lose
        )
        if filled is None:
            self.after_write(check)
            return multiple()
        if stale is not None:
            # Refused by its condition, or before sending when its copy source is gone.
            outcome: Outcome = (
                "request" if m.fill_copies(entity, entity_values(stale)) is None else "condition"
            )
            self.attempt(
                outcome,
                f"update of a stale {entity} (read before the re-create)",
                lambda: self.table.update(stale),
            )
        self.after_write(check, [(entity, filled)])
        return ref

    return named(recreate, f"recreate_{entity}")


def _check_rule() -> Callable[..., Any]:
    def check_pattern(self: MachineApi, pattern: str, seed: int, limit: int) -> None:
        self.steps += 1
        self.check_read(pattern, random.Random(seed), limit)

    return check_pattern
