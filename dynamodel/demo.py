"""`make demo`: derive the shop example's design and explain it.

The runtime part (table on an embedded engine, every pattern run) is added by the runtime.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dynamodel.design import design_to_json, explain


def run_demo(out_dir: Path) -> int:
    """Derive the shop's design, print it, and write the design JSON."""
    from access_patterns.shop import shop  # noqa: PLC0415 - the example app is imported on demand

    design = shop.design
    sys.stdout.write("== 1. design derived from the shop's access patterns\n\n")
    sys.stdout.write(explain(design))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "shop.design.json").write_text(design_to_json(design), encoding="utf-8")
    sys.stdout.write(f"\nwrote {out_dir / 'shop.design.json'}\n")
    return 0
