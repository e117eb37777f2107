"""An update that changes an immutable attribute is refused, and nothing is written (issue 11, item 10).

Engine: moto in process. The AppMachine's updates try it too, and predict the refusal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import Phase

from dynamodel import App, ConditionFailedError, Entity, Get, RequestError
from dynamodel.runtime import writes
from dynamodel.runtime.table import Table
from dynamodel.testing import machine_settings, rules, run_app_machine
from dynamodel.testing.inprocess import InProcessEngine, create_test_table

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 1, tzinfo=UTC)


class Post(Entity, identity=("post_id",), immutable=("posted_at",)):
    post_id: str
    posted_at: datetime
    body: str


class Member(Entity, identity=("member_id",), immutable=("joined_at",)):
    """Guarded (unique handle): its writes read the stored item first."""

    member_id: str
    handle: str
    joined_at: datetime


blog = App(
    "blog",
    [Post, Member],
    patterns=[
        Get(Post, by="post_id", name="get_post"),
        Get(Member, by="member_id", name="get_member"),
        Get(Member, by="handle", unique=True, name="member_by_handle"),
    ],
)


@pytest.fixture
def table() -> Iterator[Table]:
    client = InProcessEngine().client()
    t = create_test_table(blog, client)
    yield t
    client.delete_table(TableName=t.name)


def test_editing_an_immutable_attribute_of_a_read_instance_is_refused(table: Table) -> None:
    table.create(Post(post_id="p1", posted_at=T0, body="hi"))
    post = table.get_post(post_id="p1")
    assert post is not None
    post.posted_at = T1
    with pytest.raises(RequestError, match="immutable"):
        table.update(post)
    with pytest.raises(RequestError, match="immutable"):
        table.update(post.model_copy(update={"body": "changed too"}))
    assert table.get_post(post_id="p1") == Post(post_id="p1", posted_at=T0, body="hi")


def test_a_constructed_instance_cannot_change_it_either(table: Table) -> None:
    table.create(Post(post_id="p1", posted_at=T0, body="hi"))
    with pytest.raises((RequestError, ConditionFailedError)):
        table.update(Post(post_id="p1", posted_at=T1, body="hi"), expected_version=1)
    with pytest.raises((RequestError, ConditionFailedError)):
        table.put(Post(post_id="p1", posted_at=T1, body="x"))
    assert table.get_post(post_id="p1") == Post(post_id="p1", posted_at=T0, body="hi")
    table.put(Post(post_id="p1", posted_at=T0, body="other attributes still change"))
    table.put(Post(post_id="p2", posted_at=T1, body="a put that creates sets it"))
    assert table.get_post(post_id="p2") is not None


def test_guarded_entities_refuse_it_too(table: Table) -> None:
    table.create(Member(member_id="m1", handle="ann", joined_at=T0))
    with pytest.raises(RequestError, match="immutable"):
        table.put(Member(member_id="m1", handle="ann", joined_at=T1))
    with pytest.raises(RequestError, match="immutable"):
        table.update(Member(member_id="m1", handle="bo", joined_at=T1), expected_version=1)
    assert table.get_member(member_id="m1") == Member(member_id="m1", handle="ann", joined_at=T0)
    assert table.member_by_handle(handle="bo") is None


def test_a_stale_instance_of_a_recreated_item_is_stale_not_an_immutable_change(table: Table) -> None:
    """Found by the AppMachine: the old item's instance at the new item's version was told its
    immutable attribute differs, where the truth is that it is stale (another life of the item)."""
    table.create(Post(post_id="p1", posted_at=T0, body="first life"))
    old = table.get_post(post_id="p1")
    assert old is not None
    assert table.delete(Post, post_id="p1") is True
    table.create(Post(post_id="p1", posted_at=T1, body="second life"))
    old.body = "edit of the first life"
    with pytest.raises(ConditionFailedError) as info:
        table.update(old)
    assert not isinstance(info.value, RequestError)
    assert table.get_post(post_id="p1") == Post(post_id="p1", posted_at=T1, body="second life")


# ---- the AppMachine changes immutable attributes too ------------------------------------------


def _counting_immutable_changes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    seen: Counter[str] = Counter()
    predict = rules._changes_immutable

    def counting(self: Any, entity: str, current: Any, new: Any) -> bool:
        changed = predict(self, entity, current, new)
        seen[entity] += changed
        return changed

    monkeypatch.setattr(rules, "_changes_immutable", counting)
    return seen


def test_the_app_machine_tries_to_change_immutable_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its updates change immutable attributes of plain and guarded entities, and it predicts
    the refusal (a stale version is refused first)."""
    seen = _counting_immutable_changes(monkeypatch)
    run_app_machine(blog, settings=machine_settings(max_examples=8, stateful_step_count=20, derandomize=True))
    assert seen["Post"] > 0, seen
    assert seen["Member"] > 0, seen


def test_the_app_machine_fails_when_an_immutable_attribute_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Teeth: with the runtime's refusal taken out, the machine finds the changed attribute."""
    monkeypatch.setattr(writes, "changed_immutable", lambda *args: None)
    monkeypatch.setattr(writes, "stored_immutables_equal", lambda *args: None)
    settings = machine_settings(
        max_examples=8, stateful_step_count=20, derandomize=True, database=None, phases=[Phase.generate]
    )
    with pytest.raises(AssertionError, match="expected it to be refused"):
        run_app_machine(blog, settings=settings)
