"""The shop written by hand against the low-level client: the requests, the decoding, the sync side.

:class:`RawRequests` builds the kwargs of every request the benchmark's operations send, in the
design's layout; :class:`RawShop` sends them with boto3 (``runtime_async.AsyncRawShop`` with
aiobotocore). Items are turned into plain dicts of Python values by hand (no key escaping, no
validation, no pydantic: what a careful hand-written app does at least).

Two flavours:

* **same requests** (``lean=False``, the baseline of the target): what dynamodel sends, written by
  hand: items carry ``_born`` (creation instant) and ``_wid`` (the call's write id, also the
  transaction's ClientRequestToken) beside ``_type``/``_version``, and every expression names its
  attributes through ``#`` placeholders. Only key encodings differ (zero-padded numbers instead of
  dynamodel's order-preserving text, same lengths within a byte or two).
* **lean** (``lean=True``): what a hand-written app that needs neither would send: no ``_born``/``_wid``,
  attribute names written inline. The difference between the two is the cost, in botocore, of
  dynamodel's request choices, not of its Python.
"""

from __future__ import annotations

import heapq
import secrets
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from access_patterns.shop import Customer, Order, OrderLine

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Kwargs = dict[str, Any]


def _dt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _customer(it: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_id": it["customer_id"]["S"],
        "email": it["email"]["S"],
        "name": it["name"]["S"],
        "order_count": int(it["order_count"]["N"]),
    }


def _order(it: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": it["order_id"]["S"],
        "customer_id": it["customer_id"]["S"],
        "status": it["status"]["S"],
        "placed_at": datetime.fromisoformat(it["placed_at"]["S"]),
        "total": Decimal(it["total"]["N"]),
        "customer_name": it["customer_name"]["S"],
    }


def _line(it: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": it["order_id"]["S"],
        "line_no": int(it["line_no"]["N"]),
        "sku": it["sku"]["S"],
        "qty": int(it["qty"]["N"]),
    }


_DECODERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Customer": _customer,
    "Order": _order,
    "OrderLine": _line,
}


