"""Stream records → copy updates (pure): what is work, what is not, and the exact requests.

No engine: these tests exercise ``dynamodel.propagate.plan`` on records built by hand in
the shape of the DynamoDB Streams event Lambda receives (AWS Lambda developer guide,
"Using AWS Lambda with Amazon DynamoDB", example event).
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
from datetime import datetime
from typing import Any, Literal

import pytest
from teams_app import teams

from access_patterns.shop import shop
from dynamodel import App, Copy, Entity, Get
from dynamodel.emit import render_sam
from dynamodel.errors import DefinitionError, RequestError
from dynamodel.keys import escape
from dynamodel.propagate.copy_requests import (
    build_copy_update,
    build_forced_copy_update,
    copy_status,
    lookup_requests,
    refers_to,
)
from dynamodel.propagate.plan import CopyUpdate, copyver_attr, plan_record, source_stamp, source_update
from dynamodel.propagate.records import lambda_record, normalise_image

DESIGN = shop.design
PATH = DESIGN.copy_paths[0]


def customer_image(name: str, version: int, order_count: int = 0) -> dict[str, Any]:
    """A stored Customer item as a stream image."""
    return {
        "customer_id": {"S": "c1"},
        "email": {"S": "ann@example.com"},
        "name": {"S": name},
        "order_count": {"N": str(order_count)},
        "PK": {"S": "CUSTOMER#c1#"},
        "SK": {"S": "CUSTOMER#"},
        "GSI1PK": {"S": "CUSTOMER#c1#"},
        "GSI1SK": {"S": "B_CUSTOMER#"},
        "GSI2PK": {"S": "CUSTOMER#ann@example.com#"},
        "GSI2SK": {"S": "CUSTOMER#c1#"},
        "_type": {"S": "Customer"},
        "_version": {"N": str(version)},
    }


def order_image(name: str, *, version: int = 1, copyver: int | None = None) -> dict[str, Any]:
    """A stored Order item of customer c1."""
    item: dict[str, Any] = {
        "order_id": {"S": "o1"},
        "customer_id": {"S": "c1"},
        "status": {"S": "OPEN"},
        "placed_at": {"S": "2026-01-01T00:00:00.000000Z"},
        "total": {"N": "10"},
        "customer_name": {"S": name},
        "PK": {"S": "ORDER#o1#"},
        "SK": {"S": "ORDER#"},
        "_type": {"S": "Order"},
        "_version": {"N": str(version)},
    }
    if copyver is not None:
        item[copyver_attr("Customer")] = {"N": str(copyver)}
    return item


def event_record(
    name: Literal["INSERT", "MODIFY", "REMOVE"],
    new: dict[str, Any] | None,
    old: dict[str, Any] | None,
    seq: str = "111",
) -> dict[str, Any]:
    """One record of a DynamoDB Streams Lambda event, as AWS documents it."""
    image = new or old or {}
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": 1479499740,
        "Keys": {"PK": image["PK"], "SK": image["SK"]},
        "SequenceNumber": seq,
        "SizeBytes": 26,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        body["NewImage"] = new
    if old is not None:
        body["OldImage"] = old
    return {
        "eventID": f"evt-{seq}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": body,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev/stream/2026-01-01T00:00:00.000",
    }


# ---- what is work --------------------------------------------------------------------------


def test_a_rename_is_one_copy_update_with_the_source_version() -> None:
    plan = plan_record(DESIGN, event_record("MODIFY", customer_image("Bo", 3), customer_image("Ann", 2)))
    assert plan.needs_work
    assert plan.entity == "Customer"
    assert plan.sequence_number == "111"
    (update,) = plan.updates
    assert update.path == PATH
    assert dict(update.identity) == {"customer_id": "c1"}
    assert update.version == 3
    assert update.copies == (("customer_name", "Bo"),)
    assert plan.checks == ()


def test_a_change_of_an_attribute_nobody_copies_is_no_work() -> None:
    plan = plan_record(
        DESIGN, event_record("MODIFY", customer_image("Ann", 3, order_count=1), customer_image("Ann", 2))
    )
    assert not plan.needs_work
    assert plan.reason == "no copied attribute changed"


def test_an_insert_of_a_source_is_work_because_targets_may_predate_it() -> None:
    plan = plan_record(DESIGN, event_record("INSERT", customer_image("Ann", 1), None))
    assert [u.version for u in plan.updates] == [1]


def test_a_removed_source_leaves_its_copies() -> None:
    plan = plan_record(DESIGN, event_record("REMOVE", None, customer_image("Ann", 4)))
    assert not plan.needs_work
    assert "leaves its copies" in plan.reason


def test_guard_items_and_foreign_items_are_no_work() -> None:
    guard = {
        "PK": {"S": "_UNIQUE#CUSTOMER#a@x#"},
        "SK": {"S": "_UNIQUE#email#"},
        "_type": {"S": "_UNIQUE"},
    }
    assert not plan_record(DESIGN, event_record("INSERT", guard, None)).needs_work
    foreign = {"PK": {"S": "x"}, "SK": {"S": "y"}, "name": {"S": "z"}}
    assert not plan_record(DESIGN, event_record("MODIFY", foreign, foreign)).needs_work


def test_the_handlers_own_copy_write_is_no_work() -> None:
    before = order_image("Ann", version=4, copyver=2)
    after = order_image("Bo", version=4, copyver=3)
    plan = plan_record(DESIGN, event_record("MODIFY", after, before))
    assert not plan.needs_work
    assert "copy write" in plan.reason


def test_an_application_write_of_a_target_is_checked_against_its_source() -> None:
    plan = plan_record(
        DESIGN, event_record("MODIFY", order_image("Ann", version=5), order_image("Ann", version=4))
    )
    (check,) = plan.checks
    assert check.path == PATH
    assert check.source_key == {"PK": {"S": "CUSTOMER#c1#"}, "SK": {"S": "CUSTOMER#"}}
    assert not plan_record(
        DESIGN,
        event_record("MODIFY", order_image("Ann", version=5), order_image("Ann", version=4)),
        verify_targets=False,
    ).needs_work


# ---- malformed records ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "text", "fix"),
    [
        (lambda r: r.pop("eventID"), "no eventID", "replay it after fixing the writer"),
        (
            lambda r: r["dynamodb"].pop("SequenceNumber"),
            "no dynamodb.SequenceNumber",
            "replay it after fixing the writer",
        ),
        (lambda r: r.update(eventName="UPSERT"), "eventName 'UPSERT'", "replay it after fixing the writer"),
        (lambda r: r["dynamodb"].update(StreamViewType="KEYS_ONLY"), "KEYS_ONLY", "NEW_AND_OLD_IMAGES"),
        (lambda r: r["dynamodb"].pop("OldImage"), "no OldImage", "replay it after fixing the writer"),
        (
            lambda r: r["dynamodb"]["NewImage"].update(name={"N": "5"}),
            "Customer.name is declared str",
            "migrate it or fix the declaration",
        ),
        (
            lambda r: r["dynamodb"]["NewImage"].pop("_version"),
            "no numeric _version",
            "write sources through dynamodel",
        ),
        (
            lambda r: r["dynamodb"]["NewImage"].update(name="Bo"),
            "not a DynamoDB attribute value",
            "replay it after fixing the writer",
        ),
    ],
)
def test_malformed_records_are_request_errors(mutate: Any, text: str, fix: str) -> None:
    record = event_record("MODIFY", customer_image("Bo", 3), customer_image("Ann", 2))
    mutate(record)
    with pytest.raises(RequestError, match=text) as info:
        plan_record(DESIGN, record)
    assert fix in (info.value.hint or ""), info.value.hint


def test_lambda_binaries_are_base64_and_boto3_binaries_are_bytes() -> None:
    raw = b"\x00\xff#"
    text = base64.b64encode(raw).decode()
    lam = {"b": {"B": text}, "s": {"BS": [text]}, "m": {"M": {"x": {"L": [{"B": text}]}}}}
    boto = {"b": {"B": raw}, "s": {"BS": [raw]}, "m": {"M": {"x": {"L": [{"B": raw}]}}}}
    assert normalise_image(lam) == normalise_image(boto) == boto
    with pytest.raises(RequestError, match="not base64"):
        normalise_image({"b": {"B": "@@@"}})


def test_lambda_record_is_json_and_round_trips_through_the_planner() -> None:
    from datetime import UTC

    record = event_record("MODIFY", customer_image("Bo", 3), customer_image("Ann", 2))
    record["dynamodb"]["ApproximateCreationDateTime"] = datetime(2026, 1, 1, tzinfo=UTC)
    record["dynamodb"]["NewImage"]["blob"] = {"B": b"\x01"}
    out = lambda_record(record)
    text = json.dumps(out)
    assert json.loads(text)["dynamodb"]["ApproximateCreationDateTime"] == 1767225600
    assert out["dynamodb"]["NewImage"]["blob"] == {"B": "AQ=="}
    assert plan_record(DESIGN, json.loads(text)).updates == plan_record(DESIGN, record).updates


# ---- the update request --------------------------------------------------------------------


def _update(version: int, name: str | None) -> CopyUpdate:
    return CopyUpdate(PATH, {"customer_id": "c1"}, version, (("customer_name", name),))


def test_the_update_sets_copies_and_stamp_under_the_version_condition() -> None:
    request = build_copy_update(DESIGN, _update(3, "Bo"), order_image("Ann", copyver=2), "shop-dev")
    assert request is not None
    assert request["TableName"] == "shop-dev"
    assert request["Key"] == {"PK": {"S": "ORDER#o1#"}, "SK": {"S": "ORDER#"}}
    assert request["UpdateExpression"] == "SET #cv = :cv, #c0 = :c0"
    assert request["ConditionExpression"] == (
        "attribute_exists(#pk) AND (attribute_not_exists(#cv) OR #cv < :cv OR "
        "(#cv = :cv AND (attribute_not_exists(#c0) OR #c0 <> :c0))) AND #r0 = :r0"
    )
    assert request["ExpressionAttributeNames"] == {
        "#pk": "PK",
        "#cv": "_copyver_Customer",
        "#c0": "customer_name",
        "#r0": "customer_id",
    }
    assert request["ExpressionAttributeValues"] == {
        ":cv": {"N": "3"},
        ":c0": {"S": "Bo"},
        ":r0": {"S": "c1"},
    }


def test_a_target_recreated_for_another_source_is_left_to_that_source() -> None:
    """Found by AppMachine: an order deleted and re-created under another customer at the
    same key must not receive the first customer's name from an old record."""
    other = CopyUpdate(PATH, {"customer_id": "c2"}, 9, (("customer_name", "Zed"),))
    target = order_image("Ann", copyver=2)
    assert not refers_to(DESIGN, other, target)
    assert build_copy_update(DESIGN, other, target, "t") is None
    assert refers_to(DESIGN, _update(3, "Bo"), target)


