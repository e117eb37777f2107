"""The local driver: poll a table's DynamoDB stream and feed the propagation handler until drained.

This is what Lambda's event source mapping does in production, run in-process against
any engine that serves the DynamoDB Streams API (moto in-process and over HTTP, DynamoDB
Local, Amazon DynamoDB)::

    with EmbeddedEngine() as engine:
        client, streams = engine.client(), engine.streams_client()
        ...                                         # writes through the runtime
        drain(shop.design, "shop-dev", client, streams)   # every copy is now fresh

Semantics follow the event source mapping with ``ReportBatchItemFailures`` and
``BisectBatchOnFunctionError``:

* records are read per shard from where the last drain stopped (a :class:`StreamCheckpoint`,
  kept per stream in this process unless one is passed), from ``TRIM_HORIZON`` the first time;
* a batch whose handler raises (a crash) is split in halves and retried, down to single
  records; a record reported in ``batchItemFailures`` is redelivered (with the records after
  it, as Lambda does: the handler is idempotent) after a backoff pause;
* a record that failed ``max_attempts`` times goes to ``dlq``; without a dead-letter queue
  the drain stops with :class:`~dynamodel.propagate.propagator.PropagationError` instead of
  looping forever;
* a shard is drained when ``get_records`` returns no records. Amazon DynamoDB can return
  empty pages before the end of an open shard; this driver is meant for local engines, where
  an empty page means the end (moto answers from memory).

The handler's own writes (copy updates) produce stream records too; they need no work, so
draining always ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, Unpack

from botocore.exceptions import ClientError

from dynamodel.design.model import Design
from dynamodel.errors import ExecutionError
from dynamodel.propagate.batch_loop import BatchArgs, BatchResult, process_records
from dynamodel.propagate.dead_letters import DeadLetter, DeadLetterQueue
from dynamodel.propagate.options import DEFAULT_MAX_ATTEMPTS, PropagationOptions
from dynamodel.propagate.propagator import PropagationError, PropagationStats
from dynamodel.propagate.records import record_id
from dynamodel.runtime.errors import aws_error_code
from dynamodel.runtime.retry import DEFAULT_BACKOFF, Backoff, retry_throttled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient

__all__ = [
    "DrainReport",
    "Handler",
    "StreamCheckpoint",
    "checkpoint_for",
    "drain",
    "poll_records",
    "stream_arn",
]

DEFAULT_BATCH_SIZE = 100
MAX_PASSES = 1000


class Handler(Protocol):
    """The signature of :func:`~dynamodel.propagate.batch_loop.process_records` (injectable for tests)."""

    def __call__(self, records: Sequence[Mapping[str, Any]], **batch: Unpack[BatchArgs]) -> BatchResult:
        """Apply one batch."""
        ...


@dataclass
class StreamCheckpoint:
    """How far a stream has been handled.

    Attributes:
        positions: shard id → sequence number of the last record handled in that shard.
        attempts: failures per ``eventID`` of records not yet handled.
        closed: shards read to their end (closed by DynamoDB and fully handled).
    """

    positions: dict[str, str] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)


_CHECKPOINTS: dict[str, StreamCheckpoint] = {}
_CHECKPOINTS_LOCK = threading.Lock()


def checkpoint_for(arn: str) -> StreamCheckpoint:
    """This process's checkpoint of the stream ``arn`` (created empty the first time)."""
    with _CHECKPOINTS_LOCK:
        found = _CHECKPOINTS.get(arn)
        if found is None:
            found = _CHECKPOINTS[arn] = StreamCheckpoint()
        return found


