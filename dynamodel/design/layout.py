"""Key layouts: which attributes one entity puts in the partition and sort key of one index.

A layout serves a set of Needs when every need's equality attributes are the partition
attributes plus a prefix of the sort-key attributes, and its sort attribute comes right after.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from dynamodel.design.requirements import Need, predicate_text
from dynamodel.spec import AppSpec, EntitySpec, WhereMatch


@dataclass(frozen=True)
class Layout:
    """One entity's key shape on one index (the base table or a GSI slot)."""

    entity: str
    base: bool
    pk_attrs: frozenset[str]
    sk_attrs: tuple[str, ...]
    sparse: frozenset[tuple[str, WhereMatch]]
    collection_eq: frozenset[str] | None
    # The sort key starts with the sort attribute, shared with the other members of an
    # interleaved collection, instead of the entity tag.
    interleaved: bool = False

    def key_attrs(self) -> frozenset[str]:
        """Every attribute the keys of this layout hold."""
        return self.pk_attrs | frozenset(self.sk_attrs)

    def serves(self, need: Need) -> bool:
        """Whether one Query (or GetItem) on this layout answers ``need`` exactly."""
        if not self.pk_attrs <= need.eq:
            return False
        if not self.sparse <= need.where:
            return False
        # several allowed values are in no key: only an index holding exactly those items serves
        if not {w for w in need.where if isinstance(w[1], tuple)} <= self.sparse:
            return False
        rest = need.eq - self.pk_attrs
        k = len(rest)
        if set(self.sk_attrs[:k]) != rest:
            return False
        return not (need.sort is not None and (k >= len(self.sk_attrs) or self.sk_attrs[k] != need.sort))


def base_allowed(app: AppSpec, ent: EntitySpec) -> frozenset[str]:
    """Attributes a base key may hold: identity, required ancestors' identities, immutable ones.

    None of them ever changes for an item, so a base key built from them is stable; any other
    attribute could change and force a re-key. Immutable attributes stay out of the keys of
    items others find by identity alone (copy sources, increment targets), whose key must
    come from the identity a referring item carries.
    """
    allowed = set(ent.identity)
    for anc in app.ancestors(ent.name):
        for a in anc.identity:
            attr = ent.attribute(a)
            if attr is not None and not attr.optional and attr.copy_of is None:
                allowed.add(a)
    fixed = [a.name for a in ent.attributes if a.immutable and not a.optional and a.copy_of is None]
    if fixed and ent.name not in found_by_identity(app):
        allowed.update(fixed)
    return frozenset(allowed)


def found_by_identity(app: AppSpec) -> frozenset[str]:
    """Entities whose items others address by identity: copy sources and increment targets."""
    sources = {a.copy_of[0] for e in app.entities for a in e.attributes if a.copy_of is not None}
    targets = {ent for p in app.patterns for ent, _, _ in p.increments}
    return frozenset(sources | targets)


def default_base_layout(ent: EntitySpec) -> Layout:
    """The base layout of an entity no pattern reads through the base table."""
    return Layout(ent.name, True, frozenset(ent.identity), (), frozenset(), None)


def compute_layout(app: AppSpec, ent: EntitySpec, needs: Iterable[Need], *, base: bool) -> Layout | str:
    """The layout serving all ``needs`` on one index, or the reason none exists."""
    needs = tuple(needs)
    if not needs:
        return default_base_layout(ent)
    colls = {n.collection for n in needs if n.collection is not None}
    if len(colls) > 1:
        return f"{ent.name} would need two different collection partitions on one index"
    mixed = {n.interleave for n in needs}
    if len(mixed) > 1:
        # Interleaved keys start with the shared sort attribute, not the entity tag, so no
        # other read can pick this entity's items out of that partition.
        by = sorted(n.requirement for n in needs if n.interleave is not None)
        return f"{ent.name}'s keys on this index interleave it with other entities for {by}, so they serve no other pattern"
    pk: frozenset[str]
    if colls:
        pk = next(iter(colls))
        if not all(pk <= n.eq for n in needs):
            return (
                f"{ent.name}'s collection partition {sorted(pk)} is not given by every pattern on this index"
            )
    else:
        pk = frozenset.intersection(*(n.eq for n in needs))
    chain = _sort_key_chain(needs, pk, {a.name: i for i, a in enumerate(ent.attributes)})
    if isinstance(chain, str):
        return chain
    fill = tuple(a for a in ent.identity if a not in pk and a not in chain)
    sk = chain + fill
    sparse = frozenset.intersection(*(n.where for n in needs))
    layout = Layout(
        ent.name, base, pk, sk, sparse, next(iter(colls)) if colls else None, next(iter(mixed)) is not None
    )
    for n in needs:
        if not layout.serves(n):  # the chain guarantees the keys; only a where can be lost
            wanted = ", ".join(predicate_text(a, m) for a, m in sorted(n.where - sparse))
            return f"{n.requirement} needs an index holding only {ent.name} items with {wanted}"
    keyed = pk | frozenset(chain)
    for a in sorted(keyed):
        attr = ent.attribute(a)
        if attr is None:
            return f"{ent.name} has no attribute '{a}'"
        if attr.optional:
            # Items without the attribute are absent from the index, so only needs that
            # constrain or sort on it may read through this layout.
            for n in needs:
                if a not in n.eq and a != n.sort:
                    return f"{n.requirement} would miss {ent.name} items without optional '{a}'"
    if base:
        allowed = base_allowed(app, ent)
        outside = sorted(layout.key_attrs() - allowed)
        if outside:
            return (
                f"the base key of {ent.name} may only hold its identity, its ancestors' identity and "
                f"immutable attributes (not {outside}), so that an item never changes its primary key"
            )
        if sparse:
            return f"the base table holds every {ent.name} item, so it cannot be sparse"
    return layout


def _sort_key_chain(
    needs: tuple[Need, ...], pk: frozenset[str], rank: dict[str, int]
) -> tuple[str, ...] | str:
    """Sort-key attributes so each need's equality set is a prefix and its sort comes next."""
    rests: dict[frozenset[str], set[str]] = {}
    for n in needs:
        rests.setdefault(n.eq - pk, set())
        if n.sort is not None:
            rests[n.eq - pk].add(n.sort)
    levels = sorted(rests, key=lambda s: (len(s), sorted(s)))
    for lower, upper in itertools.pairwise(levels):
        if not lower <= upper:
            return f"equality sets {sorted(lower)} and {sorted(upper)} are not nested, so no one sort key serves both"
    chain: list[str] = []
    for i, level in enumerate(levels):
        added = sorted(level - set(chain), key=lambda a: (rank.get(a, len(rank)), a))
        sorts = rests[level]
        if i > 0:
            prev_sorts = rests[levels[i - 1]]
            if prev_sorts:
                s = next(iter(prev_sorts))
                if s not in added:
                    return f"sort attribute '{s}' must follow {sorted(levels[i - 1])}, but {sorted(level)} needs equality there"
                added.remove(s)
                added.insert(0, s)
        chain.extend(added)
        if len(sorts) > 1:
            return f"sort attributes {sorted(sorts)} both need to follow {sorted(level)} in one sort key"
    last_sorts = rests[levels[-1]]
    if last_sorts:
        chain.append(next(iter(last_sorts)))
    return tuple(chain)
