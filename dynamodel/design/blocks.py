"""Block order inside a shared partition: each collection's members must be contiguous.

Members that lack the sort attribute sit on the side the reading direction reaches first,
so "customer + newest orders" is one Query read backwards. Members that are all sorted by one
attribute are interleaved instead: one partition, no blocks.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from dynamodel.spec import Order

# Beyond this many entity types in one partition the permutation search is too slow; no
# published design comes close (the largest has five).
MAX_BLOCKS = 8


@dataclass(frozen=True)
class BlockConstraint:
    """One collection query over a partition shared by several entity types."""

    pattern: str
    members: frozenset[str]
    sorted_members: frozenset[str]
    order: Order


def _fits(perm: Sequence[str], c: BlockConstraint) -> bool:
    pos = [i for i, e in enumerate(perm) if e in c.members]
    if pos[-1] - pos[0] + 1 != len(pos):
        return False
    if not c.sorted_members or c.sorted_members == c.members:
        return True
    inner = [perm[i] for i in pos]
    flags = [e in c.sorted_members for e in inner]
    # asc: unsorted block first; desc: unsorted block last (read first when going backwards).
    want = sorted(flags, reverse=c.order == "desc")
    return flags == want


def order_blocks(entities: Sequence[str], constraints: Sequence[BlockConstraint]) -> tuple[str, ...] | None:
    """A block order satisfying every constraint (alphabetical when possible), or None."""
    names = sorted(entities)
    if len(names) > MAX_BLOCKS:
        return None
    if any(len(c.sorted_members) > 1 for c in constraints):
        # An interleaved collection has no blocks: its members share one sort-key format, so
        # the partition can hold nothing else and every read of it must be that collection.
        whole = all(c.members == c.sorted_members == set(names) for c in constraints)
        return tuple(names) if whole else None
    for perm in itertools.permutations(names):
        if all(_fits(perm, c) for c in constraints):
            return perm
    return None
