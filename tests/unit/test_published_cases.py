"""The published expert designs as a test suite (issue 2 §8).

For every case: (a) each pattern the expert serves in one request without a filter is one
request without filter or scan for us, (b) our GSI count is at most the expert's, (c) the
design is identical when derived twice and when entities/patterns are declared in another order.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from paths import SPECS

from dynamodel.design import derive, design_to_json
from dynamodel.spec_file import load_spec_file
from dynamodel.validate import build_app_spec

CASES = sorted(SPECS.glob("*.yaml"))


def _expect(spec: Path) -> dict[str, object]:
    return json.loads(spec.with_suffix("").with_suffix(".expect.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_all_nine_cases_are_present() -> None:
    assert len(CASES) == 9


@pytest.mark.parametrize("spec", CASES, ids=lambda p: p.stem)
def test_expert_single_request_patterns_stay_single_request(spec: Path) -> None:
    design = derive(load_spec_file(spec))
    expect = _expect(spec)
    singles = expect["expert_single_request_read_patterns"]
    assert isinstance(singles, list)
    for name in singles:
        plan = design.plan(name)
        assert plan.requests == 1, name
        assert not plan.uses_filter, name
        assert not plan.uses_scan, name


@pytest.mark.parametrize("spec", CASES, ids=lambda p: p.stem)
def test_gsi_count_at_most_the_experts(spec: Path) -> None:
    design = derive(load_spec_file(spec))
    expert = _expect(spec)["expert_gsi_count"]
    assert isinstance(expert, int)
    assert len(design.indexes) <= expert


@pytest.mark.parametrize("spec", CASES, ids=lambda p: p.stem)
def test_every_read_pattern_is_one_request(spec: Path) -> None:
    # Stronger than (a): the expert's filter/scan patterns are single requests for us too.
    design = derive(load_spec_file(spec))
    reads = _expect(spec)["read_patterns"]
    assert isinstance(reads, list)
    for name in reads:
        plan = design.plan(name)
        assert (plan.requests, plan.uses_filter, plan.uses_scan) == (1, False, False), name


@pytest.mark.parametrize("spec", CASES, ids=lambda p: p.stem)
def test_design_is_deterministic_under_reordering(spec: Path) -> None:
    app = load_spec_file(spec)
    first = design_to_json(derive(app))
    assert design_to_json(derive(app)) == first
    rng = random.Random(spec.stem)
    for _ in range(3):
        entities = list(app.entities)
        patterns = list(app.patterns)
        rng.shuffle(entities)
        rng.shuffle(patterns)
        shuffled = build_app_spec(app.name, entities, patterns)
        assert design_to_json(derive(shuffled)) == first
