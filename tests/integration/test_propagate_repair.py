"""Repair: corrupted copies are fixed, a second run fixes nothing, a newer propagation wins.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from access_patterns.shop import Customer, shop
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import RequestError, UnknownFieldError
from dynamodel.propagate import StreamCheckpoint, drain, handle_records, repair_copies
from dynamodel.propagate.cli import add_commands, parse_identity
from dynamodel.propagate.driver import poll_records
from dynamodel.propagate.plan import STAMP_SHIFT, source_stamp
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

from shop_world import names, raw, seed

pytestmark = pytest.mark.integration


def corrupt(table: Table, order_id: str, name: str, *, drop_stamp: bool = False) -> None:
    """Overwrite an order's copy with a raw PutItem (a bug, a manual edit)."""
    item = raw(table, "Order", order_id=order_id)
    item["customer_name"] = {"S": name}
    if drop_stamp:
        item.pop("_copyver_Customer", None)
    table.client.put_item(TableName=table.name, Item=item)


def settled(table: Table, engine: EmbeddedEngine) -> None:
    """Seed and drain, so every order is stamped."""
    seed(table)
    drain(shop.design, table.name, table.client, engine.streams_client())


def test_repair_fixes_corrupted_copies_and_a_second_run_changes_nothing(
    make_table: MakeTable, engine: EmbeddedEngine
) -> None:
    table = make_table(shop)
    settled(table, engine)
    corrupt(table, "o1", "Mallory")  # same stamp, wrong value
    corrupt(table, "o4", "Eve", drop_stamp=True)  # no stamp at all
    untouched = raw(table, "Order", order_id="o2")

    first = repair_copies(shop.design, table.name, table.client)

    assert (first.sources, first.checked, first.fixed, first.current) == (2, 4, 2, 2)
    assert names(table) == {"o1": "Ann", "o2": "Ann", "o3": "Ann", "o4": "Bob"}
    assert raw(table, "Order", order_id="o4")["_copyver_Customer"] == {
        "N": str(source_stamp(raw(table, "Customer", customer_id="c2")))
    }
    assert raw(table, "Order", order_id="o2") == untouched
    before = table.client.scan(TableName=table.name, ConsistentRead=True)["Items"]

    second = repair_copies(shop.design, table.name, table.client)

    assert (second.checked, second.fixed) == (4, 0)
    after = table.client.scan(TableName=table.name, ConsistentRead=True)["Items"]
    assert sorted(map(repr, after)) == sorted(map(repr, before))


def test_repair_of_one_source_item(make_table: MakeTable, engine: EmbeddedEngine) -> None:
    table = make_table(shop)
    settled(table, engine)
    corrupt(table, "o1", "Mallory")
    corrupt(table, "o4", "Eve")
    report = repair_copies(
        shop.design, table.name, table.client, source="Customer", identity={"customer_id": "c1"}
    )
    assert (report.sources, report.checked, report.fixed) == (1, 3, 1)
    assert names(table) == {"o1": "Ann", "o2": "Ann", "o3": "Ann", "o4": "Eve"}
    missing = repair_copies(
        shop.design, table.name, table.client, source="Customer", identity={"customer_id": "zz"}
    )
    assert (missing.missing_sources, missing.checked) == (1, 0)


def test_repair_arguments_are_checked(make_table: MakeTable) -> None:
    table = make_table(shop)
    with pytest.raises(RequestError, match="No entity copies attributes of Order"):
        repair_copies(shop.design, table.name, table.client, source="Order")
    with pytest.raises(UnknownFieldError):
        repair_copies(shop.design, table.name, table.client, source="Nope")
    with pytest.raises(RequestError, match="needs the source entity"):
        repair_copies(shop.design, table.name, table.client, identity={"customer_id": "c1"})
    with pytest.raises(RequestError, match="customer_id"):
        repair_copies(shop.design, table.name, table.client, source="Customer", identity={})


def test_a_re_created_source_is_followed_by_its_copies(make_table: MakeTable, engine: EmbeddedEngine) -> None:
    table = make_table(shop)
    settled(table, engine)
    for name in ("Ann B", "Ann C"):
        customer = table.get_customer(customer_id="c1")
        assert customer is not None
        customer.name = name
        table.update(customer)
    table.delete(Customer, customer_id="c1")
    table.create(Customer(customer_id="c1", email="ann@example.com", name="Anna", order_count=0))
    drain(shop.design, table.name, table.client, engine.streams_client())
    # The new incarnation restarted at _version 1, but its later _born orders it after the old one.
    assert names(table) == {"o1": "Anna", "o2": "Anna", "o3": "Anna", "o4": "Bob"}
    assert repair_copies(shop.design, table.name, table.client).fixed == 0


