"""Every access pattern: a table of how each one runs and what it costs, and one detail panel each.

Each pattern's name is a button (Tab reaches every one; Enter or Space selects it, the arrow
keys move between them): selecting it shows its detail and lights up its index and entities
in the matrix. Without script the first pattern's detail shows.
"""

from __future__ import annotations

from dynamodel.design.cost import CostReport, PatternCost
from dynamodel.design.model import Design, PatternPlan
from dynamodel.design.requirements import predicate_text
from dynamodel.report.markup import badge, esc, marks_block
from dynamodel.report.matrix import cell_id, column_id, key_lines, key_marks
from dynamodel.spec import PatternSpec

__all__ = ["render_patterns", "usd"]


def usd(value: float | None) -> str:
    """Dollars per month as the cost report prints them; ``-`` where no rate is declared."""
    return "–" if value is None else f"${value:,.2f}"


def _units(value: float) -> str:
    return f"{value:g}"


def _consistency(plan: PatternPlan) -> str:
    return plan.consistency + (" + copies" if plan.reads_copies else "")


def _row(n: int, design: Design, plan: PatternPlan, cost: PatternCost) -> str:
    selected = n == 0
    cells = " ".join(filter(None, (cell_id(design, e, plan.index) for e in plan.entities)))
    return (
        f'<tr id="row-{n}"{" class=selected" if selected else ""}>'
        f'<th scope="row"><button type="button" class="pattern" id="pattern-{n}" data-detail="detail-{n}" '
        f'data-column="{column_id(design, plan.index)}" data-cells="{cells}" '
        f'aria-controls="pattern-detail" aria-pressed="{"true" if selected else "false"}">{esc(plan.name)}</button></th>'
        f'<td><span class="kind kind-{esc(plan.kind)}">{esc(plan.kind)}</span></td>'
        f"<td>{esc(plan.operation)}</td>"
        f'<td class="mono">{esc(plan.index)}</td>'
        f'<td class="mono cond">{esc(plan.key_condition or "–")}</td>'
        f'<td class="num">{plan.requests}</td>'
        f"<td>{esc(_consistency(plan))}</td>"
        f'<td class="num">{esc(_units(cost.read_units))}</td>'
        f'<td class="num">{esc(_units(cost.write_units))}</td>'
        f'<td class="num">{esc(usd(cost.monthly))}</td></tr>'
    )


def _declared(pat: PatternSpec) -> list[tuple[str, str]]:
    """What the declaration asked for, as (label, text) pairs (only what it says)."""
    out = []
    if pat.by:
        out.append(("by", ", ".join(pat.by)))
    if pat.where:
        out.append(("where", ", ".join(predicate_text(a, m) for a, m in pat.where)))
    if pat.sort is not None:
        out.append(("sort", f"{pat.sort} {pat.order}" + (f", range {pat.range}" if pat.range else "")))
    if pat.unique:
        out.append(("unique", "yes"))
    if pat.increments:
        out.append(("increments", ", ".join(f"{e}.{a} by {v:+d}" for e, a, v in pat.increments)))
    if pat.deletes:
        out.append(("deletes", ", ".join(pat.deletes)))
    if pat.fields:
        out.append(("fields", ", ".join(pat.fields)))
    rate = pat.rate.reads_per_s if pat.is_read else pat.rate.writes_per_s
    if rate is not None:
        out.append(("rate", f"{rate:g} per second"))
    return out


def _dl(pairs: list[tuple[str, str]], *, mono: frozenset[str] = frozenset()) -> str:
    rows = "".join(
        f"<div><dt>{esc(k)}</dt><dd{' class=mono' if k in mono else ''}>{esc(v)}</dd></div>" for k, v in pairs
    )
    return f"<dl>{rows}</dl>"


