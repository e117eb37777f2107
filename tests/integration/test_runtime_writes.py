"""Writes keep every invariant: conditional creates, versions, unique guards, atomic transactions.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP. Tests with
concurrent writers also assume DynamoDB's per-request atomicity, which moto alone lacks;
``EmbeddedEngine`` adds it by default (``linearizable=True``, see dynamodel/engine.py).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import teams_app

from access_patterns.github import Issue, Reaction, Repo, github
from access_patterns.online_shop import Product, online_shop
from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel import App, Collection, Entity, Get, Query, Write, field_ref
from dynamodel.compile import base_key, shard_of
from dynamodel.errors import ConditionFailedError, RequestError, WriteTooLargeError
from dynamodel.keys import component
from dynamodel.layout import GUARD_TYPE, OWNER_PK
from dynamodel.runtime.sending import TransactionConditionError
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Member(Entity, identity=("member_id",), unique=("email",), ttl="expires"):
    """A club member; the email is unique, the membership expires."""

    member_id: str
    email: str
    name: str
    cards: int = 0
    expires: datetime | None = None


class Card(Entity, identity=("member_id", "card_no"), aggregate=Member):
    """A member's card, written atomically with the member."""

    member_id: str
    card_no: int
    label: str


club = App(
    "club",
    [Member, Card],
    patterns=[
        Get(Member, by="member_id", name="get_member"),
        Get(Member, by="email", unique=True, name="member_by_email"),
        Collection(Member, Card, by="member_id", name="member_with_cards"),
        Write(Member, Card, name="enroll"),
        Write(Card, increments={field_ref(Member, "cards"): 1}, name="add_card"),
        Query(Card, by="member_id", sort="card_no", name="cards_of_member"),
    ],
)


def customer(cid: str, email: str, name: str = "N") -> Customer:
    return Customer(customer_id=cid, email=email, name=name, order_count=0)


def order(oid: str, cid: str, status: str = "OPEN", day: int = 0) -> Order:
    return Order.model_validate(
        {
            "order_id": oid,
            "customer_id": cid,
            "status": status,
            "placed_at": T0 + timedelta(days=day),
            "total": Decimal("9.5"),
        }
    )


def raw(table: Table, entity: str, **values: Any) -> dict[str, Any] | None:
    key = base_key(table.design, entity, values)
    response: Any = table.client.get_item(TableName=table.name, Key=key, ConsistentRead=True)
    item: dict[str, Any] | None = response.get("Item")
    return item


def all_items(table: Table) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table.name}
    while True:
        page: Any = table.client.scan(**kwargs)
        out += page["Items"]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture
def count_requests() -> Iterator[Callable[[Table], Counter[str]]]:
    hooks: list[tuple[Table, Any]] = []

    def attach(table: Table) -> Counter[str]:
        counts: Counter[str] = Counter()

        def hook(model: Any, **_: Any) -> None:
            counts[model.name] += 1

        table.client.meta.events.register("before-call.dynamodb", hook)
        hooks.append((table, hook))
        return counts

    yield attach
    for table, hook in hooks:
        table.client.meta.events.unregister("before-call.dynamodb", hook)


# ---- conditional creates and versions ------------------------------------------------------


def test_duplicate_create_fails_and_leaves_the_item_unchanged(make_table: MakeTable) -> None:
    table = make_table(online_shop)
    table.create(Product(product_id="p1", detail={"name": "Pen"}, price=Decimal("1.50")))
    before = raw(table, "Product", product_id="p1")
    with pytest.raises(ConditionFailedError, match="already exists"):
        table.create(Product(product_id="p1", detail={"name": "Other"}, price=Decimal(9)))
    assert raw(table, "Product", product_id="p1") == before
    # The guarded path (a transaction) behaves the same.
    shop_table = make_table(shop)
    shop_table.create(customer("c1", "a@x", "Ann"))
    before = raw(shop_table, "Customer", customer_id="c1")
    with pytest.raises(ConditionFailedError, match="already exists"):
        shop_table.create(customer("c1", "other@x", "Imposter"))
    assert raw(shop_table, "Customer", customer_id="c1") == before
    assert shop_table.customer_by_email(email="other@x") is None


