"""The AppMachine's rule for write patterns that only delete (``Write(deletes=[Comment], ...)``).

Each step picks an item of the deleted entity from its bundle and deletes it through the
pattern: by key, by the instance the machine last read or wrote (optimistic locking on its
version), or by the same key twice (refused before sending). The model
(:meth:`~dynamodel.testing.mirror.Model.predict_deletes`) says whether the runtime writes,
refuses on a condition (the increment target is gone) or refuses the request; after a write
the item leaves the bundle and each target's counter has moved by its increment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, multiple, rule

from dynamodel.compile import key_attrs
from dynamodel.runtime.pattern_deletes import delete_keyword
from dynamodel.runtime.table import Table
from dynamodel.runtime.write_patterns import target_keyword
from dynamodel.spec import PatternSpec
from dynamodel.testing.machine_api import MachineApi
from dynamodel.testing.mirror import ItemRef, PlannedDelete
from dynamodel.testing.strategies import for_model
from dynamodel.testing.table_checks import entity_values

__all__ = ["delete_pattern_rule"]

DeleteForm = Literal["key", "instance", "twice"]
"""What the pattern is given: the item's key, the instance last read or written, or the key twice."""

_FORMS: tuple[DeleteForm, ...] = ("key", "instance", "instance", "twice")


def delete_pattern_rule(
    cls: type[MachineApi], pat: PatternSpec, bundles: Mapping[str, Bundle[Any]], check: Any, lose: Any
) -> Callable[..., Any]:
    """The rule ``write_<pattern>`` deleting one item of ``pat.deletes[0]`` per step."""
    app = cls._config.app
    entity = pat.deletes[0]
    carried = {a.name for a in app.spec.entity(entity).attributes}
    explicit = [t for t, _, _ in pat.increments if not set(key_attrs(app.design, t)) <= carried]
    targets_st = st.fixed_dictionaries(
        {
            t: st.fixed_dictionaries(
                for_model(
                    app.models[t],
                    app.spec,
                    pools=cls._config.pools,
                    only=frozenset(key_attrs(app.design, t)),
                    fresh_weight=0,
                )
            )
            for t in explicit
        }
    )

    def write(
        self: MachineApi,
        ref: ItemRef,
        form: DeleteForm,
        target_keys: dict[str, dict[str, object]],
        check: tuple[str, int],
        lose: bool = False,
    ) -> Any:
        m = self.model
        current = m.find(entity, ref.values())
        assert current is not None, f"{ref} is in the bundle but not in the model"
        key = {a: current[a] for a in m.key_attrs[entity]}
        kept = self.kept.get((entity, m.ident(entity, current)))
        given: list[object]
        if form == "instance" and kept is not None:
            planned = [
                PlannedDelete(entity, entity_values(kept), instance=True, version=Table.version_of(kept))
            ]
            given = [kept]
        else:
            copies = 2 if form == "twice" else 1
            planned = [PlannedDelete(entity, key)] * copies
            given = [dict(key) for _ in range(copies)]
        outcome, targets = m.predict_deletes(pat, planned, target_keys)
        # Keys go by keyword when the pattern deletes several entities (which one a dict is).
        args = given if len(pat.deletes) == 1 else []
        kwargs: dict[str, object] = {} if args else {delete_keyword(entity): given}
        kwargs |= {target_keyword(t): k for t, k in target_keys.items()}
        self.attempt(
            outcome,
            f"write pattern {pat.name}",
            lambda: self.table.write(pat.name, *args, **kwargs),
            lose=lose,
        )
        if outcome != "ok":
            self.after_write(check)
            return ref
        bumped = m.apply_deletes(planned[:1], targets)
        self.kept.pop((entity, m.ident(entity, current)), None)
        self.after_write(check, [(entity, current), *bumped])
        return multiple()

    write.__name__ = write.__qualname__ = f"write_{pat.name}"
    bundle = bundles[entity]
    decorate: Callable[[Callable[..., Any]], Callable[..., Any]] = rule(
        target=bundle,
        ref=consumes(bundle),
        form=st.sampled_from(_FORMS),
        target_keys=targets_st,
        check=check,
        lose=lose,
    )
    return decorate(write)