def _keys_used(design: Design, plan: PatternPlan) -> str:
    if plan.kind == "write":
        return ""
    ix = design.index(plan.index)
    rows = []
    for entity in plan.entities:
        keys = design.keys_for(entity, plan.index)
        if keys is None:
            continue
        marks = key_marks(keys)
        rows.append(
            f'<div class="keys-of"><span class="ent-name">{esc(entity)}</span>{key_lines(design, ix, keys)}'
            f"{marks_block(marks)}</div>"
        )
    return f"<h4>Keys on {esc(plan.index)}</h4>{''.join(rows)}" if rows else ""


def _detail(n: int, design: Design, plan: PatternPlan, cost: PatternCost) -> str:
    pat = design.app.pattern(plan.name)
    marks = []
    if plan.shards > 1:
        marks.append(badge("sharded", f"{plan.shards} shards, read in parallel"))
    if plan.reads_copies:
        marks.append(badge("copy", "reads copies", title="copied attributes are eventually consistent"))
    if plan.index != "table" and design.index(plan.index).native:
        marks.append(badge("native"))
    if plan.index != "table" and design.index(plan.index).local:
        marks.append(badge("lsi"))
    request = [
        ("operation", plan.operation),
        ("index", plan.index),
        ("key condition", plan.key_condition or "–"),
        ("requests", str(plan.requests)),
        ("consistency", _consistency(plan)),
        ("entities", ", ".join(plan.entities)),
    ]
    money = [
        ("read units per call", _units(cost.read_units)),
        ("write units per call", _units(cost.write_units)),
        ("declared rate", "–" if cost.rate is None else f"{cost.rate:g} per second"),
        ("per month", usd(cost.monthly)),
        ("estimate", cost.detail),
    ]
    declared = _declared(pat)
    return (
        f'<div class="detail" id="detail-{n}" role="group" aria-labelledby="detail-title-{n}"{"" if n == 0 else " hidden"}>'
        f'<h3 id="detail-title-{n}"><span class="kind kind-{esc(plan.kind)}">{esc(plan.kind)}</span> {esc(plan.name)}</h3>'
        f"{marks_block(marks)}"
        f'<p class="reason">{esc(plan.reason)}</p>'
        '<div class="detail-grid">'
        f"<div><h4>Request</h4>{_dl(request, mono=frozenset({'key condition', 'index'}))}</div>"
        f"<div><h4>Cost</h4>{_dl(money)}</div>"
        f"{f'<div><h4>Declared</h4>{_dl(declared)}</div>' if declared else ''}"
        f"</div>{_keys_used(design, plan)}</div>"
    )


def render_patterns(design: Design, report: CostReport) -> str:
    """The patterns section: the overview table, then the selected pattern's detail."""
    costs = {c.name: c for c in report.patterns}
    rows = "".join(_row(n, design, p, costs[p.name]) for n, p in enumerate(design.plans))
    details = "".join(_detail(n, design, p, costs[p.name]) for n, p in enumerate(design.plans))
    return (
        '<section id="patterns" aria-labelledby="patterns-title">'
        '<h2 id="patterns-title">Access patterns</h2>'
        '<p class="lede">How each pattern runs and what one call costs (read and write units; per month '
        "at the declared rate). Select a pattern for its detail: Tab to it, then Enter or Space; "
        "the arrow keys move between patterns.</p>"
        '<div class="scroll" tabindex="0" role="region" aria-label="Access patterns (scrolls sideways)">'
        '<table class="patterns"><caption class="sr-only">Access patterns, their requests and cost</caption>'
        '<thead><tr><th scope="col">Pattern</th><th scope="col">Kind</th><th scope="col">Operation</th>'
        '<th scope="col">Index</th><th scope="col">Key condition</th><th scope="col" class="num">Requests</th>'
        '<th scope="col">Consistency</th><th scope="col" class="num">Read units</th>'
        '<th scope="col" class="num">Write units</th><th scope="col" class="num">Per month</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        f'<section id="pattern-detail" class="panel" aria-live="polite" aria-label="Selected pattern">{details}</section>'
        "</section>"
    )
