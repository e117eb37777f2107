"""The pure request builders: what each pattern sends, the item layout, and DynamoDB's limits."""

from __future__ import annotations

import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_patterns.battle_royale import battle_royale
from access_patterns.github import github
from access_patterns.library import library
from access_patterns.shop import shop
from dynamodel import App, Entity, Query
from dynamodel.compile import (
    MAX_ITEM_BYTES,
    Condition,
    build_get_request,
    build_increment,
    build_item,
    build_plan_query,
    build_put,
    build_query_request,
    build_query_requests,
    build_transaction,
    build_upsert,
    call_convention,
    check_transaction,
    derived_keys,
    guard_item,
    item_size,
    shard_of,
)
from dynamodel.errors import RequestError, WriteTooLargeError
from dynamodel.keys import component, escape, range_bounds
from dynamodel.layout import BORN_ATTR

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_compile_is_pure() -> None:
    code = "import sys, dynamodel.compile; bad = [m for m in ('boto3', 'botocore') if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_get_item_request() -> None:
    got = build_get_request(shop.design, "get_customer", {"customer_id": "c#1"}, "t")
    assert got == {
        "TableName": "t",
        "Key": {"PK": {"S": "CUSTOMER#c$c1#"}, "SK": {"S": "CUSTOMER#"}},
        "ConsistentRead": False,  # eventually consistent unless the pattern declares strong
    }


def test_query_request_for_each_range_form() -> None:
    d = shop.design
    base = build_query_request(d, "orders_of_customer", {"customer_id": "c1"}, "t", limit=5)
    assert base == {
        "TableName": "t",
        "IndexName": "GSI1",
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :sk)",
        "ExpressionAttributeNames": {"#pk": "GSI1PK", "#sk": "GSI1SK"},
        "ExpressionAttributeValues": {":pk": {"S": "CUSTOMER#c1#"}, ":sk": {"S": "A_ORDER#"}},
        "ScanIndexForward": False,
        "Limit": 5,
    }
    lo, hi = T0, T0 + timedelta(days=1)
    between = build_query_request(d, "orders_of_customer", {"customer_id": "c1", "lo": lo, "hi": hi}, "t")
    assert between["KeyConditionExpression"] == "#pk = :pk AND #sk BETWEEN :lo AND :hi"
    want = range_bounds("A_ORDER#", "between", "datetime", [lo, hi])
    assert (
        between["ExpressionAttributeValues"][":lo"]["S"],
        between["ExpressionAttributeValues"][":hi"]["S"],
    ) == want
    only_lo = build_query_request(d, "orders_of_customer", {"customer_id": "c1", "lo": lo}, "t")
    assert (
        only_lo["ExpressionAttributeValues"][":lo"]["S"]
        == range_bounds("A_ORDER#", "gte", "datetime", [lo])[0]
    )
    only_hi = build_query_request(d, "orders_of_customer", {"customer_id": "c1", "hi": hi}, "t")
    assert (
        only_hi["ExpressionAttributeValues"][":hi"]["S"]
        == range_bounds("A_ORDER#", "lte", "datetime", [hi])[1]
    )


def test_collections_read_their_blocks_or_the_whole_partition() -> None:
    issues = build_query_request(github.design, "ap5_repo_with_issues", {"owner": "o", "repo_name": "r"}, "t")
    assert issues["KeyConditionExpression"] == "#pk = :pk AND #sk BETWEEN :lo AND :hi"
    assert issues["ExpressionAttributeValues"] == {
        ":pk": {"S": "REPO#o#r#"},
        ":lo": {"S": "A_ISSUE#"},
        ":hi": {"S": "B_REPO$"},
    }
    assert issues["ScanIndexForward"] is False
    whole = build_query_request(shop.design, "order_with_lines", {"order_id": "o1"}, "t")
    assert whole["KeyConditionExpression"] == "#pk = :pk"
    assert whole["ExpressionAttributeNames"] == {"#pk": "PK"}
    assert "IndexName" not in whole


