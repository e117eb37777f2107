"""Replay and repair: recompute copies from their sources, for tables whose copies drifted.

Copies drift when records were lost (a dead-lettered record, a stream read after its 24-hour
retention, a stream enabled after the data was loaded) or written wrong (a bug, a manual
edit). :func:`repair_copies` reads each source item (strongly consistent), finds its targets
with the copy path's Query, and rewrites the targets whose copies differ with the same
version-conditioned UpdateItem the stream handler sends. It is therefore safe while the
application writes and the handler runs: a target that meanwhile received newer copies
keeps them, and a target written concurrently is re-read and decided again. A second run
over an unchanged table writes nothing.

:func:`replay_dead_letters` feeds dead-lettered records back to the handler (after the
cause is fixed). Replaying is always safe: records older than the copies change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from dynamodel.codec import Item
from dynamodel.compile import base_key
from dynamodel.compile.expressions import Placeholders
from dynamodel.design.model import TABLE, CopyPath, Design
from dynamodel.errors import RequestError
from dynamodel.layout import BORN_ATTR, TYPE_ATTR, VERSION_ATTR
from dynamodel.propagate.copy_requests import copy_status, dependent_indexes
from dynamodel.propagate.handler import (
    BatchResult,
    DeadLetter,
    PropagationStats,
    Propagator,
    process_records,
)
from dynamodel.propagate.options import PropagationOptions
from dynamodel.propagate.plan import source_update
from dynamodel.runtime.retry import DEFAULT_BACKOFF, Backoff

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["RepairReport", "repair_copies", "repair_from_items", "replay_dead_letters"]


@dataclass
class RepairReport:
    """What a repair did.

    Attributes:
        sources: source items read.
        checked: target items compared with their source.
        fixed: targets whose copies were rewritten.
        current: targets whose copies were already right (or newer).
        ahead: targets stamped with a newer version than their source has, with other
            values: left alone unless ``force`` (see :func:`repair_copies`).
        gone: targets deleted while the repair ran.
        missing_sources: identities given that name no source item.
        requests: DynamoDB requests sent.
        seconds: wall time.
    """

    sources: int = 0
    checked: int = 0
    fixed: int = 0
    current: int = 0
    ahead: int = 0
    gone: int = 0
    missing_sources: int = 0
    requests: int = 0
    seconds: float = 0.0
    by_path: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for logs and the CLI."""
        return (
            f"{self.sources} source(s), {self.checked} target(s) checked, {self.fixed} fixed, "
            f"{self.current} already current, {self.ahead} ahead of their source, {self.gone} gone, "
            f"{self.requests} request(s), {self.seconds:.2f}s"
        )


def _paths(design: Design, source: str | None) -> tuple[CopyPath, ...]:
    if source is None:
        return design.copy_paths
    design.app.entity(source)  # UnknownFieldError names the known entities
    paths = tuple(p for p in design.copy_paths if p.source == source)
    if not paths:
        sources = sorted({p.source for p in design.copy_paths}) or ["(none)"]
        msg = f"No entity copies attributes of {source} in app '{design.app.name}'."
        raise RequestError(msg, hint=f"repair one of the copied sources: {', '.join(sources)}")
    return paths


def _projection(design: Design, source: str, paths: Iterable[CopyPath], ph: Placeholders) -> str:
    """The ProjectionExpression of the attributes a repair compares, its names allocated in ``ph``."""
    spec = design.app.entity(source)
    wanted = [
        design.table.partition_key,
        design.table.sort_key,
        TYPE_ATTR,
        VERSION_ATTR,
        BORN_ATTR,
        *spec.identity,
        *(s for p in paths for _, s in p.attributes),
    ]
    return ", ".join(ph.name(ph.fresh("p"), a) for a in dict.fromkeys(wanted))


