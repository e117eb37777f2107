"""Write work is counted where it happens: an entity counted on by another pattern is written at its rate.

Two collections need the same partition twice (a user's memberships with the user, a group's
with the group), so one of User or Group goes on a GSI with the memberships: the one written
less. Joining a group writes a Membership and increments its Group's counter, 100 times a
second; users are renamed 10 times a second. The Group is then the busier entity, and must stay
off the GSI, where every counter update would be written a second time.
"""

from __future__ import annotations

from dynamodel import App, Entity, Query, Write
from dynamodel.design.cost import estimate


class User(Entity, identity=("user_id",)):
    user_id: str
    name: str


class Group(Entity, identity=("group_id",)):
    group_id: str
    member_count: int


class Membership(Entity, identity=("user_id", "group_id")):
    user_id: str
    group_id: str
    role: str


def _app(join_rate: float) -> App:
    return App(
        "clubs",
        [User, Group, Membership],
        [
            Query(Membership, by="user_id", include=[User], name="user_with_groups"),
            Query(Membership, by="group_id", include=[Group], name="group_with_members"),
            Write(User, name="rename_user", writes_per_s=10),
            Write(Membership, increments={Group.member_count: 1}, name="join", writes_per_s=join_rate),
        ],
    )


def _on_gsi(app: App) -> set[str]:
    return {k.entity for k in app.design.keys if k.index != "table"}


def test_the_entity_counted_on_most_stays_off_the_gsi() -> None:
    app = _app(join_rate=100)
    assert app.design.optimal
    assert _on_gsi(app) == {"Membership", "User"}  # failed before: Group (counted 100/s) was on the GSI


def test_without_the_counter_traffic_the_less_written_entity_moves_instead() -> None:
    assert _on_gsi(_app(join_rate=1)) == {"Membership", "Group"}  # Group 2/s < User 11/s


def test_the_join_writes_fewer_units_where_the_counter_is_not_copied() -> None:
    join = next(p for p in estimate(_app(join_rate=100).design).patterns if p.name == "join")
    # Membership (table + GSI1) and the Group's counter on the table only, in one transaction.
    assert join.write_units == 2 + 1 + 2
