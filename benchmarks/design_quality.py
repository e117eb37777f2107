"""Design quality: our derived designs against the published expert designs (issue 7 §1).

For every case in ``benchmarks/cases/specs/*.yaml`` (with its ``.expect.json`` and the facts in
``benchmarks/cases/published_designs.json``; sources in ``benchmarks/cases/SOURCES.md``) this derives our design and compares it with the
expert's: GSI counts, read patterns served in one request without filter or scan, patterns where
we beat the expert, techniques, and an estimated read cost (RCU) per call of every read pattern.

Nothing here is hard-coded per case: our side is read from ``derive(spec)``; the expert's from the
expect file and the published design. The RCU figures are an *estimate* from a stated item-size
model (see ``ASSUMPTIONS``), not a measurement.

Run: .venv/bin/python benchmarks/design_quality.py
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynamodel.design import Design, PatternPlan, derive
from dynamodel.design.model import TABLE
from dynamodel.spec import AppSpec, EntitySpec, PatternSpec
from dynamodel.spec_file import load_spec_file

CASES = Path(__file__).resolve().parent / "cases"
SPECS = CASES / "specs"
PUBLISHED = CASES / "published_designs.json"

ITEM_BYTES = 1024  # assumed size of every item: no case declares item sizes
COLLECTION_ITEMS = 20  # assumed items per collection (N)
RCU_BYTES = 4096
EVENTUAL_FACTOR = 0.5

ASSUMPTIONS: tuple[str, ...] = (
    "No case (spec, expect file or published_designs.json) declares item sizes or collection sizes, so every "
    f"item is assumed to be {ITEM_BYTES} bytes and every collection to hold N={COLLECTION_ITEMS} items; "
    "both designs are costed with the same model.",
    "Items a read returns: an entity whose identity is fixed by the pattern's `by`/`where` attributes "
    f"(or any `get`) contributes 1 item, any other entity N={COLLECTION_ITEMS}. Ranges (between, <, >, ...) "
    "are assumed to select the same N items in both designs.",
    "RCU per request = ceil(bytes read / 4 KB), then x 0.5 for an eventually consistent read. Consistency: "
    "ours is what our runtime sends (dynamodel.compile): a GetItem or a base-table Query is strongly "
    "consistent only when the pattern declares `consistency: strong`; the expert's reads are costed with "
    "DynamoDB's default ConsistentRead=false. None of the 9 cases declares strong, so every read is "
    "costed as eventually consistent on both sides.",
    "Bytes read include items a plan reads and discards: for our plans, a key condition on the partition "
    "only (a whole item collection) reads every entity stored under that partition value on that index; "
    "for the expert, a FilterExpression reads the whole collection and a Scan reads the whole index "
    "(both equal the declared result in these cases: the expert's filter is on a status the declared "
    "pattern does not ask for, and the scanned index is sparse and holds only the result).",
    "GSI projections: ours project ALL. An expert INCLUDE projection reads the projected share of an item: "
    "(identity + listed + index key attributes) / (all declared attributes) x item size, attributes "
    "assumed equally large. Key attributes' own bytes are ignored on both sides.",
    "The item model is the same for both designs and over-counts the 'one' side of some joins (e.g. User + "
    "Repos by owner counts N users, since `owner` is not User's identity): absolute RCU figures are rough, "
    "the ours/expert ratios are what the table compares.",
    "Requests: the expert's count comes from published_designs.json (pattern_to_index.requests), ours from "
    "plan.requests; with several requests the bytes are split evenly and each request is rounded up.",
)


# ---- tables -------------------------------------------------------------------------------------


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table (also readable as plain text)."""
    cells = [[str(h) for h in headers], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("|", "\\|")


# ---- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One published case: our spec, its expect file, and the published expert design."""

    name: str
    spec_path: Path
    expect: dict[str, Any]
    published: dict[str, Any]

    @property
    def expert(self) -> dict[str, Any]:
        """The published expert design (``expert_design``)."""
        design: dict[str, Any] = self.published["expert_design"]
        return design


def load_cases(specs: Path = SPECS, published: Path = PUBLISHED) -> list[Case]:
    """Every spec with its expect file and published design, sorted by name."""
    facts = {c["name"]: c for c in json.loads(published.read_text(encoding="utf-8"))}
    cases = []
    for spec in sorted(specs.glob("*.yaml")):
        expect = json.loads(spec.with_suffix("").with_suffix(".expect.json").read_text(encoding="utf-8"))
        cases.append(Case(spec.stem, spec, expect, facts[spec.stem]))
    return cases


# ---- the read-cost model ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadCost:
    """An estimated read: items touched, bytes, requests and RCU per call."""

    items: int
    bytes: float
    requests: int
    rcu: float
    eventual: bool
    share: float = 1.0  # share of each item the index projects


def _rcu(total_bytes: float, requests: int, eventual: bool) -> float:
    per_request = total_bytes / max(requests, 1)
    units = sum(max(1, math.ceil(per_request / RCU_BYTES)) for _ in range(max(requests, 1)))
    return units * (EVENTUAL_FACTOR if eventual else 1.0)


def returned_items(app: AppSpec, pattern: PatternSpec) -> dict[str, int]:
    """Items the pattern returns per entity under the stated model (1 if its identity is given, else N)."""
    given = set(pattern.by) | {attr for attr, _ in pattern.where}
    out = {}
    for name in pattern.entities:
        ident = set(app.entity(name).identity)
        out[name] = 1 if pattern.kind == "get" or ident <= given else COLLECTION_ITEMS
    return out


def _partition_items(ent: EntitySpec, pk_attrs: set[str]) -> int:
    return 1 if set(ent.identity) <= pk_attrs else COLLECTION_ITEMS


def our_entities_read(design: Design, plan: PatternPlan, pattern: PatternSpec) -> dict[str, int]:
    """Items our plan reads per entity: the result plus anything else its key condition covers."""
    result = returned_items(design.app, pattern)
    if plan.operation == "GetItem":
        return result
    first = design.keys_for(plan.entities[0], plan.index)
    if first is None:
        return result
    # Everything stored under the same partition value on this index.
    colocated = [k for k in design.keys if k.index == plan.index and k.pk == first.pk]
    read = dict(result)
    if plan.whole_partition:
        chosen = colocated
    elif plan.blocks:
        lo, hi = min(plan.blocks), max(plan.blocks)
        chosen = [k for k in colocated if lo <= k.tag <= hi]
    else:
        chosen = []  # begins_with / a range on the result's own tag: nothing else is read
    for keys in chosen:
        if keys.entity not in read:
            pk_attrs = {getattr(p, "attr", "") for p in keys.pk.parts} - {""}
            read[keys.entity] = _partition_items(design.app.entity(keys.entity), pk_attrs)
    return read


def our_consistent_read(plan: PatternPlan, pattern: PatternSpec) -> bool:
    """Whether our runtime sends ``ConsistentRead=True`` (the rule of ``dynamodel.compile``).

    A GetItem follows its plan's consistency; a Query is strongly consistent only on the base table
    and only when the pattern declares ``consistency: strong`` (GSIs cannot be read consistently).
    """
    if plan.operation == "GetItem":
        return plan.consistency == "strong"
    return plan.index == TABLE and pattern.consistency == "strong"


def our_cost(design: Design, plan: PatternPlan, pattern: PatternSpec) -> ReadCost:
    """Estimated cost of one call of our plan (projection ALL, see ASSUMPTIONS)."""
    read = our_entities_read(design, plan, pattern)
    items = sum(read.values())
    total = float(items * ITEM_BYTES)
    eventual = not our_consistent_read(plan, pattern)
    return ReadCost(items, total, plan.requests, _rcu(total, plan.requests, eventual), eventual)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _projection_share(ent: EntitySpec, gsi: dict[str, Any] | None) -> float:
    """Share of an item an expert GSI projects (1.0 for ALL or the base table)."""
    if gsi is None:
        return 1.0
    projection = str(gsi.get("projection", "ALL"))
    if not projection.startswith("INCLUDE"):
        return 1.0 if projection == "ALL" else 0.0
    listed = {_norm(a) for a in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", projection.removeprefix("INCLUDE"))}
    listed |= {_norm(str(gsi.get("pk", ""))), _norm(str(gsi.get("sk", "")))}
    names = [a.name for a in ent.attributes]
    projected = {n for n in names if _norm(n) in listed} | set(ent.identity)  # PK/SK carry the identity
    return len(projected) / len(names)


@dataclass(frozen=True)
class ExpertPlan:
    """The expert's request for one of our pattern names, from published_designs.json."""

    ap_id: str
    index: str
    operation: str
    requests: int
    uses_filter: bool
    uses_scan: bool

    def describe(self) -> str:
        """One cell: operation on index, request count, filter/scan."""
        extra = " +filter" if self.uses_filter else ""
        extra += " (scan)" if self.uses_scan and "Scan" not in self.operation else ""
        return f"{self.operation} {self.index} x{self.requests}{extra}"


def ap_id(pattern_name: str) -> str | None:
    """The published access-pattern id (``AP5``) a spec pattern name (``ap5_...``) stands for."""
    m = re.match(r"ap(\d+)_", pattern_name)
    return f"AP{m[1]}" if m else None


def expert_plan(case: Case, pattern_name: str, siblings: Sequence[str]) -> ExpertPlan | None:
    """The expert's request for our pattern; ``siblings`` are the names that share its AP id, in order."""
    ident = ap_id(pattern_name)
    entry = case.expert["pattern_to_index"].get(ident) if ident else None
    if ident is None or entry is None:
        return None
    indexes = [s.strip() for s in str(entry.get("index", "")).split("|")]
    index = indexes[min(siblings.index(pattern_name), len(indexes) - 1)] if len(indexes) > 1 else indexes[0]
    operation = str(entry.get("operation", ""))
    return ExpertPlan(
        ap_id=ident,
        index=index,
        operation=operation,
        requests=int(entry.get("requests", 1)),
        uses_filter="filter" in entry,
        uses_scan="Scan" in operation,
    )


def expert_cost(case: Case, app: AppSpec, pattern: PatternSpec, plan: ExpertPlan | None) -> ReadCost:
    """Estimated cost of one call of the expert's plan (same item model as ours)."""
    result = returned_items(app, pattern)
    # A filter reads the whole collection and a scan the whole index: in these cases both are exactly the
    # declared result (see ASSUMPTIONS), so the read set is the result set.
    gsi = None
    if plan is not None and plan.index != "base":
        gsi = next((g for g in case.expert.get("gsis", []) if g.get("name") == plan.index), None)
    total = sum(n * ITEM_BYTES * _projection_share(app.entity(e), gsi) for e, n in result.items())
    items = sum(result.values())
    requests = plan.requests if plan else 1
    eventual = pattern.consistency == "eventual"
    rcu = _rcu(total, requests, eventual)
    return ReadCost(items, total, requests, rcu, eventual, total / (items * ITEM_BYTES))


# ---- per-case evaluation ------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternRow:
    """One read pattern: the expert's request and ours, with estimated RCU."""

    case: str
    pattern: str
    expert: str
    ours: str
    expert_single: bool
    ours_single: bool
    expert_cost: ReadCost
    ours_cost: ReadCost

    @property
    def ratio(self) -> float:
        """Our RCU over the expert's."""
        return self.ours_cost.rcu / self.expert_cost.rcu

    @property
    def why(self) -> str:
        """What makes the two estimates differ ("-" when they are equal)."""
        ours, exp = self.ours_cost, self.expert_cost
        reasons = []
        if ours.items != exp.items:
            more = "ours" if ours.items > exp.items else "the expert"
            reasons.append(f"{more} reads {abs(ours.items - exp.items)} more items")
        if ours.eventual != exp.eventual:
            reasons.append("ours strongly consistent" if exp.eventual else "the expert's strongly consistent")
        if exp.share < 1:
            reasons.append(f"expert INCLUDE projection: {exp.share:.0%} of each item")
        if ours.requests != exp.requests:
            reasons.append(f"{ours.requests} vs {exp.requests} requests")
        return "; ".join(reasons) or "-"


@dataclass(frozen=True)
class BeatRow:
    """A pattern the expert serves with a filter, a scan or several requests and we serve in one."""

    case: str
    pattern: str
    expert: str
    ours: str
    note: str


@dataclass(frozen=True)
class CaseResult:
    """Everything measured for one case."""

    case: str
    entities: int
    read_patterns: int
    expert_gsis: int
    ours_gsis: int
    expert_single: int
    ours_single: int
    expert_singles_kept: int
    optimal: bool
    derive_ms: float
    expert_techniques: tuple[str, ...]
    ours_techniques: tuple[str, ...]
    patterns: tuple[PatternRow, ...]
    beats: tuple[BeatRow, ...]

    @property
    def gsis_ok(self) -> bool:
        """Target: our GSIs <= the expert's."""
        return self.ours_gsis <= self.expert_gsis

    @property
    def singles_ok(self) -> bool:
        """Target: every expert single-request read pattern is single-request for us."""
        return self.expert_singles_kept == self.expert_single

    @property
    def expert_rcu(self) -> float:
        """Sum of the expert's estimated RCU over all read patterns (one call each)."""
        return sum(p.expert_cost.rcu for p in self.patterns)

    @property
    def ours_rcu(self) -> float:
        """Sum of our estimated RCU over all read patterns (one call each)."""
        return sum(p.ours_cost.rcu for p in self.patterns)


def is_single(plan: PatternPlan) -> bool:
    """One request, no filter, no scan."""
    return plan.requests == 1 and not plan.uses_filter and not plan.uses_scan


def _describe(plan: PatternPlan) -> str:
    extra = " +filter" if plan.uses_filter else ""
    extra += " (scan)" if plan.uses_scan else ""
    return f"{plan.operation} {plan.index} x{plan.requests}{extra}"


def _beat_note(exp: ExpertPlan | None, pattern: PatternSpec, row: PatternRow) -> str:
    same = row.expert_cost.items == row.ours_cost.items
    if exp is not None and exp.uses_filter:
        text = "expert: FilterExpression (reads the whole collection, drops what does not match)"
        if not pattern.where and same:
            text += "; the declared pattern has no predicate for that filter, so both read the same items"
        return text
    if exp is not None and exp.uses_scan:
        text = "expert: Scan (reads the whole index)"
        if same:
            text += "; the scanned index is sparse and holds only the result, so both read the same items"
        return text
    return f"expert: {exp.requests if exp else '?'} requests"


def evaluate(case: Case) -> CaseResult:
    """Derive our design for the case and compare it with the expert's."""
    app = load_spec_file(case.spec_path)
    t0 = time.perf_counter()
    design = derive(app)
    derive_ms = (time.perf_counter() - t0) * 1000
    reads: list[str] = list(case.expect["read_patterns"])
    expert_singles: set[str] = set(case.expect["expert_single_request_read_patterns"])
    expert_filtered: set[str] = set(case.expect["expert_filter_or_scan_patterns"])
    by_ap: dict[str | None, list[str]] = {}
    for name in reads:
        by_ap.setdefault(ap_id(name), []).append(name)

    rows: list[PatternRow] = []
    beats: list[BeatRow] = []
    for name in reads:
        plan = design.plan(name)
        pattern = app.pattern(name)
        exp = expert_plan(case, name, by_ap[ap_id(name)])
        row = PatternRow(
            case=case.name,
            pattern=name,
            expert=exp.describe() if exp else "n/a",
            ours=_describe(plan) + (" strong" if our_consistent_read(plan, pattern) else ""),
            expert_single=name in expert_singles,
            ours_single=is_single(plan),
            expert_cost=expert_cost(case, app, pattern, exp),
            ours_cost=our_cost(design, plan, pattern),
        )
        rows.append(row)
        if (name in expert_filtered or name not in expert_singles) and is_single(plan):
            beats.append(BeatRow(case.name, name, row.expert, row.ours, _beat_note(exp, pattern, row)))

    # Writes the expert needs several requests for (published multi_request_patterns), one request for us.
    multi = set(case.expert.get("multi_request_patterns", []))
    for pattern in app.patterns:
        ident = ap_id(pattern.name)
        if pattern.is_read or ident not in multi:
            continue
        plan = design.plan(pattern.name)
        entry = case.expert["pattern_to_index"][ident]
        expert_desc = f"{entry['operation']} x{entry['requests']}"
        if plan.requests < int(entry["requests"]):
            beats.append(
                BeatRow(
                    case.name,
                    pattern.name,
                    expert_desc,
                    _describe(plan),
                    f"expert: {entry['requests']} requests, not atomic; ours: one transaction",
                )
            )

    singles_kept = sum(1 for n in expert_singles if is_single(design.plan(n)))
    return CaseResult(
        case=case.name,
        entities=len(app.entities),
        read_patterns=len(reads),
        expert_gsis=int(case.expect["expert_gsi_count"]),
        ours_gsis=len(design.indexes),
        expert_single=len(expert_singles),
        ours_single=sum(1 for n in reads if is_single(design.plan(n))),
        expert_singles_kept=singles_kept,
        optimal=design.optimal,
        derive_ms=derive_ms,
        expert_techniques=tuple(sorted(case.expect.get("techniques", []))),
        ours_techniques=tuple(sorted(design.techniques)),
        patterns=tuple(rows),
        beats=tuple(beats),
    )


def run(cases: Sequence[Case] | None = None) -> list[CaseResult]:
    """Evaluate every case (all of ``benchmarks/cases/specs`` by default)."""
    return [evaluate(c) for c in (load_cases() if cases is None else cases)]


# ---- rendering ----------------------------------------------------------------------------------


def _ratio(ours: float, expert: float) -> str:
    return f"{ours / expert:.2f}x" if expert else "n/a"


def summary_table(results: Sequence[CaseResult]) -> str:
    """One row per case: GSIs, single-request reads, beats, total estimated RCU."""
    headers = [
        "case",
        "reads",
        "GSIs expert",
        "GSIs ours",
        "GSIs <= expert",
        "1-request reads expert",
        "1-request reads ours",
        "expert's kept",
        "beats",
        "RCU/call expert (sum)",
        "RCU/call ours (sum)",
        "ours/expert",
        "derive ms",
        "minimal proven",
    ]
    rows: list[list[object]] = [
        [
            r.case,
            r.read_patterns,
            r.expert_gsis,
            r.ours_gsis,
            r.gsis_ok,
            f"{r.expert_single}/{r.read_patterns}",
            f"{r.ours_single}/{r.read_patterns}",
            r.singles_ok,
            len(r.beats),
            r.expert_rcu,
            r.ours_rcu,
            _ratio(r.ours_rcu, r.expert_rcu),
            f"{r.derive_ms:.1f}",
            r.optimal,
        ]
        for r in results
    ]
    exp_g, our_g = sum(r.expert_gsis for r in results), sum(r.ours_gsis for r in results)
    exp_r, our_r = sum(r.expert_rcu for r in results), sum(r.ours_rcu for r in results)
    n_reads = sum(r.read_patterns for r in results)
    rows.append(
        [
            "**total**",
            n_reads,
            exp_g,
            our_g,
            all(r.gsis_ok for r in results),
            f"{sum(r.expert_single for r in results)}/{n_reads}",
            f"{sum(r.ours_single for r in results)}/{n_reads}",
            all(r.singles_ok for r in results),
            sum(len(r.beats) for r in results),
            exp_r,
            our_r,
            _ratio(our_r, exp_r),
            f"{sum(r.derive_ms for r in results):.1f}",
            all(r.optimal for r in results),
        ]
    )
    return md_table(headers, rows)


def rcu_summary(results: Sequence[CaseResult]) -> str:
    """One paragraph: total estimated RCU ours vs expert, and why patterns differ."""
    rows = [p for r in results for p in r.patterns]
    exp, ours = sum(p.expert_cost.rcu for p in rows), sum(p.ours_cost.rcu for p in rows)
    reasons: dict[str, int] = {}
    for p in rows:
        for part in p.why.split("; "):
            if part != "-":
                key = part.split(":")[0]
                reasons[key] = reasons.get(key, 0) + 1
    cheaper = sum(1 for p in rows if p.ours_cost.rcu < p.expert_cost.rcu)
    dearer = sum(1 for p in rows if p.ours_cost.rcu > p.expert_cost.rcu)
    parts = ", ".join(f"{k} ({n})" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
    return (
        f"Estimated read cost over all {len(rows)} read patterns (one call each): ours {ours:g} RCU, the "
        f"experts' {exp:g} RCU ({_ratio(ours, exp)}). Ours costs more on {dearer} patterns and less on "
        f"{cheaper}; the rest are equal. Differences: {parts or 'none'}."
    )


def techniques_table(results: Sequence[CaseResult]) -> str:
    """Techniques each design uses, and the difference."""
    rows = []
    for r in results:
        exp, ours = set(r.expert_techniques), set(r.ours_techniques)
        rows.append(
            [
                r.case,
                ", ".join(sorted(exp)) or "-",
                ", ".join(sorted(ours)) or "-",
                ", ".join(sorted(exp - ours)) or "-",
                ", ".join(sorted(ours - exp)) or "-",
            ]
        )
    return md_table(["case", "expert", "ours", "expert only", "ours only"], rows)


def beats_table(results: Sequence[CaseResult]) -> str:
    """Patterns the expert serves with a filter, a scan or two requests, and we in one request."""
    rows = [[b.case, b.pattern, b.expert, b.ours, b.note] for r in results for b in r.beats]
    return md_table(["case", "pattern", "expert", "ours", "why"], rows or [["-", "-", "-", "-", "-"]])


def patterns_table(results: Sequence[CaseResult]) -> str:
    """Every read pattern: requests and estimated RCU per call, expert vs ours."""
    rows = [
        [
            p.case,
            p.pattern,
            p.expert,
            p.ours,
            f"{p.expert_cost.items}/{p.ours_cost.items}",
            p.expert_cost.rcu,
            p.ours_cost.rcu,
            _ratio(p.ours_cost.rcu, p.expert_cost.rcu),
            p.why,
        ]
        for r in results
        for p in r.patterns
    ]
    return md_table(
        [
            "case",
            "pattern",
            "expert request",
            "our request",
            "items read exp/ours",
            "RCU exp",
            "RCU ours",
            "ours/exp",
            "difference",
        ],
        rows,
    )


def main() -> None:
    """Print every table and the assumptions."""
    results = run()
    print("Design quality against the published expert designs\n")
    print(summary_table(results), end="\n\n")
    print(techniques_table(results), end="\n\n")
    print(beats_table(results), end="\n\n")
    print(patterns_table(results), end="\n\n")
    print("Assumptions:")
    for a in ASSUMPTIONS:
        print(f"- {a}")


if __name__ == "__main__":
    main()
