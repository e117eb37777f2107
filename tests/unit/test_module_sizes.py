"""The house rule that keeps modules to one concept: none grows past 500 lines.

A module that must hold one large concept may be listed in ``ONE_CONCEPT`` with the reason;
today none needs to be.
"""

from __future__ import annotations

from pathlib import Path

import dynamodel

LIMIT = 500
ONE_CONCEPT: dict[str, str] = {}
"""Module path (relative to dynamodel/) -> why it may be longer than LIMIT."""


def test_no_module_is_longer_than_the_limit() -> None:
    root = Path(dynamodel.__file__).parent
    sizes = {
        str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }
    assert len(sizes) > 50, "the package was not found where expected"
    too_long = {name: n for name, n in sizes.items() if n > LIMIT and name not in ONE_CONCEPT}
    assert not too_long, f"split by concept (or list in ONE_CONCEPT with the reason): {too_long}"
