"""Codec benchmark: encode + decode N Order-like items, dynamodel vs boto3 vs PynamoDB.

Every side turns the same orders into the same DynamoDB wire form and back:

* dynamodel codec: ``entity_to_item`` / ``item_to_values`` (values dict ⇄ item);
* dynamodel + pydantic: the same plus ``model_dump()`` / ``model_validate()``
  (entity instance ⇄ item), what the runtime does per item;
* boto3: ``TypeSerializer`` / ``TypeDeserializer`` per attribute on the values dict.
  boto3 cannot serialise datetimes or enums, so its encode converts the datetime to the
  same ISO string and the enum to its value, and its decode parses them back and turns
  int attributes back into ints: both sides do the same work;
* PynamoDB: ``Model.serialize()`` / ``Model.from_raw_data()`` of an equivalent model
  (entity instance ⇄ item), with a Decimal attribute and an enum attribute written the
  usual way (PynamoDB's NumberAttribute goes through float and cannot hold Decimals);
* hand-written floor: one expression per direction written for this very ``Order`` shape,
  with no check at all (no type dispatch, no number normalisation or range check, no
  surrogate check, no unknown-attribute check). No general codec can be faster than code
  that knows the shape and checks nothing; its ratio to boto3 bounds what any codec reaches.

Run: .venv/bin/python benchmarks/codec_bench.py [--items 100000]
"""

from __future__ import annotations