def test_duplicates_and_older_versions_build_nothing() -> None:
    assert build_copy_update(DESIGN, _update(3, "Bo"), order_image("Bo", copyver=3), "t") is None
    assert build_copy_update(DESIGN, _update(2, "Ann"), order_image("Bo", copyver=3), "t") is None
    assert copy_status(DESIGN, _update(3, "Bo"), order_image("Bo", copyver=3)) == "current"
    assert copy_status(DESIGN, _update(2, "Ann"), order_image("Bo", copyver=3)) == "ahead"
    # Unstamped with the right values: what an application write leaves (it removes stamps).
    assert copy_status(DESIGN, _update(3, "Bo"), order_image("Bo")) == "current"
    assert copy_status(DESIGN, _update(3, "Bo"), order_image("Ann")) == "stale"


def test_a_clobbered_copy_at_the_same_version_is_rewritten() -> None:
    assert build_copy_update(DESIGN, _update(3, "Bo"), order_image("Ann", copyver=3), "t") is not None
    assert copy_status(DESIGN, _update(3, "Bo"), order_image("Ann", copyver=3)) == "stale"


def test_an_absent_source_value_removes_the_copy() -> None:
    request = build_copy_update(DESIGN, _update(3, None), order_image("Ann", copyver=2), "t")
    assert request is not None
    assert request["UpdateExpression"] == "SET #cv = :cv REMOVE #c0"
    assert "attribute_exists(#c0)" in request["ConditionExpression"]


