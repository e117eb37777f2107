"""A copy of an entity instance (``model_copy``, ``copy.copy``) keeps the stored state it was read at.

pydantic users reach for ``model_copy(update=...)`` to change an instance; updating the copy
must work exactly like updating the instance (same optimistic-locking version and birth).
Engine assumed: moto in process (``InProcessEngine``), a fresh table per test.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from access_patterns.shop import Customer, shop
from dynamodel.errors import ConditionFailedError
from dynamodel.runtime.table import Table
from dynamodel.runtime.versions import remember, stored_of, version_of
from dynamodel.testing.inprocess import InProcessEngine, create_test_table

COPIES: dict[str, Callable[[Customer], Customer]] = {
    "model_copy_update": lambda c: c.model_copy(update={"name": "Copy"}),
    "model_copy_deep": lambda c: c.model_copy(update={"name": "Copy"}, deep=True),
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
}


@pytest.fixture(scope="module")
def client() -> Any:
    return InProcessEngine().client()


@pytest.fixture
def table(client: Any) -> Table:
    return create_test_table(shop, client)


def _ann() -> Customer:
    return Customer(customer_id="c1", email="ann@example.com", name="Ann", order_count=0)


@pytest.mark.parametrize("how", sorted(COPIES))
def test_a_copy_inherits_the_stored_state(how: str) -> None:
    ann = _ann()
    remember(ann, 7, 123)
    twin = COPIES[how](ann)
    assert twin is not ann
    assert version_of(twin) == 7
    assert stored_of(twin) == stored_of(ann)
    remember(twin, 8, 123)  # the copy moves on alone
    assert version_of(ann) == 7


def test_a_copy_of_an_unread_instance_has_no_state() -> None:
    assert version_of(_ann().model_copy(update={"name": "x"})) is None


def test_update_of_model_copy_works_like_update_of_the_instance(table: Table) -> None:
    table.create(_ann())
    ann = table.get_customer(customer_id="c1")
    assert ann is not None
    renamed = table.update(ann.model_copy(update={"name": "Annie"}))
    assert renamed.name == "Annie"
    stored = table.get_customer(customer_id="c1")
    assert stored is not None
    assert stored.name == "Annie"
    assert Table.version_of(stored) == 2
    # The original instance is now stale: optimistic locking still refuses it.
    with pytest.raises(ConditionFailedError):
        table.update(ann.model_copy(update={"name": "Lost"}))
    again = table.get_customer(customer_id="c1")
    assert again is not None
    assert again.name == "Annie"
