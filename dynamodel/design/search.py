"""Assign every read requirement to an index so that the design is minimal.

Minimal means, in order: fewest GSIs, then least write amplification (entity layouts on
GSIs weighted by the entity's declared write rate). The search is a depth-first branch and
bound over requirement → index, exact when it finishes within its node budget; the result
records whether optimality was proven.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from dynamodel.design.blocks import BlockConstraint, order_blocks
from dynamodel.design.layout import compute_layout
from dynamodel.design.requirements import Need, Requirement
from dynamodel.spec import AppSpec

MAX_GSIS = 20
NODE_BUDGET = 40_000
MIN_COMPONENT_BUDGET = 1_500
# Deeper components are placed first-fit: the exact search would recurse too deep and too long.
EXACT_LIMIT = 60


@dataclass
class Assignment:
    """The outcome of the search."""

    slots: dict[str, int]
    gsi_count: int
    cost: float
    optimal: bool
    nodes: int


@dataclass
class _State:
    needs: dict[tuple[str, int], list[Need]] = field(default_factory=lambda: defaultdict(list))
    collections: dict[int, list[Requirement]] = field(default_factory=lambda: defaultdict(list))
    slots: dict[str, int] = field(default_factory=dict)
    used: int = 0
    weight: float = 0.0


class _Search:
    """Branch and bound over one component (requirements linked through shared entities)."""

    def __init__(
        self,
        app: AppSpec,
        reqs: tuple[Requirement, ...],
        weights: dict[str, float],
        budget: int,
        *,
        one_entity: bool = False,
    ) -> None:
        self.app = app
        self.reqs = reqs
        self.weights = weights
        self.needs = {r.name: r.needs(app) for r in reqs}
        self.strong = {r.name: r.strong for r in reqs}
        self.layout_cache: dict[tuple[str, bool, tuple[Need, ...]], bool] = {}
        self.best: tuple[int, float] | None = None
        self.best_slots: dict[str, int] | None = None
        self.nodes = 0
        self.exhausted = False
        # The first descent is first-fit and always succeeds, so the budget only cuts the
        # branch-and-bound refinement, never the existence of an answer.
        self.budget = budget
        self.one_entity = one_entity

    def layout_ok(self, entity: str, base: bool, needs: list[Need]) -> bool:
        key = (entity, base, tuple(sorted(needs, key=lambda n: n.requirement)))
        hit = self.layout_cache.get(key)
        if hit is None:
            hit = not isinstance(compute_layout(self.app, self.app.entity(entity), key[2], base=base), str)
            self.layout_cache[key] = hit
        return hit

    def fits(self, state: _State, req: Requirement, slot: int) -> bool:
        if slot and not self._consistent(state, req, slot):
            return False
        if slot and self.one_entity and not self._alone(state, req, slot):
            return False
        for need in self.needs[req.name]:
            if not self.layout_ok(need.entity, slot == 0, [*state.needs[(need.entity, slot)], need]):
                return False
        if req.is_collection:
            return blocks_feasible(self.app, [*state.collections[slot], req])
        return True

    def _consistent(self, state: _State, req: Requirement, slot: int) -> bool:
        """A strong read may leave the base table only for an index of strong reads alone: one
        that keeps its items' base partitions becomes an LSI, which reads strongly
        (dynamodel.design.local); derive refuses a strong read whose index does not."""
        there = {n.requirement for (_, s), needs in state.needs.items() if s == slot for n in needs}
        return all(self.strong[r] == req.strong for r in there)

    def _alone(self, state: _State, req: Requirement, slot: int) -> bool:
        """``native``: a GSI holds one entity's reads (a native key stores no tag to keep
        entities apart), or collections only (they need the tags, so they stay synthetic)."""
        there = [n for (_, s), needs in state.needs.items() if s == slot for n in needs]
        if req.is_collection:
            return all(n.collection is not None for n in there)
        return all(n.collection is None and n.entity == req.members[0] for n in there)

    def place(self, state: _State, req: Requirement, slot: int) -> tuple[int, float]:
        undo = (state.used, state.weight)
        for need in self.needs[req.name]:
            if slot > 0 and not state.needs[(need.entity, slot)]:
                state.weight += self.weights.get(need.entity, 1.0)
            state.needs[(need.entity, slot)].append(need)
        if req.is_collection:
            state.collections[slot].append(req)
        state.slots[req.name] = slot
        state.used = max(state.used, slot)
        return undo

    def unplace(self, state: _State, req: Requirement, slot: int, undo: tuple[int, float]) -> None:
        for need in self.needs[req.name]:
            state.needs[(need.entity, slot)].pop()
        if req.is_collection:
            state.collections[slot].pop()
        del state.slots[req.name]
        state.used, state.weight = undo

    def greedy(self) -> None:
        """First fit in canonical order: for components too large to search exactly."""
        state = _State()
        for req in self.reqs:
            for slot in range(min(state.used + 1, MAX_GSIS) + 1):
                if self.fits(state, req, slot):
                    self.place(state, req, slot)
                    break
            else:
                return
        self.best = (state.used, state.weight)
        self.best_slots = dict(state.slots)
        self.exhausted = True

    def run(self) -> None:
        if len(self.reqs) > EXACT_LIMIT:
            self.greedy()
        else:
            self._dfs(_State(), 0)

    def _dfs(self, state: _State, i: int) -> None:
        self.nodes += 1
        if self.nodes > self.budget and self.best is not None:
            self.exhausted = True
            return
        if self.best is not None and (state.used, state.weight) >= self.best:
            return
        if i == len(self.reqs):
            self.best = (state.used, state.weight)
            self.best_slots = dict(state.slots)
            return
        req = self.reqs[i]
        for slot in range(min(state.used + 1, MAX_GSIS) + 1):
            if self.exhausted:
                return
            if self.fits(state, req, slot):
                undo = self.place(state, req, slot)
                self._dfs(state, i + 1)
                self.unplace(state, req, slot, undo)


def _joined(links: Iterable[Sequence[str]]) -> Callable[[str], str]:
    """``find``: each name's representative once the members of every link are joined (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for members in links:
        first = find(members[0])
        for m in members[1:]:
            parent[find(m)] = first
    return find


