"""A GSI budget reached with index items (the adjacency-list technique). Pure: no engine."""

from __future__ import annotations

import dataclasses

import pytest

from access_patterns.hr import Employee, hr
from dynamodel import App, Entity, Get, NonEmptyStr, PatternSpec, Query, Write
from dynamodel.compile import build_item
from dynamodel.compile.items import index_item_keys, index_items
from dynamodel.design import derive, design_to_dict
from dynamodel.design.cost import estimate
from dynamodel.design.cost_sizes import item_size
from dynamodel.errors import MigrationError, TooManyIndexesError
from dynamodel.migrate.diff import diff_designs

EMPLOYEE = {
    "department_id": "d1",
    "employee_id": "e1",
    "name": "Ann",
    "email": "ann@x",
    "job_title": "engineer",
    "hired_on": "2024-01-02",
}


def test_hr_reaches_two_gsis_with_one_index_item_of_the_employee() -> None:
    unbounded = derive(dataclasses.replace(hr.spec, max_gsis=None))
    assert len(unbounded.indexes) == 3
    design = hr.design
    assert len(design.indexes) == 2
    assert design.index_items_of("Employee") == ("Employee@1",)
    # The index item shares a GSI with the employee's own layout, told apart by its tag.
    shared = {k.index for k in design.keys if k.entity == "Employee@1" and k.index != "table"}
    assert shared <= {k.index for k in design.keys if k.entity == "Employee"}
    served = [p.name for p in design.plans if "Employee@1" in p.entities]
    assert served == ["employees_by_title"]
    assert design.app.pattern("employees_by_title").entities == ("Employee",)  # the declaration stays
    assert "adjacency_index_items" in design.techniques
    assert design_to_dict(design)["index_items"] == {"Employee@1": "Employee"}
    assert "index_items" not in design_to_dict(unbounded)  # byte-identical without them


def test_an_index_item_is_the_item_under_its_own_keys() -> None:
    design = hr.design
    values = {**EMPLOYEE, "hired_on": Employee.model_validate(EMPLOYEE).hired_on}
    item, _ = build_item(design, "Employee", values, version=4, born=7)
    (copy,) = index_items(design, "Employee", item)
    assert copy["_type"] == {"S": "Employee@1"}
    assert (copy["_version"], copy["_born"]) == (item["_version"], item["_born"])
    assert {k: v for k, v in copy.items() if not k.startswith(("PK", "SK", "GSI", "LSI", "_type"))} == {
        k: v for k, v in item.items() if not k.startswith(("PK", "SK", "GSI", "LSI", "_type"))
    }
    assert copy["PK"] != item["PK"]  # a partition of its own: no read of the department meets it
    assert index_item_keys(design, "Employee", values) == [{"PK": copy["PK"], "SK": copy["SK"]}]


def test_index_items_cost_their_writes() -> None:
    design, unbounded = hr.design, derive(dataclasses.replace(hr.spec, max_gsis=None))
    assert item_size(design, "Employee@1") < 1024  # every write below is one unit
    bounded = dict(estimate(design).entity_write_units)
    before = dict(estimate(unbounded).entity_write_units)
    # One GSI copy fewer; the index item more: 2 units in the transaction, 1 for its GSI copy.
    assert bounded["Employee"] == before["Employee"] - 1 + 2 + 1
    assert bounded["Department"] == before["Department"]


class Account(Entity, identity=("account_id",)):
    account_id: NonEmptyStr
    owner: NonEmptyStr
    region: NonEmptyStr
    tier: NonEmptyStr
    logins: int = 0


def _accounts(*extra: PatternSpec) -> App:
    return App(
        "accounts",
        [Account],
        patterns=[
            Get(Account, by="account_id", name="get_account"),
            Query(Account, by="owner", sort="region", name="by_owner"),
            Query(Account, by="region", sort="tier", name="by_region"),
            Query(Account, by="tier", sort="owner", name="by_tier"),
            *extra,
        ],
        max_gsis=1,
    )


def test_the_fewest_index_items_reach_the_budget() -> None:
    design = _accounts().design
    assert len(design.indexes) == 1
    assert len(design.index_items) == 2  # three layouts on one GSI: the item and two copies


def test_an_entity_counted_on_gets_no_index_items_and_the_refusal_says_why() -> None:
    counted = Write(Account, increments={Account.logins: 1}, name="login")
    with pytest.raises(TooManyIndexesError, match="max_gsis is 1") as info:
        _ = _accounts(counted).design
    assert "index items" in (info.value.hint or "")


def test_a_live_table_gains_no_index_items_by_a_generated_migration() -> None:
    deployed = design_to_dict(derive(dataclasses.replace(hr.spec, max_gsis=None)))
    with pytest.raises(MigrationError, match="index items Employee@1"):
        diff_designs(deployed, design_to_dict(hr.design))
