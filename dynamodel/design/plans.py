"""One PatternPlan per declared pattern: operation, index, key condition, cost and reason."""

from __future__ import annotations

from typing import Literal

from dynamodel.copyrefs import references
from dynamodel.design.model import TABLE, EntityKeys, PatternPlan, UniqueGuard
from dynamodel.design.requirements import Requirement, predicate_text
from dynamodel.layout import PK, SK
from dynamodel.spec import AppSpec, PatternSpec

# The key condition of a range on a sort key that starts with the sort attribute (no prefix).
_RANGE_CONDITION = {
    "between": " AND {sk} BETWEEN :lo AND :hi",
    "lt": " AND {sk} < :hi",
    "lte": " AND {sk} <= :hi",
    "gt": " AND {sk} >= :lo",
    "gte": " AND {sk} >= :lo",
}


def _index_label(index: str) -> str:
    return "base table" if index == TABLE else index


def _key_names(index: str) -> tuple[str, str]:
    return (PK, SK) if index == TABLE else (f"{index}PK", f"{index}SK")


def _reads_copies(app: AppSpec, members: tuple[str, ...]) -> bool:
    # Only propagated copies lag; copies of immutable attributes are final when written.
    return any(ref.propagated for m in members for ref in references(app, m))


def read_plan(
    app: AppSpec,
    r: Requirement,
    index: str,
    by_key: dict[tuple[str, str], EntityKeys],
    group: tuple[str, ...],
) -> PatternPlan:
    """The plan of a read placed on ``index``."""
    pk_name, sk_name = _key_names(index)
    member_keys = [by_key[(m, index)] for m in r.members]
    first = member_keys[0]
    # Strong reads cost twice as much; the base table gives them only to patterns that ask.
    consistency: Literal["strong", "eventual"] = "strong" if index == TABLE and r.strong else "eventual"
    label = _index_label(index)
    copies = _reads_copies(app, r.members)
    key_attrs = {p.attr for p in (*first.pk.parts, *first.sk.parts) if hasattr(p, "attr")}
    shards = max(k.shards for k in member_keys)
    notes: list[str] = []
    if first.sparse:
        notes.append("sparse: only items with " + ", ".join(predicate_text(a, v) for a, v in first.sparse))
    if first.optional_attrs:
        notes.append(f"sparse: only items that have {', '.join(first.optional_attrs)}")
    if shards > 1:
        notes.append(f"write-sharded into {shards} partitions, read in parallel and merged by sort key")
    if r.pattern.descending:
        notes.append("read backwards")
    if copies:
        notes.append("copied attributes are eventually consistent (propagation lag)")
    extra = ("; " + "; ".join(notes)) if notes else ""
    if (
        index == TABLE
        and r.pattern.kind == "get"
        and key_attrs <= r.eq
        and len(r.members) == 1
        and shards == 1
    ):
        return PatternPlan(
            name=r.name,
            kind="get",
            operation="GetItem",
            index=TABLE,
            requests=1,
            uses_filter=False,
            uses_scan=False,
            consistency=consistency,
            key_condition=f"{pk_name} = :pk AND {sk_name} = :sk",
            reason=f"base table: the full primary key {first.pk.pattern()} / {first.sk.pattern()} comes from the given attributes{extra}",
            entities=r.members,
            reads_copies=copies,
        )
    pk_cond = f"{pk_name} = :pk"
    blocks: tuple[str, ...] = ()
    whole = False
    if r.interleaves(app):
        # one sort-key format for every member: the whole partition, or a range on the sort
        whole = True
        cond = pk_cond
        if r.range is not None:
            cond += _RANGE_CONDITION.get(r.range, " AND begins_with({sk}, :sk)").format(sk=sk_name)
        how = (
            f"item collection {first.pk.pattern()} holds {', '.join(r.members)} interleaved by {r.sort}: "
            f"every member's sort key starts with {{{r.sort}}}"
        )
    elif r.is_collection:
        blocks = tuple(sorted((k.tag for k in member_keys), key=lambda t: t + "#"))
        whole = set(group) == set(r.members)
        cond = pk_cond if whole else f"{pk_cond} AND {sk_name} BETWEEN :lo AND :hi"
        holders = list(r.sorted_members(app))
        how = f"item collection {first.pk.pattern()} holds {', '.join(r.members)} as contiguous blocks" + (
            f"; {holders[0]} sorted by {r.sort}, the others first in reading order" if holders else ""
        )
    else:
        if r.range in ("between", "lt", "lte", "gt", "gte"):
            cond = f"{pk_cond} AND {sk_name} BETWEEN :lo AND :hi"
        else:
            cond = f"{pk_cond} AND begins_with({sk_name}, :sk)"
        how = f"partition {first.pk.pattern()}, sort key {first.sk.pattern()}"
    if shards > 1:
        cond = f"{cond} (x{shards} shards)"
    return PatternPlan(
        name=r.name,
        kind=r.pattern.kind,
        operation="Query",
        index=index,
        requests=shards,
        uses_filter=False,
        uses_scan=False,
        consistency=consistency,
        key_condition=cond,
        reason=f"{label}: {how}{extra}",
        entities=r.members,
        sort=r.sort,
        order=r.order,
        range=r.range,
        shards=shards,
        reads_copies=copies,
        blocks=blocks,
        whole_partition=whole,
    )


