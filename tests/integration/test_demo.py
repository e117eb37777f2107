"""`make demo` tells the truth: what it prints is what happened on the engine."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from dynamodel.demo import run_shop_on_engine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_output() -> str:
    """What the demo prints, run once: its table stays in moto's per-process state."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        run_shop_on_engine()
    return printed.getvalue()


def test_demo_runs_every_pattern_and_shows_propagation(demo_output: str) -> None:
    out = demo_output
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


def test_demo_deploys_v2_with_its_migration(demo_output: str) -> None:
    part = demo_output.split("== 7.", 1)[1]
    lines = [line.strip() for line in part.splitlines()]
    applied = [line.split()[1] for line in lines if line.startswith("applied ")]
    assert applied == ["047f9308aec8", "5b9bd9a87efc"]
    assert "index GSI1 exists already" in lines
    assert "index GSI3: created" in lines
    assert "Customer keys on GSI3: 3 item(s) read, 3 write(s), 3 WCU" in lines
    assert re.search(r"^\d+ write units \(\$[\d.]+ on demand\)$", part.replace("  ", ""), re.MULTILINE)
    assert any(
        line.startswith(
            "while GSI3 was being filled: customers_by_name(name='Bob') refused with IndexFillingError: "
            "Pattern 'customers_by_name' reads GSI3"
        )
        for line in lines
    ), part
    assert (
        "after up: customers_by_name(name='Bob') -> Customer(customer_id='c2'); "
        "Query on GSI3, 2 requests (GetItem 1, Query 1): the GetItem reads the migration state"
    ) in lines
    assert re.search(
        r"^migrate verify: \d+ item\(s\) and 3 guard\(s\) match v2's design$", part, re.MULTILINE
    )


def test_demo_runs_the_actions_once_and_dead_letters_what_no_retry_fixes(demo_output: str) -> None:
    part = demo_output.split("== 8.", 1)[1]
    listed = part.split("deployed in this order:\n", 1)[1].split("\n\n", 1)[0]
    order = [line.strip() for line in listed.splitlines()]
    assert order[0] == "table"
    assert {line.split()[0] for line in order[1:]} == {
        "action:propagate",
        "action:notify_shipped",
        "action:refund_cancelled",
    }
    assert "handler called 1 time(s); notices: ['Order o1 has shipped.']" in part
    assert "emails sent: ['to c1: Order o1 has shipped.']" in part
    assert "handler called 0 time(s), notices 1, emails 1" in part
    assert "dead letter after 1 attempt(s): not-retryable:" in part
    assert "refunds made: []" in part