def test_force_conditions_on_the_stamp_it_read() -> None:
    request = build_forced_copy_update(DESIGN, _update(1, "Cy"), order_image("Bo", copyver=7), "t")
    assert request is not None
    assert request["ConditionExpression"] == "attribute_exists(#pk) AND (#cv = :seen) AND #r0 = :r0"
    assert request["ExpressionAttributeValues"][":seen"] == {"N": "7"}


def test_the_lookup_is_the_copy_paths_query() -> None:
    (request,) = lookup_requests(DESIGN, PATH, {"customer_id": "c#1"}, "shop-dev")
    assert request["IndexName"] == "GSI1"
    assert request["KeyConditionExpression"] == "#pk = :pk AND begins_with(#sk, :sk)"
    assert request["ExpressionAttributeValues"] == {
        ":pk": {"S": f"CUSTOMER#{escape('c#1')}#"},
        ":sk": {"S": "A_ORDER#"},
    }


# ---- copies inside keys --------------------------------------------------------------------


def member_image(region: str, status: str, *, version: int = 2) -> dict[str, Any]:
    """A stored Member with the keys the runtime derives (built with compile.build_item)."""
    from dynamodel.compile import build_item

    values = {
        "member_id": "m1",
        "team_id": "t1",
        "joined_at": datetime.fromisoformat("2026-01-02T00:00:00+00:00"),
        "team_region": region,
        "team_status": status,
    }
    item, _ = build_item(teams.design, "Member", values, version=version)
    return item


