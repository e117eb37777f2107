"""`make demo` tells the truth: what it prints is what happened on the engine."""

from __future__ import annotations

import re

import pytest

from dynamodel.demo import run_shop_on_engine

pytestmark = pytest.mark.integration


def test_demo_runs_every_pattern_and_shows_propagation(capsys: pytest.CaptureFixture[str]) -> None:
    run_shop_on_engine()
    out = capsys.readouterr().out
    for name in (
        "get_customer",
        "customer_by_email",
        "orders_of_customer",
        "open_orders_by_date",
        "order_with_lines",
        "customer_with_recent_orders",
    ):
        assert re.search(rf"^{name}\(.*\)  -> (GetItem|Query) on \w+, \d+ requests?", out, re.MULTILINE), name
    assert "get_customer(customer_id='c1')  -> GetItem on table, 1 request (GetItem 1)" in out
    assert "order_with_lines(order_id='o3')  -> Query on table, 1 request (Query 1)" in out
    assert "unique email: refused" in out
    assert "optimistic locking: stale update refused" in out
    before, after = out.split("== 6.", 1)[1].split("after draining:", 1)
    assert "'Ann'" in before.split("before draining:", 1)[1].splitlines()[0]
    assert after.splitlines()[0].strip() == "o5: 'Ann A.', o3: 'Ann A.', o1: 'Ann A.'"
    assert out.rstrip().endswith("engine stopped.")