@pytest.mark.parametrize("guarded", [False, True])
def test_stale_version_fails(make_table: MakeTable, guarded: bool) -> None:
    if guarded:
        table = make_table(shop)
        first: Entity = table.create(customer("c1", "a@x"))
        read_twice = [table.get_customer(customer_id="c1") for _ in range(2)]
    else:
        table = make_table(online_shop)
        first = table.create(Product(product_id="p1", detail={}, price=Decimal(1)))
        read_twice = [table.ap2_get_product(product_id="p1") for _ in range(2)]
    assert table.version_of(first) == 1
    a, b = read_twice
    assert table.version_of(a) == table.version_of(b) == 1
    field_name = "name" if guarded else "price"
    setattr(a, field_name, "Ann" if guarded else Decimal(2))
    table.update(a)
    assert table.version_of(a) == 2
    setattr(b, field_name, "Bob" if guarded else Decimal(3))
    before = raw(table, type(b).__name__, **({"customer_id": "c1"} if guarded else {"product_id": "p1"}))
    with pytest.raises(ConditionFailedError, match="expected version 1"):
        table.update(b)
    after = raw(table, type(b).__name__, **({"customer_id": "c1"} if guarded else {"product_id": "p1"}))
    assert after == before
    assert after is not None
    assert after["_version"] == {"N": "2"}
    with pytest.raises(ConditionFailedError):
        table.put(b, expected_version=1)
    table.update(b, expected_version=2)
    assert table.version_of(b) == 3


def test_update_needs_a_version_and_put_counts_versions(make_table: MakeTable) -> None:
    table = make_table(online_shop)
    with pytest.raises(RequestError, match="needs the version"):
        table.update(Product(product_id="p1", detail={}, price=Decimal(1)))
    p = Product(product_id="p1", detail={}, price=Decimal(1))
    assert table.version_of(table.put(p)) == 1
    assert table.version_of(table.put(p)) == 2
    stored = raw(table, "Product", product_id="p1")
    assert stored is not None
    assert stored["_version"] == {"N": "2"}
    assert stored["_type"] == {"S": "Product"}
    with pytest.raises(ConditionFailedError):
        table.update(Product(product_id="nope", detail={}, price=Decimal(1)), expected_version=1)
    assert raw(table, "Product", product_id="nope") is None


def test_delete_by_key_and_by_version(make_table: MakeTable) -> None:
    table = make_table(online_shop)
    p = table.create(Product(product_id="p1", detail={}, price=Decimal(1)))
    with pytest.raises(ConditionFailedError):
        table.delete(Product, product_id="p1", expected_version=7)
    assert raw(table, "Product", product_id="p1") is not None
    assert table.delete(p) is True
    assert table.delete(Product, product_id="p1") is False
    with pytest.raises(RequestError, match="key attributes"):
        table.delete(Product, price=1)


# ---- unique guards -------------------------------------------------------------------------


def test_unique_value_cannot_be_taken_twice_and_moves_with_changes(make_table: MakeTable) -> None:
    table = make_table(shop)
    ann = table.create(customer("c1", "ann@x", "Ann"))
    with pytest.raises(TransactionConditionError, match="already taken") as err:
        table.create(customer("c2", "ann@x", "Bob"))
    assert err.value.reasons == ["None", "ConditionalCheckFailed"]
    assert table.get_customer(customer_id="c2") is None
    # Changing the value releases the old guard in the same transaction.
    ann.email = "ann@new"
    table.update(ann)
    assert table.customer_by_email(email="ann@x") is None
    found = table.customer_by_email(email="ann@new")
    assert found is not None
    assert found.customer_id == "c1"
    bob = table.create(customer("c2", "ann@x", "Bob"))
    bob.email = "ann@new"
    with pytest.raises(TransactionConditionError, match="already taken"):
        table.put(bob)
    # Deleting releases the value.
    assert table.delete(Customer, customer_id="c1")
    table.create(customer("c3", "ann@new", "Cy"))
    guards = [i for i in all_items(table) if i["_type"]["S"] == GUARD_TYPE]
    owners = sorted((g["PK"]["S"], g[OWNER_PK]["S"]) for g in guards)
    assert owners == [
        ("_UNIQUE#CUSTOMER#ann@new#", "CUSTOMER#c3#"),
        ("_UNIQUE#CUSTOMER#ann@x#", "CUSTOMER#c2#"),
    ]


