"""Propagation: keep denormalised copies fresh from the table's DynamoDB stream.

* :mod:`~dynamodel.propagate.plan` (pure): stream records → copy updates, and the
  version-conditioned UpdateItem that makes every delivery order converge.
* :mod:`~dynamodel.propagate.handler`: ``handle_records`` and the Lambda entry point
  ``lambda_handler`` (what the emitted SAM stack subscribes to the stream).
* :mod:`~dynamodel.propagate.driver`: ``drain`` polls a local engine's stream and feeds
  the handler until nothing is left.
* :mod:`~dynamodel.propagate.repair`: ``repair_copies`` recomputes copies from their
  sources; ``replay_dead_letters`` feeds dead letters back.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dynamodel.propagate.driver import DrainReport, StreamCheckpoint, drain, poll_records
    from dynamodel.propagate.handler import (
        BatchResult,
        DeadLetter,
        DeadLetterQueue,
        JsonlDeadLetterQueue,
        ListDeadLetterQueue,
        PropagationError,
        PropagationStats,
        handle_records,
        lambda_handler,
        process_records,
    )
    from dynamodel.propagate.plan import COPYVER_PREFIX, copyver_attr, plan_record
    from dynamodel.propagate.repair import RepairReport, repair_copies, replay_dead_letters

# Loaded on first use, so that the pure planner (``dynamodel.propagate.plan``) can be
# imported without boto3/botocore.
_WHERE = {
    **dict.fromkeys(("DrainReport", "StreamCheckpoint", "drain", "poll_records"), "driver"),
    **dict.fromkeys(
        (
            "BatchResult",
            "DeadLetter",
            "DeadLetterQueue",
            "JsonlDeadLetterQueue",
            "ListDeadLetterQueue",
            "PropagationError",
            "PropagationStats",
            "handle_records",
            "lambda_handler",
            "process_records",
        ),
        "handler",
    ),
    **dict.fromkeys(("COPYVER_PREFIX", "copyver_attr", "plan_record"), "plan"),
    **dict.fromkeys(("RepairReport", "repair_copies", "replay_dead_letters"), "repair"),
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        msg = f"module 'dynamodel.propagate' has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(importlib.import_module(f"dynamodel.propagate.{module}"), name)


__all__ = [
    "COPYVER_PREFIX",
    "BatchResult",
    "DeadLetter",
    "DeadLetterQueue",
    "DrainReport",
    "JsonlDeadLetterQueue",
    "ListDeadLetterQueue",
    "PropagationError",
    "PropagationStats",
    "RepairReport",
    "StreamCheckpoint",
    "copyver_attr",
    "drain",
    "handle_records",
    "lambda_handler",
    "plan_record",
    "poll_records",
    "process_records",
    "repair_copies",
    "replay_dead_letters",
]