def test_where_values_come_from_the_declaration_and_shards_fan_out() -> None:
    requests = build_query_requests(shop.design, "open_orders_by_date", {}, "t", limit=2)
    pks = [r["ExpressionAttributeValues"][":pk"]["S"] for r in requests]
    assert pks == [f"ORDER#OPEN#{component('int', i)}" for i in range(3)]
    with pytest.raises(RequestError, match="fixed by the declaration"):
        build_query_requests(shop.design, "open_orders_by_date", {"status": "SHIPPED"}, "t")
    with pytest.raises(RequestError, match="shard"):
        build_query_request(shop.design, "open_orders_by_date", {}, "t")
    sparse = build_query_request(battle_royale.design, "ap5_open_games", {}, "t")
    assert sparse["ExpressionAttributeValues"][":pk"] == {"S": "GAME#OPEN#"}


def test_wrong_arguments_are_refused() -> None:
    d = shop.design
    with pytest.raises(RequestError, match="needs 'customer_id'"):
        build_query_request(d, "orders_of_customer", {}, "t")
    with pytest.raises(RequestError, match="takes no argument 'value'"):
        build_query_request(d, "orders_of_customer", {"customer_id": "c", "value": 1}, "t")
    with pytest.raises(RequestError, match="no pattern 'nope'"):
        build_query_request(d, "nope", {}, "t")
    with pytest.raises(RequestError, match="runs as GetItem"):
        build_query_request(d, "get_customer", {"customer_id": "c"}, "t")
    with pytest.raises(RequestError, match="placed_at"):
        build_query_request(d, "orders_of_customer", {"customer_id": "c", "lo": "not a datetime"}, "t")
    with pytest.raises(RequestError, match="limit"):
        build_query_request(d, "orders_of_customer", {"customer_id": "c"}, "t", limit=0)


class Reading(Entity, identity=("sensor", "n")):
    """A sensor reading with a numeric and a text sort attribute."""

    sensor: str
    n: int
    label: str


OPS: tuple[Literal["eq", "lt", "lte", "gt", "gte", "between", "begins_with"], ...] = (
    "eq",
    "lt",
    "lte",
    "gt",
    "gte",
    "between",
)
sensors = App(
    "sensors",
    [Reading],
    patterns=[
        *(Query(Reading, by="sensor", sort="n", range=op, name=f"n_{op}") for op in OPS),
        Query(Reading, by="sensor", sort="label", range="begins_with", name="label_prefix"),
    ],
)


def _holds(request: dict[str, Any], sk: str) -> bool:
    values = request["ExpressionAttributeValues"]
    if ":sk" in values:
        return sk.startswith(values[":sk"]["S"])
    if ":lo" in values:
        return bool(values[":lo"]["S"] <= sk <= values[":hi"]["S"])
    return True


@settings(max_examples=60, deadline=None)
@given(
    stored=st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=12),
    args=st.lists(st.integers(-(10**6), 10**6), min_size=2, max_size=2),
    labels=st.lists(st.text(alphabet="#$ab@\x00", max_size=4), min_size=1, max_size=8),
    prefix=st.text(alphabet="#$ab@\x00", max_size=3),
)
def test_key_conditions_select_exactly_what_the_operator_says(
    stored: list[int], args: list[int], labels: list[str], prefix: str
) -> None:
    """Evaluated on the rendered sort keys, each request keeps exactly the values the operator keeps."""
    d = sensors.design
    a, b = sorted(args)
    semantics = {
        "eq": lambda v: v == a,
        "lt": lambda v: v < a,
        "lte": lambda v: v <= a,
        "gt": lambda v: v > a,
        "gte": lambda v: v >= a,
        "between": lambda v: a <= v <= b,
    }
    for op in OPS:
        name = f"n_{op}"
        call = {"sensor": "s#1", "lo": a, "hi": b} if op == "between" else {"sensor": "s#1", "value": a}
        request = build_query_request(d, name, call, "t")
        ix = d.index(d.plan(name).index)
        for v in stored:
            keys, _ = derived_keys(d, "Reading", {"sensor": "s#1", "n": v, "label": "x"})
            assert keys[ix.partition_key] == request["ExpressionAttributeValues"][":pk"]["S"]
            assert _holds(request, keys[ix.sort_key]) == semantics[op](v), (op, v, a, b)
    request = build_query_request(d, "label_prefix", {"sensor": "s", "value": prefix}, "t")
    ix = d.index(d.plan("label_prefix").index)
    for n, label in enumerate(labels):
        keys, _ = derived_keys(d, "Reading", {"sensor": "s", "n": n, "label": label})
        assert _holds(request, keys[ix.sort_key]) == label.startswith(prefix)


# ---- item layout ---------------------------------------------------------------------------


