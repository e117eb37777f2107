"""The design review page: one self-contained HTML document from a Design, the same bytes every time.

No timestamp, no external reference: the stylesheet and script are inline, and a
Content-Security-Policy forbids the page any request at all, so it opens offline and a
reviewer's browser fetches nothing.
"""

from __future__ import annotations

from dynamodel.design.cost import CostReport, estimate
from dynamodel.design.explain import minimal_among
from dynamodel.design.model import Design
from dynamodel.report.assets import SCRIPT, STYLE
from dynamodel.report.markup import MARKS, badge, esc
from dynamodel.report.matrix import render_matrix
from dynamodel.report.patterns import render_patterns, usd
from dynamodel.report.stored import render_samples
from dynamodel.testing.samples import sample_items

__all__ = ["render_report"]

_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
_SECTIONS = (
    ("legend", "Legend"),
    ("matrix", "Entities × indexes"),
    ("patterns", "Access patterns"),
    ("samples", "Sample items"),
    ("costs", "Cost"),
)


def _card(label: str, value: str, hint: str = "") -> str:
    more = f'<div class="hint">{esc(hint)}</div>' if hint else ""
    return f'<div class="card" role="listitem"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>{more}</div>'


def _summary(design: Design, report: CostReport) -> str:
    gsis, lsis = len(design.indexes), len(design.local_indexes)
    native = sum(1 for ix in design.indexes if ix.native)
    index_hint = ", ".join(
        part
        for part in (
            f"{native} native" if native else "",
            f"{len(design.index_items)} index item(s)" if design.index_items else "",
            f"budget {design.app.max_gsis}" if design.app.max_gsis is not None else "",
        )
        if part
    )
    kinds: dict[str, int] = {}
    for plan in design.plans:
        kinds[plan.kind] = kinds.get(plan.kind, 0) + 1
    cards = [
        _card("Entities", str(len(design.app.entities)), f"{len(design.guards)} unique guard(s)"),
        _card(
            "Indexes", f"{gsis} GSI" + (f" + {lsis} LSI" if lsis else ""), index_hint or "plus the base table"
        ),
        _card("Patterns", str(len(design.plans)), ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))),
        _card(
            "Minimal",
            "proven" if design.optimal else "best found",
            "fewest GSIs, then least write work" if design.optimal else "within the search budget",
        ),
        _card("Per month", usd(report.total_monthly), "at the declared rates, on demand"),
    ]
    return f'<div class="cards" role="list" aria-label="Summary">{"".join(cards)}</div>'


def _legend() -> str:
    entries = "".join(
        f"<div><dt>{badge(kind)}</dt><dd>{esc(mark.meaning)}</dd></div>" for kind, mark in MARKS.items()
    )
    return (
        '<section id="legend" aria-labelledby="legend-title"><h2 id="legend-title">Legend</h2>'
        f'<dl class="legend">{entries}</dl></section>'
    )


def _costs(design: Design, report: CostReport) -> str:
    sizes = ", ".join(f"{e} {b} B" for e, b in report.item_bytes)
    writes = ", ".join(f"{e} {u:g}" for e, u in report.entity_write_units)
    by_index = ", ".join(f"{k} {usd(v)}" for k, v in report.by_index) or "–"
    stored = (
        "not estimated (declare a count on every entity)"
        if report.storage_bytes is None
        else f"{report.storage_bytes / 1e9:.3f} GB, {usd(report.storage_monthly)} per month"
    )
    rows = [
        ("item sizes", sizes),
        ("write units per write", writes),
        ("per month by index", by_index),
        ("storage", stored),
        ("total per month", usd(report.total_monthly)),
    ]
    listed = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in rows)
    assumptions = "".join(f"<li>{esc(a)}</li>" for a in report.assumptions)
    techniques = ", ".join(design.techniques) or "–"
    return (
        '<section id="costs" class="costs" aria-labelledby="costs-title"><h2 id="costs-title">Cost and assumptions</h2>'
        '<p class="lede">Estimates, not a bill (the model of <code>dynamodel design --cost</code>).</p>'
        f'<div class="panel"><dl>{listed}<div><dt>techniques</dt><dd>{esc(techniques)}</dd></div></dl>'
        f"<h4>Assumptions</h4><ul>{assumptions}</ul>"
        f"<h4>Minimal among</h4><p>{esc(minimal_among(design))}</p></div></section>"
    )


def render_report(design: Design, *, per_entity: int = 2) -> str:
    """The whole page: summary, legend, matrix, patterns, sample items per index, cost."""
    report = estimate(design)
    samples = sample_items(design, per_entity=per_entity)
    name = design.app.name
    nav = "".join(f'<li><a href="#{anchor}">{esc(title)}</a></li>' for anchor, title in _SECTIONS)
    lsis = f" + {len(design.local_indexes)} LSI(s)" if design.local_indexes else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        f"<title>{esc(name)}: design review</title><style>{STYLE}</style></head>\n"
        '<body><a class="skip" href="#patterns">Skip to the access patterns</a>'
        f'<header><h1>Design review: <span class="app">{esc(name)}</span></h1>'
        f'<p class="sub">Base table + {len(design.indexes)} GSI(s){esc(lsis)}, derived by dynamodel from the '
        "declared entities and access patterns.</p>"
        f'<nav aria-label="Sections"><ul>{nav}</ul></nav></header>\n'
        f"<main>{_summary(design, report)}{_legend()}\n{render_matrix(design)}\n"
        f"{render_patterns(design, report)}\n{render_samples(design, samples)}\n{_costs(design, report)}</main>\n"
        f"<footer>dynamodel report of {esc(name)}: the same declarations give the same page.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