def scan_plan(app: AppSpec, r: Requirement) -> PatternPlan:
    """A Scan the user accepted with allow_scan: true."""
    return PatternPlan(
        name=r.name,
        kind=r.pattern.kind,
        operation="Scan",
        index=TABLE,
        requests=1,
        uses_filter=True,
        uses_scan=True,
        consistency="eventual",
        key_condition="",
        reason="base table Scan with a filter (allow_scan: true): no key layout serves this pattern in one Query",
        entities=r.members,
        sort=r.sort,
        order=r.order,
        range=r.range,
        reads_copies=_reads_copies(app, r.members),
    )


def write_plan(app: AppSpec, p: PatternSpec, guards: tuple[UniqueGuard, ...]) -> PatternPlan:
    """An atomic write: one TransactWriteItems unless a single PutItem keeps every invariant."""
    guarded = [g for g in guards if g.entity in p.entities]
    # A guarded item is read before it is deleted: the guards to release hold its values.
    released = sorted({g.entity for g in guards if g.entity in p.deletes})
    atomic = len(p.entities) > 1 or bool(p.increments) or bool(guarded) or bool(p.deletes)
    # Copies are filled from their source before the write: one GetItem per reference to a
    # source not written here (a ticket reads its reporter and its assignee).
    sources = sorted(
        {ref.label for e in p.entities for ref in references(app, e) if ref.source not in p.entities}
    )
    parts = [f"put {', '.join(p.entities)}"] if p.entities else []
    if p.deletes:
        parts.append(f"delete {', '.join(p.deletes)} (each must exist)")
    if p.increments:
        parts.append("increment " + ", ".join(f"{e}.{a} by {n}" for e, a, n in p.increments))
    if guarded:
        parts.append("claim unique " + ", ".join(f"{g.entity}.{'+'.join(g.attrs)}" for g in guarded))
    if sources:
        parts.append(f"after reading the copy source{'s' if len(sources) > 1 else ''} {', '.join(sources)}")
    if released:
        parts.append(f"releasing the unique guards of {', '.join(released)} (each item read first)")
    return PatternPlan(
        name=p.name,
        kind="write",
        operation="TransactWriteItems" if atomic else "PutItem",
        index=TABLE,
        requests=1 + len(sources) + len(released),
        uses_filter=False,
        uses_scan=False,
        consistency="strong",
        key_condition="",
        reason=("one transaction: " if atomic else "one conditional put: ") + "; ".join(parts),
        entities=p.entities,
    )
