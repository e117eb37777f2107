"""Design quality: our derived designs against the published expert designs (issue 7 §1).

For every case in ``benchmarks/cases/specs/*.yaml`` (with its ``.expect.json`` and the facts in
``benchmarks/cases/published_designs.json``; sources in ``benchmarks/cases/SOURCES.md``) this derives our design and compares it with the
expert's: GSI counts, read patterns served in one request without filter or scan, patterns where
we beat the expert, techniques, an estimated read cost (RCU) per call of every read pattern, and
(issue 15) write units per write of each entity, GSI projections and GSI key styles.

Nothing here is hard-coded per case: our side is read from ``derive(spec)``; the expert's from the
expect file and the published design. The RCU figures are an *estimate* from a stated item-size
model (see ``ASSUMPTIONS``), not a measurement; write units come from ``dynamodel.design.cost``
(see ``WRITE_ASSUMPTIONS``).

Run: .venv/bin/python benchmarks/design_quality.py
"""

from __future__ import annotations

import difflib
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynamodel.design import Design, PatternPlan, derive
from dynamodel.design.cost import estimate, item_size
from dynamodel.design.model import TABLE, IndexSpec
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
    "GSI projections, the same rule on both sides: an INCLUDE index's copy is the projected share of an "
    "item, (identity + projected attributes) / (all declared attributes) x item size, attributes assumed "
    "equally large; an ALL index (or one whose projection the source does not state) reads whole items. "
    "The expert's projected attributes are the published INCLUDE list plus the index's key attributes; "
    "ours are the design's `non_key_attributes` (dynamodel.design.projections: the readers' `fields`, "
    "identities, and _type/_version/_born, which are not declared attributes and, like key attributes' "
    "own bytes, are ignored on both sides). dynamodel.design.cost sizes the same projections in bytes "
    "(typical value sizes per type plus our keys and bookkeeping) and is used for write units below; "
    "it is not used for this read share because the published designs give no sizes to weigh the "
    "expert's attributes with.",
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


def _share(ent: EntitySpec, projected: set[str]) -> float:
    """Share of an item a copy holding these declared attributes (and the identity) is (the stated rule)."""
    names = [a.name for a in ent.attributes]
    return len({n for n in names if n in projected} | set(ent.identity)) / len(names)


def our_share(design: Design, entity: str, index: str) -> float:
    """Share of an item of ``entity`` our ``index`` projects (1.0 for ALL or the base table)."""
    if index == TABLE:
        return 1.0
    ix = design.index(index)
    if ix.projection == "ALL":
        return 1.0
    # Native keys (plain attributes) are projected with the index; synthetic key attributes are not declared.
    return _share(design.app.entity(entity), {*ix.non_key_attributes, ix.partition_key, ix.sort_key})


