"""boto3 kwargs on moto: the created table agrees with the CloudFormation resource, and update steps apply."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from test_emit_support import CASE_IDS, design_of, shop_raw

from dynamodel.design import Design, derive
from dynamodel.design.model import IndexSpec
from dynamodel.emit import (
    render_cloudformation,
    render_create_table,
    render_post_create,
    render_update_steps,
)
from dynamodel.errors import MigrationError
from dynamodel.spec_file import parse_spec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TABLE = "emit-test"


def _by_name(items: list[Any], key: str = "AttributeName") -> dict[str, Any]:
    return {item[key]: item for item in items}


def _gsis(items: list[Any]) -> dict[str, tuple[Any, Any]]:
    return {g["IndexName"]: (g["KeySchema"], g["Projection"]) for g in items}


def _assert_agrees(described: Any, resource: dict[str, Any]) -> None:
    props = resource["Properties"]
    assert described["KeySchema"] == props["KeySchema"]
    assert _by_name(described["AttributeDefinitions"]) == _by_name(props["AttributeDefinitions"])
    assert _gsis(described.get("GlobalSecondaryIndexes", [])) == _gsis(
        props.get("GlobalSecondaryIndexes", [])
    )
    assert described.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == props["BillingMode"]
    if props["BillingMode"] == "PROVISIONED":
        got = described["ProvisionedThroughput"]
        assert (got["ReadCapacityUnits"], got["WriteCapacityUnits"]) == tuple(
            props["ProvisionedThroughput"].values()
        )
        for gsi in props["GlobalSecondaryIndexes"]:
            got = _by_name(described["GlobalSecondaryIndexes"], "IndexName")[gsi["IndexName"]][
                "ProvisionedThroughput"
            ]
            assert (got["ReadCapacityUnits"], got["WriteCapacityUnits"]) == tuple(
                gsi["ProvisionedThroughput"].values()
            )
    stream = props.get("StreamSpecification")
    expected_stream = None if stream is None else {"StreamEnabled": True, **stream}
    assert described.get("StreamSpecification") == expected_stream
    assert described["SSEDescription"]["Status"] == "ENABLED"
    assert described["SSEDescription"]["SSEType"] == props["SSESpecification"]["SSEType"]


def _create(client: DynamoDBClient, design: Design, **options: Any) -> Any:
    client.create_table(**render_create_table(design, TABLE, **options))
    for operation, kwargs in render_post_create(design, TABLE):
        getattr(client, operation)(**kwargs)
    return client.describe_table(TableName=TABLE)["Table"]


@pytest.mark.parametrize("case", CASE_IDS)
def test_created_table_agrees_with_the_cloudformation_resource(
    moto_client: DynamoDBClient, case: str
) -> None:
    design = design_of(case)
    described = _create(moto_client, design)
    resource = render_cloudformation(design)["Resources"]["Table"]
    _assert_agrees(described, resource)
    ttl = moto_client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    spec = resource["Properties"].get("TimeToLiveSpecification")
    if spec is None:
        assert ttl["TimeToLiveStatus"] == "DISABLED"
    else:
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", spec["AttributeName"])
    backups = moto_client.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_provisioned_table_agrees_with_the_cloudformation_resource(moto_client: DynamoDBClient) -> None:
    design = design_of("spec/shop")
    options: dict[str, Any] = {"billing": "PROVISIONED", "capacity": {"table": (7, 8), "GSI1": (2, 3)}}
    _assert_agrees(
        _create(moto_client, design, **options),
        render_cloudformation(design, **options)["Resources"]["Table"],
    )


def test_table_name_defaults_to_the_dev_stage() -> None:
    assert render_create_table(design_of("spec/shop"))["TableName"] == "shop-dev"
    assert render_post_create(design_of("spec/shop"))[0][1]["TableName"] == "shop-dev"


# ---- update steps ----------------------------------------------------------------------------


def _shop_variant(
    drop: tuple[str, ...] = (), add: tuple[dict[str, Any], ...] = (), copies: bool = True
) -> Design:
    raw = shop_raw()
    raw["patterns"] = [p for p in raw["patterns"] if p["name"] not in drop] + list(add)
    if not copies:
        del raw["entities"]["Order"]["attributes"]["customer_name"]
    return derive(parse_spec(raw))


EXTRA_PATTERNS = (
    {"name": "lines_by_sku", "query": "OrderLine", "by": ["sku"], "sort": "qty"},
    {"name": "orders_by_total", "query": "Order", "by": ["status"], "sort": "total"},
    {"name": "customers_by_name", "query": "Customer", "by": ["name"], "sort": "order_count"},
)


def _variants() -> dict[str, Design]:
    shop = design_of("spec/shop")
    gsi2 = shop.index("GSI2")
    return {
        "shop": shop,
        "one_gsi": _shop_variant(drop=("customer_by_email", "open_orders_by_date")),
        "three_gsis": _shop_variant(add=EXTRA_PATTERNS),
        "gsi2_keys_only": dataclasses.replace(
            shop, indexes=(shop.index("GSI1"), dataclasses.replace(gsi2, projection="KEYS_ONLY"))
        ),
        "no_copies": _shop_variant(copies=False),
    }


VARIANTS = _variants()
CHANGES = [
    ("shop", "one_gsi"),
    ("one_gsi", "shop"),
    ("shop", "three_gsis"),
    ("three_gsis", "one_gsi"),
    ("shop", "gsi2_keys_only"),
    ("shop", "no_copies"),
    ("no_copies", "three_gsis"),
]


def test_the_variants_differ_in_their_gsis() -> None:
    assert [len(VARIANTS[v].indexes) for v in ("one_gsi", "shop", "three_gsis")] == [1, 2, 3]


@pytest.mark.parametrize(("old", "new"), CHANGES)
def test_update_steps_reach_the_new_table(moto_client: DynamoDBClient, old: str, new: str) -> None:
    before, after = VARIANTS[old], VARIANTS[new]
    _create(moto_client, before)
    steps = render_update_steps(before, after, TABLE)
    assert steps, "every change here alters the table"
    kinds = [
        next(iter(s["GlobalSecondaryIndexUpdates"][0])) for s in steps if "GlobalSecondaryIndexUpdates" in s
    ]
    assert kinds == sorted(kinds, key=lambda k: k != "Delete"), "deletions come before creations"
    for step in steps:
        assert len(step.get("GlobalSecondaryIndexUpdates", [])) <= 1, "DynamoDB takes one GSI change per call"
        for update in step.get("GlobalSecondaryIndexUpdates", []):
            if "Create" in update:
                defined = {d["AttributeName"] for d in step["AttributeDefinitions"]}
                assert {k["AttributeName"] for k in update["Create"]["KeySchema"]} <= defined
        moto_client.update_table(**step)
    described = moto_client.describe_table(TableName=TABLE)["Table"]
    wanted = render_create_table(after, TABLE)
    assert _gsis(described.get("GlobalSecondaryIndexes", [])) == _gsis(
        list(wanted.get("GlobalSecondaryIndexes", []))
    )
    stream = described.get("StreamSpecification", {"StreamEnabled": False})
    assert stream.get("StreamEnabled", False) == ("StreamSpecification" in wanted)


def test_a_changed_gsi_is_deleted_then_created() -> None:
    steps = render_update_steps(VARIANTS["shop"], VARIANTS["gsi2_keys_only"], TABLE)
    assert [s["GlobalSecondaryIndexUpdates"] for s in steps] == [
        [{"Delete": {"IndexName": "GSI2"}}],
        [
            {
                "Create": {
                    "IndexName": "GSI2",
                    "KeySchema": [
                        {"AttributeName": "GSI2PK", "KeyType": "HASH"},
                        {"AttributeName": "GSI2SK", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    ]


def test_provisioned_creates_carry_throughput() -> None:
    steps = render_update_steps(
        VARIANTS["one_gsi"], VARIANTS["shop"], TABLE, billing="PROVISIONED", capacity={"GSI2": (4, 6)}
    )
    (create,) = [s["GlobalSecondaryIndexUpdates"][0]["Create"] for s in steps]
    assert create["ProvisionedThroughput"] == {"ReadCapacityUnits": 4, "WriteCapacityUnits": 6}


def test_no_change_means_no_steps() -> None:
    assert render_update_steps(VARIANTS["shop"], design_of("access_patterns/shop:shop"), TABLE) == []


def test_a_primary_key_change_is_refused() -> None:
    shop = VARIANTS["shop"]
    moved = dataclasses.replace(shop, table=IndexSpec("table", "PK", "SK2"))
    with pytest.raises(MigrationError, match="primary key") as info:
        render_update_steps(shop, moved, TABLE)
    assert "create a new table and copy the items" in (info.value.hint or ""), info.value.hint
