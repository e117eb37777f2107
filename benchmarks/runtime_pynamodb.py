"""The PynamoDB side of the runtime benchmark: the shop's operations through PynamoDB models.

The models (:func:`models`) are those ``dynamodel emit --format pynamodb`` writes for the shop (one
``ShopItem`` with a ``_type`` discriminator, an entity subclass per entity, the GSIs), plus a model
of the unique-email guard and ``_version``/``_born``/``_wid`` as plain attributes, so PynamoDB
stores the same items as the raw boto3 side. Every operation is compared; what PynamoDB does not
do by itself is written around it the way a PynamoDB user would:

* keys are rendered by hand (``CUSTOMER#{id}#``), as on the raw side: PynamoDB has no key templates;
* ``create customer`` and ``place_order`` are ``TransactWrite`` transactions with the same
  conditions; the copied customer name is read first with ``Customer.get(consistent_read=True)``;
* the shard queries of ``open_orders_by_date`` run on threads and are merged by hand;
* the paged read is ``query(limit=2, last_evaluated_key=...)`` followed to the end;
* datetimes stay strings (the emitted models' ``UnicodeAttribute``: PynamoDB's
  ``UTCDateTimeAttribute`` writes another format).

PynamoDB's botocore client is its own, created with ``parameter_validation=False`` (PynamoDB's
default), which the boto3 sides keep on: part of PynamoDB's lower CPU is that.
"""

from __future__ import annotations

import heapq
import secrets
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from pynamodb import attributes as attrs
from pynamodb import indexes
from pynamodb.connection import Connection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite
from runtime_raw import _dt

from access_patterns.shop import Customer, Order, OrderLine
from dynamodel.engine import DUMMY_KEY, REGION


