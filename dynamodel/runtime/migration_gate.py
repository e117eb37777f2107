"""Refusing reads of an index that a running migration is still filling.

While ``migrate up`` writes an index's keys onto existing items, a Query on that index
misses the items not reached yet. The runner records the indexes it is filling in one
bookkeeping item (``_MIGRATION#``/``STATE#``, attribute ``filling``); a connected table of an
app deployed with migrations reads it (cached for ``ttl`` seconds, so one GetItem per
table per ``ttl``) before a read on a GSI, and refuses the read while its index is listed,
unless the caller accepted partial results. A refusal is always confirmed by a fresh read,
so the first read after the fill finished is served, not refused for the rest of ``ttl``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from dynamodel.design.model import TABLE, PatternPlan
from dynamodel.errors import IndexFillingError
from dynamodel.layout import MIGRATION_PK, MIGRATION_STATE_SK, PK, SK
from dynamodel.runtime.steps import Steps

__all__ = ["MigrationGate", "WhileFilling"]

WhileFilling = Literal["refuse", "partial"]


class Session(Protocol):
    """What the gate needs of the runtime's session (which holds the gate)."""

    table_name: str

    def send(self, operation: str, request: dict[str, Any], context: str = "") -> Steps[Any]:
        """One request, retried while throttled."""
        ...


@dataclass
class MigrationGate:
    """Checks a read's index against the migration state of the table (cached)."""

    mode: WhileFilling = "refuse"
    ttl: float = 30.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _filling: tuple[str, ...] = ()
    _read_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def filling(self, s: Session, *, fresh: bool = False) -> Steps[tuple[str, ...]]:
        """The indexes a migration is filling now (read at most once per ``ttl`` unless ``fresh``)."""
        with self._lock:
            now = self.clock()
            if not fresh and self._read_at is not None and now - self._read_at < self.ttl:
                return self._filling
        key = {PK: {"S": MIGRATION_PK}, SK: {"S": MIGRATION_STATE_SK}}
        got: Any = yield from s.send(
            "GetItem",
            {"TableName": s.table_name, "Key": key, "ProjectionExpression": "filling"},
            "the migration state",
        )
        text = got.get("Item", {}).get("filling", {}).get("S", "[]")
        found = tuple(str(i) for i in json.loads(text))
        with self._lock:
            self._filling, self._read_at = found, now
        return found

    def check(self, s: Session, plan: PatternPlan) -> Steps[None]:
        """Raise IndexFillingError when ``plan`` reads an index a migration is still filling."""
        if plan.index == TABLE or self.mode == "partial":
            return
        if plan.index in (yield from self.filling(s)) and plan.index in (
            yield from self.filling(s, fresh=True)
        ):
            msg = (
                f"Pattern '{plan.name}' reads {plan.index}, which a migration of table "
                f"'{s.table_name}' is still filling: items not reached yet would be missing."
            )
            raise IndexFillingError(
                msg,
                hint="wait for `dynamodel migrate up` to finish (see `migrate status`), or connect with while_filling='partial'",
            )
