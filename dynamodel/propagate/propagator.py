"""The propagator: applies copy updates to one table's target items.

Shared by the batch loop (one stream record's updates and target checks) and the repair
command (copies recomputed from their sources). The requests themselves are built by
:mod:`dynamodel.propagate.plan`; this module sends them, re-reads a target whose condition
failed, and counts what it did in :class:`PropagationStats`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from dynamodel.codec import Item
from dynamodel.design.model import Design
from dynamodel.errors import ConditionFailedError, DynamodelError, ExecutionError
from dynamodel.layout import STAMP_SHIFT
from dynamodel.propagate.copy_requests import (
    build_copy_update,
    build_forced_copy_update,
    dependent_indexes,
    lookup_requests,
    refers_to,
)
from dynamodel.propagate.plan import CopyUpdate, TargetCheck, source_update
from dynamodel.runtime.retry import DEFAULT_BACKOFF, Backoff, retry_throttled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["MAX_CONFLICTS", "PropagationError", "PropagationStats", "Propagator"]

MAX_CONFLICTS = 5
"""Re-reads of one target whose condition failed before the record is failed (and retried)."""

T = TypeVar("T")


class PropagationError(ExecutionError):
    """Propagation could not bring a copy up to date (a target kept changing, a stuck record)."""


@dataclass
class PropagationStats:
    """What a batch did.

    Attributes:
        records: records seen.
        idle: records that needed no work (no copied attribute changed, REMOVE, ...).
        superseded: source records skipped because a newer record of the same source item
            in the same batch carries newer copies.
        lookups: copy-path Queries sent (one per shard and page).
        targets: target items examined.
        updated: targets whose copies were written.
        current: targets already holding these or newer copies (nothing written).
        gone: targets deleted before their update.
        conflicts: updates whose condition failed and were re-read.
        checks: target checks (application writes of a target verified against the source).
        failed: record failures (reported or dead-lettered).
        dead_lettered: records sent to the dead-letter queue.
        requests: DynamoDB requests sent (throttled retries not counted).
    """

    records: int = 0
    idle: int = 0
    superseded: int = 0
    lookups: int = 0
    targets: int = 0
    updated: int = 0
    current: int = 0
    gone: int = 0
    conflicts: int = 0
    checks: int = 0
    failed: int = 0
    dead_lettered: int = 0
    requests: int = 0

    def add(self, other: PropagationStats) -> None:
        """Add ``other``'s counts to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Propagator:
    """Applies copy updates to one table (shared by the handler and the repair command)."""

    def __init__(
        self,
        design: Design,
        table_name: str,
        client: DynamoDBClient,
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        stats: PropagationStats | None = None,
    ) -> None:
        self.design = design
        self.table_name = table_name
        self.client = client
        self.backoff = backoff
        self.stats = stats if stats is not None else PropagationStats()

    def call(self, operation: str, request: Callable[[], T], context: str) -> T:
        """One request, retried while throttled, errors mapped to dynamodel's (counted)."""
        self.stats.requests += 1
        return retry_throttled(
            request,
            backoff=self.backoff,
            operation=operation,
            context=f"table '{self.table_name}', {context}",
        )

    def get(self, key: Item, context: str) -> Item | None:
        """A strongly consistent GetItem; None when there is no item."""
        response: Any = self.call(
            "GetItem",
            lambda: self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True),
            context,
        )
        item: Item | None = response.get("Item")
        return item or None

    def targets(self, update: CopyUpdate) -> Iterator[Item]:
        """Every target item of ``update``'s source item (the copy path's Query, all pages)."""
        path = update.path
        for request in lookup_requests(self.design, path, update.identity, self.table_name):
            start: Any = None
            while True:
                kwargs = dict(request)
                if start is not None:
                    kwargs["ExclusiveStartKey"] = start
                response: Any = self.call(
                    "Query",
                    partial(self.client.query, **kwargs),
                    f"targets of {path.source} {dict(update.identity)} in {path.target}",
                )
                self.stats.lookups += 1
                yield from response.get("Items", [])
                start = response.get("LastEvaluatedKey")
                if not start:
                    break

    def propagate(self, update: CopyUpdate) -> None:
        """Apply ``update`` to every target item of its source item.

        A target that fails does not stop the others; the first error is raised at the
        end, so the record is retried and the targets already updated are no-ops then.
        """
        index = self.design.index(update.path.plan.index)
        full = index.projection == "ALL" or not dependent_indexes(self.design, update.path)
        first: Exception | None = None
        for found in self.targets(update):
            self.stats.targets += 1
            try:
                item: Item | None = found
                if not full:  # keys must be rendered from every stored value
                    item = self.get(self.key_of(found), f"{update.path.target} to update")
                if item is None:
                    self.stats.gone += 1
                    continue
                self.apply(update, item)
            except DynamodelError as err:
                first = first or err
        if first is not None:
            raise first

    def check(self, check: TargetCheck) -> None:
        """Verify an application-written target against its source (read strongly consistent)."""
        self.stats.checks += 1
        source = self.get(check.source_key, f"{check.path.source} copied by a {check.path.target}")
        if source is None:
            return  # a deleted source leaves its copies as they are
        self.stats.targets += 1
        update = source_update(self.design, check.path, source)
        if _absent_at_write(check) and self._overwrite_absence(update, check.target):
            return
        self.apply(update, check.target)

    def _overwrite_absence(self, update: CopyUpdate, written: Item) -> bool:
        """Fill the copies of a write that found its source missing, from the source read now.

        The write stamped the absence with its own clock; a source stored after that read but
        born before it has a lower stamp, which the stamp order would refuse for good. The
        source was just read strongly consistent, so its values are current: they replace the
        absence as long as the target still holds what the write stored (its stamp unchanged).
        True when that was done or nothing needs doing; False when the target moved on since
        (the usual order decides then).
        """
        request = build_forced_copy_update(self.design, update, written, self.table_name)
        return request is None or self._send_copy(update, request)

    def _send_copy(self, update: CopyUpdate, request: dict[str, Any]) -> bool:
        """Send one copy update; False (a conflict counted) when its condition failed."""
        try:
            self.call(
                "UpdateItem",
                partial(self.client.update_item, **request),
                f"copies of {update.path.source} v{update.version} in a {update.path.target}",
            )
        except ConditionFailedError:
            self.stats.conflicts += 1
            return False
        self.stats.updated += 1
        return True

    def key_of(self, item: Item) -> Item:
        """The base-table key of an item."""
        pk, sk = self.design.table.partition_key, self.design.table.sort_key
        return {pk: item[pk], sk: item[sk]}

    def apply(self, update: CopyUpdate, target: Item, *, force: bool = False) -> str:
        """Bring one target's copies to ``update``: ``updated``, ``current`` or ``gone``.

        A failed condition re-reads the target (strongly consistent) and decides again:
        newer copies already there, the target deleted, or (when keys are re-rendered) its
        ``_version`` moved and the keys must be rendered from its new values.

        Raises:
            PropagationError: the target changed under every one of ``MAX_CONFLICTS`` attempts.
        """
        item: Item | None = target
        for _ in range(MAX_CONFLICTS):
            assert item is not None
            if not refers_to(self.design, update, item):
                self.stats.gone += 1  # re-created for another source: its copies follow that one
                return "gone"
            build = build_forced_copy_update if force else build_copy_update
            request = build(self.design, update, item, self.table_name)
            if request is None:
                self.stats.current += 1
                return "current"
            if self._send_copy(update, request):
                return "updated"
            item = self.get(self.key_of(item), f"{update.path.target} after a failed copy condition")
            if item is None:
                self.stats.gone += 1
                return "gone"
        key = self.key_of(target)
        msg = f"the {update.path.target} at {key} changed under {MAX_CONFLICTS} copy updates in a row"
        raise PropagationError(
            msg, hint="the record is retried; if it keeps failing, run repair-copies later"
        )


def _absent_at_write(check: TargetCheck) -> bool:
    """Whether the checked write stamped its source as missing (a stamp with no version part)."""
    av = check.target.get(check.path.stamp_attr)
    text = av.get("N") if av else None
    return isinstance(text, str) and text.isdigit() and int(text) % STAMP_SHIFT == 0
