"""An app whose copies are part of GSI keys and of a sparse predicate (propagation tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from dynamodel import App, Copy, Entity, Get, Query


class Team(Entity, identity=("team_id",)):
    """A team; members copy its region and status."""

    team_id: str
    region: str
    status: Literal["ACTIVE", "PAUSED"]


class Member(Entity, identity=("member_id",)):
    """A member, listed by its team's region, and (sparse) only while its team is active."""

    member_id: str
    team_id: str
    joined_at: datetime
    team_region: str = Copy(Team.region)
    team_status: str = Copy(Team.status)


teams = App(
    "teams",
    [Team, Member],
    patterns=[
        Get(Team, by="team_id", name="get_team"),
        Query(Member, by="team_id", sort="joined_at", name="members_of_team"),
        Query(Member, by="team_region", sort="joined_at", name="members_by_region"),
        Query(Member, where={"team_status": "ACTIVE"}, sort="joined_at", name="active_members"),
    ],
)
