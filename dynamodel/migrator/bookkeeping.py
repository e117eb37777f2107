"""The runner's bookkeeping, kept in the migrated table itself.

Every item lives in one partition, ``_MIGRATION#``, with ``_type`` ``_MIGRATION``: no entity
key starts with ``_``, so no pattern reads them, and the table checks skip them.

* ``LEASE#``: the runner working now (``owner``, ``expires`` in epoch milliseconds). Taken
  with a condition (free, expired, or already ours) and renewed in the same transaction as
  every checkpoint, so a runner that lost its lease cannot record progress.
* ``STATE#``: the revision being applied (``revision``, ``direction``, ``run``, ``segments``,
  ``filling``: the indexes whose keys are still being written, which reads refuse).
* ``SEG#<run>#<op>#<segment>``: one scan segment of one operation: the last evaluated key
  (saved only after that page's writes succeeded), whether it is done, and counts.
* ``OP#<run>#<op>``: an operation finished.
* ``APPLIED#<revision>``: a revision applied (``parent``, ``message``, ``applied_at``).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from dynamodel.codec import Item
from dynamodel.errors import ConditionFailedError, MigrationError, TransactionCancelledError
from dynamodel.layout import MIGRATION_PK, MIGRATION_STATE_SK, MIGRATION_TYPE, PK, SK, TYPE_ATTR
from dynamodel.runtime.retry import retry_throttled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["Applied", "Books", "Checkpoint", "RunState"]

LEASE_SK = "LEASE#"
STATE_SK = MIGRATION_STATE_SK


def _lease_refused(err: TransactionCancelledError) -> bool:
    """Whether a transaction was cancelled by its first action, the lease renewal's condition."""
    return bool(err.reasons) and err.reasons[0] == "ConditionalCheckFailed"


def _key(sk: str) -> Item:
    return {PK: {"S": MIGRATION_PK}, SK: {"S": sk}}


@dataclass(frozen=True)
class Checkpoint:
    """Where one segment of one operation stands."""

    last_key: dict[str, Any] | None = None
    done: bool = False
    seen: int = 0
    written: int = 0
    units: int = 0


@dataclass(frozen=True)
class RunState:
    """The revision being applied, and how."""

    revision: str
    direction: str
    run: str
    segments: int
    filling: tuple[str, ...] = ()


@dataclass(frozen=True)
class Applied:
    """A revision recorded as applied in the table."""

    revision: str
    parent: str | None
    message: str
    applied_at: float


