"""For any choice of fields on the example apps' patterns, projections change nothing but bytes.

Every plan keeps its index, key condition and requests; an INCLUDE index holds every field each
of its readers names; a reader without fields keeps its index ALL; and no read costs more units.
"""

from __future__ import annotations

import dataclasses

from example_apps import discover_apps
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel import App
from dynamodel.design.cost import estimate
from dynamodel.design.model import PatternPlan

APPS = {a.name: a for a in discover_apps()}


@st.composite
def apps_with_fields(draw: st.DrawFn) -> tuple[App, App]:
    app = APPS[draw(st.sampled_from(sorted(APPS)))]
    patterns = []
    for declared in app.spec.patterns:
        pat = declared
        if pat.kind != "write" and draw(st.integers(0, 4)) > 0:  # most readers name fields
            names = sorted({a.name for e in pat.entities for a in app.spec.entity(e).attributes})
            fields = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
            pat = dataclasses.replace(pat, fields=tuple(sorted(fields)))
        patterns.append(pat)
    entities = list(app.models.values())
    spec = app.spec
    return app, App(
        app.name,
        entities,
        patterns,
        actions=list(spec.actions),
        max_gsis=spec.max_gsis,
        key_style=spec.key_style,
    )


def _served(plan: PatternPlan) -> tuple[object, ...]:
    return (plan.name, plan.index, plan.operation, plan.key_condition, plan.requests)


@settings(max_examples=30, deadline=None)
@given(pair=apps_with_fields())
def test_fields_change_only_what_indexes_hold(pair: tuple[App, App]) -> None:
    plain, narrowed = pair
    before, after = plain.design, narrowed.design
    assert [_served(p) for p in after.plans] == [_served(p) for p in before.plans]
    for ix in after.indexes:
        readers = [
            narrowed.spec.pattern(p.name) for p in after.plans if p.index == ix.name and p.kind != "write"
        ]
        if ix.projection == "INCLUDE":
            held = set(ix.non_key_attributes) | {n for n, _ in ix.key_definitions()}
            for pat in readers:
                assert pat.fields
                wanted = {f for f in pat.fields for e in pat.entities if narrowed.spec.entity(e).has(f)}
                assert wanted <= held, (ix.name, pat.name)
        elif readers and all(p.fields for p in readers):  # kept ALL: propagation looks copies up there
            assert any(c.plan.index == ix.name for c in after.copy_paths), ix.name
        if any(not p.fields for p in readers):
            assert ix.projection == "ALL"
    cheaper = {p.name: p.read_units for p in estimate(after).patterns}
    for p in estimate(before).patterns:
        assert cheaper[p.name] <= p.read_units, p.name
