"""Section 6 of the benchmarks (key styles): its figures are the cost model's and the migration diff's.

No timed assertions: the section prints figures; the test checks that each agrees with what
``item_size``, ``estimate`` and ``diff_designs`` say, and that --only key_style rewrites that section alone.
"""

from __future__ import annotations

import importlib
import sys
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from example_apps import discover_apps

from dynamodel import App, Entity, Get, NonEmptyStr, Query
from dynamodel.design.cost import estimate, item_size

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
# benchmarks/ is a directory of scripts, not a package: import by name so that type checkers
# run on this file alone need not find them.
key_style = importlib.import_module("key_style")
run_all = importlib.import_module("run")


@cache
def _rows() -> tuple[Any, ...]:
    return tuple(key_style.run())


def test_every_example_app_in_every_style_agrees_with_the_cost_model() -> None:
    apps = discover_apps()
    assert [a.name for a in key_style.example_apps()] == [a.name for a in apps]
    rows = _rows()
    assert [(r.app, r.style) for r in rows] == [(a.name, s) for a in apps for s in key_style.STYLES]
    by = {(r.app, r.style): r for r in rows}
    for app in apps:
        for style in key_style.STYLES:
            row, design = by[(app.name, style)], app.with_key_style(style).design
            assert row.error is None
            assert row.gsis == len(design.indexes)
            assert row.native == sum(ix.native for ix in design.indexes)
            sizes = [item_size(design, e.name) for e in design.app.entities]
            assert row.table_bytes == key_style.UNDECLARED_ITEMS * sum(sizes)  # no example declares counts
            assert row.bytes_per_item == sum(sizes) / len(sizes)
            assert row.write_units == sum(u for _, u in estimate(design).entity_write_units)
            # Every synthetic GSI rewrites every item of each entity on it; a native unsharded one none.
            expected = sorted(
                (k.index, k.entity)
                for k in design.keys
                if k.index != "table"
                and not design.index(k.index).local  # created with the table, never migrated in
                and k.index not in key_style.item_keyed(design)
                and (not design.index(k.index).native or k.shards > 1)
            )
            assert sorted((i, e) for i, e, _ in row.fills) == expected
            assert row.rewritten == key_style.UNDECLARED_ITEMS * len(expected)
        synthetic, auto = by[(app.name, "synthetic")], by[(app.name, "auto")]
        assert auto.bytes_per_item <= synthetic.bytes_per_item
        assert auto.write_units <= synthetic.write_units
        assert auto.rewritten <= synthetic.rewritten
    assert by[("tickets", "auto")].native >= 1  # the headline: a native GSI is added without rewrites
    assert by[("tickets", "auto")].rewritten < by[("tickets", "synthetic")].rewritten


def test_a_sharded_native_index_rewrites_its_items_once_for_the_shard() -> None:
    class Order(Entity, identity=("order_id",), count=50):
        order_id: NonEmptyStr
        status: Literal["OPEN", "SHIPPED"]
        placed_at: datetime

    app = App(
        "orders",
        [Order],
        [
            Get(Order, by="order_id", name="get_order"),
            Query(Order, where={"status": "OPEN"}, sort="placed_at", name="open_orders", writes_per_s=2500),
        ],
    )
    rows = {r.style: r for r in key_style.run([app])}
    assert rows["native"].native == 1
    assert rows["native"].fills == (("GSI1", "Order", 50),)  # the declared count, not the default
    assert rows["synthetic"].fills == (("GSI1", "Order", 50),)
    assert rows["native"].bytes_per_item < rows["synthetic"].bytes_per_item


def test_only_key_style_rewrites_section_6_alone() -> None:
    old = "\n".join(
        [
            "# Benchmark results",
            "",
            "- Date: then",
            "",
            "## Targets",
            "",
            run_all.targets_table([run_all.Target("GSIs", "<= expert", "old", True)]),
            "",
            "## 5. Migration fill",
            "",
            "kept",
            "",
            "## Notes",
            "",
            "- notes kept",
            "",
        ]
    )
    body = key_style.report(_rows())
    section = f"## {key_style.TITLE}\n\n{body}\n"
    once = key_style.replace_section(old, section, "now")
    assert key_style.replace_section(once, section, "now") == once
    assert "## 5. Migration fill\n\nkept\n\n" + section + "\n## Notes\n\n- notes kept\n" in once
    moved = key_style.replace_section(once, section.replace("tickets", "TICKETS"), "later")
    assert moved.count(f"## {key_style.TITLE}") == 1
    assert "TICKETS" in moved
    assert moved.count("--only key_style`, run on later") == 1
    assert "run on now" not in moved
    assert moved.index("--only key_style") < moved.index("## Targets")
    for heading in ("Ratios to the same app keyed synthetic", "Assumptions", "auto/synthetic bytes"):
        assert heading in body


def test_the_results_file_holds_the_section() -> None:
    text = (BENCHMARKS / "RESULTS.md").read_text(encoding="utf-8")
    assert f"## {key_style.TITLE}" in text
    assert text.index(f"## {key_style.TITLE}") < text.index("## Notes")
