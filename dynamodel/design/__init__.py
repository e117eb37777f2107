"""The planning core: AppSpec -> Design (pure, deterministic, no I/O)."""

from __future__ import annotations

from dynamodel.design.derive import derive
from dynamodel.design.explain import design_to_dict, design_to_json, explain
from dynamodel.design.model import Design, EntityKeys, IndexSpec, PatternPlan, UniqueGuard

__all__ = [
    "Design",
    "EntityKeys",
    "IndexSpec",
    "PatternPlan",
    "UniqueGuard",
    "derive",
    "design_to_dict",
    "design_to_json",
    "explain",
]