def test_unique_value_cannot_be_taken_twice_by_concurrent_writers(make_table: MakeTable) -> None:
    table = make_table(shop)
    writers = 12
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def claim(i: int) -> None:
        barrier.wait()
        try:
            table.create(customer(f"c{i}", "same@x", f"W{i}"))
            result = f"won:c{i}"
        except ConditionFailedError:
            result = "lost"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(outcomes) == writers
    assert len(winners) == 1
    items = all_items(table)
    customers = [i for i in items if i["_type"]["S"] == "Customer"]
    guards = [i for i in items if i["_type"]["S"] == GUARD_TYPE]
    assert len(customers) == 1
    assert len(guards) == 1
    assert guards[0][OWNER_PK] == customers[0]["PK"]
    assert winners[0] == f"won:{customers[0]['customer_id']['S']}"

    # Two existing customers race to switch to the same new value.
    table.create(customer("x1", "x1@x"))
    table.create(customer("x2", "x2@x"))
    barrier2 = threading.Barrier(2)
    switched: list[str] = []

    def switch(cid: str) -> None:
        mine = table.get_customer(customer_id=cid)
        assert mine is not None
        mine.email = "wanted@x"
        barrier2.wait()
        try:
            table.update(mine)
            switched.append(cid)
        except ConditionFailedError:
            pass

    racers = [threading.Thread(target=switch, args=(cid,)) for cid in ("x1", "x2")]
    for t in racers:
        t.start()
    for t in racers:
        t.join()
    assert len(switched) == 1
    holder = table.customer_by_email(email="wanted@x")
    assert holder is not None
    assert holder.customer_id == switched[0]
    loser = "x2" if switched[0] == "x1" else "x1"
    still = table.get_customer(customer_id=loser)
    assert still is not None
    assert still.email == f"{loser}@x"
    assert table.customer_by_email(email=f"{loser}@x") == still


# ---- transactions --------------------------------------------------------------------------


def test_failed_transaction_leaves_nothing_behind(make_table: MakeTable) -> None:
    table = make_table(club)
    table.enroll(
        Member(member_id="m1", email="a@x", name="A"),
        [Card(member_id="m1", card_no=i, label="x") for i in range(3)],
    )
    before = all_items(table)
    # The second enrolment's guard conflicts: neither the member nor its cards may appear.
    with pytest.raises(TransactionConditionError, match=r"email='a@x' is already taken") as err:
        table.enroll(
            Member(member_id="m2", email="a@x", name="B"),
            [Card(member_id="m2", card_no=i, label="y") for i in range(3)],
        )
    assert "ConditionalCheckFailed" in err.value.reasons
    assert table.get_member(member_id="m2") is None
    assert table.member_with_cards(member_id="m2").items == []
    assert all_items(table) == before
    # An increment whose target does not exist cancels the whole write.
    with pytest.raises(TransactionConditionError, match="to increment"):
        table.add_card(Card(member_id="ghost", card_no=1, label="z"))
    assert table.cards_of_member(member_id="ghost").items == []
    assert all_items(table) == before


def test_write_pattern_increments_its_target(make_table: MakeTable) -> None:
    table = make_table(club)
    table.enroll(Member(member_id="m1", email="a@x", name="A"))
    table.add_card(Card(member_id="m1", card_no=1, label="x"))
    table.add_card(card=Card(member_id="m1", card_no=2, label="y"))
    m = table.get_member(member_id="m1")
    assert m is not None
    assert m.cards == 2
    assert table.version_of(m) == 3
    page = table.member_with_cards(member_id="m1")
    assert [type(x).__name__ for x in page.items] == ["Card", "Card", "Member"]
    assert page.groups["Member"] == [m]
    assert [x.card_no for x in page.items_of(Card)] == [1, 2]
    with pytest.raises(RequestError, match="twice"):
        table.add_card(Card(member_id="m1", card_no=3, label="x"), Card(member_id="m1", card_no=3, label="x"))
    with pytest.raises(RequestError, match="writes Card"):
        table.add_card(Member(member_id="m9", email="z", name="z"))