def test_item_layout_keys_sparse_shards_and_meta() -> None:
    d = shop.design
    values = {
        "order_id": "o#1",
        "customer_id": "c1",
        "status": "OPEN",
        "placed_at": T0,
        "total": Decimal("1.50"),
        "customer_name": "Ann",
    }
    item, remove = build_item(d, "Order", values, version=3)
    shard = zlib.crc32(b"ORDER#o$c1#ORDER#") % 3
    assert shard_of("ORDER#o$c1#", "ORDER#", 3) == shard
    assert item["PK"] == {"S": "ORDER#o$c1#"}
    assert item["SK"] == {"S": "ORDER#"}
    assert item["GSI1PK"] == {"S": "CUSTOMER#c1#"}
    assert item["GSI1SK"] == {"S": "A_ORDER#2026-01-01T00:00:00.000000Z#o$c1#"}
    assert item["GSI2PK"] == {"S": f"ORDER#OPEN#{component('int', shard)}"}
    assert item["_type"] == {"S": "Order"}
    assert item["_version"] == {"N": "3"}
    assert item["order_id"] == {"S": "o#1"}
    assert item["total"] == {"N": "1.5"}
    assert remove == ("_copyver_Customer",)  # a write resets the copy stamp (issue 11, item 4)
    shipped, remove = build_item(d, "Order", {**values, "status": "SHIPPED"}, version=1)
    assert "GSI2PK" not in shipped
    assert remove == ("_copyver_Customer", "GSI2PK", "GSI2SK")
    # An optional key attribute that is absent keeps the item out of that index.
    book = {
        "isbn": "i",
        "book_id": "b",
        "book_title": "t",
        "description": "",
        "publisher": "p",
        "release_date": T0.date(),
        "author_first_name": "f",
        "author_last_name": "l",
        "loan_end_date": "AVAILABLE",
    }
    item, remove = build_item(library.design, "Book", book, version=1)
    assert "GSI3PK" not in item
    assert set(remove) >= {"GSI3PK", "GSI3SK", "member_id", "loan_start_date"}
    item, _ = build_item(library.design, "Book", {**book, "member_id": "m#"}, version=1)
    assert item["GSI3PK"] == {"S": "BOOK#m$c#"}


def test_guard_items_and_conditions() -> None:
    (guard,) = shop.design.guards
    owner = {"PK": {"S": "CUSTOMER#c1#"}, "SK": {"S": "CUSTOMER#"}}
    item = guard_item(guard, {"email": "a#b"}, owner)
    assert item == {
        "PK": {"S": "_UNIQUE#CUSTOMER#a$cb#"},
        "SK": {"S": "_UNIQUE#email#"},
        "owner_pk": {"S": "CUSTOMER#c1#"},
        "owner_sk": {"S": "CUSTOMER#"},
        "_type": {"S": "_UNIQUE"},
        "entity": {"S": "Customer"},
    }
    assert guard_item(guard, {"email": None}, owner) is None
    cond = Condition.guard_free_or_owned("CUSTOMER#c1#", "CUSTOMER#")
    put = build_put("t", item, cond)
    assert put["ConditionExpression"] == "attribute_not_exists(#pk) OR (#opk = :opk AND #osk = :osk)"
    assert put["ExpressionAttributeValues"] == {":opk": {"S": "CUSTOMER#c1#"}, ":osk": {"S": "CUSTOMER#"}}


def test_upsert_sets_everything_and_removes_what_is_gone() -> None:
    item = {"PK": {"S": "p"}, "SK": {"S": "s"}, "a": {"S": "x"}, "_version": {"N": "1"}}
    got = build_upsert("t", item, ["b", "GSI1PK", "a"])
    assert got["Key"] == {"PK": {"S": "p"}, "SK": {"S": "s"}}
    assert (
        got["UpdateExpression"] == "SET #ver = if_not_exists(#ver, :zero) + :one, #a0 = :a0 REMOVE #r0, #r1"
    )
    assert got["ExpressionAttributeNames"] == {"#ver": "_version", "#a0": "a", "#r0": "b", "#r1": "GSI1PK"}
    inc = build_increment("t", {"PK": {"S": "p"}, "SK": {"S": "s"}}, "n", 2)
    assert inc["UpdateExpression"] == "ADD #a :n, #ver :one"
    assert inc["ConditionExpression"] == "attribute_exists(#pk)"