def _source_query(design: Design, source: str, ph: Placeholders) -> dict[str, Any] | None:
    """A Query reading every item of ``source`` when one index keeps them in one partition.

    Its ``ExpressionAttributeNames``/``Values`` are ``ph``'s maps, so placeholders allocated
    after it (the projection's) are sent with it.
    """
    for keys in design.entity_indexes(source):
        if keys.pk.attrs() or keys.sparse or keys.optional_attrs or keys.shards > 1:
            continue
        ix = design.index(keys.index)
        if ix.projection != "ALL":
            continue
        prefix, count = keys.sk.render_prefix({})
        if count == 0:
            continue
        pk = f"{ph.name('qpk', ix.partition_key)} = {ph.value('qpk', {'S': keys.pk.render({})})}"
        sk = f"begins_with({ph.name('qsk', ix.sort_key)}, {ph.value('qsk', {'S': prefix})})"
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": f"{pk} AND {sk}",
            "ExpressionAttributeNames": ph.names,
            "ExpressionAttributeValues": ph.values,
        }
        if keys.index == TABLE:
            kwargs["ConsistentRead"] = True
        else:
            kwargs["IndexName"] = keys.index
        return kwargs
    return None


class _Repair:
    def __init__(
        self, design: Design, table_name: str, client: DynamoDBClient, *, force: bool, backoff: Backoff
    ) -> None:
        self.design = design
        self.table_name = table_name
        self.client = client
        self.force = force
        self.report = RepairReport()
        self.stats = PropagationStats()
        self.propagator = Propagator(design, table_name, client, backoff=backoff, stats=self.stats)
        self.backoff = backoff
        self.on_progress: Callable[[int], None] | None = None

    def sources(self, source: str, paths: tuple[CopyPath, ...], page_size: int | None) -> Iterator[Item]:
        """Every item of ``source`` (a Query when the design allows one, else a Scan on ``_type``)."""
        ph = Placeholders()
        query = _source_query(self.design, source, ph)
        projection = _projection(self.design, source, paths, ph)
        if query is not None:
            kwargs: dict[str, Any] = {"TableName": self.table_name, **query}
            operation = "Query"
            send: Any = self.client.query
        else:
            type_is = f"{ph.name('st', TYPE_ATTR)} = {ph.value('st', {'S': source})}"
            kwargs = {
                "TableName": self.table_name,
                "FilterExpression": type_is,
                "ExpressionAttributeValues": ph.values,
                "ConsistentRead": True,
            }
            operation = "Scan"
            send = self.client.scan
        kwargs["ProjectionExpression"] = projection
        kwargs["ExpressionAttributeNames"] = ph.names
        if page_size is not None:
            kwargs["Limit"] = page_size
        start: Any = None
        while True:
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            response: Any = self.propagator.call(
                operation, partial(send, **kwargs), f"{source} items to repair copies from"
            )
            for item in response.get("Items", []):
                if item.get(TYPE_ATTR, {}).get("S") == source:
                    yield item
            if self.on_progress is not None:
                # Counted once the page's sources are repaired: the items the Scan (or Query) read.
                self.on_progress(int(response.get("ScannedCount", len(response.get("Items", [])))))
            start = response.get("LastEvaluatedKey")
            if not start:
                return

    def one_source(self, item: Item, paths: Iterable[CopyPath]) -> None:
        self.report.sources += 1
        for path in paths:
            update = source_update(self.design, path, item)
            full = self.design.index(path.plan.index).projection == "ALL" or not dependent_indexes(
                self.design, path
            )
            for found in self.propagator.targets(update):
                self.report.checked += 1
                target: Item | None = (
                    found
                    if full
                    else self.propagator.get(self.propagator.key_of(found), f"{path.target} to repair")
                )
                if target is None:
                    self.report.gone += 1
                    continue
                status = copy_status(self.design, update, target)
                if status == "current":
                    self.report.current += 1
                    continue
                if status == "ahead" and not self.force:
                    self.report.ahead += 1
                    continue
                outcome = self.propagator.apply(update, target, force=status == "ahead")
                if outcome == "updated":
                    self.report.fixed += 1
                    label = f"{path.source}->{path.target}"
                    self.report.by_path[label] = self.report.by_path.get(label, 0) + 1
                elif outcome == "gone":
                    self.report.gone += 1
                else:
                    self.report.current += 1