def test_write_pattern_with_explicit_target_key(make_table: MakeTable) -> None:
    table = make_table(github)
    table.create(
        Repo(
            owner="o",
            repo_name="r",
            description="",
            is_private=False,
            star_count=0,
            fork_count=0,
            issues_and_pull_request_count=0,
            created_at=T0,
            updated_at=T0,
        )
    )
    table.ap4_create_issue(
        Issue(
            owner="o",
            repo_name="r",
            issue_number=1,
            title="t",
            body="b",
            status="OPEN",
            creator="u",
            reaction_count=0,
            created_at=T0,
        )
    )
    reaction = Reaction(
        target_type="ISSUE", owner="o", repo_name="r", target_id="1", username="u", reactions=["+1"]
    )
    with pytest.raises(RequestError, match="issue_key"):
        table.ap15_react_to_issue(reaction)
    table.ap15_react_to_issue(reaction, issue_key={"owner": "o", "repo_name": "r", "issue_number": 1})
    issue = table.ap3_get_issue(owner="o", repo_name="r", issue_number=1)
    assert issue is not None
    assert issue.reaction_count == 1
    repo = table.ap1_get_repo(owner="o", repo_name="r")
    assert repo is not None
    assert repo.issues_and_pull_request_count == 1


def test_too_large_writes_are_refused_before_anything_is_sent(
    make_table: MakeTable, count_requests: Callable[[Table], Counter[str]]
) -> None:
    table = make_table(shop)
    table.create(customer("c1", "a@x"))
    before = all_items(table)
    sent = count_requests(table)
    lines = [OrderLine(order_id="o1", line_no=i, sku="s", qty=1) for i in range(99)]
    # 1 order + 99 lines + 1 increment = 101 actions.
    with pytest.raises(WriteTooLargeError, match="101 actions"):
        table.place_order(order("o1", "c1"), lines=lines)
    # Each item under 400 KB, together over 4 MB.
    big = [OrderLine(order_id="o1", line_no=i, sku="x" * 150_000, qty=1) for i in range(30)]
    with pytest.raises(WriteTooLargeError, match="4 MB"):
        table.place_order(order("o1", "c1"), lines=big)
    # One item over 400 KB (DynamoDB's item size: attribute names + values).
    with pytest.raises(WriteTooLargeError, match="400 KB"):
        table.place_order(
            order("o1", "c1"), lines=[OrderLine(order_id="o1", line_no=0, sku="x" * 409_600, qty=1)]
        )
    with pytest.raises(WriteTooLargeError):
        table.create(OrderLine(order_id="o2", line_no=0, sku="x" * 410_000, qty=1))
    assert sent["TransactWriteItems"] == 0
    assert sent["PutItem"] == 0
    assert all_items(table) == before
    # At the limit exactly (100 actions) the write goes through.
    table.place_order(order("o1", "c1"), lines=lines[:98])
    assert len(table.order_with_lines(order_id="o1").items) == 99


# ---- item layout ---------------------------------------------------------------------------


def test_sparse_and_sorted_index_keys_follow_the_values(make_table: MakeTable) -> None:
    table = make_table(shop)
    table.create(customer("c1", "a@x"))
    o = table.create(order("o1", "c1", "OPEN", day=1))
    item = raw(table, "Order", order_id="o1")
    assert item is not None
    shard = shard_of("ORDER#o1#", "ORDER#", 3)
    assert item["GSI2PK"] == {"S": f"ORDER#OPEN#{component('int', shard)}"}
    assert item["GSI1SK"]["S"].startswith("A_ORDER#2026-01-02T")
    assert [x.order_id for x in table.open_orders_by_date.iterate()] == ["o1"]
    o.status = "SHIPPED"
    o.placed_at = T0 + timedelta(days=5)
    table.update(o)
    item = raw(table, "Order", order_id="o1")
    assert item is not None
    assert "GSI2PK" not in item
    assert "GSI2SK" not in item
    assert item["GSI1SK"]["S"].startswith("A_ORDER#2026-01-06T")
    assert list(table.open_orders_by_date.iterate()) == []
    assert [
        x.order_id for x in table.orders_of_customer(customer_id="c1", lo=T0 + timedelta(days=5)).items
    ] == ["o1"]
    assert table.orders_of_customer(customer_id="c1", hi=T0 + timedelta(days=4)).items == []
    o.status = "OPEN"
    table.put(o)
    assert [x.order_id for x in table.open_orders_by_date.iterate()] == ["o1"]


def test_copies_are_filled_from_their_source(make_table: MakeTable) -> None:
    table = make_table(shop)
    with pytest.raises(RequestError, match=r"Customer \(customer_id='nobody'\) does not exist"):
        table.create(order("o1", "nobody"))
    table.create(customer("c1", "a@x", "Ann"))
    stored = table.create(order("o1", "c1"))
    assert stored.customer_name == "Ann"
    found = table.order_with_lines(order_id="o1").items_of(Order)
    assert [x.customer_name for x in found] == ["Ann"]


