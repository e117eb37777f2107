"""Key styles: every example app keyed ``synthetic``, ``auto`` and ``native``, side by side.

For each App of the ``access_patterns`` package and each style (``App.with_key_style``): its GSIs
and how many are native, the bytes of a stored item and of all items, the write units of a write,
and the items a migration must rewrite to add each GSI. Every figure comes from the library's own
functions (``dynamodel.design.cost``, ``dynamodel.migrate.diff``), so it agrees with
``dynamodel design --cost`` and ``dynamodel migrate``; nothing is timed.

Run: .venv/bin/python benchmarks/run.py --only key_style   (rewrites this section of RESULTS.md)
     .venv/bin/python benchmarks/key_style.py               (prints it)
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from design_quality import md_table

import access_patterns
from dynamodel.app import App
from dynamodel.design import Design
from dynamodel.design.cost import estimate, item_size, total_items
from dynamodel.design.explain import design_to_dict
from dynamodel.migrate.diff import diff_designs
from dynamodel.migrate.ops import FillIndexKeys
from dynamodel.spec import KeyStyle

TITLE = "6. Key styles: auto and native against synthetic"
STYLES: tuple[KeyStyle, ...] = ("synthetic", "auto", "native")
UNDECLARED_ITEMS = 1000
"""Items assumed of an entity whose ``count`` (or a parent's) is not declared."""

ASSUMPTIONS: tuple[str, ...] = (
    "Apps: every App of the `access_patterns` package (one per app name, modules in name order), each "
    "keyed three ways with `App.with_key_style`; all figures of one app come from one run.",
    f"Items per entity: `dynamodel.design.cost.total_items` (its `count` times its parents' up the chain) "
    f"where every count is declared, else {UNDECLARED_ITEMS:,} (which apps declare them is said above the "
    "assumptions).",
    "bytes/item: `dynamodel.design.cost.item_size` (the figure `dynamodel design --cost` prints: declared "
    "or typical attribute sizes, bookkeeping, the rendered key strings of every synthetic index, `_shard` "
    "for a write-sharded native one), averaged over the entities weighted by their items; table MB: that "
    "size times the items, summed (GSI copies and DynamoDB's 100 bytes per item left out).",
    "WCU/write: `estimate(design).entity_write_units` summed over the entities: one plain write of one "
    "item of each entity, on the table and on every GSI it is in (1 KB steps each).",
    "Items rewritten: for each GSI of the style's design on its own, the deployed design is that design "
    "without the GSI (the index and every entity's keys on it); `diff_designs(deployed, design)` gives the "
    "migration, and every `FillIndexKeys` it holds rewrites every item of its entity. Summed over the "
    "GSIs: what adding them one at a time costs. A native index over attributes the items already hold "
    "needs none (DynamoDB builds it); a write-sharded native one writes `_shard` on every item.",
    "Ratios are style / synthetic of the same app; `-` where synthetic's figure is zero.",
)


@dataclass(frozen=True)
class StyleRow:
    """One app keyed one way."""

    app: str
    style: KeyStyle
    gsis: int
    native: int
    bytes_per_item: float
    table_bytes: int
    write_units: float
    rewritten: int
    fills: tuple[tuple[str, str, int], ...]  # (index, entity, items) of every FillIndexKeys
    indexes: tuple[tuple[str, bool], ...] = ()  # (GSI, native)
    counted: bool = False  # every entity's items come from declared counts
    error: str | None = None


def example_apps() -> list[App]:
    """Every App of the access_patterns package, one per app name, by name (as the tests find them)."""
    found: dict[str, App] = {}
    for info in sorted(pkgutil.iter_modules(access_patterns.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{access_patterns.__name__}.{info.name}")
        for _, obj in sorted(vars(module).items()):
            if isinstance(obj, App):
                found.setdefault(obj.name, obj)
    return [found[k] for k in sorted(found)]


def items_of(design: Design, entity: str) -> int:
    """Items of one entity in all, or the assumed count when a count is undeclared."""
    n = total_items(design, entity)
    return UNDECLARED_ITEMS if n is None else n


def without_index(design: Mapping[str, Any], index: str) -> dict[str, Any]:
    """The design JSON as deployed before ``index`` was added: no index, no entity keys on it."""
    return {
        **design,
        "indexes": [ix for ix in design["indexes"] if ix["name"] != index],
        "entities": {
            e: {ix: keys for ix, keys in on.items() if ix != index} for e, on in design["entities"].items()
        },
    }


def fills(design: Design) -> tuple[tuple[str, str, int], ...]:
    """(index, entity, items) of every item rewrite that adding each GSI on its own needs."""
    doc = design_to_dict(design)
    return tuple(
        (op.index, op.entity, items_of(design, op.entity))
        for ix in design.indexes
        if ix.name not in item_keyed(design)
        for op in diff_designs(without_index(doc, ix.name), doc)
        if isinstance(op, FillIndexKeys)
    )


def item_keyed(design: Design) -> frozenset[str]:
    """GSIs that key index items (max_gsis): no generated migration adds one to a live table."""
    items = {i.name for i in design.index_items}
    return frozenset(k.index for k in design.keys if k.entity in items)


def measure(app: App, style: KeyStyle) -> StyleRow:
    """One app keyed ``style``: GSIs, sizes, write units and migration rewrites."""
    try:
        design = app.with_key_style(style).design
    except Exception as exc:  # a style an app cannot take is reported, not fatal
        return StyleRow(app.name, style, 0, 0, 0.0, 0, 0.0, 0, (), error=f"{type(exc).__name__}: {exc}")
    weights = {e.name: items_of(design, e.name) for e in design.app.entities}
    stored = sum(n * item_size(design, e) for e, n in weights.items())
    found = fills(design)
    return StyleRow(
        app=app.name,
        style=style,
        gsis=len(design.indexes),
        native=sum(ix.native for ix in design.indexes),
        bytes_per_item=stored / sum(weights.values()),
        table_bytes=stored,
        write_units=sum(u for _, u in estimate(design).entity_write_units),
        rewritten=sum(n for _, _, n in found),
        fills=found,
        indexes=tuple((ix.name, ix.native) for ix in design.indexes),
        counted=all(total_items(design, e.name) is not None for e in design.app.entities),
    )


def run(apps: Sequence[App] | None = None) -> list[StyleRow]:
    """Every app in every style, app by app."""
    return [measure(app, style) for app in (example_apps() if apps is None else apps) for style in STYLES]


def _ratio(value: float, base: float) -> str:
    return "-" if base == 0 else f"{value / base:.2f}"


def table(rows: Sequence[StyleRow]) -> str:
    """One row per app and style."""
    body = [
        [
            r.app,
            r.style,
            str(r.gsis),
            str(r.native),
            f"{r.bytes_per_item:.0f}",
            f"{r.table_bytes / 1e6:.3f}",
            f"{r.write_units:g}",
            f"{r.rewritten:,}",
            f"{r.rewritten / r.gsis:,.0f}" if r.gsis else "-",
            r.error or "-",
        ]
        for r in rows
    ]
    headers = [
        "app",
        "style",
        "GSIs",
        "native",
        "bytes/item",
        "table MB",
        "WCU/write",
        "items rewritten",
        "per new GSI",
        "error",
    ]
    return md_table(headers, body)


def ratios_table(rows: Sequence[StyleRow]) -> str:
    """auto/synthetic and native/synthetic per app: bytes per item, write units, items rewritten."""
    by = {(r.app, r.style): r for r in rows}
    body: list[list[str]] = []
    for app in dict.fromkeys(r.app for r in rows):
        base = by[(app, "synthetic")]
        cells = [app]
        for style in ("auto", "native"):
            r = by[(app, style)]
            cells += [
                _ratio(r.bytes_per_item, base.bytes_per_item),
                _ratio(r.write_units, base.write_units),
                _ratio(r.rewritten, base.rewritten),
            ]
        body.append(cells)
    headers = ["app"] + [
        f"{s}/synthetic {m}" for s in ("auto", "native") for m in ("bytes", "WCU", "rewritten")
    ]
    return md_table(headers, body)


def _rewrites(row: StyleRow, index: str, native: bool) -> str:
    found = [(e, n) for i, e, n in row.fills if i == index]
    what = "; ".join(f"{e} {n:,}" for e, n in found)
    return f"{index} {'native' if native else 'synthetic'} {sum(n for _, n in found):,}" + (
        f" ({what})" if what else ""
    )


def report(rows: Sequence[StyleRow]) -> str:
    """The section's body: both tables, each GSI's rewrites where a style has native ones, and the assumptions."""
    spared = [
        f"{r.app} ({r.style}): " + ", ".join(_rewrites(r, ix, native) for ix, native in r.indexes)
        for r in rows
        if r.native
    ]
    counted = sorted({r.app for r in rows if r.counted})
    return (
        "Per app and key style (figures from `dynamodel.design.cost` and `dynamodel.migrate.diff`; "
        "assumptions below):\n\n"
        + table(rows)
        + "\n\nRatios to the same app keyed synthetic:\n\n"
        + ratios_table(rows)
        + "\n\nItems rewritten to add each GSI on its own, where a style has native GSIs:\n\n"
        + ("\n".join(f"- {s}" for s in spared) or "- none")
        + "\n\nApps whose every entity declares its count: "
        + (", ".join(counted) or f"none (every entity is taken as {UNDECLARED_ITEMS:,} items)")
        + ".\n\nAssumptions:\n\n"
        + "\n".join(f"- {a}" for a in ASSUMPTIONS)
    )


def replace_section(text: str, section: str, when: str) -> str:
    """RESULTS.md with this section replaced (or put before the notes), the rest kept, and the header saying so."""
    heading = f"## {TITLE}"
    if heading in text:
        start = text.index(heading)
        end = text.find("\n## ", start) + 1 or len(text)
        text = text[:start] + section + "\n" + text[end:]
    else:
        at = text.index("## Notes") if "## Notes" in text else len(text)
        text = text[:at] + section + "\n" + text[at:]
    note = (
        f"- Section 6 (key styles): `.venv/bin/python benchmarks/run.py --only key_style`, run on {when}; "
        "the other sections are from the runs above"
    )
    lines = [line for line in text.split("\n") if not line.startswith("- Section 6 (key styles)")]
    at = lines.index("## Targets") - 1
    return "\n".join([*lines[:at], note, *lines[at:]])


if __name__ == "__main__":
    print(report(run()))
