"""The AppMachine's rule for write patterns that create (``Write(Order, OrderLine, ...)``).

Each step draws a root item, up to two items of each member entity under it, and keys of the
increment targets the items do not name; it writes them through the pattern. The model
predicts whether the runtime writes, refuses on a condition (an item or unique value
exists, a target is gone) or refuses the request (a copy source or target missing); after
a write every item equals the model and each target's counter has moved by its increment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, multiple, rule

from dynamodel.compile import key_attrs
from dynamodel.spec import PatternSpec
from dynamodel.testing.machine_api import MachineApi, Outcome
from dynamodel.testing.mirror import ItemRef, Model
from dynamodel.testing.oracle import normalise
from dynamodel.testing.rule_args import LOSE, adopt, named, values_strategy
from dynamodel.testing.table_checks import entity_values, same_values


def write_pattern_rule(
    cls: type[MachineApi],
    pat: PatternSpec,
    bundle: Bundle[Any],
    under: tuple[str, Bundle[Any]] | None,
    check: Any,
) -> Callable[..., Any]:
    """The rule ``write_<pattern>`` (``_in_<entity>`` with ``under``: the root placed under an item of it)."""
    app = cls._config.app
    root = pat.entities[0]
    root_spec = app.spec.entity(root)
    explicit = [
        t for t, _, _ in pat.increments if not all(root_spec.has(a) for a in key_attrs(app.design, t))
    ]
    members_st = st.fixed_dictionaries(
        {e: st.lists(st.fixed_dictionaries(values_strategy(cls, e)), max_size=2) for e in pat.entities[1:]}
    )
    targets_st = st.fixed_dictionaries(
        {
            t: st.fixed_dictionaries(values_strategy(cls, t, frozenset(key_attrs(app.design, t))))
            for t in explicit
        }
    )

    def write(
        self: MachineApi,
        values: dict[str, object],
        members: dict[str, list[dict[str, object]]],
        target_keys: dict[str, dict[str, object]],
        check: tuple[str, int],
        parent: ItemRef | None = None,
        lose: bool = False,
    ) -> Any:
        m = self.model
        root_values = m.align(root, adopt(dict(values), root, self.app, parent))
        if parent is not None and parent.entity in target_keys:
            target_keys = {**target_keys, parent.entity: parent.values()}
        staged: list[tuple[str, dict[str, object]]] = [(root, root_values)]
        for entity, rows in members.items():
            for row in rows:
                v = dict(row)
                v.update({a: root_values[a] for a in m.key_attrs[root] if self.spec.entity(entity).has(a)})
                m.align(entity, v)
                staged.append((entity, v))
        staged = _dedupe(m, staged)
        filled = [m.fill_copies(e, v, staged) for e, v in staged]
        expected: Outcome = "ok"
        targets: list[tuple[str, str, int, dict[str, object]]] = []
        for t, attr, n in pat.increments:
            keys = [target_keys[t]] if t in target_keys else [v for _, v in staged]
            found = {
                m.ident(t, k): {a: k[a] for a in m.key_attrs[t]}
                for k in keys
                if all(k.get(a) is not None for a in m.key_attrs[t])
            }
            if not found:
                expected = "request"
            targets += [(t, attr, n, k) for k in found.values()]
        written = {(e, m.ident(e, v)) for e, v in staged}
        if any(f is None for f in filled) or any((t, m.ident(t, k)) in written for t, _, _, k in targets):
            expected = "request"
        elif expected == "ok" and (
            any(m.oracle.get(e, v) is not None for e, v in staged)
            or any(m.unique_taken(e, f) for (e, _), f in zip(staged, filled, strict=True) if f is not None)
            or any(m.find(t, k) is None for t, _, _, k in targets)
        ):
            expected = "condition"
        objs = [self.instance(e, v) for e, v in staged]
        from dynamodel.runtime.write_patterns import target_keyword  # noqa: PLC0415 - the runtime's keyword

        kwargs = {target_keyword(t): k for t, k in target_keys.items()}
        done = self.attempt(
            expected,
            f"write pattern {pat.name}",
            lambda: self.table.write(pat.name, *objs, **kwargs),
            lose=lose,
        )
        if expected != "ok":
            self.after_write(check)
            return multiple()
        for (e, _), f, got in zip(staged, filled, done, strict=True):
            assert f is not None
            assert same_values(entity_values(got), f), f"{pat.name} returned {got}, expected {f}"
            m.store(e, f, 1)
            self.kept[(e, m.ident(e, f))] = got
        bumped: list[tuple[str, Mapping[str, object]]] = []
        for t, attr, n, k in targets:
            target = m.find(t, k)
            assert target is not None
            count = target.get(attr)
            new = {**target, attr: (count if isinstance(count, int | Decimal) else 0) + n}
            m.store(t, new, m.version(t, target) + 1)
            bumped.append((t, new))
        self.after_write(
            check, [*[(e, f) for (e, _), f in zip(staged, filled, strict=True) if f is not None], *bumped]
        )
        return ItemRef(root, tuple((a, root_values[a]) for a in m.key_attrs[root]))

    extra: dict[str, Any] = {"parent": under[1]} if under else {}
    rule_fn: Callable[[Callable[..., Any]], Callable[..., Any]] = rule(
        target=bundle,
        values=st.fixed_dictionaries(values_strategy(cls, root)),
        members=members_st,
        target_keys=targets_st,
        check=check,
        lose=LOSE,
        **extra,
    )
    return rule_fn(named(write, f"write_{pat.name}" + (f"_in_{under[0]}" if under else "")))


def _dedupe(m: Model, staged: list[tuple[str, dict[str, object]]]) -> list[tuple[str, dict[str, object]]]:
    """One item per identity and per unique value in a write (DynamoDB refuses two actions on one item)."""
    out: list[tuple[str, dict[str, object]]] = []
    seen: set[tuple[object, ...]] = set()
    for e, v in staged:
        marks: list[tuple[object, ...]] = [(e, "id", m.ident(e, v))]
        marks += [
            (e, attrs, tuple(normalise(v.get(a)) for a in attrs))
            for attrs in m.unique.get(e, [])
            if all(v.get(a) is not None for a in attrs)
        ]
        if any(mark in seen for mark in marks):
            continue
        seen.update(marks)
        out.append((e, v))
    return out