def components(reqs: tuple[Requirement, ...]) -> list[tuple[Requirement, ...]]:
    """Requirements that share an entity, transitively; GSI slots are shared across components freely."""
    find = _joined([r.members for r in reqs])
    groups: dict[str, list[Requirement]] = defaultdict(list)
    for r in reqs:
        groups[find(r.members[0])].append(r)
    return sorted((tuple(g) for g in groups.values()), key=lambda g: g[0].name)


def collection_constraints(app: AppSpec, reqs: list[Requirement]) -> list[BlockConstraint]:
    """The block constraints of the collection requirements placed on one index."""
    out: list[BlockConstraint] = []
    for r in reqs:
        if not r.is_collection:
            continue
        holders = frozenset(r.sorted_members(app))
        out.append(BlockConstraint(r.name, frozenset(r.members), holders, r.order))
    return out


def partition_groups(reqs: list[Requirement]) -> list[list[str]]:
    """Entities joined into one partition by the collections on one index (connected parts)."""
    joined = [r.members for r in reqs if r.is_collection]
    find = _joined(joined)
    groups: dict[str, list[str]] = defaultdict(list)
    for e in sorted({m for members in joined for m in members}):
        groups[find(e)].append(e)
    return sorted(groups.values())


def blocks_feasible(app: AppSpec, reqs: list[Requirement]) -> bool:
    """Whether every partition group on one index has a valid block order."""
    constraints = collection_constraints(app, reqs)
    for group in partition_groups(reqs):
        mine = [c for c in constraints if c.members <= set(group)]
        if order_blocks(group, mine) is None:
            return False
    return True


def assign(
    app: AppSpec, reqs: tuple[Requirement, ...], weights: dict[str, float], *, one_entity: bool = False
) -> Assignment | None:
    """The minimal assignment, or None when the requirements cannot all be placed.

    Components that share no entity are solved separately: the GSI count is the largest
    component's, and write amplification adds up. With ``one_entity`` (native keys) a GSI
    holds one entity's reads, or collections only, and no GSI is shared across components.
    """
    slots: dict[str, int] = {}
    gsis, cost, optimal, nodes = 0, 0.0, True, 0
    comps = components(reqs)
    # One node budget for the whole app keeps derivation time linear in the number of patterns.
    budget = max(MIN_COMPONENT_BUDGET, NODE_BUDGET // max(1, len(comps)))
    for comp in comps:
        search = _Search(app, comp, weights, budget, one_entity=one_entity)
        search.run()
        if search.best is None or search.best_slots is None:
            return None
        if one_entity:  # no sharing of a GSI across components: each is one entity's
            found = search.best_slots
            shift = {s: gsis + i + 1 for i, s in enumerate(sorted({s for s in found.values() if s}))}
            slots.update({r: shift.get(s, 0) for r, s in found.items()})
            gsis += len(shift)
            if gsis > MAX_GSIS:
                return None
        else:
            slots.update(search.best_slots)
            gsis = max(gsis, search.best[0])
        cost += search.best[1]
        optimal = optimal and not search.exhausted
        nodes += search.nodes
    return Assignment(slots=slots, gsi_count=gsis, cost=cost, optimal=optimal, nodes=nodes)


def placeable_alone(app: AppSpec, req: Requirement) -> str | None:
    """None when ``req`` fits the base table or a fresh GSI on its own, else why not."""
    reasons: list[str] = []
    for slot in (0, 1):
        # A strong read on an index slot is placed, and derive keeps it only if that index
        # becomes local (an LSI reads strongly; a GSI never does).
        bad: str | None = None
        for need in req.needs(app):
            got = compute_layout(app, app.entity(need.entity), [need], base=slot == 0)
            if isinstance(got, str):
                bad = got
                break
        if bad is None and req.is_collection and not blocks_feasible(app, [req]):
            bad = "its members cannot be ordered into contiguous blocks"
        if bad is None:
            return None
        reasons.append(f"{'base table' if slot == 0 else 'a GSI'}: {bad}")
    return "; ".join(reasons)
