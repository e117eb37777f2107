"""What ``propagate``, ``repair-copies`` and ``actions`` print with ``--json``, and their progress hooks.

The documents hold the reports' counts as the one-line summaries print them, plus the dead
letters (sequence number and error), so a script reads them without parsing text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dynamodel.propagate.batch_loop import BatchResult
from dynamodel.propagate.dead_letters import DeadLetter
from dynamodel.propagate.driver import DrainReport, Handler
from dynamodel.propagate.repair import RepairReport

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from typing_extensions import Unpack

    from dynamodel.propagate.batch_loop import BatchArgs

__all__ = ["counted", "drain_document", "item_count", "repair_document", "replay_document"]


def counted(handler: Handler, advance: Callable[[int], None]) -> Handler:
    """``handler``, counting every record delivered to it (a redelivery counts again, as in
    :attr:`DrainReport.deliveries`)."""

    def handle(records: Sequence[Mapping[str, Any]], **batch: Unpack[BatchArgs]) -> BatchResult:
        try:
            return handler(records, **batch)
        finally:
            advance(len(records))

    return handle


def item_count(client: DynamoDBClient, table: str) -> int | None:
    """DescribeTable's ItemCount (an estimate DynamoDB refreshes about every six hours), or None.

    Only a progress bar's total depends on it, so a failure leaves the total unknown; the
    command's own first request reports the error.
    """
    try:
        count = int(client.describe_table(TableName=table)["Table"].get("ItemCount", 0))
    except (BotoCoreError, ClientError, KeyError, ValueError):
        return None
    return count or None


def _letter(letter: DeadLetter) -> dict[str, Any]:
    return {
        "sequence_number": letter.record.get("dynamodb", {}).get("SequenceNumber"),
        "error": letter.error,
        "error_code": letter.error_code,
        "attempts": letter.attempts,
    }


def drain_document(report: DrainReport) -> dict[str, Any]:
    """One drain of a stream: its counts, the handler's counts and its dead letters."""
    return {
        "stream_arn": report.stream_arn,
        "deliveries": report.deliveries,
        "batches": report.batches,
        "crashes": report.crashes,
        "redeliveries": report.redeliveries,
        "stats": dataclasses.asdict(report.stats),
        "dead_letters": [_letter(d) for d in report.dead_letters],
        "seconds": round(report.seconds, 3),
    }


def repair_document(report: RepairReport) -> dict[str, Any]:
    """A repair's counts."""
    document = dataclasses.asdict(report)
    document["seconds"] = round(report.seconds, 3)
    return document


def replay_document(letters: int, result: BatchResult) -> dict[str, Any]:
    """A replay of dead letters: the handler's counts and the records still failing."""
    return {
        "replayed": letters,
        "stats": dataclasses.asdict(result.stats),
        "failures": [{"sequence_number": seq, "error": str(err)} for seq, err in result.errors.items()],
    }