# ---- sizes and limits ----------------------------------------------------------------------


def test_item_size_counts_names_and_values_like_dynamodb() -> None:
    assert item_size({"a": {"S": "xyz"}}) == 4
    assert item_size({"é": {"S": "日本"}}) == 2 + 6
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 3 bytes for 5 digits + 1
    assert item_size({"n": {"N": "-0.0100"}}) == 1 + 2
    assert item_size({"b": {"B": b"\x00\x01"}, "t": {"BOOL": True}, "z": {"NULL": True}}) == 3 + 2 + 2
    assert item_size({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert item_size({"s": {"SS": ["a", "bc"]}}) == 1 + 3


def test_transaction_limits_are_checked_before_sending() -> None:
    def put(size: int, n: int = 0) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": "t",
                "Item": {"PK": {"S": f"p{n}"}, "SK": {"S": "s"}, "x": {"S": "x" * size}},
            }
        }

    check_transaction([put(10, i) for i in range(100)], "w")
    with pytest.raises(WriteTooLargeError, match="101 actions"):
        check_transaction([put(10, i) for i in range(101)], "w")
    with pytest.raises(WriteTooLargeError, match="400 KB"):
        check_transaction([put(MAX_ITEM_BYTES)], "w")
    with pytest.raises(WriteTooLargeError, match="4 MB"):
        check_transaction([put(300_000, i) for i in range(15)], "w")
    with pytest.raises(RequestError, match="nothing"):
        check_transaction([], "w")


def test_a_transaction_carries_the_token_it_is_given() -> None:
    a = [{"Put": {"TableName": "t", "Item": {"PK": {"S": "1"}}}}]
    assert build_transaction(a, "w", "tok-1")["ClientRequestToken"] == "tok-1"


def test_a_version_condition_requires_the_birth_when_it_is_known() -> None:
    assert Condition.version_is(2).expression == "#ver = :expected"
    born = Condition.version_is(2, 77)
    assert born.expression == "#ver = :expected AND #born = :born"
    assert born.values == {":expected": {"N": "2"}, ":born": {"N": "77"}}
    assert Condition.version_is(2, None).expression == "#ver = :expected AND attribute_not_exists(#born)"


def test_call_convention() -> None:
    conv = call_convention(shop.design, "orders_of_customer")
    assert (conv.required, conv.range_params, conv.paged) == (("customer_id",), ("lo", "hi"), True)
    conv = call_convention(library.design, "ap7_overdue_books_of_member")
    assert conv.range_params == ("value",)
    assert call_convention(shop.design, "get_customer").paged is False
    assert escape("#") == "$c"


def test_copy_path_plans_build_queries_from_the_source_identity() -> None:
    (path,) = shop.design.copy_paths
    assert (path.source, path.target) == ("Customer", "Order")
    got = build_plan_query(shop.design, path.plan, {"customer_id": "c#1"}, "t", limit=10)
    assert got["IndexName"] == "GSI1"
    assert got["ExpressionAttributeValues"] == {":pk": {"S": "CUSTOMER#c$c1#"}, ":sk": {"S": "A_ORDER#"}}
    assert got["Limit"] == 10


def test_an_upsert_keeps_the_stored_born_and_can_set_a_version_under_a_condition() -> None:
    values = {"customer_id": "c1", "email": "a@x", "name": "Ann", "order_count": 0}
    item, remove = build_item(shop.design, "Customer", values, version=3, born=123)
    assert item[BORN_ATTR] == {"N": "123"}
    request = build_upsert("t", item, remove, condition=Condition.version_is(2), version=3)
    names = request["ExpressionAttributeNames"]
    born_ref = next(ref for ref, name in names.items() if name == BORN_ATTR)
    assert f"{born_ref} = if_not_exists({born_ref}, :{born_ref[1:]})" in request["UpdateExpression"]
    assert request["UpdateExpression"].startswith("SET #ver = :ver, ")
    assert request["ExpressionAttributeValues"][":ver"] == {"N": "3"}
    assert request["ConditionExpression"] == "#ver = :expected"
    assert request["ExpressionAttributeValues"][":expected"] == {"N": "2"}
    unversioned = build_upsert("t", item, remove)
    assert unversioned["UpdateExpression"].startswith("SET #ver = if_not_exists(#ver, :zero) + :one, ")
    assert "ConditionExpression" not in unversioned