def our_cost(design: Design, plan: PatternPlan, pattern: PatternSpec) -> ReadCost:
    """Estimated cost of one call of our plan (our index's projection, see ASSUMPTIONS)."""
    read = our_entities_read(design, plan, pattern)
    items = sum(read.values())
    total = sum(n * ITEM_BYTES * our_share(design, e, plan.index) for e, n in read.items())
    eventual = not our_consistent_read(plan, pattern)
    rcu = _rcu(total, plan.requests, eventual)
    return ReadCost(items, total, plan.requests, rcu, eventual, total / (items * ITEM_BYTES))


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _projection_share(ent: EntitySpec, gsi: dict[str, Any] | None) -> float:
    """Share of an item an expert GSI projects (1.0 for ALL, an unstated projection or the base table)."""
    if gsi is None:
        return 1.0
    projection = str(gsi.get("projection", "ALL"))
    if not projection.startswith("INCLUDE"):
        return 1.0 if projection == "ALL" else 0.0
    listed = {_norm(a) for a in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", projection.removeprefix("INCLUDE"))}
    listed |= {_norm(str(gsi.get("pk", ""))), _norm(str(gsi.get("sk", "")))}
    # PK/SK carry the identity (_share adds it).
    return _share(ent, {a.name for a in ent.attributes if _norm(a.name) in listed})


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


# ---- writes, projections and key styles (issue 15) -----------------------------------------------

WCU_BYTES = 1024

WRITE_ASSUMPTIONS: tuple[str, ...] = (
    "Write units per write: one plain write (PutItem, not in a transaction) of one item of the entity. "
    "Ours: `dynamodel.design.cost.estimate(design).entity_write_units`: ceil(item / 1 KB) on the table "
    "plus ceil(projected copy / 1 KB) for every GSI the entity is on. The expert's: the same rule at the "
    "same item sizes (`dynamodel.design.cost.item_size` of our design, which also counts our key and "
    "bookkeeping attributes), a copy on each GSI the entity appears in, at the expert's projected share "
    "of the item (the read rule above); a sparse index is counted as written (an item that carries its "
    "key attributes is in it). Write-pattern transactions, guards and counters are not in this "
    "per-entity figure (entity_write_units would double our table write if the design had unique "
    "guards; none of the 9 designs has one).",
    "Which expert GSIs an entity appears in, from published_designs.json: an overloaded GSI's "
    "`per_entity` list (names matched to our entities: exact, close, or the first word, as in 'User "
    "info'); a GSI keyed on plain attributes holds every entity that has all its key attributes; a GSI "
    "keyed on the base table's PK/SK (an inverted index) holds every stored item. An entity the "
    "expert's base table does not list (nor any GSI) has no item in the expert's design: its writes "
    "are not compared (our spec declares it to name a reference, e.g. Account in recurring payments).",
    "Key style: a GSI key is plain when it names one declared attribute (the expert's NextPaymentDate; "
    "what DynamoDB's native multi-attribute keys would give us), synthetic when its value is rendered "
    "from a template into an attribute of its own (GSI1PK, GSI1-PK, a composite State#Date) or reuses "
    "the base table's PK/SK.",
)


@dataclass(frozen=True)
class EntityWrite:
    """Write units of one plain write of one item of an entity: ours and the expert's."""

    entity: str
    ours_units: float
    ours_gsis: tuple[str, ...]
    expert_units: float | None  # None: the expert stores no item for this entity
    expert_gsis: tuple[str, ...]
    readers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # our GSI -> patterns reading it
    expert_every_item: tuple[str, ...] = ()  # the expert's GSIs that copy every item (keyed on PK/SK)


def _heads(key: str) -> list[str]:
    """Entity names in a published ``per_entity`` key: 'User/Organization', 'Book (loans, ...)'."""
    return [h.strip() for h in key.split("(", maxsplit=1)[0].split("/") if h.strip()]


def _match_entity(head: str, names: Sequence[str]) -> str | None:
    by_norm = {_norm(n): n for n in names}
    if _norm(head) in by_norm:
        return by_norm[_norm(head)]
    close = difflib.get_close_matches(_norm(head), list(by_norm), n=1, cutoff=0.85)  # User counters
    if close:
        return by_norm[close[0]]
    return by_norm.get(_norm(head.split(maxsplit=1)[0]))  # 'User info'


def _has_key_attrs(ent: EntitySpec, *keys: str) -> bool:
    attrs = {_norm(a.name) for a in ent.attributes}
    parts = [p for k in keys for p in k.split("(")[0].split("#") if p.strip()]
    return all(_norm(p) in attrs for p in parts)


def _matched(keys: Sequence[str], names: Sequence[str]) -> set[str]:
    return {m for key in keys for h in _heads(key) if (m := _match_entity(h, names)) is not None}


def expert_layout(case: Case, app: AppSpec) -> dict[str, tuple[str, ...] | None]:
    """Per entity of our spec: the expert GSIs it appears in, or None when the expert stores no item."""
    names = [e.name for e in app.entities]
    base = case.expert["base"]
    if "per_entity" in base:
        stored = _matched(list(base["per_entity"]), names)
    else:
        stored = {e.name for e in app.entities if _has_key_attrs(e, str(base.get("pk", "")))}
    gsis: dict[str, list[str]] = {n: [] for n in names}
    for gsi in case.expert.get("gsis", []):
        pk, sk = str(gsi.get("pk", "")), str(gsi.get("sk") or "")
        if "per_entity" in gsi:
            members = _matched(list(gsi["per_entity"]), names)
        elif {pk, sk} <= {"PK", "SK"}:
            members = set(stored)
        else:
            members = {e.name for e in app.entities if _has_key_attrs(e, pk, sk)}
        for name in sorted(members):
            gsis[name].append(str(gsi["name"]))
    stored |= {n for n, g in gsis.items() if g}  # e.g. Fork: listed under a GSI only
    return {n: (tuple(gsis[n]) if n in stored else None) for n in names}


def _units(size: float) -> float:
    return float(max(1, math.ceil(size / WCU_BYTES)))


def entity_writes(case: Case, design: Design) -> tuple[EntityWrite, ...]:
    """Ours (from dynamodel.design.cost) and the expert's write units per entity (WRITE_ASSUMPTIONS)."""
    app = design.app
    ours = dict(estimate(design).entity_write_units)
    expert_gsis = {str(g["name"]): g for g in case.expert.get("gsis", [])}
    out = []
    for name, layout in expert_layout(case, app).items():
        size = item_size(design, name)
        expert = None
        if layout is not None:
            share = [_projection_share(app.entity(name), expert_gsis[g]) for g in layout]
            expert = _units(size) + sum(_units(size * s) for s in share)
        ours_gsis = tuple(k.index for k in design.entity_indexes(name) if k.index != TABLE)
        readers = {
            g: tuple(
                p.name for p in design.plans if p.index == g and name in p.entities and p.kind != "write"
            )
            for g in ours_gsis
        }
        every = tuple(
            g for g in layout or () if {expert_gsis[g].get("pk"), expert_gsis[g].get("sk")} <= {"PK", "SK"}
        )
        out.append(EntityWrite(name, ours[name], ours_gsis, expert, layout or (), readers, every))
    return tuple(out)


def _our_key_style(design: Design, ix: IndexSpec) -> str:
    declared = {a.name for e in design.app.entities for a in e.attributes}
    return "plain" if ix.partition_key in declared else "synthetic"


def _expert_key_style(case: Case, app: AppSpec, gsi: dict[str, Any]) -> str:
    declared = {_norm(a.name) for e in app.entities for a in e.attributes}
    keys = [str(gsi.get("pk", "")), str(gsi.get("sk") or "")]
    plain = "per_entity" not in gsi and all(_norm(k) in declared for k in keys if k)
    return "plain" if plain else "synthetic"


def _styles(styles: Sequence[str]) -> str:
    if not styles:
        return "-"
    return ", ".join(f"{s} x{styles.count(s)}" for s in sorted(set(styles)))


def our_projections(design: Design) -> str:
    """Our GSIs' projections: 'ALL x2' or 'GSI1 INCLUDE 10, GSI2 ALL' (INCLUDE: non-key attributes)."""
    gsis = [ix for ix in design.indexes if ix.name != TABLE]
    if all(ix.projection == "ALL" for ix in gsis):
        return f"ALL x{len(gsis)}" if gsis else "-"
    return ", ".join(
        f"{ix.name} INCLUDE {len(ix.non_key_attributes)}" if ix.projection == "INCLUDE" else f"{ix.name} ALL"
        for ix in gsis
    )


def expert_projections(case: Case) -> str:
    """The expert's GSIs' projections as published ('ALL*': not stated, costed as ALL)."""
    gsis = case.expert.get("gsis", [])
    cells = []
    for gsi in gsis:
        projection = str(gsi.get("projection", "ALL*"))
        if projection.startswith("INCLUDE"):
            listed = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", projection.removeprefix("INCLUDE"))
            projection = f"INCLUDE {len(listed)}"
        cells.append(projection)
    if cells and all(c == cells[0] for c in cells) and not cells[0].startswith("INCLUDE"):
        return f"{cells[0]} x{len(cells)}"
    return ", ".join(f"{g['name']} {c}" for g, c in zip(gsis, cells, strict=True)) or "-"


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
        if not math.isclose(ours.share, exp.share):
            reasons.append(
                f"projection: ours reads {ours.share:.0%} of each item, the expert {exp.share:.0%}"
            )
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
    writes: tuple[EntityWrite, ...] = ()
    ours_projections: str = "-"
    expert_projections: str = "-"
    ours_key_style: str = "-"
    expert_key_style: str = "-"

    @property
    def compared_writes(self) -> tuple[EntityWrite, ...]:
        """The entities both designs store an item for."""
        return tuple(w for w in self.writes if w.expert_units is not None)

    @property
    def expert_wcu(self) -> float:
        """The expert's write units, one write of each entity both designs store, summed."""
        return sum(w.expert_units or 0.0 for w in self.compared_writes)

    @property
    def ours_wcu(self) -> float:
        """Our write units, one write of each entity both designs store, summed."""
        return sum(w.ours_units for w in self.compared_writes)

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
    gsis = [ix for ix in design.indexes if ix.name != TABLE]
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
        writes=entity_writes(case, design),
        ours_projections=our_projections(design),
        expert_projections=expert_projections(case),
        ours_key_style=_styles([_our_key_style(design, ix) for ix in gsis]),
        expert_key_style=_styles([_expert_key_style(case, app, g) for g in case.expert.get("gsis", [])]),
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


def differences(r: CaseResult) -> str:
    """Where and why our design differs from the expert's in GSIs, read and write units, projections, keys."""
    out = []
    if r.ours_gsis != r.expert_gsis:
        out.append(f"GSIs {r.ours_gsis} vs the expert's {r.expert_gsis}")
    out += [
        f"{p.pattern} {p.ours_cost.rcu:g} vs {p.expert_cost.rcu:g} RU ({p.why})"
        for p in r.patterns
        if p.ours_cost.rcu != p.expert_cost.rcu
    ]
    for w in r.compared_writes:
        if w.ours_units != w.expert_units:
            ours = "+".join(f"{g} ({', '.join(w.readers.get(g, ()))})" for g in w.ours_gsis) or "no GSI"
            expert = "+".join(f"{g} (every item)" if g in w.expert_every_item else g for g in w.expert_gsis)
            expert = expert or "no GSI"
            out.append(
                f"{w.entity} {w.ours_units:g} vs {w.expert_units:g} WU: ours on {ours}, expert on {expert}"
            )
    only = [w.entity for w in r.writes if w.expert_units is None]
    if only:
        out.append(f"{', '.join(only)}: an item only in our design (the expert's has none), not compared")
    if "INCLUDE" in r.expert_projections:
        if "INCLUDE" in r.ours_projections:
            out.append("both project INCLUDE (ours adds _type/_version/_born)")
        else:
            out.append("the expert projects INCLUDE, ours ALL (no reader declares fields)")
    plain = re.search(r"plain x(\d+)", r.expert_key_style)
    if plain and "plain" not in r.ours_key_style:
        out.append(f"the expert keys {plain[1]} GSI(s) on plain attributes, we use synthetic GSIxPK/GSIxSK")
    return "; ".join(out) or "same"


def cost_table(results: Sequence[CaseResult]) -> str:
    """Per case, expert vs ours: GSIs, read units, write units per write, projections, key style."""
    rows: list[list[object]] = [
        [
            r.case,
            f"{r.expert_gsis} / {r.ours_gsis}",
            f"{r.expert_rcu:g} / {r.ours_rcu:g}",
            f"{r.expert_wcu:g} / {r.ours_wcu:g}",
            f"{r.expert_projections} / {r.ours_projections}",
            f"{r.expert_key_style} / {r.ours_key_style}",
            differences(r),
        ]
        for r in results
    ]
    rows.append(
        [
            "**total**",
            f"{sum(r.expert_gsis for r in results)} / {sum(r.ours_gsis for r in results)}",
            f"{sum(r.expert_rcu for r in results):g} / {sum(r.ours_rcu for r in results):g}",
            f"{sum(r.expert_wcu for r in results):g} / {sum(r.ours_wcu for r in results):g}",
            "",
            "",
            "",
        ]
    )
    return md_table(
        [
            "case",
            "GSIs exp / ours",
            "read units/call exp / ours",
            "write units/write exp / ours",
            "GSI projections exp / ours",
            "GSI key style exp / ours",
            "where and why we differ",
        ],
        rows,
    )


def writes_table(results: Sequence[CaseResult]) -> str:
    """Every entity: write units of one write, the expert's and ours, and the GSIs each copy goes to."""
    rows = [
        [
            r.case,
            w.entity,
            "-" if w.expert_units is None else f"{w.expert_units:g}",
            f"{w.ours_units:g}",
            "no item" if w.expert_units is None else ", ".join(w.expert_gsis) or "-",
            ", ".join(w.ours_gsis) or "-",
        ]
        for r in results
        for w in r.writes
    ]
    return md_table(["case", "entity", "WU expert", "WU ours", "expert GSIs", "our GSIs"], rows)


def main() -> None:
    """Print every table and the assumptions."""
    results = run()
    print("Design quality against the published expert designs\n")
    print(summary_table(results), end="\n\n")
    print(techniques_table(results), end="\n\n")
    print(beats_table(results), end="\n\n")
    print(patterns_table(results), end="\n\n")
    print(cost_table(results), end="\n\n")
    print(writes_table(results), end="\n\n")
    print("Assumptions:")
    for a in (*ASSUMPTIONS, *WRITE_ASSUMPTIONS):
        print(f"- {a}")


if __name__ == "__main__":
    main()
