"""Where the test data lives: all of it inside the repository, so a clone needs nothing beside it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "benchmarks" / "cases"  # the published expert designs, see SOURCES.md there
SPECS = CASES / "specs"
SHOP_YAML = REPO / "access_patterns" / "shop.yaml"
