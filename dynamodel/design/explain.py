"""Render a Design for people (explain) and for tools (the design JSON of docs/spec-format.md §2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dynamodel.attribute_types import lookup
from dynamodel.copyrefs import write_time_copies
from dynamodel.design.local import local_note
from dynamodel.design.model import TABLE, CopyPath, Design, IndexSpec
from dynamodel.design.native import native_form
from dynamodel.design.requirements import predicate_text
from dynamodel.layout import SHARD_ATTR, entity_of_type
from dynamodel.spec import AttributeSpec, where_values

# What "minimal" is measured against: the search is exact, but only over designs of this form
# (an expert may go beyond it, e.g. by storing an item twice).
MINIMAL_AMONG = (
    "designs with one item per entity, whose base keys hold only identities, ancestor identities "
    "and immutable attributes, serving each read with one GetItem or Query (no filter): "
    "fewest GSIs first, then least write amplification"
)


def minimal_among(design: Design) -> str:
    """What the design is minimal among: ``key_style: native`` trades GSIs for native keys."""
    if design.app.key_style != "native":
        return MINIMAL_AMONG
    return (
        MINIMAL_AMONG + "; with key_style native, the designs with one entity's reads per GSI "
        "(collections apart) instead when that keys more GSIs natively"
    )


def design_to_dict(design: Design) -> dict[str, Any]:
    """The design JSON object (docs/spec-format.md §2), with extra optional keys."""
    entities: dict[str, dict[str, Any]] = {}
    for k in design.keys:
        entry: dict[str, Any] = {"pk": k.pk.pattern(), "sk": k.sk.pattern()}
        if k.sparse:
            entry["sparse_when"] = dict(k.sparse)
        if k.optional_attrs:
            entry["present_only_with"] = list(k.optional_attrs)
        if k.shards > 1:
            entry["shards"] = k.shards
        entities.setdefault(k.entity, {})[k.index] = entry
    # Only write patterns that delete carry the key, so every other design stays byte-identical.
    deletes = {p.name: p.deletes for p in design.app.patterns if p.deletes}
    return {
        "app": design.app.name,
        "table": {"partition_key": design.table.partition_key, "sort_key": design.table.sort_key},
        "indexes": [index_json(ix) for ix in design.indexes],
        # Only designs with LSIs say it: every other design stays byte-identical.
        **(
            {"local_indexes": [index_json(ix) for ix in design.local_indexes]} if design.local_indexes else {}
        ),
        "entities": entities,
        # Only designs with index items say it: every other design stays byte-identical.
        **(
            {"index_items": {i.name: entity_of_type(i.name) for i in design.index_items}}
            if design.index_items
            else {}
        ),
        "patterns": [
            {
                "name": p.name,
                "kind": p.kind,
                "entities": list(p.entities),
                **({"deletes": list(deletes[p.name])} if p.name in deletes else {}),
                "operation": p.operation,
                "index": p.index,
                "requests": p.requests,
                "uses_filter": p.uses_filter,
                "uses_scan": p.uses_scan,
                "consistency": p.consistency,
                "reads_copies": p.reads_copies,
                "key_condition": p.key_condition,
                "reason": p.reason,
            }
            for p in design.plans
        ],
        "unique_guards": [
            {"entity": g.entity, "attributes": list(g.attrs), "pk": g.pk.pattern(), "sk": g.sk.pattern()}
            for g in design.guards
        ],
        "copy_paths": [_copy_path_json(c) for c in design.copy_paths],
        **_write_time_copies_json(design),
        **_actions_json(design),
        "techniques": list(design.techniques),
        "optimal": design.optimal,
        "minimal_among": minimal_among(design),
    }


def index_json(ix: IndexSpec) -> dict[str, Any]:
    """One GSI's entry in the design JSON."""
    return {
        "name": ix.name,
        "partition_key": ix.partition_key,
        "sort_key": ix.sort_key,
        "projection": ix.projection,
        # Only INCLUDE indexes say it: every design without one stays byte-identical.
        **({"non_key_attributes": list(ix.non_key_attributes)} if ix.projection == "INCLUDE" else {}),
        # Only native indexes say these: every synthetic design stays byte-identical.
        **(
            {
                "key_style": "native",
                "partition_attributes": [{"name": n, "type": t} for n, t in ix.partition_attributes],
                "sort_attributes": [{"name": n, "type": t} for n, t in ix.sort_attributes],
            }
            if ix.native
            else {}
        ),
    }


