"""Smoke test of the benchmarks (issues 7, 13): the tables are computed, consistent with derive(), and fast.

No timed assertions: the benchmarks print figures, the test only checks their structure and that each
number agrees with what ``derive`` and the case files say.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path

from paths import CASES, SPECS

from dynamodel.design import derive
from dynamodel.design.cost import estimate, item_size
from dynamodel.spec_file import load_spec_file

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
# benchmarks/ is a directory of scripts, not a package: import by name so that type checkers
# run on this file alone need not find them.
design_quality = importlib.import_module("design_quality")
derive_scale = importlib.import_module("derive_scale")
migrate_fill = importlib.import_module("migrate_fill")
run_all = importlib.import_module("run")


def test_design_quality_table_matches_derive() -> None:
    cases = design_quality.load_cases()
    assert [c.name for c in cases] == sorted(p.stem for p in SPECS.glob("*.yaml"))
    assert len(cases) == 9
    results = design_quality.run(cases)
    published = {c["name"]: c for c in json.loads((CASES / "published_designs.json").read_text("utf-8"))}
    for case, result in zip(cases, results, strict=True):
        design = derive(load_spec_file(case.spec_path))
        expect = json.loads(SPECS.joinpath(f"{case.name}.expect.json").read_text("utf-8"))
        reads = expect["read_patterns"]
        singles = set(expect["expert_single_request_read_patterns"])

        assert result.case == case.name
        assert result.ours_gsis == len(design.indexes)
        assert (
            result.expert_gsis
            == expect["expert_gsi_count"]
            == published[case.name]["expert_design"]["gsi_count"]
        )
        assert result.gsis_ok == (len(design.indexes) <= expect["expert_gsi_count"])
        assert result.read_patterns == len(reads)
        assert result.expert_single == len(singles)
        ours_single = [n for n in reads if design_quality.is_single(design.plan(n))]
        assert result.ours_single == len(ours_single)
        assert result.expert_singles_kept == len(singles & set(ours_single))
        assert result.ours_techniques == tuple(sorted(design.techniques))
        assert result.expert_techniques == tuple(sorted(expect["techniques"]))
        assert result.optimal == design.optimal

        assert [p.pattern for p in result.patterns] == reads
        for row in result.patterns:
            plan = design.plan(row.pattern)
            assert row.ours_single == design_quality.is_single(plan)
            assert row.expert_single == (row.pattern in singles)
            assert row.ours.startswith(f"{plan.operation} {plan.index} x{plan.requests}")
            for cost in (row.expert_cost, row.ours_cost):
                assert cost.items >= 1
                assert cost.rcu >= 0.5
                # RCU never below what the bytes need, never more than one unit per request above it.
                floor = cost.bytes / design_quality.RCU_BYTES * design_quality.EVENTUAL_FACTOR
                assert (
                    floor - 1e-9
                    <= cost.rcu
                    <= math.ceil(cost.bytes / design_quality.RCU_BYTES) + cost.requests
                )
            assert row.ours_cost.requests == plan.requests
            assert math.isclose(row.ratio, row.ours_cost.rcu / row.expert_cost.rcu)
            # A difference is explained exactly when the estimates differ in what drives them.
            same_inputs = (
                row.ours_cost.items == row.expert_cost.items
                and row.ours_cost.eventual == row.expert_cost.eventual
                and math.isclose(row.ours_cost.share, row.expert_cost.share)
                and row.ours_cost.requests == row.expert_cost.requests
            )
            assert (row.why == "-") == same_inputs
            if same_inputs:
                assert row.ours_cost.rcu == row.expert_cost.rcu

        for beat in result.beats:
            plan = design.plan(beat.pattern)
            assert design_quality.is_single(plan)
            assert beat.pattern not in singles or beat.pattern in expect["expert_filter_or_scan_patterns"]

    # Rendering covers every case plus a total row.
    summary = design_quality.summary_table(results)
    assert len(summary.splitlines()) == 2 + len(cases) + 1
    assert all(c.name in summary for c in cases)
    assert design_quality.patterns_table(results).count("\n") == 1 + sum(len(r.patterns) for r in results)


def test_recurring_payments_include_projections_cost_no_more_than_the_expert() -> None:
    (case,) = [c for c in design_quality.load_cases() if c.name == "aws-schema-recurring-payments"]
    (result,) = design_quality.run([case])
    design = derive(load_spec_file(case.spec_path))
    rows = {p.pattern: p for p in result.patterns}
    # The published INCLUDE lists plus each index's key attributes and the identity PK/SK carry: 7 (AP7)
    # and 9 (AP8) of Subscription's 12 declared attributes, on both sides.
    for name, shown in (("ap7_subscriptions_to_remind_on_date", 7), ("ap8_subscriptions_due_on_date", 9)):
        assert design.index(design.plan(name).index).projection == "INCLUDE"
        row = rows[name]
        assert math.isclose(row.ours_cost.share, shown / 12)
        assert math.isclose(row.expert_cost.share, shown / 12)
        # 20 items of 1 KB, that share of each, one eventually consistent Query.
        units = math.ceil(20 * 1024 * shown / 12 / 4096) / 2
        assert row.ours_cost.rcu == row.expert_cost.rcu == units
    assert result.ours_rcu <= result.expert_rcu
    assert "INCLUDE" in result.ours_projections
    assert "INCLUDE" in result.expert_projections


def test_write_units_per_entity_and_a_cost_row_per_case() -> None:
    cases = design_quality.load_cases()
    results = design_quality.run(cases)
    table = design_quality.cost_table(results)
    assert len(table.splitlines()) == 2 + len(cases) + 1
    for case, result in zip(cases, results, strict=True):
        assert sum(case.name in line for line in table.splitlines()) == 1
        design = derive(load_spec_file(case.spec_path))
        ours = dict(estimate(design).entity_write_units)
        assert [w.entity for w in result.writes] == [e.name for e in design.app.entities]
        for w in result.writes:
            assert w.ours_units == ours[w.entity]
            assert set(w.ours_gsis) == {k.index for k in design.entity_indexes(w.entity)} - {"table"}
            if w.expert_units is not None:
                # Every copy costs at least one unit, and no more than the whole item's units.
                whole = math.ceil(item_size(design, w.entity) / 1024)
                assert 1 + len(w.expert_gsis) <= w.expert_units <= whole * (1 + len(w.expert_gsis))
    by_case = {r.case: {w.entity: w for w in r.writes} for r in results}
    # Recurring payments (published_designs.json): the base table holds Subscription and Receipt only; both
    # GSIs are keyed on attributes only a Subscription has.
    recurring = by_case["aws-schema-recurring-payments"]
    assert recurring["Account"].expert_units is None
    assert recurring["Receipt"].expert_gsis == ()
    assert recurring["Subscription"].expert_gsis == ("GSI-1", "GSI-2")
    # Battle royale: the inverted index (keyed SK/PK) holds every item of the base table.
    battle = by_case["aws-tutorial-battle-royale-game"]
    assert all("InvertedIndex" in w.expert_gsis for w in battle.values())


def test_only_quality_rewrites_section_1_and_its_target_rows() -> None:
    old = "\n".join(
        [
            "# Benchmark results",
            "",
            "- Date: then",
            "",
            "## Targets",
            "",
            run_all.targets_table(
                [
                    run_all.Target("GSIs", "<= expert", "old", False),
                    run_all.Target("derivation", "< 1 s", "0.2 s", True, "a | b"),
                ]
            ),
            "",
            "## 1. Design quality against the published expert designs",
            "",
            "old body",
            "",
            "## 2. Derivation scale (synthetic apps)",
            "",
            "kept",
            "",
        ]
    )
    rows = [run_all.Target("GSIs", "<= expert", "new", True), run_all.Target("read units", "<=", "x", True)]
    section = f"## {run_all.QUALITY_TITLE}\n\nnew body\n"
    once = run_all.replace_quality(old, section, rows, "now")
    assert run_all.replace_quality(once, section, rows, "now") == once
    assert "old body" not in once
    assert "new body\n\n## 2. Derivation scale (synthetic apps)\n\nkept\n" in once
    targets = [line.split("|")[1].strip() for line in once.splitlines() if line.startswith("| ")][1:]
    assert targets == ["GSIs", "read units", "derivation"]
    assert once.count("| a \\| b ") == 1  # a kept row's cells survive unchanged
    assert once.count("--only quality`, run on now") == 1
    assert once.index("--only quality") < once.index("## Targets")


def test_filter_and_scan_patterns_are_reported_as_beaten() -> None:
    results = {r.case: r for r in design_quality.run()}
    for case in design_quality.load_cases():
        expect = case.expect
        beaten = {b.pattern for b in results[case.name].beats}
        for name in expect["expert_filter_or_scan_patterns"]:
            design = derive(load_spec_file(case.spec_path))
            assert (name in beaten) == design_quality.is_single(design.plan(name))


def test_read_cost_model() -> None:
    assert design_quality._rcu(1024, 1, eventual=False) == 1
    assert design_quality._rcu(1024, 1, eventual=True) == 0.5
    assert design_quality._rcu(20 * 1024, 1, eventual=False) == 5
    assert design_quality._rcu(20 * 1024, 2, eventual=False) == 6  # 10 KB per request: 3 + 3
    assert design_quality.ap_id("ap15_genres_of_book_by_title") == "AP15"
    assert design_quality.ap_id("get_customer") is None


def test_derive_scale_two_smallest_sizes() -> None:
    sizes = sorted(derive_scale.SIZES, key=lambda s: s[1])[:2]
    rows = derive_scale.run(sizes, repeats=1)
    assert [(r.entities, r.patterns) for r in rows] == sizes
    for row in rows:
        assert row.seconds > 0
        assert row.runs == (row.seconds,)
        assert row.peak_mib > 0
        assert row.gsis >= 0
    k = derive_scale.fitted_exponent(rows)
    assert k is not None
    assert math.isfinite(k)
    headers, body = derive_scale.table(rows)
    assert len(body) == 2
    assert all(len(r) == len(headers) for r in body)


def test_migrate_fill_small() -> None:
    result = migrate_fill.run(items=200, rounds=1)
    assert result.items == 200
    assert result.table_items > 200  # orders and customers besides the lines
    ((runner, loop),) = result.rounds
    assert (runner.side, loop.side) == ("runner", "loop")
    assert runner.seen == runner.written == loop.seen == loop.written == 200
    for timing in (runner, loop):
        assert timing.wall > 0
        assert 0 < timing.engine_cpu <= timing.cpu
    assert result.same_tables
    assert result.ratio > 0

    model = result.model
    assert model.predicted_writes == model.item_writes == 200
    assert model.predicted_units == model.consumed_units >= 200
    assert model.dry_requests.get("UpdateItem", 0) == 0
    # At least one checkpoint per segment, each a transaction on the bookkeeping partition.
    assert model.books["TransactWriteItems"].requests >= migrate_fill.SEGMENTS
    assert model.book_units > 0
    assert 0 < model.largest_book_item < 1024
    assert model.line_bytes_before < model.line_bytes_after

    cases = migrate_fill.paper_cases(model)
    assert [c.units for c in cases] == [1, 1]
    for case in cases:
        assert case.item_units == migrate_fill.PAPER_ITEMS
        assert case.checkpoint_units == migrate_fill.PAPER_ITEMS // migrate_fill.PAGE_SIZE * 4

    text = migrate_fill.report(result)
    for heading in ("runner/loop", "write units", "A billion items on paper", "Assumptions"):
        assert heading in text