@dataclass
class DrainReport:
    """What a drain did.

    Attributes:
        stream_arn: the stream read.
        deliveries: records handed to the handler (redeliveries included).
        batches: handler calls.
        crashes: handler calls that raised (their batch was split and retried).
        redeliveries: batches re-read because a record failed.
        stats: the handler's counts, summed.
        dead_letters: records sent to the dead-letter queue.
        seconds: wall time.
    """

    stream_arn: str = ""
    deliveries: int = 0
    batches: int = 0
    crashes: int = 0
    redeliveries: int = 0
    stats: PropagationStats = field(default_factory=PropagationStats)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for logs and the CLI."""
        s = self.stats
        return (
            f"{self.deliveries} record(s) in {self.batches} batch(es), {s.updated} copy update(s), "
            f"{s.current} already current, {s.idle} without work, {s.checks} target check(s), "
            f"{self.crashes} crash(es), {self.redeliveries} redelivery(ies), "
            f"{len(self.dead_letters)} dead letter(s), {self.seconds:.2f}s"
        )


# ---- stream access -------------------------------------------------------------------------


def _call(operation: str, request: Callable[[], Any], context: str) -> Any:
    return retry_throttled(request, backoff=DEFAULT_BACKOFF, operation=operation, context=context)


def stream_arn(client: DynamoDBClient, table_name: str) -> str:
    """The ARN of the table's latest stream.

    Raises:
        PropagationError: the table has no stream enabled.
    """
    response: Any = _call(
        "DescribeTable", lambda: client.describe_table(TableName=table_name), f"table '{table_name}'"
    )
    table = response.get("Table", {})
    arn = table.get("LatestStreamArn")
    enabled = table.get("StreamSpecification", {}).get("StreamEnabled", bool(arn))
    if not arn or not enabled:
        msg = f"table '{table_name}' has no stream, so there is nothing to propagate from"
        raise PropagationError(
            msg,
            hint="create the table from the emitted definitions (they enable NEW_AND_OLD_IMAGES when the design has copies), or use an engine that serves DynamoDB Streams",
        )
    return str(arn)


def _shards(streams: DynamoDBStreamsClient, arn: str) -> list[dict[str, Any]]:
    """Every shard of the stream, parents before their children."""
    shards: list[dict[str, Any]] = []
    start: str | None = None
    while True:
        kwargs: dict[str, Any] = {"StreamArn": arn}
        if start:
            kwargs["ExclusiveStartShardId"] = start
        try:
            response: Any = _call("DescribeStream", partial(streams.describe_stream, **kwargs), arn)
        except ExecutionError as err:
            if err.aws_code != "404":
                raise
            msg = f"the streams endpoint does not serve DescribeStream for {arn} ({err.message})"
            raise PropagationError(
                msg,
                hint="moto in-process (mock_aws) needs AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled or a client with Config(account_id_endpoint_mode='disabled')",
                aws_code=err.aws_code,
            ) from err
        desc = response["StreamDescription"]
        shards += desc.get("Shards", [])
        start = desc.get("LastEvaluatedShardId")
        if not start:
            break
    by_id = {s["ShardId"]: s for s in shards}
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(shard: dict[str, Any]) -> None:
        if shard["ShardId"] in seen:
            return
        seen.add(shard["ShardId"])
        parent = by_id.get(shard.get("ParentShardId") or "")
        if parent is not None:
            visit(parent)
        ordered.append(shard)

    for shard in shards:
        visit(shard)
    return ordered


def _iterator(
    streams: DynamoDBStreamsClient,
    arn: str,
    shard_id: str,
    *,
    after: str | None = None,
    at: str | None = None,
) -> str | None:
    kwargs: dict[str, Any] = {"StreamArn": arn, "ShardId": shard_id}
    if at is not None:
        kwargs.update(ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=at)
    elif after is not None:
        kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
    else:
        kwargs["ShardIteratorType"] = "TRIM_HORIZON"
    try:
        response: Any = streams.get_shard_iterator(**kwargs)
    except ClientError as err:
        if aws_error_code(err) == "TrimmedDataAccessException" and (at or after):
            # The position is older than the stream's 24 h retention: records were lost.
            # Start at the oldest record left; run repair-copies to fix what was missed.
            return _iterator(streams, arn, shard_id)
        raise _call_error(err, "GetShardIterator", arn) from err
    found = response.get("ShardIterator")
    return str(found) if found else None


def _call_error(err: ClientError, operation: str, context: str) -> ExecutionError:
    from dynamodel.runtime.errors import map_client_error  # noqa: PLC0415 - error path only

    return map_client_error(err, operation=operation, context=context)


def _get_records(streams: DynamoDBStreamsClient, iterator: str, limit: int, arn: str) -> Any:
    return _call("GetRecords", lambda: streams.get_records(ShardIterator=iterator, Limit=limit), arn)


def poll_records(
    client: DynamoDBClient,
    streams_client: DynamoDBStreamsClient,
    table_name: str,
    checkpoint: StreamCheckpoint,
    *,
    batch_size: int = 1000,
) -> list[dict[str, Any]]:
    """Every record after ``checkpoint`` (all shards), advancing it; nothing is handled.

    For observers and tests that schedule deliveries themselves.
    """
    arn = stream_arn(client, table_name)
    out: list[dict[str, Any]] = []
    for shard in _shards(streams_client, arn):
        sid = shard["ShardId"]
        if sid in checkpoint.closed:
            continue
        iterator = _iterator(streams_client, arn, sid, after=checkpoint.positions.get(sid))
        while iterator:
            response = _get_records(streams_client, iterator, batch_size, arn)
            records: list[dict[str, Any]] = response.get("Records", [])
            if records:
                out += records
                checkpoint.positions[sid] = records[-1]["dynamodb"]["SequenceNumber"]
            iterator = response.get("NextShardIterator")
            if iterator is None:
                checkpoint.closed.add(sid)
            if not records:
                break
    return out


# ---- the drain -----------------------------------------------------------------------------


@dataclass
class _Drain:
    """One drain's state: what it delivers to, how, and what it did."""

    design: Design
    table_name: str
    client: DynamoDBClient
    options: PropagationOptions
    cp: StreamCheckpoint
    handler: Handler
    report: DrainReport

    def deliver(self, records: Sequence[Mapping[str, Any]]) -> int | None:
        """Hand a batch to the handler; the index of the first record to redeliver, or None."""
        self.report.batches += 1
        self.report.deliveries += len(records)
        try:
            result = self.handler(
                records,
                design=self.design,
                table_name=self.table_name,
                client=self.client,
                options=self.options,
                attempts=self.cp.attempts,
            )
        except Exception as err:  # a function error: Lambda retries the batch, bisected
            self.report.crashes += 1
            if len(records) > 1:
                mid = len(records) // 2
                first = self.deliver(records[:mid])
                if first is not None:
                    return first
                second = self.deliver(records[mid:])
                return None if second is None else mid + second
            return self._crashed(records[0], err)
        self.report.stats.add(result.stats)
        self.report.dead_letters += result.dead_letters
        if not result.failures:
            return None
        failed = set(result.failures)
        index = next(i for i, r in enumerate(records) if record_id(r)[1] in failed)
        eid, seq = record_id(records[index])
        if self.options.dlq is None and self.cp.attempts.get(eid, 0) >= self.options.max_attempts:
            error = result.errors.get(seq)
            msg = f"stream record {seq} of table '{self.table_name}' failed {self.options.max_attempts} times; last error: {error}"
            raise PropagationError(
                msg, hint="fix the cause and drain again, or pass dlq=... so failing records are set aside"
            )
        return index

    def _crashed(self, record: Mapping[str, Any], err: Exception) -> int | None:
        eid, seq = record_id(record)
        n = self.cp.attempts.get(eid, 0) + 1
        self.cp.attempts[eid] = n
        if n < self.options.max_attempts:
            return 0
        if self.options.dlq is None:
            msg = f"the handler crashed {n} times on stream record {seq} of table '{self.table_name}': {err}"
            raise PropagationError(
                msg, hint="fix the cause and drain again, or pass dlq=... so failing records are set aside"
            ) from err
        letter = DeadLetter.of(record, err, attempts=n, table_name=self.table_name)
        self.options.dlq.send(letter)
        self.cp.attempts.pop(eid, None)
        self.report.dead_letters.append(letter)
        self.report.stats.dead_lettered += 1
        return None

    def shard(self, streams: DynamoDBStreamsClient, arn: str, shard_id: str, batch_size: int) -> None:
        """Handle a shard from the checkpoint to its end (or its last record, if it is open)."""
        iterator = _iterator(streams, arn, shard_id, after=self.cp.positions.get(shard_id))
        while iterator:
            response = _get_records(streams, iterator, batch_size, arn)
            records: list[dict[str, Any]] = response.get("Records", [])
            if not records:
                if response.get("NextShardIterator") is None:
                    self.cp.closed.add(shard_id)
                return
            redo = self.deliver(records)
            if redo is None:
                self.cp.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                iterator = response.get("NextShardIterator")
                if iterator is None:
                    self.cp.closed.add(shard_id)
                continue
            if redo > 0:
                self.cp.positions[shard_id] = records[redo - 1]["dynamodb"]["SequenceNumber"]
            eid, seq = record_id(records[redo])
            self.report.redeliveries += 1
            self.options.backoff.pause(max(0, self.cp.attempts.get(eid, 1) - 1))
            iterator = _iterator(streams, arn, shard_id, at=seq)


