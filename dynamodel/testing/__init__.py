"""Tools to prove declared access patterns on a real engine: strategies, an oracle, a state machine.

Needs the test extra (``pip install dynamodel[test]``) for hypothesis.
"""

from __future__ import annotations

from dynamodel.testing.oracle import Oracle, check_result, normalise

__all__ = ["Oracle", "check_result", "normalise"]
