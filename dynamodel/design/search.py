"""Assign every read requirement to an index so that the design is minimal.

Minimal means, in order: fewest GSIs, then least write amplification (entity layouts on
GSIs weighted by the entity's declared write rate). The search is a depth-first branch and
bound over requirement → index, exact when it finishes within its node budget; the result
records whether optimality was proven.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from dynamodel.design.blocks import BlockConstraint, order_blocks
from dynamodel.design.layout import Layout, compute_layout
from dynamodel.design.requirements import Need, Requirement
from dynamodel.spec import AppSpec

MAX_GSIS = 20
NODE_BUDGET = 60_000


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
    slots: dict[str, int] = field(default_factory=dict)
    used: int = 0
    weight: float = 0.0


class _Search:
    def __init__(self, app: AppSpec, reqs: tuple[Requirement, ...], weights: dict[str, float]) -> None:
        self.app = app
        self.reqs = reqs
        self.weights = weights
        self.needs = {r.name: r.needs(app) for r in reqs}
        self.layout_cache: dict[tuple[str, bool, tuple[Need, ...]], Layout | str] = {}
        self.best: tuple[int, float] | None = None
        self.best_slots: dict[str, int] | None = None
        self.nodes = 0
        self.exhausted = False
        # The first descent is first-fit and always succeeds, so the budget only cuts the
        # branch-and-bound refinement, never the existence of an answer.
        self.budget = max(NODE_BUDGET, 4 * len(reqs))

    def layout(self, entity: str, base: bool, needs: list[Need]) -> Layout | str:
        key = (entity, base, tuple(sorted(needs, key=lambda n: n.requirement)))
        hit = self.layout_cache.get(key)
        if hit is None:
            hit = compute_layout(self.app, self.app.entity(entity), key[2], base=base)
            self.layout_cache[key] = hit
        return hit

    def fits(self, state: _State, req: Requirement, slot: int) -> bool:
        if req.strong and slot != 0:
            return False
        for need in self.needs[req.name]:
            if isinstance(
                self.layout(need.entity, slot == 0, [*state.needs[(need.entity, slot)], need]), str
            ):
                return False
        if req.is_collection:
            assigned = [r for r in self.reqs if state.slots.get(r.name) == slot and r.is_collection]
            return blocks_feasible(self.app, [*assigned, req])
        return True

    def run(self) -> None:
        self._dfs(_State(), 0)

    def _dfs(self, state: _State, i: int) -> None:
        self.nodes += 1
        if self.nodes > self.budget and self.best is not None:
            self.exhausted = True
            return
        cost = (state.used, state.weight)
        if self.best is not None and cost >= self.best:
            return
        if i == len(self.reqs):
            self.best = cost
            self.best_slots = dict(state.slots)
            return
        req = self.reqs[i]
        for slot in range(min(state.used + 1, MAX_GSIS) + 1):
            if self.exhausted and self.best is not None:
                return
            if not self.fits(state, req, slot):
                continue
            added_weight = 0.0
            for need in self.needs[req.name]:
                if slot > 0 and not state.needs[(need.entity, slot)]:
                    added_weight += self.weights.get(need.entity, 1.0)
            prev_used, prev_weight = state.used, state.weight
            for need in self.needs[req.name]:
                state.needs[(need.entity, slot)].append(need)
            state.slots[req.name] = slot
            state.used = max(state.used, slot)
            state.weight += added_weight
            self._dfs(state, i + 1)
            for need in self.needs[req.name]:
                state.needs[(need.entity, slot)].pop()
            del state.slots[req.name]
            state.used, state.weight = prev_used, prev_weight


def collection_constraints(app: AppSpec, reqs: list[Requirement]) -> list[BlockConstraint]:
    """The block constraints of the collection requirements placed on one index."""
    out: list[BlockConstraint] = []
    for r in reqs:
        if not r.is_collection:
            continue
        holders = frozenset(m for m in r.members if r.sort is not None and app.entity(m).has(r.sort))
        out.append(BlockConstraint(r.name, frozenset(r.members), holders, r.order))
    return out


def partition_groups(reqs: list[Requirement]) -> list[list[str]]:
    """Entities joined into one partition by the collections on one index (connected parts)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for r in reqs:
        if r.is_collection:
            first = find(r.members[0])
            for m in r.members[1:]:
                parent[find(m)] = first
    groups: dict[str, list[str]] = defaultdict(list)
    for e in sorted(parent):
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


def assign(app: AppSpec, reqs: tuple[Requirement, ...], weights: dict[str, float]) -> Assignment | None:
    """The minimal assignment, or None when the requirements cannot all be placed."""
    search = _Search(app, reqs, weights)
    search.run()
    if search.best is None or search.best_slots is None:
        return None
    return Assignment(
        slots=search.best_slots,
        gsi_count=search.best[0],
        cost=search.best[1],
        optimal=not search.exhausted,
        nodes=search.nodes,
    )


def placeable_alone(app: AppSpec, req: Requirement) -> str | None:
    """None when ``req`` fits the base table or a fresh GSI on its own, else why not."""
    reasons: list[str] = []
    for slot in (0, 1):
        if req.strong and slot:
            reasons.append("strong consistency needs the base table (GSIs are eventually consistent)")
            continue
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
