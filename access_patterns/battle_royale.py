"""A battle royale game's players and matches (AWS tutorial "Modeling Game Player Data"), in Python.

The same application as ``benchmarks/cases/specs/aws-tutorial-battle-royale-game.yaml``: users
create games on a map, up to 50 players join a game, the game starts, and each player's
placing and kills are recorded.

Notes on the modelling (shared with the spec file):

- The source marks an open game by the presence of ``open_timestamp`` (removed when the game
  starts). ``Game.status`` states that explicitly, so the open-games patterns say
  ``where={"status": "OPEN"}``.
- Joining a game is conditional in the source (fewer than 50 players, not joined twice);
  conditions are not declarations, so ``ap9_join_game`` declares only the atomic write and its
  counter. Creating, updating, starting and ending games are single-item writes with no pattern.
- ``ap5_open_games`` lists every open game with no order; the expert scans a sparse index for it,
  so the pattern allows a scan (dynamodel may still serve it with one Query).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from dynamodel import App, Collection, Entity, Get, Query, Write, field_ref


class User(Entity, identity=("username",)):
    """A player's account and profile."""

    username: str
    name: str
    email: str
    birthdate: date
    address: dict[str, Any]


class Game(Entity, identity=("game_id",)):
    """One match on a map, created by a user; open for players until it starts.

    ``people`` counts the players who joined (at most 50). ``open_timestamp`` is set only while
    the game is open; ``start_time`` and ``end_time`` once it starts and ends.
    """

    game_id: str
    map: str
    creator: str
    create_time: datetime
    status: Literal["OPEN", "STARTED", "ENDED"]
    open_timestamp: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    people: int


class UserGameMapping(Entity, identity=("game_id", "username"), parent=Game):
    """A user taking part in a game, with the result once the game is over (many-to-many edge)."""

    game_id: str
    username: str
    place: int | None = None
    kills: int | None = None


battle_royale = App(
    "battle_royale",
    [User, Game, UserGameMapping],
    patterns=[
        Get(User, by="username", name="ap3_get_user"),
        Query(Game, where={"status": "OPEN"}, allow_scan=True, name="ap5_open_games"),
        Query(
            Game,
            by="map",
            where={"status": "OPEN"},
            sort="open_timestamp",
            order="asc",
            name="ap6_open_games_on_map",
        ),
        Get(Game, by="game_id", name="ap7_get_game"),
        Collection(Game, UserGameMapping, by="game_id", name="ap8_game_with_players"),
        Write(UserGameMapping, increments={field_ref(Game, "people"): 1}, name="ap9_join_game"),
        Query(UserGameMapping, by="username", name="ap13_games_of_user"),
    ],
)