def index_keys_from_json(entry: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """``(attribute, HASH|RANGE, S|N|B)`` of an index entry of the design JSON, in KeySchema
    order: a native index's attributes, else its two rendered strings."""
    if entry.get("partition_attributes"):
        return (
            *((str(a["name"]), "HASH", str(a["type"])) for a in entry["partition_attributes"]),
            *((str(a["name"]), "RANGE", str(a["type"])) for a in entry.get("sort_attributes", [])),
        )
    return ((str(entry["partition_key"]), "HASH", "S"), (str(entry["sort_key"]), "RANGE", "S"))


def _copy_path_json(c: CopyPath) -> dict[str, object]:
    out: dict[str, object] = {
        "source": c.source,
        "target": c.target,
        "attributes": dict(c.attributes),
        "operation": c.plan.operation,
        "index": c.plan.index,
        "key_condition": c.plan.key_condition,
    }
    if c.via:  # only named references say it: designs without them stay byte-identical
        out["via"] = dict(c.via)
    return out


def _write_time_copies_json(design: Design) -> dict[str, object]:
    """``write_time_copies`` (copies of immutable attributes), only when there are some."""
    found = write_time_copies(design.app)
    if not found:
        return {}  # designs without them stay byte-identical
    entries: list[dict[str, object]] = []
    for ref, attrs in found:
        entry: dict[str, object] = {"source": ref.source, "target": ref.target, "attributes": dict(attrs)}
        if ref.via:
            entry["via"] = dict(ref.via)
        entries.append(entry)
    return {"write_time_copies": entries}


def _actions_json(design: Design) -> dict[str, object]:
    """``actions`` (what runs on the stream), only when some are declared."""
    if not design.app.actions:
        return {}  # designs without them stay byte-identical
    return {
        "actions": [
            {
                "name": a.name,
                "entity": a.entity,
                "events": list(a.events),
                "when": {k: list(m) if isinstance(m, tuple) else m for k, m in a.when},
                "handler": a.handler,
            }
            for a in design.app.actions
        ]
    }


def design_to_json(design: Design) -> str:
    """The design JSON text: stable key order, so equal designs give equal bytes."""
    return json.dumps(design_to_dict(design), indent=2, sort_keys=False) + "\n"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def explain(design: Design) -> str:
    """A readable account: each pattern's request and reason, then the key templates."""
    lsi = f" + {len(design.local_indexes)} LSI(s)" if design.local_indexes else ""
    out = [f"Design of '{design.app.name}': base table + {len(design.indexes)} GSI(s){lsi}"]
    how = "proven" if design.optimal else "best found within the search budget"
    out.append(f"(minimal: {how} among {minimal_among(design)})")
    out.append("")
    rows = [["pattern", "operation", "index", "requests", "consistency", "key condition"]]
    for p in design.plans:
        consistency = p.consistency + ("+copies" if p.reads_copies else "")
        rows.append([p.name, p.operation, p.index, str(p.requests), consistency, p.key_condition or "-"])
    out += _table(rows)
    out.append("")
    out.append("Why:")
    out += [f"  {p.name}: {p.reason}" for p in design.plans]
    out.append("")
    rows = [["entity", "index", "partition key", "sort key", "notes"]]
    for k in design.keys:
        notes = []
        if k.sparse:
            notes.append("only when " + ", ".join(predicate_text(a, v) for a, v in k.sparse))
        if k.optional_attrs:
            notes.append("only with " + ", ".join(k.optional_attrs))
        if k.shards > 1:
            notes.append(f"{k.shards} shards")
        ix = design.index(k.index)
        if ix.native:
            rows.append([k.entity, k.index, *_native_keys(ix), "; ".join(["native", *notes])])
        else:
            rows.append([k.entity, k.index, k.pk.pattern(), k.sk.pattern(), "; ".join(notes)])
    for g in design.guards:
        rows.append([g.entity, TABLE, g.pk.pattern(), g.sk.pattern(), f"unique guard on {'+'.join(g.attrs)}"])
    out += _table(rows)
    if design.copy_paths:
        out.append("")
        out.append("Copies (kept fresh by stream propagation; readers see them eventually):")
        for c in design.copy_paths:
            attrs = ", ".join(f"{t} <- {c.source}.{s}" for t, s in c.attributes)
            if c.via:
                attrs += f" (via {', '.join(local for _, local in c.via)})"
            out.append(
                f"  {c.target}.{attrs}: found by {c.plan.operation} on {c.plan.index}: {c.plan.key_condition}"
            )
    fixed = write_time_copies(design.app)
    if fixed:
        out.append("")
        out.append("Copies of immutable attributes (no propagation, no lookup index):")
        for ref, copies in fixed:
            shown = ", ".join(f"{t} <- {ref.source}.{s}" for t, s in copies)
            via = f" (via {', '.join(local for _, local in ref.via)})" if ref.via else ""
            out.append(f"  {ref.target}.{shown}{via}: filled at write time")
    included = [ix for ix in design.indexes if ix.projection == "INCLUDE"]
    if included:
        out.append("")
        out.append("Projections (every reader names its fields; other indexes project ALL):")
        out += [f"  {ix.name}: INCLUDE {', '.join(ix.non_key_attributes)}" for ix in included]
    out += _key_styles(design)
    if design.index_items:
        out.append("")
        out.append(
            f"Index items (max_gsis {design.app.max_gsis}; each written with its entity, in the same transaction):"
        )
        for item in design.index_items:
            served = sorted(p.name for p in design.plans if item.name in p.entities)
            on = sorted(k.index for k in design.keys if k.entity == item.name and k.index != TABLE)
            out.append(
                f"  {item.name}: a copy of every {entity_of_type(item.name)}, keyed on {', '.join(on)} for {', '.join(served)}"
            )
    if design.local_indexes:
        out.append("")
        out.append(f"Local indexes (each item keeps its base partition; {local_note()}):")
        for ix in design.local_indexes:
            on = sorted({k.entity for k in design.keys if k.index == ix.name})
            out.append(f"  {ix.name}: {design.table.partition_key} / {ix.sort_key}, for {', '.join(on)}")
    if design.app.actions:
        out.append("")
        out.append("Actions (run from the stream, once per change; eventually consistent with the write):")
        for a in design.app.actions:
            when = (
                " when " + ", ".join(f"{k}={list(m) if isinstance(m, tuple) else m}" for k, m in a.when)
                if a.when
                else ""
            )
            out.append(f"  {a.name}: {a.entity} {'/'.join(a.events)}{when} -> {a.handler}")
    if design.techniques:
        out.append("")
        out.append("Techniques: " + ", ".join(design.techniques))
    return "\n".join(out) + "\n"


def _native_keys(ix: IndexSpec) -> tuple[str, str]:
    return (
        "(" + ", ".join(n for n, _ in ix.partition_attributes) + ")",
        "(" + ", ".join(n for n, _ in ix.sort_attributes) + ")",
    )


def _key_styles(design: Design) -> list[str]:
    """Which GSIs key natively, and why each other one renders its keys (when some GSI is
    native, or the app asks for native keys)."""
    style = design.app.key_style
    if style == "synthetic" or (not any(ix.native for ix in design.indexes) and style != "native"):
        return []
    out = ["", f"Key style ({design.app.key_style}): native GSIs key on the items' own attributes"]
    for ix in design.indexes:
        if ix.native:
            out.append(f"  {ix.name}: native, nothing rendered on write")
            continue
        why = native_form(design, ix)
        out.append(f"  {ix.name}: synthetic, " + (why if isinstance(why, str) else "deployed so (its lock)"))
    return out


def _sample(attr: AttributeSpec, n: int) -> object:
    return lookup(attr.type).sample(attr.name, attr.enum, n)


def report(design: Design) -> str:
    """Key templates per entity and index, each with one sample item's rendered keys."""
    out = [f"Table of '{design.app.name}' as stored (one sample item per entity)", ""]
    rows = [["entity", "index", "pk", "sk"]]
    for ent in design.app.entities:
        values: dict[str, object] = {a.name: _sample(a, 1) for a in ent.attributes}
        values[SHARD_ATTR] = 0
        for keys in design.entity_indexes(ent.name):
            if any(values.get(a) not in where_values(v) for a, v in keys.sparse):
                values.update({a: where_values(v)[0] for a, v in keys.sparse})
            rows.append([ent.name, keys.index, keys.pk.render(values), keys.sk.render(values)])
    out += _table(rows)
    return "\n".join(out) + "\n"
