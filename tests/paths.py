"""Where the shared cases live: beside the repository (CI clones the repo with shared/ next to it)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CASES = SHARED / "cases"
SPECS = CASES / "specs"
SHOP_YAML = CASES / "shop.yaml"
