"""The example applications in ``access_patterns/`` (issue 2 §7).

Every ``App`` found in the package derives a design in which each read pattern is one request
(or one per shard, for a write-sharded pattern) with no filter and no unasked-for scan; the design
is deterministic; the apps modelled on published designs use no more GSIs than the expert and
declare exactly what their spec files declare; and every base-table key holds the whole identity.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from example_apps import declared_backwards, example_apps
from paths import SHOP_YAML, SPECS

from dynamodel import App
from dynamodel.design import derive, design_to_json
from dynamodel.keys import KeyTemplate, Ref
from dynamodel.spec import EntitySpec
from dynamodel.spec_file import load_spec_file

# Module of access_patterns -> the published case it models (benchmarks/cases/specs/<case>.yaml).
MODELLED = {
    "github": "dynamodb-book-ch21-github-backend",
    "library": "electrodb-library-system",
    "online_shop": "aws-samples-online-shop",
    "battle_royale": "aws-tutorial-battle-royale-game",
}


def _discover() -> dict[str, App]:
    """The example apps by module name (``module.app`` for a module's second App)."""
    apps: dict[str, App] = {}
    for example in example_apps():
        apps[example.module if example.module not in apps else f"{example.module}.{example.app.name}"] = (
            example.app
        )
    return apps


APPS = _discover()
IDS = sorted(APPS)


def _spec_path(module: str) -> Path:
    if module == "shop":
        return SHOP_YAML
    return SPECS / f"{MODELLED[module]}.yaml"


def test_examples_are_discovered() -> None:
    assert {"shop", *MODELLED} <= set(APPS)
    assert len(MODELLED) >= 3


@pytest.mark.parametrize("module", IDS)
def test_every_read_pattern_is_one_request_without_filter(module: str) -> None:
    app = APPS[module]
    design = app.design
    assert {p.name for p in design.plans} == {p.name for p in app.spec.patterns}
    for pat in app.spec.patterns:
        if not pat.is_read:
            continue
        plan = design.plan(pat.name)
        # A write-sharded pattern reads every shard: one request per shard, by design.
        expected = plan.shards if plan.shards > 1 else 1
        assert plan.requests == expected, (pat.name, plan.requests, plan.shards)
        assert plan.uses_filter is False, pat.name
        if not pat.allow_scan:
            assert plan.uses_scan is False, pat.name


@pytest.mark.parametrize("module", IDS)
def test_design_is_deterministic(module: str) -> None:
    spec = APPS[module].spec
    first = design_to_json(derive(spec))
    assert design_to_json(derive(spec)) == first
    assert design_to_json(APPS[module].design) == first
    reversed_spec = declared_backwards(spec)
    assert design_to_json(derive(reversed_spec)) == first


@pytest.mark.parametrize("module", sorted(MODELLED))
def test_gsi_count_at_most_the_experts(module: str) -> None:
    expect_file = SPECS / f"{MODELLED[module]}.expect.json"
    expert = json.loads(expect_file.read_text(encoding="utf-8"))["expert_gsi_count"]
    assert isinstance(expert, int)
    assert len(APPS[module].design.indexes) <= expert


@pytest.mark.parametrize("module", ["shop", *sorted(MODELLED)])
def test_python_declarations_equal_the_spec_file(module: str) -> None:
    ours = APPS[module].spec
    theirs = load_spec_file(_spec_path(module))
    assert ours.entities == theirs.entities
    assert ours.patterns == theirs.patterns


def _sample(ref: Ref, ent: EntitySpec, salt: int) -> object:
    # Values that would break a naive key format: delimiters and escape characters, negatives.
    attr = ent.attribute(ref.attr)
    if ref.kind == "str":
        return f"{ref.attr}#{salt}$x\\#"
    if ref.kind == "enum":
        return attr.enum[salt % len(attr.enum)] if attr is not None and attr.enum else "A#B"
    if ref.kind == "int":
        return -1000 - salt
    if ref.kind == "decimal":
        return Decimal("-12.5") - salt
    if ref.kind == "float":
        return -0.25 - salt
    if ref.kind == "bool":
        return salt % 2 == 0
    if ref.kind == "datetime":
        return datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    if ref.kind == "date":
        return date(1999, 12, 31)
    return bytes([0x23, salt % 256])


@pytest.mark.parametrize("module", IDS)
def test_base_keys_hold_the_whole_identity(module: str) -> None:
    design = APPS[module].design
    for ent in design.app.entities:
        keys = design.keys_for(ent.name)
        assert keys is not None, ent.name
        templates: list[KeyTemplate] = [keys.pk, keys.sk]
        refs = [p for t in templates for p in t.parts if isinstance(p, Ref)]
        values = {r.attr: _sample(r, ent, i) for i, r in enumerate(refs)}
        parsed: dict[str, object] = {}
        for template in templates:
            parsed.update(template.parse(template.render(values)))
        assert set(ent.identity) <= set(parsed), (ent.name, keys.pk.pattern(), keys.sk.pattern())
        for attr in ent.identity:
            assert parsed[attr] == values[attr], (ent.name, attr)