def test_a_re_created_source_without_born_needs_force(make_table: MakeTable, engine: EmbeddedEngine) -> None:
    """Items written before ``_born`` existed: the stamp is ``_version`` alone, and restarts."""
    table = make_table(shop)
    settled(table, engine)
    customer = table.get_customer(customer_id="c1")
    assert customer is not None
    customer.name = "Ann B"
    table.update(customer)
    drain(shop.design, table.name, table.client, engine.streams_client())
    legacy = {k: v for k, v in raw(table, "Customer", customer_id="c1").items() if k != "_born"}
    for order_id in ("o1", "o2", "o3"):  # Ann's orders
        item = raw(table, "Order", order_id=order_id)
        if "_copyver_Customer" in item:
            stamp = int(item["_copyver_Customer"]["N"]) % STAMP_SHIFT  # as written before _born
            table.client.update_item(
                TableName=table.name,
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="SET #cv = :cv",
                ExpressionAttributeNames={"#cv": "_copyver_Customer"},
                ExpressionAttributeValues={":cv": {"N": str(stamp)}},
            )
    legacy.update(name={"S": "Anna"}, _version={"N": "1"})
    table.client.delete_item(TableName=table.name, Key={"PK": legacy["PK"], "SK": legacy["SK"]})
    table.client.put_item(TableName=table.name, Item=legacy)
    drain(shop.design, table.name, table.client, engine.streams_client())
    assert names(table)["o1"] == "Ann B"

    plain = repair_copies(shop.design, table.name, table.client, source="Customer")
    assert (plain.ahead, plain.fixed) == (3, 0)
    forced = repair_copies(shop.design, table.name, table.client, source="Customer", force=True)
    assert forced.fixed == 3
    assert names(table) == {"o1": "Anna", "o2": "Anna", "o3": "Anna", "o4": "Bob"}
    assert repair_copies(shop.design, table.name, table.client, force=True).fixed == 0


class PropagateFirst:
    """A client that lets a newer rename propagate just before the repair's first update."""

    def __init__(self, client: DynamoDBClient, newer: Callable[[], object]) -> None:
        self._client = client
        self._newer: Callable[[], object] | None = newer

    def update_item(self, **kwargs: Any) -> Any:
        if self._newer is not None:
            newer, self._newer = self._newer, None
            newer()
        return self._client.update_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_newer_propagated_version_wins_over_a_running_repair(
    make_table: MakeTable, engine: EmbeddedEngine
) -> None:
    table = make_table(shop)
    settled(table, engine)
    streams = engine.streams_client()
    checkpoint = StreamCheckpoint()
    poll_records(table.client, streams, table.name, checkpoint)  # skip what is settled
    corrupt(table, "o1", "Mallory")

    def rename_and_propagate() -> None:
        customer = table.get_customer(customer_id="c1")
        assert customer is not None
        customer.name = "Ann Z"
        table.update(customer)
        records = poll_records(table.client, streams, table.name, checkpoint)
        handle_records(records, design=shop.design, table_name=table.name, client=table.client)

    client = cast("DynamoDBClient", PropagateFirst(table.client, rename_and_propagate))
    report = repair_copies(shop.design, table.name, client, source="Customer", identity={"customer_id": "c1"})

    assert report.fixed == 0  # its update (from the older source read) lost to the newer copies
    assert names(table) == {"o1": "Ann Z", "o2": "Ann Z", "o3": "Ann Z", "o4": "Bob"}


# ---- the commands --------------------------------------------------------------------------


def run(argv: list[str]) -> int:
    """Parse and run a propagate/repair-copies command line."""
    parser = argparse.ArgumentParser(prog="dynamodel")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    rc = args.func(args)
    assert isinstance(rc, int)
    return rc


@pytest.fixture
def local_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials, no proxies: the commands talk to the engine on 127.0.0.1."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)


def test_the_commands(
    make_table: MakeTable,
    engine: EmbeddedEngine,
    local_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = make_table(shop)
    seed(table)
    common = ["access_patterns.shop:shop", "--table", table.name, "--endpoint-url", engine.endpoint_url]
    cp = tmp_path / "cp.json"
    assert run(["propagate", *common, "--checkpoint", str(cp), "--dlq", str(tmp_path / "dead.jsonl")]) == 0
    assert "record(s)" in capsys.readouterr().out
    customer = table.get_customer(customer_id="c2")
    assert customer is not None
    customer.name = "Bobby"
    table.update(customer)
    assert run(["propagate", *common, "--checkpoint", str(cp)]) == 0
    assert "1 copy update(s)" in capsys.readouterr().out
    assert names(table)["o4"] == "Bobby"

    corrupt(table, "o2", "Mallory")
    assert run(["repair-copies", *common, "--source", "Customer", "--id", "customer_id=c1"]) == 0
    assert "3 target(s) checked, 1 fixed" in capsys.readouterr().out
    assert run(["repair-copies", *common]) == 0
    assert "4 target(s) checked, 0 fixed" in capsys.readouterr().out
    with pytest.raises(RequestError, match="does not exist"):  # not "replayed 0" (issue 11 item 15)
        run(["propagate", *common, "--replay", str(tmp_path / "missing.jsonl")])


def test_identity_arguments_are_typed() -> None:
    assert parse_identity(shop.design, "Customer", ["customer_id=c=1"]) == {"customer_id": "c=1"}
    with pytest.raises(RequestError, match="not an identity attribute"):
        parse_identity(shop.design, "Customer", ["email=x"])
    with pytest.raises(RequestError, match="attribute=value"):
        parse_identity(shop.design, "Customer", ["c1"])