def drain(
    design: Design,
    table_name: str,
    client: DynamoDBClient,
    streams_client: DynamoDBStreamsClient,
    *,
    dlq: DeadLetterQueue | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    checkpoint: StreamCheckpoint | None = None,
    handler: Handler = process_records,
    verify_targets: bool = True,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> DrainReport:
    """Feed every pending record of the table's stream to the handler, until none is left.

    Args:
        design: the derived design.
        table_name: the table (its stream must be enabled with NEW_AND_OLD_IMAGES).
        client: a boto3 DynamoDB client (``engine.client()``).
        streams_client: a boto3 DynamoDB Streams client (``engine.streams_client()``).
        dlq: where records go after ``max_attempts`` failures; None stops the drain with
            PropagationError instead.
        max_attempts: deliveries of a failing record before it is given up.
        batch_size: records per handler call (``get_records`` Limit, at most 1000).
        checkpoint: where to resume and keep failure counts; by default this process's
            checkpoint of the table's stream (so consecutive drains continue).
        handler: the batch handler (tests inject crashing ones).
        verify_targets: see :class:`~dynamodel.propagate.options.PropagationOptions`.
        backoff: pauses before redeliveries, and retries of throttled requests.

    Returns:
        What was done; ``report.summary()`` is one line.

    Raises:
        PropagationError: the table has no stream, or (without ``dlq``) a record kept failing.
    """
    started = time.monotonic()
    arn = stream_arn(client, table_name)
    report = DrainReport(stream_arn=arn)
    options = PropagationOptions(
        dlq=dlq, max_attempts=max_attempts, verify_targets=verify_targets, backoff=backoff
    )
    cp = checkpoint if checkpoint is not None else checkpoint_for(arn)
    run = _Drain(design, table_name, client, options, cp, handler, report)
    size = max(1, min(batch_size, 1000))
    for _ in range(MAX_PASSES):
        closed = len(run.cp.closed)
        for shard in _shards(streams_client, arn):
            if shard["ShardId"] not in run.cp.closed:
                run.shard(streams_client, arn, shard["ShardId"], size)
        if len(run.cp.closed) == closed:
            break  # no shard ended during the pass, so no child shard can hold more records
    report.seconds = time.monotonic() - started
    return report