@dataclass
class Books:
    """Reads and writes the bookkeeping items of one table for one runner (``owner``).

    Attributes:
        client, table: where.
        owner: this runner's id (one per process; its threads share it).
        lease_seconds: how long a lease lasts without renewal (a runner that stops renewing
            for this long may be taken over).
        clock: epoch seconds (injectable for tests).
    """

    client: DynamoDBClient
    table: str
    owner: str
    lease_seconds: float = 60.0
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def _call(self, operation: str, call: Callable[[], Any]) -> Any:
        return retry_throttled(call, operation=operation, context=f"migration bookkeeping of {self.table}")

    def _get(self, sk: str) -> Item | None:
        got = self._call(
            "GetItem", lambda: self.client.get_item(TableName=self.table, Key=_key(sk), ConsistentRead=True)
        )
        item: Item | None = got.get("Item")
        return item

    def _expires(self) -> dict[str, str]:
        return {"N": str(int((self.clock() + self.lease_seconds) * 1000))}

    # ---- the lease -------------------------------------------------------------------------

    def take_lease(self) -> None:
        """Take the lease: free, expired, or ours already.

        Raises:
            MigrationError: another runner holds a live lease.
        """
        item = {**_key(LEASE_SK), TYPE_ATTR: {"S": MIGRATION_TYPE}, "owner": {"S": self.owner}}
        item["expires"] = self._expires()
        try:
            self._call(
                "PutItem",
                lambda: self.client.put_item(
                    TableName=self.table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#pk) OR #exp < :now OR #owner = :me",
                    ExpressionAttributeNames={"#pk": PK, "#exp": "expires", "#owner": "owner"},
                    ExpressionAttributeValues={
                        ":now": {"N": str(int(self.clock() * 1000))},
                        ":me": {"S": self.owner},
                    },
                ),
            )
        except ConditionFailedError:
            held = self._get(LEASE_SK) or {}
            who = held.get("owner", {}).get("S", "?")
            until = int(held.get("expires", {}).get("N", "0")) / 1000 - self.clock()
            msg = f"another migration runner ({who}) holds the lease of {self.table} for {until:.0f} more second(s)."
            raise MigrationError(
                msg, hint="wait for it to finish; a runner that died loses its lease when it expires"
            ) from None

    def release_lease(self) -> None:
        """Give the lease back (if it is still ours)."""
        # Taken over after it expired: nothing of ours to release.
        with contextlib.suppress(ConditionFailedError):
            self._call(
                "DeleteItem",
                lambda: self.client.delete_item(
                    TableName=self.table,
                    Key=_key(LEASE_SK),
                    ConditionExpression="#owner = :me",
                    ExpressionAttributeNames={"#owner": "owner"},
                    ExpressionAttributeValues={":me": {"S": self.owner}},
                ),
            )

    def _renewal(self) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": _key(LEASE_SK),
                "UpdateExpression": "SET #exp = :exp",
                "ConditionExpression": "#owner = :me",
                "ExpressionAttributeNames": {"#exp": "expires", "#owner": "owner"},
                "ExpressionAttributeValues": {":exp": self._expires(), ":me": {"S": self.owner}},
            }
        }

    def _with_lease(self, operation: str, put: Mapping[str, Any]) -> None:
        """Write one bookkeeping item and renew the lease in one transaction (refused if not ours)."""
        items = [self._renewal(), {"Put": {"TableName": self.table, "Item": dict(put)}}]
        try:
            self._call(
                "TransactWriteItems", lambda: self.client.transact_write_items(TransactItems=cast(Any, items))
            )
        except TransactionCancelledError as err:
            if not _lease_refused(err):
                raise  # not about the lease (a conflict, an engine error): say what it was
            msg = f"this runner ({self.owner}) lost the lease of {self.table} while {operation}."
            raise MigrationError(
                msg, hint="another runner took over; run `migrate status` to see where it is"
            ) from err

    # ---- checkpoints -----------------------------------------------------------------------

    @staticmethod
    def _seg_sk(run: str, op: int, segment: int) -> str:
        return f"SEG#{run}#{op:04d}#{segment:05d}"

    def checkpoint(self, run: str, op: int, segment: int) -> Checkpoint:
        """The checkpoint of one segment (a fresh one when none was saved)."""
        item = self._get(self._seg_sk(run, op, segment))
        if item is None:
            return Checkpoint()
        last = item.get("last_key", {}).get("S")
        return Checkpoint(
            last_key=json.loads(last) if last else None,
            done=bool(item.get("done", {}).get("BOOL")),
            seen=int(item.get("seen", {}).get("N", "0")),
            written=int(item.get("written", {}).get("N", "0")),
            units=int(item.get("units", {}).get("N", "0")),
        )

    def save_checkpoint(self, run: str, op: int, segment: int, cp: Checkpoint) -> None:
        """Record a segment's progress (after the page's writes succeeded), renewing the lease."""
        item: dict[str, Any] = {
            **_key(self._seg_sk(run, op, segment)),
            TYPE_ATTR: {"S": MIGRATION_TYPE},
            "done": {"BOOL": cp.done},
            "seen": {"N": str(cp.seen)},
            "written": {"N": str(cp.written)},
            "units": {"N": str(cp.units)},
        }
        if cp.last_key is not None:
            item["last_key"] = {"S": json.dumps(cp.last_key, sort_keys=True)}
        self._with_lease(f"saving segment {segment} of operation {op}", item)

    def op_done(self, run: str, op: int) -> bool:
        """Whether an operation of this run finished."""
        return self._get(f"OP#{run}#{op:04d}") is not None

    def finish_op(self, run: str, op: int) -> None:
        """Record an operation as finished."""
        self._with_lease(
            f"finishing operation {op}", {**_key(f"OP#{run}#{op:04d}"), TYPE_ATTR: {"S": MIGRATION_TYPE}}
        )

    def forget_segments(self, run: str, op: int) -> None:
        """Delete an operation's checkpoints, so that it starts over (after duplicates were fixed)."""
        for item in self._items(f"SEG#{run}#{op:04d}#"):
            self._delete(item[SK]["S"])

    def _delete(self, sk: str) -> None:
        self._call("DeleteItem", lambda: self.client.delete_item(TableName=self.table, Key=_key(sk)))

    # ---- the run and its revisions ---------------------------------------------------------

    def state(self) -> RunState | None:
        """The revision being applied, if a run started and did not finish."""
        item = self._get(STATE_SK)
        if item is None:
            return None
        return RunState(
            revision=item["revision"]["S"],
            direction=item["direction"]["S"],
            run=item["run"]["S"],
            segments=int(item["segments"]["N"]),
            filling=tuple(json.loads(item.get("filling", {}).get("S", "[]"))),
        )

    def save_state(self, state: RunState) -> None:
        """Record the run (renewing the lease)."""
        item = {
            **_key(STATE_SK),
            TYPE_ATTR: {"S": MIGRATION_TYPE},
            "revision": {"S": state.revision},
            "direction": {"S": state.direction},
            "run": {"S": state.run},
            "segments": {"N": str(state.segments)},
            "filling": {"S": json.dumps(list(state.filling))},
        }
        self._with_lease(f"starting revision {state.revision}", item)

    def finish_revision(self, state: RunState, parent: str | None, message: str) -> None:
        """Record the revision as applied (``up``) or not (``down``) and end the run, in one transaction."""
        items: list[dict[str, Any]] = [
            self._renewal(),
            {"Delete": {"TableName": self.table, "Key": _key(STATE_SK)}},
        ]
        applied = _key(f"APPLIED#{state.revision}")
        if state.direction == "up":
            record = {
                **applied,
                TYPE_ATTR: {"S": MIGRATION_TYPE},
                "parent": {"S": parent} if parent is not None else {"NULL": True},
                "message": {"S": message},
                "applied_at": {"N": repr(round(self.clock(), 3))},
            }
            items.append({"Put": {"TableName": self.table, "Item": record}})
        else:
            items.append({"Delete": {"TableName": self.table, "Key": applied}})
        try:
            self._call(
                "TransactWriteItems", lambda: self.client.transact_write_items(TransactItems=cast(Any, items))
            )
        except TransactionCancelledError as err:
            if not _lease_refused(err):
                raise
            msg = (
                f"this runner ({self.owner}) lost the lease of {self.table} while finishing {state.revision}."
            )
            raise MigrationError(msg, hint="run `migrate status` to see where the other runner is") from err
        for prefix in (f"SEG#{state.run}#", f"OP#{state.run}#"):
            for item in self._items(prefix):
                self._delete(item[SK]["S"])

    def applied(self) -> list[Applied]:
        """The revisions recorded as applied, in the order they were applied."""
        found = [
            Applied(
                revision=i[SK]["S"].removeprefix("APPLIED#"),
                parent=i["parent"].get("S"),
                message=i.get("message", {}).get("S", ""),
                applied_at=float(i.get("applied_at", {}).get("N", "0")),
            )
            for i in self._items("APPLIED#")
        ]
        return sorted(found, key=lambda a: a.applied_at)

    def _items(self, prefix: str) -> list[Item]:
        out: list[Item] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :sk)",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
            "ExpressionAttributeValues": {":pk": {"S": MIGRATION_PK}, ":sk": {"S": prefix}},
            "ConsistentRead": True,
        }
        while True:
            page = self._call("Query", lambda: self.client.query(**kwargs))
            out += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
