"""Rewrite the golden snapshots in tests/golden/ from the emitters: ``make golden``.

Run it after a deliberate change to what the emitters write, then review the snapshots in
``git diff tests/golden`` before committing them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS), str(TESTS.parent)]

from golden_snapshots import regenerate  # noqa: E402 - needs the path above

WORKBENCH_EXAMPLE = TESTS.parent / "docs" / "examples" / "shop.workbench.json"
"""The shop's NoSQL Workbench model, as ``dynamodel emit access_patterns/shop.yaml --format workbench`` writes it."""


def regenerate_workbench_example() -> bool:
    """Rewrite docs/examples/shop.workbench.json with the CLI, run as a user runs it; whether it changed."""
    before = WORKBENCH_EXAMPLE.read_bytes() if WORKBENCH_EXAMPLE.exists() else None
    shop = TESTS.parent / "access_patterns" / "shop.yaml"
    command = [sys.executable, "-m", "dynamodel.cli", "emit", str(shop), "--format", "workbench"]
    subprocess.run([*command, "--out", str(WORKBENCH_EXAMPLE.parent)], check=True, cwd=TESTS.parent)
    return WORKBENCH_EXAMPLE.read_bytes() != before


if __name__ == "__main__":
    changed = regenerate()
    print("\n".join(f"rewrote tests/golden/{c}" for c in changed) or "tests/golden is up to date")
    if regenerate_workbench_example():
        print(f"rewrote {WORKBENCH_EXAMPLE.relative_to(TESTS.parent)}")
