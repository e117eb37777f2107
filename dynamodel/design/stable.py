"""Stable index names: a re-derived design keeps the names of the deployed indexes it keeps.

The search numbers the GSIs it needs in the order it finds them, so an edit (a pattern
dropped, another added) can renumber indexes whose keys do not change at all: GSI2's keys
move to GSI1, and on a live table that is a rewrite of every item of those entities, and
wrong answers for the old code still running during the deploy. Given the deployed design
(a lock's design JSON), each new index takes the name of the deployed index holding the
most of its entity keys unchanged; an index that matches none takes a number no deployed
index had, so a name is never reused for other keys within one migration.

Pure and deterministic: ties go to the lower slot and the lower deployed number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dynamodel.design.explain import design_to_dict, index_json
from dynamodel.design.model import Design

__all__ = ["reprojected_slots", "stable_slots"]

_GSI = re.compile(r"GSI([0-9]+)")


# Weights of the work an assignment of names causes. Rewriting an entity's keys in place
# costs most: every item is written, and code of the old design reads that index wrongly
# until it is gone; filling or removing keys and creating or deleting an index cost one each.
_REWRITE, _STEP = 10, 1
_NEW = 0
"""Stands for "a number no deployed index has" in an assignment."""


def stable_slots(slots: Mapping[str, int], fresh: Design, baseline: Mapping[str, Any]) -> dict[str, int]:
    """``slots`` (requirement -> index slot, 0 the base table) renumbered after ``baseline``.

    Each GSI slot keeps the name of a deployed index that holds at least one of its entity
    keys unchanged, or takes a new number; among those choices the one with the least
    migration work wins (in-place key rewrites weigh most), ties to the lower numbers.

    Args:
        slots: the search's assignment, from which ``fresh`` was built.
        fresh: the design built from ``slots``.
        baseline: the deployed design JSON.
    """
    new_entries: Mapping[str, Mapping[str, Any]] = design_to_dict(fresh)["entities"]
    old_entries: Mapping[str, Mapping[str, Any]] = baseline.get("entities", {})
    old_numbers = sorted(
        {int(m.group(1)) for ix in baseline.get("indexes", []) if (m := _GSI.fullmatch(str(ix.get("name"))))}
    )
    used = sorted({s for s in slots.values() if s > 0})
    options = [
        [n for n in old_numbers if _shared(new_entries, old_entries, slot, n)] + [_NEW] for slot in used
    ]
    best: tuple[int, tuple[int, ...]] | None = None
    for choice in _choices(options):
        cost = _cost(new_entries, old_entries, used, choice, old_numbers)
        if best is None or (cost, choice) < best:
            best = (cost, choice)
    assert best is not None
    renumber: dict[int, int] = {}
    next_number = max(old_numbers, default=0)
    for slot, picked in zip(used, best[1], strict=True):
        if picked == _NEW:
            next_number += 1
        renumber[slot] = next_number if picked == _NEW else picked
    return {req: renumber[slot] if slot else 0 for req, slot in slots.items()}


def _shared(
    new: Mapping[str, Mapping[str, Any]], old: Mapping[str, Mapping[str, Any]], slot: int, number: int
) -> bool:
    """Whether some entity has the same keys on fresh slot ``slot`` as on deployed GSI ``number``."""
    name, was = f"GSI{slot}", f"GSI{number}"
    return any(
        name in per_index and per_index[name] == old.get(entity, {}).get(was)
        for entity, per_index in new.items()
    )


def _choices(options: list[list[int]]) -> list[tuple[int, ...]]:
    """Every pick of one option per slot that uses each deployed number at most once."""
    out: list[tuple[int, ...]] = [()]
    for opts in options:
        out = [(*pick, o) for pick in out for o in opts if o == _NEW or o not in pick]
    return out


def _cost(
    new: Mapping[str, Mapping[str, Any]],
    old: Mapping[str, Mapping[str, Any]],
    used: list[int],
    choice: tuple[int, ...],
    old_numbers: list[int],
) -> int:
    names = {
        f"GSI{slot}": (f"GSI{n}" if n != _NEW else f"new{slot}") for slot, n in zip(used, choice, strict=True)
    }
    renamed = {e: {names.get(i, i): v for i, v in per.items()} for e, per in new.items()}
    cost = _STEP * (len(set(names.values()) - {f"GSI{n}" for n in old_numbers}))  # created
    cost += _STEP * len({f"GSI{n}" for n in old_numbers} - set(names.values()))  # deleted
    for entity in old.keys() & renamed.keys():
        was, now = old[entity], renamed[entity]
        for index in (was.keys() | now.keys()) - {"table"}:
            if index not in now or index not in was:
                cost += _STEP
            elif was[index] != now[index]:
                cost += _REWRITE
    return cost


def _shape(entry: Mapping[str, Any]) -> tuple[object, ...]:
    """What DynamoDB cannot change in place: the projection and, for a native index, its keys."""
    return (
        entry.get("projection", "ALL"),
        list(entry.get("non_key_attributes", [])),
        list(entry.get("partition_attributes", [])),
        list(entry.get("sort_attributes", [])),
    )


def reprojected_slots(slots: Mapping[str, int], built: Design, baseline: Mapping[str, Any]) -> dict[str, int]:
    """``slots`` with a new number for every index that keeps a deployed name but projects
    otherwise or is keyed otherwise (synthetic and native, or on other native attributes).

    DynamoDB cannot change a GSI's projection or key schema, so such an index is created anew beside the
    deployed one (and filled, while the old code still reads the old one), then the old one
    is dropped; under the same name that would leave a window with no index at all.
    """
    deployed = {str(ix.get("name")): ix for ix in baseline.get("indexes", [])}
    taken = [int(m.group(1)) for name in deployed if (m := _GSI.fullmatch(name))]
    taken += [s for s in slots.values() if s > 0]
    next_number = max(taken, default=0)
    renumber: dict[int, int] = {}
    for ix in built.indexes:
        was = deployed.get(ix.name)
        m = _GSI.fullmatch(ix.name)
        if was is None or m is None:
            continue
        if _shape(was) == _shape(index_json(ix)):
            continue
        next_number += 1
        renumber[int(m.group(1))] = next_number
    return {req: renumber.get(slot, slot) for req, slot in slots.items()}