def test_ttl_and_layout_attributes(make_table: MakeTable) -> None:
    table = make_table(club)
    expires = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    table.create(Member(member_id="m1", email="a@x", name="A", expires=expires))
    item = raw(table, "Member", member_id="m1")
    assert item is not None
    assert item["_expires_at"] == {"N": str(int(expires.timestamp()))}
    assert item["_type"] == {"S": "Member"}
    assert item["_version"] == {"N": "1"}
    assert {"PK", "SK", "member_id", "email", "name", "cards", "expires"} <= set(item)
    table.put(Member(member_id="m1", email="a@x", name="A"))
    item = raw(table, "Member", member_id="m1")
    assert item is not None
    assert "_expires_at" not in item
    assert "expires" not in item


# ---- batches -------------------------------------------------------------------------------


def test_batch_put_and_get(make_table: MakeTable) -> None:
    table = make_table(online_shop)
    products = [Product(product_id=f"p{i}", detail={"n": str(i)}, price=Decimal(i)) for i in range(60)]
    assert table.batch_put(products) == 60
    got = table.batch_get(Product, [{"product_id": "p3"}, {"product_id": "missing"}, {"product_id": "p59"}])
    assert got == [products[3], None, products[59]]
    assert got[0] is not None
    assert table.version_of(got[0]) == 1
    shop_table = make_table(shop)
    with pytest.raises(RequestError, match="unique"):
        shop_table.batch_put([customer("c1", "a@x")])
    with pytest.raises(RequestError, match="copied"):
        shop_table.batch_put([order("o1", "c1")])
    with pytest.raises(RequestError, match="aggregate"):
        shop_table.batch_put([OrderLine(order_id="o1", line_no=1, sku="s", qty=1)])


# ---- _born: the incarnation of a copy source --------------------------------------------------


def born(table: Table, entity: str, **key: Any) -> int:
    item = raw(table, entity, **key)
    assert item is not None
    assert "_born" in item, f"{entity} {key} has no _born"
    return int(item["_born"]["N"])


def team_t1(region: str) -> Entity:
    return teams_app.Team(team_id="t1", region=region, status="ACTIVE")


def customer_c1(name: str) -> Entity:
    return customer("c1", "a@x", name)


# Team has no unique attribute (its update is an UpdateItem); Customer has one (a transaction).
SOURCES = {
    "plain": (teams_app.teams, "Team", {"team_id": "t1"}, "region", team_t1, "get_team"),
    "guarded": (shop, "Customer", {"customer_id": "c1"}, "name", customer_c1, "get_customer"),
}


@pytest.mark.parametrize("case", sorted(SOURCES))
def test_a_copy_source_keeps_its_born_until_it_is_re_created(make_table: MakeTable, case: str) -> None:
    app, source, key, field, make, getter = SOURCES[case]
    table = make_table(app)
    before = time.time_ns()
    table.create(make("A"))
    first = born(table, source, **key)
    assert before <= first <= time.time_ns()
    current = table.run(getter, **key)
    setattr(current, field, "B")
    table.update(current)
    table.put(make("C"))
    assert born(table, source, **key) == first
    stored = raw(table, source, **key)
    assert stored is not None
    assert (stored[field], stored["_version"]) == ({"S": "C"}, {"N": "3"})
    with pytest.raises(ConditionFailedError):
        table.update(make("stale"), expected_version=1)
    assert raw(table, source, **key) == stored
    key_args: dict[str, Any] = dict(key)
    table.delete(type(make("x")), **key_args)
    table.create(make("D"))
    assert born(table, source, **key) > first


def test_every_item_carries_born(make_table: MakeTable) -> None:
    """Optimistic locking needs every item's birth, not only copy sources' (issue 11, item 3)."""
    table = make_table(teams_app.teams)
    table.create(teams_app.Team(team_id="t1", region="eu", status="ACTIVE"))
    table.create(teams_app.Member(member_id="m1", team_id="t1", joined_at=T0))
    member = raw(table, "Member", member_id="m1")
    assert member is not None
    assert "_born" in member
    assert member["team_region"] == {"S": "eu"}
