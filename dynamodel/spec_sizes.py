"""A spec file's cost declarations (docs/spec-format.md §1.9): entity ``size``, ``sizes``, ``count``.

Parsed into :class:`~dynamodel.spec.EntitySpec` fields and dumped only when declared, so a
spec without them dumps (and locks) as it did before they existed. Their ranges are checked
with the whole app (:mod:`dynamodel.validate_sizes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynamodel.errors import DefinitionError
from dynamodel.spec import EntitySpec
from dynamodel.spec_load import short

__all__ = ["COST_KEYS", "dump_entity_costs", "parse_entity_costs"]

COST_KEYS = frozenset({"size", "sizes", "count"})


def _number(entity: str, key: str, value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    msg = f"Entity '{entity}': {key} must be a whole number, got {short(value)}."
    raise DefinitionError(msg, hint=f"e.g. {key}: 800" if key == "size" else f"e.g. {key}: 20")


def parse_entity_costs(entity: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``size``, ``sizes`` and ``count`` of an entity's mapping, as EntitySpec keyword arguments."""
    sizes = raw.get("sizes") or {}
    if not isinstance(sizes, Mapping):
        msg = f"Entity '{entity}': sizes must map attribute names to bytes, got {short(sizes)}."
        raise DefinitionError(msg, hint="write sizes: {description: 2000}")
    return {
        "size": _number(entity, "size", raw.get("size")),
        "sizes": tuple(sorted((str(a), _number(entity, f"sizes {a}", v) or 0) for a, v in sizes.items())),
        "count": _number(entity, "count", raw.get("count")),
    }


def dump_entity_costs(e: EntitySpec) -> dict[str, Any]:
    """The declared cost keys of an entity (none when nothing is declared)."""
    out: dict[str, Any] = {}
    if e.size is not None:
        out["size"] = e.size
    if e.sizes:
        out["sizes"] = dict(e.sizes)
    if e.count is not None:
        out["count"] = e.count
    return out
