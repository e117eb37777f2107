"""Rewrite the golden snapshots in tests/golden/ from the emitters: ``make golden``.

Run it after a deliberate change to what the emitters write, then review the snapshots in
``git diff tests/golden`` before committing them.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS), str(TESTS.parent)]

from golden_snapshots import regenerate  # noqa: E402 - needs the path above

if __name__ == "__main__":
    changed = regenerate()
    print("\n".join(f"rewrote tests/golden/{c}" for c in changed) or "tests/golden is up to date")
