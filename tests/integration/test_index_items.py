"""Index items at run time (hr, max_gsis 2): written, changed and deleted with their employee.

Engine assumed: moto's server on 127.0.0.1 (the integration conftest).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from access_patterns.hr import Department, Employee, hr
from dynamodel.compile.items import index_item_keys
from dynamodel.errors import ConditionFailedError, RequestError
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]


def _copy(table: Table, employee: Employee) -> dict[str, Any] | None:
    (key,) = index_item_keys(table.design, "Employee", employee.model_dump())
    item: dict[str, Any] | None = table.client.get_item(
        TableName=table.name, Key=key, ConsistentRead=True
    ).get("Item")
    return item


def _ann() -> Employee:
    return Employee(
        department_id="d1",
        employee_id="e1",
        name="Ann",
        email="ann@x",
        job_title="engineer",
        hired_on=date(2024, 1, 2),
    )


def test_an_index_item_follows_its_employee_through_every_write(make_table: MakeTable) -> None:
    table = make_table(hr)
    table.create(Department(department_id="d1", name="R&D"))
    ann = table.create(_ann())
    copy = _copy(table, ann)
    assert copy is not None
    assert copy["job_title"] == {"S": "engineer"}
    # Read through the index item: an Employee, at the item's version, that can be updated.
    (found,) = table.employees_by_title.iterate(job_title="engineer")
    assert found == ann
    found.job_title = "manager"
    table.update(found)
    assert [e.employee_id for e in table.employees_by_title.iterate(job_title="manager")] == ["e1"]
    assert list(table.employees_by_title.iterate(job_title="engineer")) == []
    copy = _copy(table, ann)
    assert copy is not None
    assert (copy["job_title"], copy["_version"]) == ({"S": "manager"}, {"N": "2"})
    assert table.delete(Employee, department_id="d1", employee_id="e1")
    assert _copy(table, ann) is None


def test_a_refused_write_leaves_the_index_item_as_it_was(make_table: MakeTable) -> None:
    table = make_table(hr)
    table.create(_ann())
    with pytest.raises(ConditionFailedError, match="already exists"):
        table.create(_ann().model_copy(update={"job_title": "intern"}))
    copy = _copy(table, _ann())
    assert copy is not None
    assert copy["job_title"] == {"S": "engineer"}


def test_bulk_writes_of_an_entity_with_index_items_are_refused(make_table: MakeTable) -> None:
    table = make_table(hr)
    with pytest.raises(RequestError, match="index items"):
        table.batch_put([_ann()])