import argparse
import enum
import gc
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pynamodb.attributes import (
    Attribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.constants import NUMBER, STRING
from pynamodb.models import Model

from dynamodel.codec import entity_to_item, item_to_values
from dynamodel.model import Entity

# ---- the entity, three ways ----------------------------------------------------------------


class Status(enum.Enum):
    OPEN = "OPEN"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"


class Order(Entity, identity=("order_id",)):
    order_id: str
    customer_id: str
    status: Status
    placed_at: datetime
    total: Decimal
    item_count: int
    shipping: dict[str, str]
    lines: list[dict[str, Any]]


SPEC = Order.__entity_spec__
DATETIME_FIELDS = ("placed_at",)
INT_FIELDS = ("item_count",)


class DecimalAttribute(Attribute[Decimal]):
    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class StatusAttribute(Attribute[Status]):
    attr_type = STRING

    def serialize(self, value: Status) -> str:
        return str(value.value)

    def deserialize(self, value: str) -> Status:
        return Status(value)


class ShippingMap(MapAttribute[str, Any]):
    street = UnicodeAttribute()
    city = UnicodeAttribute()
    zip = UnicodeAttribute()
    country = UnicodeAttribute()


class LineMap(MapAttribute[str, Any]):
    sku = UnicodeAttribute()
    qty = NumberAttribute()
    price = DecimalAttribute()


class PynOrder(Model):
    class Meta:
        table_name = "bench"
        region = "us-east-1"
        host = "http://127.0.0.1:9"  # never contacted: only (de)serialisation runs

    order_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute()
    status = StatusAttribute()
    placed_at = UTCDateTimeAttribute()
    total = DecimalAttribute()
    item_count = NumberAttribute()
    shipping = ShippingMap()  # type: ignore[no-untyped-call]
    lines = ListAttribute(of=LineMap)


# ---- data ----------------------------------------------------------------------------------


def make_orders(n: int, seed: int = 42) -> list[Order]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    cities = ["Lisbon", "Zürich", "Osaka", "Austin", "Nairobi", "Reykjavík"]
    orders: list[Order] = []
    for i in range(n):
        lines: list[dict[str, Any]] = [
            {
                "sku": f"SKU-{rng.randrange(10_000):05d}",
                "qty": rng.randrange(1, 5),
                "price": Decimal(rng.randrange(99, 99_999)) / 100,
            }
            for _ in range(rng.randrange(1, 5))
        ]
        orders.append(
            Order(
                order_id=f"ord-{i:08d}",
                customer_id=f"cust-{rng.randrange(n // 10 + 1):07d}",
                status=rng.choice(list(Status)),
                placed_at=start
                + timedelta(seconds=rng.randrange(365 * 86_400), microseconds=rng.randrange(10**6)),
                total=sum((line["price"] * line["qty"] for line in lines), Decimal(0)),
                item_count=sum(line["qty"] for line in lines),
                shipping={
                    "street": f"{rng.randrange(1, 999)} Main St",
                    "city": rng.choice(cities),
                    "zip": f"{rng.randrange(100_000):05d}",
                    "country": "PT",
                },
                lines=lines,
            )
        )
    return orders


def to_pynamodb(order: Order) -> PynOrder:
    return PynOrder(
        order_id=order.order_id,
        customer_id=order.customer_id,
        status=order.status,
        placed_at=order.placed_at,
        total=order.total,
        item_count=order.item_count,
        shipping=ShippingMap(**order.shipping),  # type: ignore[no-untyped-call]
        lines=[LineMap(**line) for line in order.lines],  # type: ignore[no-untyped-call]
    )


# ---- the sides -----------------------------------------------------------------------------


def boto3_sides() -> tuple[
    Callable[[dict[str, Any]], dict[str, Any]], Callable[[dict[str, Any]], dict[str, Any]]
]:
    serializer = TypeSerializer()
    deserializer = TypeDeserializer()
    ser = serializer.serialize
    de = deserializer.deserialize

    def encode(values: dict[str, Any]) -> dict[str, Any]:
        prepared = dict(values)
        for name in DATETIME_FIELDS:
            prepared[name] = prepared[name].astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"
        prepared["status"] = prepared["status"].value
        return {k: ser(v) for k, v in prepared.items() if v is not None}

    def decode(item: dict[str, Any]) -> dict[str, Any]:
        out = {k: de(v) for k, v in item.items()}
        for name in DATETIME_FIELDS:
            out[name] = datetime.fromisoformat(out[name])
        for name in INT_FIELDS:
            out[name] = int(out[name])
        return out

    return encode, decode


def floor_sides() -> tuple[
    Callable[[dict[str, Any]], dict[str, Any]], Callable[[dict[str, Any]], dict[str, Any]]
]:
    """The hand-written floor: this shape's wire form built directly, nothing checked."""
    fromiso = datetime.fromisoformat

    def encode(v: dict[str, Any]) -> dict[str, Any]:
        return {
            "order_id": {"S": v["order_id"]},
            "customer_id": {"S": v["customer_id"]},
            "status": {"S": v["status"]._value_},
            "placed_at": {"S": v["placed_at"].isoformat(timespec="microseconds")[:26] + "Z"},
            "total": {"N": str(v["total"])},
            "item_count": {"N": str(v["item_count"])},
            "shipping": {"M": {k: {"S": x} for k, x in v["shipping"].items()}},
            "lines": {
                "L": [
                    {
                        "M": {
                            "sku": {"S": x["sku"]},
                            "qty": {"N": str(x["qty"])},
                            "price": {"N": str(x["price"])},
                        }
                    }
                    for x in v["lines"]
                ]
            },
        }

    def decode(i: dict[str, Any]) -> dict[str, Any]:
        return {
            "order_id": i["order_id"]["S"],
            "customer_id": i["customer_id"]["S"],
            "status": i["status"]["S"],
            "placed_at": fromiso(i["placed_at"]["S"]),
            "total": Decimal(i["total"]["N"]),
            "item_count": int(i["item_count"]["N"]),
            "shipping": {k: x["S"] for k, x in i["shipping"]["M"].items()},
            "lines": [
                {"sku": m["sku"]["S"], "qty": int(m["qty"]["N"]), "price": Decimal(m["price"]["N"])}
                for m in (x["M"] for x in i["lines"]["L"])
            ],
        }

    return encode, decode


@dataclass(frozen=True)
class Side:
    """One contender: encode every input, decode every item, check the round trip."""

    name: str
    encode: Callable[[], list[Any]]
    decode: Callable[[list[Any]], list[Any]]
    check: Callable[[Any], None]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds ``fn()`` took, and its result; with the cyclic GC off, as ``timeit`` does.

    CPU time (``time.process_time``), not wall time: on a shared machine the wall
    clock also counts the time other processes hold the CPU.

    With it on, collections triggered by the millions of new dicts walk every live
    object (all the prepared orders) and their cost swamps what is measured.
    """
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        result = fn()
        return time.process_time() - started, result
    finally:
        gc.enable()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="number of orders (default 100000)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds; each phase reports its best (default 3)"
    )
    args = parser.parse_args(argv)
    n = args.items

    orders = make_orders(n)
    values = [o.model_dump() for o in orders]
    pyn = [to_pynamodb(o) for o in orders]
    b_encode, b_decode = boto3_sides()
    f_encode, f_decode = floor_sides()

    # Same wire form (numbers aside, which dynamodel normalises: "1.50" -> "1.5").
    sample = entity_to_item(SPEC, values[0])
    assert sample.keys() == b_encode(values[0]).keys()
    assert Order.model_validate(item_to_values(SPEC, sample)) == orders[0]

    def check_dynamodel(back: list[dict[str, Any]]) -> None:
        assert [{**b, "status": Status(b["status"])} for b in back] == values

    def check_pydantic(back: list[Order]) -> None:
        assert back == orders

    def check_boto3(back: list[dict[str, Any]]) -> None:
        assert [{**b, "status": Status(b["status"])} for b in back] == values

    def check_pynamodb(back: list[PynOrder]) -> None:
        assert [(b.order_id, b.total, b.placed_at) for b in back] == [
            (o.order_id, o.total, o.placed_at) for o in orders
        ]

    sides: list[Side] = [
        Side(
            "dynamodel codec",
            lambda: [entity_to_item(SPEC, v) for v in values],
            lambda items: [item_to_values(SPEC, i) for i in items],
            check_dynamodel,
        ),
        Side(
            "dynamodel + pydantic",
            lambda: [entity_to_item(SPEC, o.model_dump()) for o in orders],
            lambda items: [Order.model_validate(item_to_values(SPEC, i)) for i in items],
            check_pydantic,
        ),
        Side(
            "boto3 TypeSerializer",
            lambda: [b_encode(v) for v in values],
            lambda items: [b_decode(i) for i in items],
            check_boto3,
        ),
        Side(
            "hand-written floor",
            lambda: [f_encode(v) for v in values],
            lambda items: [f_decode(i) for i in items],
            check_boto3,
        ),
        Side(
            "PynamoDB Model",
            lambda: [p.serialize() for p in pyn],
            lambda items: [PynOrder.from_raw_data(i) for i in items],
            check_pynamodb,
        ),
    ]
    # Best of --repeat rounds, sides interleaved, so that a busy machine or the first
    # touch of fresh memory does not decide the comparison.
    results: dict[str, tuple[float, float]] = {}
    for round_no in range(args.repeat):
        for side in sides:
            enc, items = timed(side.encode)
            dec, back = timed(partial(side.decode, items))
            if round_no == 0:
                side.check(back)
            del items, back
            best = results.get(side.name, (enc, dec))
            results[side.name] = (min(best[0], enc), min(best[1], dec))

    base_enc, base_dec = results["dynamodel codec"]
    print(
        f"Codec benchmark: {n:,} Order items, encode + decode, best of {args.repeat} "
        f"(Python {sys.version.split()[0]}, CPU time, cyclic GC off while timing)"
    )
    print()
    print(f"{'':22} {'encode s':>9} {'decode s':>9} {'total s':>9} {'µs/item':>8} {'vs dynamodel':>13}")
    for name, (enc, dec) in results.items():
        total = enc + dec
        print(
            f"{name:22} {enc:9.3f} {dec:9.3f} {total:9.3f} {total / n * 1e6:8.2f} {total / (base_enc + base_dec):12.2f}x"
        )
    b_enc, b_dec = results["boto3 TypeSerializer"]
    y_enc, y_dec = results["PynamoDB Model"]
    p_enc, p_dec = results["dynamodel + pydantic"]
    print()
    # The figures issue 16 asks for: the codec's time over boto3's TypeSerializer and
    # TypeDeserializer, measured side by side in this run (target: total <= 0.30x).
    print("dynamodel codec / boto3 TypeSerializer + TypeDeserializer (time ratio, lower is faster):")
    print(f"dynamodel/boto3 encode: {base_enc / b_enc:.2f}x")
    print(f"dynamodel/boto3 decode: {base_dec / b_dec:.2f}x")
    print(f"dynamodel/boto3 total: {(base_enc + base_dec) / (b_enc + b_dec):.2f}x")
    print(f"dynamodel+pydantic/PynamoDB total: {(p_enc + p_dec) / (y_enc + y_dec):.2f}x")
    f_enc, f_dec = results["hand-written floor"]
    print(f"hand-written floor (no checks)/boto3 total: {(f_enc + f_dec) / (b_enc + b_dec):.2f}x")


if __name__ == "__main__":
    main()