def repair_copies(
    design: Design,
    table_name: str,
    client: DynamoDBClient,
    source: str | None = None,
    identity: Mapping[str, object] | None = None,
    *,
    force: bool = False,
    page_size: int | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    on_progress: Callable[[int], None] | None = None,
) -> RepairReport:
    """Recompute copies from their sources and fix the targets whose copies differ.

    Args:
        design: the derived design.
        table_name: the table.
        client: a boto3 DynamoDB client.
        source: repair only the copies of this entity (default: every copied source).
        identity: with ``source``, repair only the copies of this one source item (its
            identity attributes, typed as declared).
        force: also rewrite targets stamped with a newer version than their source has
            (a source item without ``_born``, written by an older dynamodel or by hand, was
            deleted and re-created, so its stamp restarted; or a stamp was written by
            hand). Forced updates are conditioned on the stamp the repair read, so a
            concurrent propagation still wins.
        page_size: ``Limit`` of the source Scan/Query pages.
        backoff: retries of throttled requests.
        on_progress: called with the number of items read, after each page of the sources'
            Scan or Query has been repaired (with ``identity``: 1, after its source item).

    Returns:
        Counts: ``fixed`` targets were rewritten; a second run over an unchanged table
        reports ``fixed == 0``.

    Raises:
        RequestError: ``identity`` without ``source``, a source nobody copies, an identity
            attribute missing.
    """
    started = time.monotonic()
    paths = _paths(design, source)
    run = _Repair(design, table_name, client, force=force, backoff=backoff)
    run.on_progress = on_progress
    if identity is not None:
        if source is None:
            msg = "repair_copies(identity=...) needs the source entity too."
            raise RequestError(msg, hint="pass source='Customer', identity={'customer_id': ...}")
        spec = design.app.entity(source)
        missing = [a for a in spec.identity if identity.get(a) is None]
        if missing:
            msg = f"repair_copies({source}) needs the identity attribute(s) {missing}."
            raise RequestError(
                msg, hint=f"pass identity={{{', '.join(f'{a!r}: ...' for a in spec.identity)}}}"
            )
        key = base_key(design, source, identity)
        item = run.propagator.get(key, f"{source} to repair copies from")
        if item is None:
            run.report.missing_sources += 1
        else:
            run.one_source(item, paths)
        if on_progress is not None:
            on_progress(1)
    else:
        for name in dict.fromkeys(p.source for p in paths):
            mine = tuple(p for p in paths if p.source == name)
            for item in run.sources(name, mine, page_size):
                run.one_source(item, mine)
    run.report.requests = run.stats.requests
    run.report.seconds = time.monotonic() - started
    return run.report


def repair_from_items(
    design: Design,
    table_name: str,
    client: DynamoDBClient,
    items: Iterable[Item],
    paths: Iterable[CopyPath],
    *,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> RepairReport:
    """:func:`repair_copies` for source items already read (one page of a migration's scan).

    ``paths`` all copy from the items' entity; items of other entities are skipped.
    """
    started = time.monotonic()
    chosen = tuple(paths)
    run = _Repair(design, table_name, client, force=False, backoff=backoff)
    sources = {p.source for p in chosen}
    for item in items:
        if item.get(TYPE_ATTR, {}).get("S") in sources:
            run.one_source(item, chosen)
    run.report.requests = run.stats.requests
    run.report.seconds = time.monotonic() - started
    return run.report


def replay_dead_letters(
    letters: Iterable[DeadLetter | Mapping[str, Any]],
    *,
    design: Design,
    table_name: str,
    client: DynamoDBClient,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> BatchResult:
    """Feed dead-lettered records (or raw stream records) back to the handler, once each.

    Records that still fail are in the result's ``failures``/``errors``; nothing is
    dead-lettered again. Records delivered long after newer ones change nothing (the copy
    condition), so a replay never moves a copy backwards. Records older than the stream
    retention may also be better served by :func:`repair_copies`.
    """
    records = [letter.record if isinstance(letter, DeadLetter) else letter for letter in letters]
    return process_records(
        records,
        design=design,
        table_name=table_name,
        client=client,
        options=PropagationOptions(backoff=backoff),
    )
