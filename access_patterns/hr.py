"""A small HR app: departments and their employees, read in several orders.

A department's employees live in its partition and are read by name and by hire date (the
latter strongly consistent, for payroll cut-offs): both orders keep the department's partition,
so they are local secondary indexes, not GSIs. Employees are also found by job title across
departments, by manager, and by a unique email: three more layouts of one entity, so three
GSIs. The app allows two (``max_gsis=2``, an organisation's budget): dynamodel writes each
employee twice, the item and one index item (``Employee@1``) in the same transaction, and
the index item's keys share a GSI with the item's (the adjacency-list technique of the
DynamoDB guide's relational HR example).
"""

from __future__ import annotations

from datetime import date

from dynamodel import App, Collection, Entity, Get, NonEmptyStr, Query


class Department(Entity, identity=("department_id",)):
    """A department; its employees are items of its partition."""

    department_id: NonEmptyStr
    name: str


class Employee(Entity, identity=("department_id", "employee_id"), parent=Department, unique=("email",)):
    """An employee of one department."""

    department_id: NonEmptyStr
    employee_id: NonEmptyStr
    name: str
    email: NonEmptyStr
    job_title: NonEmptyStr
    manager_id: NonEmptyStr | None = None
    hired_on: date


hr = App(
    "hr",
    [Department, Employee],
    patterns=[
        Get(Department, by="department_id", name="get_department"),
        Get(Employee, by=["department_id", "employee_id"], name="get_employee"),
        Collection(Department, Employee, by="department_id", name="department_with_staff"),
        Query(Employee, by="department_id", sort="name", name="staff_by_name"),
        Query(
            Employee,
            by="department_id",
            sort="hired_on",
            range="between",
            consistency="strong",
            name="staff_hired_between",
        ),
        Query(Employee, by="job_title", sort="hired_on", order="desc", name="employees_by_title"),
        Query(Employee, by="manager_id", sort="name", name="reports_of"),
        Get(Employee, by="email", unique=True, name="employee_by_email"),
    ],
    max_gsis=2,
)