def test_keys_built_from_copies_are_re_rendered_and_left_sparse_indexes_removed() -> None:
    design = teams.design
    (path,) = design.copy_paths
    region_ix = design.plan("members_by_region").index
    active_ix = design.plan("active_members").index
    stored = member_image("eu", "ACTIVE")
    update = CopyUpdate(path, {"team_id": "t1"}, 5, (("team_region", "us"), ("team_status", "PAUSED")))
    request = build_copy_update(design, update, stored, "teams-dev")
    assert request is not None
    names = request["ExpressionAttributeNames"]
    values = request["ExpressionAttributeValues"]
    expected = member_image("us", "PAUSED")
    set_part, _, remove_part = request["UpdateExpression"].partition(" REMOVE ")
    set_attrs = {
        names[a.split(" = ")[0].strip()]: values[a.split(" = ")[1].strip()]
        for a in set_part.removeprefix("SET ").split(", ")
    }
    region_pk = design.index(region_ix).partition_key
    assert set_attrs[region_pk] == expected[region_pk]
    active = design.index(active_ix)
    assert active.partition_key not in expected
    assert {names[a.strip()] for a in remove_part.split(", ")} == {active.partition_key, active.sort_key}
    # Keys rendered from the stored values are only right while those values are current.
    assert request["ConditionExpression"].endswith(" AND #ver = :tv")
    assert values[":tv"] == {"N": "2"}
    # Unrelated keys (the team lookup index) are not touched.
    lookup = design.index(path.plan.index)
    assert lookup.partition_key not in set_attrs


def test_back_into_a_sparse_index() -> None:
    design = teams.design
    (path,) = design.copy_paths
    active = design.index(design.plan("active_members").index)
    update = CopyUpdate(path, {"team_id": "t1"}, 6, (("team_region", "eu"), ("team_status", "ACTIVE")))
    request = build_copy_update(design, update, member_image("eu", "PAUSED"), "t")
    assert request is not None
    assert " REMOVE " not in request["UpdateExpression"]
    expected = member_image("eu", "ACTIVE")
    sets = {
        request["ExpressionAttributeNames"][a]: request["ExpressionAttributeValues"][v]
        for a, v in (p.split(" = ") for p in request["UpdateExpression"].removeprefix("SET ").split(", "))
    }
    assert sets[active.partition_key] == expected[active.partition_key]
    assert sets[active.sort_key] == expected[active.sort_key]


def test_a_copy_in_the_primary_key_is_refused() -> None:
    from dynamodel.propagate.copy_requests import dependent_indexes

    class Owner(Entity, identity=("owner_id",)):
        owner_id: str
        code: str

    class Pet(Entity, identity=("owner_code", "pet_id")):
        pet_id: str
        owner_id: str
        owner_code: str = Copy(Owner.code)

    def derive_and_plan() -> None:
        app = App("pets", [Owner, Pet], patterns=[Get(Owner, by="owner_id", name="get_owner")])
        for path in app.design.copy_paths:
            dependent_indexes(app.design, path)

    # Refused by the planner, or (should it ever accept it) by propagation.
    with pytest.raises(DefinitionError):
        derive_and_plan()


# ---- the SAM stack points at the handler ---------------------------------------------------


def test_the_sam_function_handler_is_importable_and_callable() -> None:
    template = render_sam(DESIGN)
    handler = template["Resources"]["PropagateFunction"]["Properties"]["Handler"]
    assert handler == "dynamodel.propagate.handler.lambda_handler"
    module_name, _, attr = handler.rpartition(".")
    fn = getattr(importlib.import_module(module_name), attr)
    assert callable(fn)
    assert list(inspect.signature(fn).parameters) == ["event", "context"]


def test_the_planner_imports_without_boto3() -> None:
    import subprocess
    import sys

    code = "import sys, dynamodel.propagate.plan; print(any(m.split('.')[0] in ('boto3', 'botocore') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_re_created_source_is_ordered_after_its_old_self() -> None:
    """Deleted at version 5, re-created at version 1: _born puts the new one later."""
    old = {**customer_image("Ann", 5), "_born": {"N": "1000"}}
    new = {**customer_image("Anna", 1), "_born": {"N": "2000"}}
    assert source_stamp(new) > source_stamp(old)
    assert source_stamp(customer_image("Ann", 5)) == 5  # written before _born: the version alone
    path = DESIGN.copy_paths[0]
    old_update, new_update = source_update(DESIGN, path, old), source_update(DESIGN, path, new)
    stamped_old = order_image("Ann", copyver=source_stamp(old))
    stamped_new = order_image("Anna", copyver=source_stamp(new))
    assert build_copy_update(DESIGN, new_update, stamped_old, "t") is not None
    assert build_copy_update(DESIGN, old_update, stamped_new, "t") is None  # a late old record
