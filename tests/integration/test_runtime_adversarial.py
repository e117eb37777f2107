"""Values that look like key syntax are stored and read back exactly, and stay in their place.

A value containing the key delimiter '#', the escape character '$', or another entity's tag
(``ORDER#x``, ``A_ORDER``, ``_UNIQUE#...``) must round-trip exactly and never appear in the
results of another key, another pattern or another entity's range (README, "How the design is derived", rule 6).

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP; each example gets a fresh table.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access_patterns.github import Issue, Repo, github
from access_patterns.library import Author, library
from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel.app import App
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.runtime.table import Table

pytestmark = pytest.mark.integration

TRICKY = [
    "#",
    "$",
    "##",
    "$$",
    "a#b",
    "a$Cb",
    "a#",
    "a",
    "$@",
    "x$",
    "ORDER",
    "ORDER#",
    "ORDER#x",
    "ORDER#x#",
    "A_ORDER#",
    "B_CUSTOMER",
    "CUSTOMER#c1",
    "_UNIQUE#CUSTOMER#a",
    "\x00",
    "\x1f#",
    "",
]
tricky = st.sampled_from(TRICKY) | st.text(alphabet="#$@ACDEORU_abx\x00", max_size=6)
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def fresh(client: Any, app: App) -> Table:
    name = f"{app.name}-adv-{uuid.uuid4().hex[:8]}"
    client.create_table(**render_create_table(app.design, name))
    return app.connect(name, client)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(tricky, min_size=2, max_size=4, unique=True),
    order_ids=st.lists(tricky, min_size=1, max_size=5, unique=True),
    names=st.lists(tricky, min_size=4, max_size=4),
    data=st.data(),
)
def test_tricky_values_round_trip_and_stay_in_their_partition(
    client: Any, ids: list[str], order_ids: list[str], names: list[str], data: st.DataObject
) -> None:
    table = fresh(client, shop)
    try:
        customers = {}
        for n, cid in enumerate(ids):
            c = Customer(customer_id=cid, email=cid + "@" + names[n % 4], name=names[n % 4], order_count=0)
            table.create(c)
            customers[cid] = c
        orders: dict[str, Order] = {}
        lines: dict[str, list[OrderLine]] = {}
        for n, oid in enumerate(order_ids):
            owner = data.draw(st.sampled_from(ids))
            o = Order.model_validate(
                {
                    "order_id": oid,
                    "customer_id": owner,
                    "status": data.draw(st.sampled_from(["OPEN", "SHIPPED"])),
                    "placed_at": T0 + timedelta(minutes=n),
                    "total": Decimal(n),
                }
            )
            ls = [
                OrderLine(order_id=oid, line_no=k, sku=names[k % 4], qty=k)
                for k in range(data.draw(st.integers(0, 2)))
            ]
            table.place_order(o, lines=ls)
            orders[oid], lines[oid] = o, ls
        for cid, c in customers.items():
            got = table.get_customer(customer_id=cid)
            assert got is not None
            assert got.customer_id == cid
            assert got.name == c.name
            assert got.order_count == sum(1 for o in orders.values() if o.customer_id == cid)
            assert table.customer_by_email(email=c.email) == got
            mine = sorted(
                (o for o in orders.values() if o.customer_id == cid), key=lambda o: o.placed_at, reverse=True
            )
            assert [o.order_id for o in table.orders_of_customer.iterate(customer_id=cid, limit=2)] == [
                o.order_id for o in mine
            ]
            recent = list(table.customer_with_recent_orders.iterate(customer_id=cid, limit=3))
            assert recent[0] == got
            assert [o.order_id for o in recent[1:]] == [o.order_id for o in mine]
        for oid, o in orders.items():
            page = table.order_with_lines(order_id=oid)
            assert [x.order_id for x in page.items_of(Order)] == [oid]
            assert page.items_of(Order)[0].customer_name == customers[o.customer_id].name
            assert page.items_of(OrderLine) == lines[oid]
        open_ids = sorted((o for o in orders.values() if o.status == "OPEN"), key=lambda o: o.placed_at)
        assert [o.order_id for o in table.open_orders_by_date.iterate(limit=2)] == [
            o.order_id for o in open_ids
        ]
        # A key that was never written finds nothing, however it is spelled.
        probe = data.draw(tricky.filter(lambda s: s not in customers))
        assert table.get_customer(customer_id=probe) is None
        assert table.orders_of_customer(customer_id=probe).items == []
        assert table.customer_with_recent_orders(customer_id=probe).items == []
        # Stored attribute values are the raw text, not the escaped key text.
        item: Any = table.client.get_item(
            TableName=table.name, Key={"PK": {"S": f"CUSTOMER#{_esc(ids[0])}#"}, "SK": {"S": "CUSTOMER#"}}
        )
        assert item["Item"]["customer_id"] == {"S": ids[0]}
    finally:
        client.delete_table(TableName=table.name)


def _esc(s: str) -> str:
    from dynamodel.keys import escape

    return escape(s)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first_names=st.lists(tricky, min_size=1, max_size=6, unique=True), prefix=tricky, other_last=tricky)
def test_begins_with_on_tricky_text_matches_exactly_the_prefixed_values(
    client: Any, first_names: list[str], prefix: str, other_last: str
) -> None:
    table = fresh(client, library)
    try:
        last = "a#b"
        for n, first in enumerate(first_names):
            table.create(
                Author(
                    author_last_name=last, author_first_name=first, birthday=date(1950, 1, 1 + n), bio=first
                )
            )
        if other_last != last:
            # Another partition whose key text begins like this one must stay out.
            table.create(
                Author(
                    author_last_name=other_last, author_first_name=prefix, birthday=date(1960, 1, 1), bio=""
                )
            )
        got = [
            a.author_first_name
            for a in table.ap2_authors_by_last_name_and_first_name_prefix.iterate(
                author_last_name=last, value=prefix, limit=3
            )
        ]
        assert got == sorted(f for f in first_names if f.startswith(prefix))
        everyone = [
            a.author_first_name for a in table.ap1_authors_by_last_name.iterate(author_last_name=last)
        ]
        assert sorted(everyone) == sorted(first_names)
        for first in first_names:
            exact = table.ap3_authors_by_full_name(author_last_name=last, author_first_name=first).items
            assert [a.author_first_name for a in exact] == [first]
    finally:
        client.delete_table(TableName=table.name)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(st.sampled_from(["a", "b", "", "$", "x$C", "REPO"]), min_size=3, max_size=5),
    extra=st.lists(st.tuples(tricky, tricky), max_size=2),
    data=st.data(),
)
def test_multi_part_keys_never_run_together(
    client: Any, parts: list[str], extra: list[tuple[str, str]], data: st.DataObject
) -> None:
    """("a#b", "c") and ("a", "b#c") are two repositories, in two partitions."""
    # Every split of one '#'-joined text at a '#': the pairs that would collide unescaped.
    splits = [("#".join(parts[:i]), "#".join(parts[i:])) for i in range(1, len(parts))]
    pairs = list(dict.fromkeys([*splits, *extra]))
    table = fresh(client, github)
    try:
        issues: dict[tuple[str, str], list[int]] = {}
        for owner, name in pairs:
            table.create(
                Repo(
                    owner=owner,
                    repo_name=name,
                    description=f"{owner}|{name}",
                    is_private=False,
                    star_count=0,
                    fork_count=0,
                    issues_and_pull_request_count=0,
                    created_at=T0,
                    updated_at=T0,
                )
            )
            numbers = data.draw(st.lists(st.integers(-3, 3), max_size=3, unique=True))
            for n in numbers:
                table.ap4_create_issue(
                    Issue(
                        owner=owner,
                        repo_name=name,
                        issue_number=n,
                        title=owner,
                        body=name,
                        status="OPEN",
                        creator="u",
                        reaction_count=0,
                        created_at=T0,
                    )
                )
            issues[(owner, name)] = sorted(numbers, reverse=True)
        for (owner, name), numbers in issues.items():
            repo = table.ap1_get_repo(owner=owner, repo_name=name)
            assert repo is not None
            assert repo.description == f"{owner}|{name}"
            assert repo.issues_and_pull_request_count == len(numbers)
            got = list(table.ap5_repo_with_issues.iterate(owner=owner, repo_name=name, limit=2))
            assert got[0] == repo
            assert [(i.owner, i.repo_name, i.issue_number) for i in got[1:]] == [
                (owner, name, n) for n in numbers
            ]
    finally:
        client.delete_table(TableName=table.name)
