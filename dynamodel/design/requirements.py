"""Patterns normalised to requirements: what each read needs from a key layout."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dynamodel.copyrefs import Reference, all_references
from dynamodel.spec import AppSpec, Order, PatternSpec, RangeOp, WhereMatch, where_values

# One partition's documented throughput ceilings (DynamoDB developer guide, "partitions").
PARTITION_WCU = 1000.0
PARTITION_RCU = 3000.0
LOW_CARDINALITY = frozenset({"enum", "bool"})


@dataclass(frozen=True)
class Need:
    """What one member entity of a requirement needs from its layout on one index."""

    requirement: str
    entity: str
    eq: frozenset[str]
    where: frozenset[tuple[str, WhereMatch]]
    sort: str | None
    collection: frozenset[str] | None  # the collection's equality set, when it is one
    # The members of an interleaved collection (several sorted by ``sort``), when it is one.
    interleave: frozenset[str] | None = None


@dataclass(frozen=True)
class Requirement:
    """A read pattern as the planner sees it."""

    pattern: PatternSpec
    members: tuple[str, ...]
    eq: frozenset[str]
    where: frozenset[tuple[str, WhereMatch]]
    sort: str | None
    order: Order
    range: RangeOp | None
    strong: bool
    writes_per_s: float

    @property
    def name(self) -> str:
        """The pattern's name."""
        return self.pattern.name

    @property
    def is_collection(self) -> bool:
        """Whether several entities come back in one request."""
        return len(self.members) > 1

    def sorted_members(self, app: AppSpec) -> tuple[str, ...]:
        """The members the sort attribute orders (see :func:`sorts`)."""
        return tuple(m for m in self.members if sorts(app, self.pattern, m))

    def interleaves(self, app: AppSpec) -> bool:
        """Whether several members are sorted by the sort attribute, so they come interleaved."""
        return self.is_collection and len(self.sorted_members(app)) > 1

    def needs(self, app: AppSpec) -> tuple[Need, ...]:
        """One Need per member; members the sort does not order sit as one block."""
        coll = self.eq if self.is_collection else None
        mixed = frozenset(self.members) if self.interleaves(app) else None
        out: list[Need] = []
        for m in self.members:
            sort = self.sort if sorts(app, self.pattern, m) else None
            out.append(Need(self.name, m, self.eq, self.where, sort, coll, mixed))
        return tuple(out)


def sorts(app: AppSpec, pattern: PatternSpec, entity: str) -> bool:
    """Whether ``pattern``'s sort attribute orders the items of member ``entity``.

    A member without the attribute is a block. So is a member of a multi-entity query whose
    identity the equality attributes fix (the ticket of "a ticket and its comments"): it
    returns at most one item, so the sort belongs to the other members even when it carries
    an attribute of the same name.
    """
    ent = app.entity(entity)
    if pattern.sort is None or not ent.has(pattern.sort):
        return False
    if len(pattern.entities) == 1:
        return True
    return not set(ent.identity) <= equalities(pattern)


def equalities(pattern: PatternSpec) -> frozenset[str]:
    """Attributes a read fixes to one value: ``by`` and single-valued ``where``.

    A ``where`` with several allowed values is no equality: no one key holds all of them, so
    it is served by a sparse index alone (see :meth:`Layout.serves`).
    """
    return frozenset(pattern.by) | {a for a, m in pattern.where if not isinstance(m, tuple)}


def predicate_text(attr: str, match: WhereMatch) -> str:
    """``status=OPEN``, or ``status in [OPEN, PENDING]`` for several allowed values."""
    if isinstance(match, tuple):
        return f"{attr} in [{', '.join(str(v) for v in where_values(match))}]"
    return f"{attr}={match}"


COPY_PREFIX = "_copies_"


def copy_lookups(app: AppSpec) -> dict[str, Reference]:
    """The internal query name of each copy reference: how propagation finds every copy.

    One query per reference (source, copying entity, local attributes), by the local
    attributes that hold the source's identity: a ticket copying its reporter's and its
    assignee's names has two. A reference whose copies are all of immutable attributes
    has none (nothing to propagate). The names start with '_', which declared pattern
    names cannot, so they never clash.
    """
    out: dict[str, Reference] = {}
    for ref in all_references(app):
        if not ref.propagated:
            continue  # copies of immutable attributes are filled at write time and never change
        name = f"{COPY_PREFIX}{ref.source}_in_{ref.target}"
        out[name + (f"@{'+'.join(ref.local_attrs)}" if ref.named else "")] = ref
    return out


def copy_patterns(app: AppSpec) -> tuple[PatternSpec, ...]:
    """The internal query of every copy reference (see :func:`copy_lookups`)."""
    return tuple(
        PatternSpec(name, "query", (ref.target,), by=ref.local_attrs)
        for name, ref in copy_lookups(app).items()
    )


def derive_requirements(app: AppSpec) -> tuple[Requirement, ...]:
    """Every read pattern (and copy lookup) as a Requirement: collections first, then by name."""
    reqs: list[Requirement] = []
    for p in (*app.patterns, *copy_patterns(app)):
        if not p.is_read:
            continue
        where = frozenset(p.where)
        reqs.append(
            Requirement(
                pattern=p,
                members=tuple(sorted(p.entities)),
                eq=equalities(p),
                where=where,
                sort=p.sort,
                order=p.order,
                range=p.range,
                strong=p.consistency == "strong",
                writes_per_s=p.rate.writes_per_s or 0.0,
            )
        )
    reqs.sort(key=lambda r: (-len(r.members), r.name))
    return tuple(reqs)


def shard_count(writes_per_s: float) -> int:
    """Partitions needed so that each takes at most one partition's write ceiling."""
    if writes_per_s <= PARTITION_WCU:
        return 1
    return math.ceil(writes_per_s / PARTITION_WCU)
