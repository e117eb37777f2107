"""The requests writes send, checked on a recording client (no engine), and retries under throttling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from access_patterns.online_shop import Product, online_shop
from access_patterns.shop import Customer, Order, OrderLine, shop
from dynamodel.errors import ConditionFailedError, ThrottledError
from dynamodel.runtime.retry import Backoff
from dynamodel.runtime.sending import TransactionConditionError
from dynamodel.runtime.table import Table

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NO_SLEEP = Backoff(base=0.0, cap=0.0, attempts=4, sleep=lambda _: None)


def error(code: str, **extra: Any) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}, **extra}
    return ClientError(response, "Op")


class Recorder:
    """A client that records calls and answers from a script (op -> list of answers)."""

    def __init__(self, script: dict[str, list[Any]] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.script = script or {}

    def _answer(self, op: str, kwargs: dict[str, Any]) -> Any:
        self.calls.append((op, kwargs))
        answers = self.script.get(op)
        answer = answers.pop(0) if answers else {}
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(kwargs)
        return answer

    def __getattr__(self, op: str) -> Callable[..., Any]:
        return lambda **kwargs: self._answer(op, kwargs)

    def ops(self) -> list[str]:
        return [op for op, _ in self.calls]


def connect(app: Any, client: Recorder) -> Table:
    from dynamodel.runtime.connect import connect as _connect

    return _connect(app.design, app.models, "t", client, backoff=NO_SLEEP)  # type: ignore[arg-type]


def test_create_is_a_conditional_put() -> None:
    client = Recorder()
    table = connect(online_shop, client)
    table.create(Product(product_id="p1", detail={}, price=Decimal(1)))
    ((op, kw),) = client.calls
    assert op == "put_item"
    assert kw["ConditionExpression"] == "attribute_not_exists(#pk)"
    assert kw["Item"]["_version"] == {"N": "1"}


def test_guarded_create_is_one_transaction_with_the_guard() -> None:
    client = Recorder()
    table = connect(shop, client)
    table.create(Customer(customer_id="c1", email="a@x", name="A", order_count=0))
    ((op, kw),) = client.calls
    assert op == "transact_write_items"
    item, guard = kw["TransactItems"]
    assert item["Put"]["ConditionExpression"] == "attribute_not_exists(#pk)"
    assert guard["Put"]["Item"]["PK"] == {"S": "_UNIQUE#CUSTOMER#a@x#"}
    assert guard["Put"]["Item"]["owner_pk"] == {"S": "CUSTOMER#c1#"}
    assert len(kw["ClientRequestToken"]) == 32


def test_changing_a_unique_value_releases_the_old_guard_in_the_same_transaction() -> None:
    stored = {
        "PK": {"S": "CUSTOMER#c1#"},
        "SK": {"S": "CUSTOMER#"},
        "customer_id": {"S": "c1"},
        "email": {"S": "old@x"},
        "name": {"S": "A"},
        "order_count": {"N": "0"},
        "_type": {"S": "Customer"},
        "_version": {"N": "4"},
    }
    client = Recorder({"get_item": [{"Item": stored}]})
    table = connect(shop, client)
    table.update(Customer(customer_id="c1", email="new@x", name="A", order_count=0), expected_version=4)
    assert client.ops() == ["get_item", "transact_write_items"]
    actions = client.calls[1][1]["TransactItems"]
    assert [next(iter(a)) for a in actions] == ["Put", "Put", "Delete"]
    # The stored item has no _born (written before births were recorded): it must still have none.
    assert actions[0]["Put"]["ConditionExpression"] == "#ver = :expected AND attribute_not_exists(#born)"
    assert actions[0]["Put"]["ExpressionAttributeValues"] == {":expected": {"N": "4"}}
    assert actions[0]["Put"]["Item"]["_version"] == {"N": "5"}
    assert actions[1]["Put"]["Item"]["PK"] == {"S": "_UNIQUE#CUSTOMER#new@x#"}
    assert actions[2]["Delete"]["Key"]["PK"] == {"S": "_UNIQUE#CUSTOMER#old@x#"}
    assert "#opk = :opk" in actions[2]["Delete"]["ConditionExpression"]


def test_place_order_reads_the_copy_source_then_writes_one_transaction() -> None:
    customer = {
        "customer_id": {"S": "c1"},
        "name": {"S": "Ann"},
        "email": {"S": "a"},
        "order_count": {"N": "0"},
    }
    client = Recorder({"get_item": [{"Item": customer}]})
    table = connect(shop, client)
    order = Order.model_validate(
        {"order_id": "o1", "customer_id": "c1", "status": "OPEN", "placed_at": T0, "total": Decimal(1)}
    )
    out = table.place_order(order, lines=[OrderLine(order_id="o1", line_no=1, sku="s", qty=1)])
    assert client.ops() == ["get_item", "transact_write_items"]
    assert client.calls[0][1]["ConsistentRead"] is True
    actions = client.calls[1][1]["TransactItems"]
    assert [next(iter(a)) for a in actions] == ["Put", "Put", "Update"]
    assert actions[0]["Put"]["Item"]["customer_name"] == {"S": "Ann"}
    assert actions[2]["Update"]["Key"] == {"PK": {"S": "CUSTOMER#c1#"}, "SK": {"S": "CUSTOMER#"}}
    assert actions[2]["Update"]["ExpressionAttributeValues"][":n"] == {"N": "1"}
    assert isinstance(out[0], Order)
    assert out[0].customer_name == "Ann"
    # The same call made again is a new write: DynamoDB would drop it if it repeated the token.
    client.script["get_item"] = [{"Item": customer}]
    table.place_order(order, lines=[OrderLine(order_id="o1", line_no=1, sku="s", qty=1)])
    assert client.calls[3][1]["ClientRequestToken"] != client.calls[1][1]["ClientRequestToken"]


def test_cancelled_transaction_names_the_failed_condition() -> None:
    reasons = [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}]
    client = Recorder(
        {"transact_write_items": [error("TransactionCanceledException", CancellationReasons=reasons)]}
    )
    table = connect(shop, client)
    with pytest.raises(TransactionConditionError, match=r"email='a@x' is already taken") as err:
        table.create(Customer(customer_id="c1", email="a@x", name="A", order_count=0))
    assert err.value.reasons == ["None", "ConditionalCheckFailed"]
    assert err.value.aws_code == "TransactionCanceledException"


def test_throttled_writes_are_retried_and_applied_once() -> None:
    throttled = error("ProvisionedThroughputExceededException")
    client = Recorder({"put_item": [throttled, throttled, {}]})
    table = connect(online_shop, client)
    table.create(Product(product_id="p1", detail={}, price=Decimal(1)))
    assert client.ops() == ["put_item"] * 3
    client = Recorder({"put_item": [throttled] * 4})
    table = connect(online_shop, client)
    with pytest.raises(ThrottledError, match="all 4 attempts"):
        table.create(Product(product_id="p1", detail={}, price=Decimal(1)))
    client = Recorder({"put_item": [error("ConditionalCheckFailedException")]})
    table = connect(online_shop, client)
    with pytest.raises(ConditionFailedError, match="already exists"):
        table.create(Product(product_id="p1", detail={}, price=Decimal(1)))


def test_throttled_transactions_are_retried_like_throttled_items() -> None:
    """DynamoDB reports a throttled transaction as cancelled, with ThrottlingError reasons."""
    throttled = error(
        "TransactionCanceledException", CancellationReasons=[{"Code": "ThrottlingError"}, {"Code": "None"}]
    )
    client = Recorder({"transact_write_items": [throttled, throttled, {}]})
    table = connect(shop, client)
    table.create(Customer(customer_id="c1", email="a@x", name="A", order_count=0))
    assert client.ops() == ["transact_write_items"] * 3
    tokens = {kw["ClientRequestToken"] for _, kw in client.calls}
    assert len(tokens) == 1, "every retry of one call carries the call's token"
    client = Recorder({"transact_write_items": [throttled] * 4})
    table = connect(shop, client)
    with pytest.raises(ThrottledError, match="throttled"):
        table.create(Customer(customer_id="c1", email="a@x", name="A", order_count=0))
    conflict = error(
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "ConditionalCheckFailed"}, {"Code": "None"}],
    )
    client = Recorder({"transact_write_items": [conflict]})
    table = connect(shop, client)
    with pytest.raises(TransactionConditionError):
        table.create(Customer(customer_id="c1", email="a@x", name="A", order_count=0))
    assert client.ops() == ["transact_write_items"]


def test_our_retries_do_not_multiply_botocores() -> None:
    """Each throttled answer says how many HTTP requests botocore already sent for it."""
    throttled = error("ProvisionedThroughputExceededException", ResponseMetadata={"RetryAttempts": 2})
    client = Recorder({"put_item": [throttled] * 10})
    table = connect(online_shop, client)
    with pytest.raises(ThrottledError, match="all 6 attempts"):
        table.create(Product(product_id="p1", detail={}, price=Decimal(1)))
    assert client.ops() == ["put_item"] * 2, "4 attempts allowed: 2 calls of 3 HTTP requests each"


def test_batch_put_retries_unprocessed_items_until_each_is_written_once() -> None:
    written: list[str] = []

    def answer(first: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def respond(kwargs: dict[str, Any]) -> dict[str, Any]:
            requests = kwargs["RequestItems"]["t"]
            keep, left = (requests[::2], requests[1::2]) if first else (requests, [])
            written.extend(r["PutRequest"]["Item"]["product_id"]["S"] for r in keep)
            return {"UnprocessedItems": {"t": left} if left else {}}

        return respond

    script: list[Any] = [
        answer(True),
        error("ThrottlingException"),
        answer(False),
        answer(False),
        answer(False),
    ]
    client = Recorder({"batch_write_item": script})
    table = connect(online_shop, client)
    products = [Product(product_id=f"p{i}", detail={}, price=Decimal(i)) for i in range(30)]
    assert table.batch_put(products) == 30
    assert sorted(written) == sorted(f"p{i}" for i in range(30))
    assert len(written) == 30