def models(table: str, host: str) -> dict[str, Any]:
    """The PynamoDB model classes of the shop on ``table`` at ``host`` (ShopItem, Customer, ...)."""

    class TableMeta:
        table_name = table
        region = REGION
        aws_access_key_id = DUMMY_KEY
        aws_secret_access_key = DUMMY_KEY
        aws_session_token = DUMMY_KEY

    TableMeta.host = host  # type: ignore[attr-defined]

    class GSI1(indexes.GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
        class Meta:
            index_name = "GSI1"
            projection = indexes.AllProjection()

        GSI1PK = attrs.UnicodeAttribute(hash_key=True)
        GSI1SK = attrs.UnicodeAttribute(range_key=True)

    class GSI2(indexes.GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
        class Meta:
            index_name = "GSI2"
            projection = indexes.AllProjection()

        GSI2PK = attrs.UnicodeAttribute(hash_key=True)
        GSI2SK = attrs.UnicodeAttribute(range_key=True)

    class ShopItem(Model):
        Meta = TableMeta  # type: ignore[assignment]
        PK = attrs.UnicodeAttribute(hash_key=True)
        SK = attrs.UnicodeAttribute(range_key=True)
        GSI1PK = attrs.UnicodeAttribute(null=True)
        GSI1SK = attrs.UnicodeAttribute(null=True)
        GSI2PK = attrs.UnicodeAttribute(null=True)
        GSI2SK = attrs.UnicodeAttribute(null=True)
        _type = attrs.DiscriminatorAttribute(attr_name="_type")
        version = attrs.NumberAttribute(attr_name="_version", null=True)
        born = attrs.NumberAttribute(attr_name="_born", null=True)
        wid = attrs.UnicodeAttribute(attr_name="_wid", null=True)
        gsi1 = GSI1()
        gsi2 = GSI2()

    class PCustomer(ShopItem, discriminator="Customer"):
        customer_id = attrs.UnicodeAttribute()
        email = attrs.UnicodeAttribute()
        name = attrs.UnicodeAttribute()
        order_count = attrs.NumberAttribute()

    class POrder(ShopItem, discriminator="Order"):
        order_id = attrs.UnicodeAttribute()
        customer_id = attrs.UnicodeAttribute()
        status = attrs.UnicodeAttribute()
        placed_at = attrs.UnicodeAttribute()
        total = attrs.NumberAttribute()
        customer_name = attrs.UnicodeAttribute()

    class POrderLine(ShopItem, discriminator="OrderLine"):
        order_id = attrs.UnicodeAttribute()
        line_no = attrs.NumberAttribute()
        sku = attrs.UnicodeAttribute()
        qty = attrs.NumberAttribute()

    class Guard(ShopItem, discriminator="_UNIQUE"):
        owner_pk = attrs.UnicodeAttribute()
        owner_sk = attrs.UnicodeAttribute()
        entity = attrs.UnicodeAttribute()

    return {
        "ShopItem": ShopItem,
        "Customer": PCustomer,
        "Order": POrder,
        "OrderLine": POrderLine,
        "Guard": Guard,
    }


class PynamoShop:
    """The shop through PynamoDB models (see the module docstring for what is written around it)."""

    def __init__(self, table: str, host: str, shards: int) -> None:
        self.m = models(table, host)
        self.shards = shards
        self.conn = Connection(
            region=REGION,
            host=host,
            aws_access_key_id=DUMMY_KEY,
            aws_secret_access_key=DUMMY_KEY,
            aws_session_token=DUMMY_KEY,
        )
        self.pool = ThreadPoolExecutor(max_workers=8)

    def clients(self) -> list[Any]:
        """Every botocore client PynamoDB sends through (one per model class, one for transactions)."""
        found = {id(c): c for c in (m._get_connection().connection.client for m in self.m.values())}
        found[id(self.conn.client)] = self.conn.client
        return list(found.values())

    def create_customer(self, c: Customer) -> int:
        shop_item, guard_cls = self.m["ShopItem"], self.m["Guard"]
        wid, born = secrets.token_hex(16), time.time_ns()
        pk, sk = f"CUSTOMER#{c.customer_id}#", "CUSTOMER#"
        item = self.m["Customer"](
            PK=pk,
            SK=sk,
            GSI1PK=pk,
            GSI1SK="B_CUSTOMER#",
            GSI2PK=f"CUSTOMER#{c.email}#",
            GSI2SK=f"CUSTOMER#{c.customer_id}#",
            customer_id=c.customer_id,
            email=c.email,
            name=c.name,
            order_count=c.order_count,
            version=1,
            born=born,
            wid=wid,
        )
        guard = guard_cls(
            PK=f"_UNIQUE#CUSTOMER#{c.email}#",
            SK="_UNIQUE#email#",
            owner_pk=pk,
            owner_sk=sk,
            entity="Customer",
        )
        with TransactWrite(connection=self.conn, client_request_token=wid) as t:
            t.save(item, condition=shop_item.PK.does_not_exist())
            t.save(
                guard,
                condition=shop_item.PK.does_not_exist()
                | ((guard_cls.owner_pk == pk) & (guard_cls.owner_sk == sk)),
            )
        return 1

    def place_order(self, o: Order, lines: tuple[OrderLine, ...]) -> int:
        cust = self.m["Customer"]
        name = cust.get(f"CUSTOMER#{o.customer_id}#", "CUSTOMER#", consistent_read=True).name
        wid, born = secrets.token_hex(16), time.time_ns()
        pk, placed = f"ORDER#{o.order_id}#", _dt(o.placed_at)
        order = self.m["Order"](
            PK=pk,
            SK="ORDER#",
            GSI1PK=f"CUSTOMER#{o.customer_id}#",
            GSI1SK=f"A_ORDER#{placed}#{o.order_id}#",
            order_id=o.order_id,
            customer_id=o.customer_id,
            status=o.status,
            placed_at=placed,
            total=float(o.total),  # NumberAttribute serialises with json.dumps: no Decimal
            customer_name=name,
            version=1,
            born=born,
            wid=wid,
        )
        if o.status == "OPEN":
            order.GSI2PK = f"ORDER#OPEN#{zlib.crc32((pk + 'ORDER#').encode()) % self.shards}#"
            order.GSI2SK = f"ORDER#{placed}#{o.order_id}#"
        absent = self.m["ShopItem"].PK.does_not_exist()
        with TransactWrite(connection=self.conn, client_request_token=wid) as t:
            t.save(order, condition=absent)
            for ln in lines:
                line = self.m["OrderLine"](
                    PK=pk,
                    SK=f"ORDER_LINE#{ln.line_no:05d}#",
                    order_id=ln.order_id,
                    line_no=ln.line_no,
                    sku=ln.sku,
                    qty=ln.qty,
                    version=1,
                    born=born,
                    wid=wid,
                )
                t.save(line, condition=absent)
            key = cust(PK=f"CUSTOMER#{o.customer_id}#", SK="CUSTOMER#")
            t.update(
                key,
                actions=[cust.order_count.add(1), cust.version.add(1)],
                condition=self.m["ShopItem"].PK.exists(),
            )
        return 1 + len(lines)

    def get_customer(self, customer_id: str) -> int:
        cust = self.m["Customer"]
        try:
            cust.get(f"CUSTOMER#{customer_id}#", "CUSTOMER#", consistent_read=True)
        except cust.DoesNotExist:
            return 0
        return 1

    def customer_by_email(self, email: str) -> int:
        shop_item = self.m["ShopItem"]
        found = list(
            shop_item.gsi2.query(f"CUSTOMER#{email}#", shop_item.GSI2SK.startswith("CUSTOMER#"), limit=2)
        )
        return 1 if found else 0

    def orders_of_customer(self, customer_id: str, lo: datetime, hi: datetime) -> int:
        shop_item = self.m["ShopItem"]
        cond = shop_item.GSI1SK.between(f"A_ORDER#{_dt(lo)}#", f"A_ORDER#{_dt(hi)}$")
        return len(list(shop_item.gsi1.query(f"CUSTOMER#{customer_id}#", cond, scan_index_forward=False)))

    def order_with_lines(self, order_id: str) -> int:
        return len(list(self.m["ShopItem"].query(f"ORDER#{order_id}#")))

    def customer_with_recent_orders(self, customer_id: str) -> int:
        shop_item = self.m["ShopItem"]
        return len(list(shop_item.gsi1.query(f"CUSTOMER#{customer_id}#", scan_index_forward=False)))

    def open_orders_by_date(self, lo: datetime, hi: datetime) -> int:
        shop_item = self.m["ShopItem"]
        cond = shop_item.GSI2SK.between(f"ORDER#{_dt(lo)}#", f"ORDER#{_dt(hi)}$")

        def shard(i: int) -> list[Any]:
            return list(shop_item.gsi2.query(f"ORDER#OPEN#{i}#", cond))

        streams = list(self.pool.map(shard, range(self.shards)))
        return len(list(heapq.merge(*streams, key=lambda it: str(it.GSI2SK))))

    def orders_pages(self, customer_id: str, limit: int) -> Iterator[int]:
        shop_item = self.m["ShopItem"]
        start = None
        while True:
            found = shop_item.gsi1.query(
                f"CUSTOMER#{customer_id}#",
                shop_item.GSI1SK.startswith("A_ORDER#"),
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=start,
            )
            yield len(list(found))
            start = found.last_evaluated_key
            if not start:
                return