def decode(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plain dicts of the items, by their ``_type``."""
    return [_DECODERS[it["_type"]["S"]](it) for it in items]


def decode_customer(got: dict[str, Any]) -> dict[str, Any] | None:
    """The customer of a GetItem answer, or None."""
    return _customer(got["Item"]) if "Item" in got else None


def merge_shards(streams: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The shards' items merged by sort key, decoded."""
    return decode(list(heapq.merge(*streams, key=lambda it: str(it["GSI2SK"]["S"]))))


class RawRequests:
    """The kwargs of every request, in the design's layout (see the module docstring for ``lean``)."""

    def __init__(self, table: str, shards: int, *, lean: bool = False) -> None:
        self.table = table
        self.shards = shards
        self.lean = lean

    def _stamp(self, item: Kwargs, wid: str, born: str) -> Kwargs:
        if not self.lean:
            item["_born"] = {"N": born}
            item["_wid"] = {"S": wid}
        return item

    def _new(self, item: Kwargs) -> Kwargs:
        """A Put creating ``item`` (conditional on its key being free)."""
        if self.lean:
            return {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        return {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": {"#pk": "PK"},
        }

    def _query(
        self, index: str | None, cond: str, names: dict[str, str], values: Kwargs, **more: Any
    ) -> Kwargs:
        if self.lean:
            for alias, name in names.items():
                cond = cond.replace(alias, name)
        kwargs: Kwargs = {"TableName": self.table}
        if index:
            kwargs["IndexName"] = index
        kwargs["KeyConditionExpression"] = cond
        if not self.lean:
            kwargs["ExpressionAttributeNames"] = names
        kwargs["ExpressionAttributeValues"] = values
        kwargs.update(more)
        return kwargs

    def create_customer(self, c: Customer) -> Kwargs:
        """Customer + unique-email guard in one transaction."""
        wid, born = secrets.token_hex(16), str(time.time_ns())
        pk, sk = f"CUSTOMER#{c.customer_id}#", "CUSTOMER#"
        item = {
            "customer_id": {"S": c.customer_id},
            "email": {"S": c.email},
            "name": {"S": c.name},
            "order_count": {"N": str(c.order_count)},
            "PK": {"S": pk},
            "SK": {"S": sk},
            "GSI1PK": {"S": pk},
            "GSI1SK": {"S": "B_CUSTOMER#"},
            "GSI2PK": {"S": f"CUSTOMER#{c.email}#"},
            "GSI2SK": {"S": f"CUSTOMER#{c.customer_id}#"},
            "_type": {"S": "Customer"},
            "_version": {"N": "1"},
        }
        guard = {
            "PK": {"S": f"_UNIQUE#CUSTOMER#{c.email}#"},
            "SK": {"S": "_UNIQUE#email#"},
            "owner_pk": {"S": pk},
            "owner_sk": {"S": sk},
            "_type": {"S": "_UNIQUE"},
            "entity": {"S": "Customer"},
        }
        owner = {":opk": {"S": pk}, ":osk": {"S": sk}}
        if self.lean:
            guard_put = {
                "TableName": self.table,
                "Item": guard,
                "ConditionExpression": "attribute_not_exists(PK) OR (owner_pk = :opk AND owner_sk = :osk)",
                "ExpressionAttributeValues": owner,
            }
        else:
            guard_put = {
                "TableName": self.table,
                "Item": guard,
                "ConditionExpression": "attribute_not_exists(#pk) OR (#opk = :opk AND #osk = :osk)",
                "ExpressionAttributeNames": {"#pk": "PK", "#opk": "owner_pk", "#osk": "owner_sk"},
                "ExpressionAttributeValues": owner,
            }
        return {
            "TransactItems": [{"Put": self._new(self._stamp(item, wid, born))}, {"Put": guard_put}],
            "ClientRequestToken": wid,
        }

    def customer_key(self, customer_id: str) -> Kwargs:
        """GetItem of a customer, strongly consistent (the design's base-table get)."""
        key = {"PK": {"S": f"CUSTOMER#{customer_id}#"}, "SK": {"S": "CUSTOMER#"}}
        return {"TableName": self.table, "Key": key, "ConsistentRead": True}

    def place_order(self, o: Order, lines: tuple[OrderLine, ...], name: str) -> Kwargs:
        """Order (with the customer's ``name`` copied) + lines + counter in one transaction."""
        wid, born = secrets.token_hex(16), str(time.time_ns())
        pk, placed = f"ORDER#{o.order_id}#", _dt(o.placed_at)
        item: Kwargs = {
            "order_id": {"S": o.order_id},
            "customer_id": {"S": o.customer_id},
            "status": {"S": o.status},
            "placed_at": {"S": placed},
            "total": {"N": str(o.total)},
            "customer_name": {"S": name},
            "PK": {"S": pk},
            "SK": {"S": "ORDER#"},
            "GSI1PK": {"S": f"CUSTOMER#{o.customer_id}#"},
            "GSI1SK": {"S": f"A_ORDER#{placed}#{o.order_id}#"},
            "_type": {"S": "Order"},
            "_version": {"N": "1"},
        }
        if o.status == "OPEN":
            shard = zlib.crc32((pk + "ORDER#").encode()) % self.shards
            item["GSI2PK"] = {"S": f"ORDER#OPEN#{shard}#"}
            item["GSI2SK"] = {"S": f"ORDER#{placed}#{o.order_id}#"}
        actions: list[Kwargs] = [{"Put": self._new(self._stamp(item, wid, born))}]
        for ln in lines:
            line_item = {
                "order_id": {"S": ln.order_id},
                "line_no": {"N": str(ln.line_no)},
                "sku": {"S": ln.sku},
                "qty": {"N": str(ln.qty)},
                "PK": {"S": pk},
                "SK": {"S": f"ORDER_LINE#{ln.line_no:05d}#"},
                "_type": {"S": "OrderLine"},
                "_version": {"N": "1"},
            }
            actions.append({"Put": self._new(self._stamp(line_item, wid, born))})
        update: Kwargs = {
            "TableName": self.table,
            "Key": self.customer_key(o.customer_id)["Key"],
            "UpdateExpression": "ADD #a :n, #ver :one",
            "ConditionExpression": "attribute_exists(#pk)",
            "ExpressionAttributeNames": {"#a": "order_count", "#ver": "_version", "#pk": "PK"},
            "ExpressionAttributeValues": {":n": {"N": "1"}, ":one": {"N": "1"}},
        }
        if self.lean:
            update["UpdateExpression"] = "ADD order_count :n, #ver :one"
            update["ConditionExpression"] = "attribute_exists(PK)"
            update["ExpressionAttributeNames"] = {"#ver": "_version"}
        actions.append({"Update": update})
        return {"TransactItems": actions, "ClientRequestToken": wid}

    def customer_by_email(self, email: str) -> Kwargs:
        """Query GSI2 by email."""
        return self._query(
            "GSI2",
            "#pk = :pk AND begins_with(#sk, :sk)",
            {"#pk": "GSI2PK", "#sk": "GSI2SK"},
            {":pk": {"S": f"CUSTOMER#{email}#"}, ":sk": {"S": "CUSTOMER#"}},
            ScanIndexForward=True,
            Limit=2,
        )

    def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> Kwargs:
        """Query GSI1 between two dates, newest first."""
        return self._query(
            "GSI1",
            "#pk = :pk AND #sk BETWEEN :lo AND :hi",
            {"#pk": "GSI1PK", "#sk": "GSI1SK"},
            {
                ":pk": {"S": f"CUSTOMER#{customer_id}#"},
                ":lo": {"S": f"A_ORDER#{_dt(lo)}#"},
                ":hi": {"S": f"A_ORDER#{_dt(hi)}$"},
            },
            ScanIndexForward=False,
        )

    def order_with_lines(self, order_id: str) -> Kwargs:
        """The order's item collection."""
        return self._query(
            None,
            "#pk = :pk",
            {"#pk": "PK"},
            {":pk": {"S": f"ORDER#{order_id}#"}},
            ScanIndexForward=True,
        )

    def customer_with_recent_orders(self, customer_id: str) -> Kwargs:
        """The customer's GSI1 collection, newest orders first."""
        return self._query(
            "GSI1",
            "#pk = :pk",
            {"#pk": "GSI1PK"},
            {":pk": {"S": f"CUSTOMER#{customer_id}#"}},
            ScanIndexForward=False,
        )

    def open_orders(self, lo: datetime, hi: datetime) -> list[Kwargs]:
        """One Query per shard."""
        return [
            self._query(
                "GSI2",
                "#pk = :pk AND #sk BETWEEN :lo AND :hi",
                {"#pk": "GSI2PK", "#sk": "GSI2SK"},
                {
                    ":pk": {"S": f"ORDER#OPEN#{i}#"},
                    ":lo": {"S": f"ORDER#{_dt(lo)}#"},
                    ":hi": {"S": f"ORDER#{_dt(hi)}$"},
                },
                ScanIndexForward=True,
            )
            for i in range(self.shards)
        ]

    def orders_page(self, customer_id: str, limit: int, start: Kwargs | None) -> Kwargs:
        """One page of the customer's orders."""
        kwargs = self._query(
            "GSI1",
            "#pk = :pk AND begins_with(#sk, :sk)",
            {"#pk": "GSI1PK", "#sk": "GSI1SK"},
            {":pk": {"S": f"CUSTOMER#{customer_id}#"}, ":sk": {"S": "A_ORDER#"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        return kwargs


class RawShop:
    """The hand-written shop on a boto3 client (shard queries on threads, as dynamodel's)."""

    def __init__(self, client: DynamoDBClient, requests: RawRequests) -> None:
        self.client: Any = client
        self.rq = requests
        self.pool = ThreadPoolExecutor(max_workers=8)

    def create_customer(self, c: Customer) -> int:
        self.client.transact_write_items(**self.rq.create_customer(c))
        return 1

    def place_order(self, o: Order, lines: tuple[OrderLine, ...]) -> int:
        got = self.client.get_item(**self.rq.customer_key(o.customer_id))
        self.client.transact_write_items(**self.rq.place_order(o, lines, got["Item"]["name"]["S"]))
        return 1 + len(lines)

    def get_customer(self, customer_id: str) -> int:
        return 1 if decode_customer(self.client.get_item(**self.rq.customer_key(customer_id))) else 0

    def customer_by_email(self, email: str) -> int:
        items = self.client.query(**self.rq.customer_by_email(email))["Items"]
        return 1 if items and _customer(items[0]) else 0

    def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> int:
        return len(decode(self.client.query(**self.rq.orders_of_customer(customer_id, lo, hi))["Items"]))

    def order_with_lines(self, order_id: str) -> int:
        return len(decode(self.client.query(**self.rq.order_with_lines(order_id))["Items"]))

    def customer_with_recent_orders(self, customer_id: str) -> int:
        return len(decode(self.client.query(**self.rq.customer_with_recent_orders(customer_id))["Items"]))

    def open_orders_by_date(self, lo: datetime, hi: datetime) -> int:
        streams = list(
            self.pool.map(lambda kw: self.client.query(**kw)["Items"], self.rq.open_orders(lo, hi))
        )
        return len(merge_shards(streams))

    def orders_pages(self, customer_id: str, limit: int) -> Iterator[int]:
        """Pages of the customer's orders, following LastEvaluatedKey to the end."""
        start: Kwargs | None = None
        while True:
            got = self.client.query(**self.rq.orders_page(customer_id, limit, start))
            yield len(decode(got["Items"]))
            start = got.get("LastEvaluatedKey")
            if not start:
                return
