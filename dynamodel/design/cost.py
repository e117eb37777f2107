"""The bill per pattern: capacity units per call and, at the declared rates, dollars per month.

Pure and deterministic: a :class:`Design` and :class:`Prices` in, a :class:`CostReport` out.

The model (each rule is printed with the report, as its assumptions):

* **Item size** (DynamoDB's rule: attribute names plus values): an entity's declared ``size``
  (its attributes) or, for what is not declared, a typical value per type (:data:`TYPICAL`),
  with declared ``sizes`` for single attributes; plus what dynamodel writes beside them: the
  key attributes of every synthetic index the entity is on, rendered from their templates (an
  LSI's sort key alone: its partition is the item's own ``PK``), ``_type``, ``_version``,
  ``_born`` and ``_wid``, and ``_shard`` when a native index shards the entity's writes. A
  native index keys on attributes the item already holds: no bytes. Sizes are computed in
  :mod:`dynamodel.design.cost_sizes`.
* **Reads**: a GetItem reads one item; a Query reads, per entity of the result, one item when
  the call names its identity, else ``count`` items (declared per parent; 10 when not), each
  at its projected size (the whole item, or on an INCLUDE index its keys and included attributes;
  a native index's keys are the item's own key attributes, each counted once). Read units are
  ⌈bytes per request / 4 KB⌉, halved for eventually consistent reads (an LSI may be read
  strongly, at full units); a sharded query sends one request per shard.
* **Writes**: ⌈item size / 1 KB⌉ per item written to the table, doubled inside a transaction
  (TransactWriteItems); plus ⌈projected size / 1 KB⌉ for every GSI or LSI the item is in (the
  index's copy is written at the standard rate, an assumption; an LSI's from the table's own
  capacity); a unique guard item is one unit (doubled in a transaction); an increment rewrites
  its target item (and its index copies).
  A plan's extra requests (the read of a copy's source) are eventually consistent GetItems.
* **Money**: on-demand request units at :class:`Prices` (parameters), at the rate each pattern
  declares (``reads_per_s``/``writes_per_s``); a pattern without a rate has no monthly figure.
  Storage: items in all (``count`` up the parent chain) times their size on the table and on
  each GSI and LSI, plus DynamoDB's 100 bytes of overhead per item and index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dynamodel.design.cost_sizes import TYPICAL, item_size, projected_size
from dynamodel.design.model import TABLE, Design, PatternPlan

__all__ = [
    "DEFAULT_COUNT",
    "TYPICAL",
    "CostReport",
    "PatternCost",
    "Prices",
    "cost_to_dict",
    "estimate",
    "explain_cost",
    "item_size",
    "projected_size",
    "total_items",
]

DEFAULT_COUNT = 10
"""Items per parent (or in a Query's partition) where ``count`` is not declared."""
_READ_UNIT, _WRITE_UNIT, _INDEX_OVERHEAD, _GUARD = 4096, 1024, 100, 1


@dataclass(frozen=True)
class Prices:
    """On-demand prices in US dollars (us-east-1, as published in 2026): parameters, not facts."""

    read_unit: float = 0.125 / 1e6
    write_unit: float = 0.625 / 1e6
    storage_gb_month: float = 0.25
    seconds_per_month: float = 730 * 3600


@dataclass(frozen=True)
class PatternCost:
    """One pattern's units per call and, at its declared rate, per month."""

    name: str
    kind: str
    index: str
    requests: int
    read_units: float
    write_units: float
    rate: float | None
    monthly: float | None
    detail: str


@dataclass(frozen=True)
class CostReport:
    """Every pattern's cost, the entities' sizes and write units, storage, and the prices used."""

    patterns: tuple[PatternCost, ...]
    item_bytes: tuple[tuple[str, int], ...]
    entity_write_units: tuple[tuple[str, float], ...]
    storage_bytes: int | None
    storage_monthly: float | None
    by_index: tuple[tuple[str, float], ...]
    prices: Prices
    assumptions: tuple[str, ...]

    @property
    def total_monthly(self) -> float:
        """Requests at the declared rates plus storage (where counts are declared)."""
        return sum(p.monthly or 0.0 for p in self.patterns) + (self.storage_monthly or 0.0)


def _read_units(total: float, requests: int, eventual: bool) -> float:
    per = total / max(requests, 1)
    units = max(1, math.ceil(per / _READ_UNIT)) * max(requests, 1)
    return units * (0.5 if eventual else 1.0)


def _items_returned(design: Design, plan: PatternPlan) -> dict[str, int]:
    pat = design.app.pattern(plan.name)
    given = set(pat.by) | {a for a, _ in pat.where}
    out: dict[str, int] = {}
    for name in pat.entities:
        ent = design.app.entity(name)
        whole = pat.kind == "get" or pat.unique or set(ent.identity) <= given
        out[name] = 1 if whole else (ent.count or DEFAULT_COUNT)
    return out


def _writes(
    design: Design, entity: str, *, transaction: bool, guards: bool = True
) -> tuple[float, dict[str, float]]:
    size = item_size(design, entity)
    table = math.ceil(size / _WRITE_UNIT) * (2 if transaction else 1)
    gsis = {
        k.index: float(math.ceil(projected_size(design, entity, k.index) / _WRITE_UNIT))
        for k in design.entity_indexes(entity)
        if k.index != TABLE
    }
    guarded = sum(1 for g in design.guards if g.entity == entity) if guards else 0
    guards_units = guarded * _GUARD * (2 if transaction else 1)
    by_index = {TABLE: float(table + guards_units), **gsis}
    # Index items (max_gsis) are written with the item, always in a transaction.
    for name in design.index_items_of(entity):
        _, extra = _writes(design, name, transaction=True, guards=False)
        for index, units in extra.items():
            by_index[index] = by_index.get(index, 0.0) + units
    return sum(by_index.values()), by_index


def _pattern_cost(
    design: Design, plan: PatternPlan, prices: Prices, by_index: dict[str, float]
) -> PatternCost:
    pat = design.app.pattern(plan.name)
    eventual = plan.consistency != "strong"
    if plan.kind != "write":
        returned = _items_returned(design, plan)
        total = sum(n * projected_size(design, e, plan.index) for e, n in returned.items())
        units = _read_units(total, plan.requests, eventual)
        detail = ", ".join(f"{n} {e}" for e, n in returned.items()) + f", {total} bytes"
        rate = pat.rate.reads_per_s
        monthly = None if rate is None else rate * prices.seconds_per_month * units * prices.read_unit
        if monthly is not None:
            by_index[plan.index] = by_index.get(plan.index, 0.0) + monthly
        return PatternCost(plan.name, plan.kind, plan.index, plan.requests, units, 0.0, rate, monthly, detail)
    transaction = plan.operation == "TransactWriteItems"
    units, spread = 0.0, dict[str, float]()
    counted = [(e, False) for e, _, _ in pat.increments]  # a counter update leaves guards alone
    for name, guards in [*((e, True) for e in (*pat.entities, *pat.deletes)), *counted]:
        w, where = _writes(design, name, transaction=transaction, guards=guards)
        units += w
        for ix, u in where.items():
            spread[ix] = spread.get(ix, 0.0) + u
    reads = 0.5 * max(0, plan.requests - 1)  # the copy-source GetItems before the write
    rate = pat.rate.writes_per_s
    monthly = None
    if rate is not None:
        monthly = rate * prices.seconds_per_month * (units * prices.write_unit + reads * prices.read_unit)
        for ix, u in spread.items():
            by_index[ix] = by_index.get(ix, 0.0) + rate * prices.seconds_per_month * u * prices.write_unit
    local = sum(1 for ix in spread if ix != TABLE and design.index(ix).local)
    detail = ("one transaction" if transaction else "single writes") + f", {len(spread) - 1 - local} GSI(s)"
    detail += f" and {local} LSI(s) written" if local else " written"
    return PatternCost(plan.name, plan.kind, plan.index, plan.requests, reads, units, rate, monthly, detail)


def total_items(design: Design, entity: str) -> int | None:
    """Items of ``entity`` in all: its ``count`` times its parents' up the chain; None if one is undeclared."""
    ent = design.app.entity(entity)
    total, current, seen = 1, ent, {ent.name}
    while True:
        if current.count is None:
            return None
        total *= current.count
        up = current.parent or current.aggregate
        if up is None or up in seen:
            return total
        seen.add(up)
        current = design.app.entity(up)


def estimate(design: Design, prices: Prices | None = None) -> CostReport:
    """The cost of every pattern, the entities' write units, and storage (see the module docstring)."""
    prices = prices or Prices()
    by_index: dict[str, float] = {}
    patterns = tuple(_pattern_cost(design, p, prices, by_index) for p in design.plans)
    sizes = tuple((e.name, item_size(design, e.name)) for e in design.app.entities)
    writes = tuple(
        (e.name, _writes(design, e.name, transaction=bool(design.guards))[0]) for e in design.app.entities
    )
    stored, known = 0, True
    for ent in design.app.entities:
        n = total_items(design, ent.name)
        if n is None:
            known = False
            continue
        stored += n * sum(
            projected_size(design, name, k.index) + _INDEX_OVERHEAD
            for name in (ent.name, *design.index_items_of(ent.name))
            for k in design.entity_indexes(name)
        )
    storage_monthly = stored / 1e9 * prices.storage_gb_month if known else None
    if storage_monthly is not None:
        by_index[TABLE] = by_index.get(TABLE, 0.0) + storage_monthly
    return CostReport(
        patterns=patterns,
        item_bytes=sizes,
        entity_write_units=writes,
        storage_bytes=stored if known else None,
        storage_monthly=storage_monthly,
        by_index=tuple(sorted(by_index.items())),
        prices=prices,
        assumptions=_assumptions(design, prices),
    )


def _assumptions(design: Design, prices: Prices) -> tuple[str, ...]:
    guessed = [e.name for e in design.app.entities if e.size is None]
    counted = [e.name for e in design.app.entities if e.count is None]
    out = [
        f"prices (on demand, parameters): ${prices.read_unit * 1e6:.3f} per million read units, "
        f"${prices.write_unit * 1e6:.3f} per million write units, ${prices.storage_gb_month:.2f} per GB-month; "
        f"a month is {prices.seconds_per_month / 3600:.0f} hours",
        "read units: ceil(bytes per request / 4 KB), halved when eventually consistent; an INCLUDE index holds the keys and its attributes",
        "write units: ceil(item / 1 KB) per item, doubled in a transaction; each GSI copy at ceil(item / 1 KB); a guard item 1",
    ]
    if design.local_indexes:
        out.append(
            "LSIs: each copy written at ceil(projected item / 1 KB) and stored like a GSI's, from the "
            "table's capacity; an LSI's partition is the item's own PK, so it writes its sort key alone; "
            "strong reads allowed, at full units"
        )
    if any(ix.native for ix in design.indexes):
        out.append(
            "native GSIs key on the items' own attributes: no key attributes written for them, "
            "_shard (a number: 2 bytes up to 100 shards) on the items of a write-sharded one"
        )
    if guessed:
        out.append(f"item sizes from typical values per type (no size declared): {', '.join(guessed)}")
    if counted:
        out.append(f"{DEFAULT_COUNT} items per parent where no count is declared: {', '.join(counted)}")
    if any(p.rate.reads_per_s is None and p.rate.writes_per_s is None for p in design.app.patterns):
        out.append("patterns without a declared rate have no monthly figure")
    return tuple(out)


def cost_to_dict(report: CostReport) -> dict[str, Any]:
    """The report as JSON-able data (the design JSON's optional ``cost`` field)."""
    return {
        "patterns": [
            {
                "name": p.name,
                "index": p.index,
                "requests": p.requests,
                "read_units": p.read_units,
                "write_units": p.write_units,
                "rate_per_s": p.rate,
                "monthly_usd": None if p.monthly is None else round(p.monthly, 4),
            }
            for p in report.patterns
        ],
        "item_bytes": dict(report.item_bytes),
        "entity_write_units": dict(report.entity_write_units),
        "storage_bytes": report.storage_bytes,
        "storage_monthly_usd": None if report.storage_monthly is None else round(report.storage_monthly, 4),
        "monthly_usd_by_index": {k: round(v, 4) for k, v in report.by_index},
        "monthly_usd": round(report.total_monthly, 4),
        "assumptions": list(report.assumptions),
    }


def explain_cost(report: CostReport) -> str:
    """The report as text: one line per pattern, then sizes, indexes, storage and assumptions."""

    def usd(v: float | None) -> str:
        return "-" if v is None else f"${v:,.2f}"

    out = ["pattern                          index   req  read units  write units  rate/s   per month  what"]
    for p in report.patterns:
        rate = "-" if p.rate is None else f"{p.rate:g}"
        out.append(
            f"{p.name:<32} {p.index:<7} {p.requests:>3}  {p.read_units:>10g}  {p.write_units:>11g}  "
            f"{rate:>6}  {usd(p.monthly):>10}  {p.detail}"
        )
    out.append("")
    out.append("item sizes (bytes): " + ", ".join(f"{e} {b}" for e, b in report.item_bytes))
    out.append(
        "write units per write of one entity: "
        + ", ".join(f"{e} {u:g}" for e, u in report.entity_write_units)
    )
    out.append("per month by index: " + (", ".join(f"{k} {usd(v)}" for k, v in report.by_index) or "-"))
    stored = "-" if report.storage_bytes is None else f"{report.storage_bytes / 1e9:.3f} GB"
    out.append(f"storage: {stored}, {usd(report.storage_monthly)} per month")
    out.append(f"total per month: {usd(report.total_monthly)}")
    out.append("")
    out.append("assumptions:")
    out += [f"  - {a}" for a in report.assumptions]
    return "\n".join(out) + "\n"
