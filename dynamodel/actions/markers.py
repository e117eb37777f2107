"""The marker that makes an action's table writes happen once per change of its source item.

A change is named by (action, source item key, event, the item's birth, its version): the
version an item had when it was written is unique within one life of the item, the birth
tells lives apart (a deleted and re-created item restarts at version 1), and the event tells
a REMOVE from the write that made the version it removes. The marker is put with
``attribute_not_exists`` in the same transaction as the action's writes: a redelivered,
replayed or concurrently delivered record finds it and changes nothing.

Markers live in partitions of their own (``_ACTION#<action>#<source PK>``), never in an
entity's item collection, so no Query of the app's patterns can meet one; they carry a
``_type`` that no entity has, so no event filter delivers them; and they expire after
:data:`MARKER_DAYS` through the table's TTL, longer than a stream keeps records (24 h) and
than a dead-letter queue keeps them (14 days), so a record replayed from either still finds
its marker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dynamodel.codec import Item
from dynamodel.layout import BORN_ATTR, EXPIRES_ATTR, PK, SK, TYPE_ATTR, VERSION_ATTR
from dynamodel.propagate.records import StreamRecord

__all__ = ["MARKER_DAYS", "MARKER_TYPE", "Change", "change_of", "marker_item", "marker_key"]

MARKER_TYPE = "_ACTION"
MARKER_DAYS = 15
_DAY = 86_400


@dataclass(frozen=True)
class Change:
    """One change of one source item, as an action sees it."""

    pk: str
    sk: str
    event: str
    born: str
    version: str

    @property
    def name(self) -> str:
        """The change as text: the sort key of its marker (and of its idempotency records)."""
        return f"{self.sk}#{self.event}#{self.born}#{self.version}"


def change_of(record: StreamRecord) -> Change:
    """The change a stream record reports (the old image's state for a REMOVE)."""
    image = record.old if record.event_name == "REMOVE" else record.new  # never empty (parse_record)

    def number(attr: str) -> str:
        # Items dynamodel did not write have no version: the record's own sequence number
        # then names the change (unique per record, though not shared by a replay elsewhere).
        av = image.get(attr)
        return av["N"] if av is not None and "N" in av else f"seq{record.sequence_number}"

    return Change(
        pk=image[PK]["S"],
        sk=image[SK]["S"],
        event=record.event_name,
        born=number(BORN_ATTR),
        version=number(VERSION_ATTR),
    )


def marker_key(action: str, change: Change) -> Item:
    """The key of the marker of ``change`` for ``action``."""
    return {PK: {"S": f"_ACTION#{action}#{change.pk}"}, SK: {"S": change.name}}


def marker_item(action: str, change: Change, *, now: float | None = None) -> Item:
    """The marker item (expiring after :data:`MARKER_DAYS`)."""
    at = int(time.time() if now is None else now)
    return {
        **marker_key(action, change),
        TYPE_ATTR: {"S": MARKER_TYPE},
        "action": {"S": action},
        "done_at": {"N": str(at)},
        EXPIRES_ATTR: {"N": str(at + MARKER_DAYS * _DAY)},
    }
