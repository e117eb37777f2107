"""Propagation: keep denormalised copies fresh from the table's DynamoDB stream.

* :mod:`~dynamodel.propagate.records` (pure): the shape of a stream record.
* :mod:`~dynamodel.propagate.plan` (pure): stream records → copy updates, and the
  version-conditioned UpdateItem that makes every delivery order converge.
* :mod:`~dynamodel.propagate.propagator`: sends one target's copy update, re-reading it
  when its condition fails (shared with repair).
* :mod:`~dynamodel.propagate.batch_loop`: ``process_records``/``handle_records`` apply a
  batch, each record failing on its own; :mod:`~dynamodel.propagate.dead_letters` keeps
  the records given up on; :mod:`~dynamodel.propagate.options` holds the settings of both.
* :mod:`~dynamodel.propagate.handler`: the Lambda entry point ``lambda_handler`` (what the
  emitted SAM stack subscribes to the stream).
* :mod:`~dynamodel.propagate.driver`: ``drain`` polls a local engine's stream and feeds
  the batch loop until nothing is left.
* :mod:`~dynamodel.propagate.repair`: ``repair_copies`` recomputes copies from their
  sources; ``replay_dead_letters`` feeds dead letters back.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dynamodel.propagate.batch_loop import BatchResult, handle_records, process_records
    from dynamodel.propagate.dead_letters import (
        DeadLetter,
        DeadLetterQueue,
        JsonlDeadLetterQueue,
        ListDeadLetterQueue,
    )
    from dynamodel.propagate.driver import DrainReport, StreamCheckpoint, drain, poll_records
    from dynamodel.propagate.handler import lambda_handler
    from dynamodel.propagate.options import PropagationOptions
    from dynamodel.propagate.plan import COPYVER_PREFIX, copyver_attr, plan_record
    from dynamodel.propagate.propagator import PropagationError, PropagationStats
    from dynamodel.propagate.repair import RepairReport, repair_copies, replay_dead_letters

# Loaded on first use, so that the pure planner (``dynamodel.propagate.plan``) can be
# imported without boto3/botocore. One entry per module: the names it lends the package.
_WHERE = {
    **dict.fromkeys(("BatchResult", "handle_records", "process_records"), "batch_loop"),
    **dict.fromkeys(
        ("DeadLetter", "DeadLetterQueue", "JsonlDeadLetterQueue", "ListDeadLetterQueue"), "dead_letters"
    ),
    **dict.fromkeys(("DrainReport", "StreamCheckpoint", "drain", "poll_records"), "driver"),
    **dict.fromkeys(("lambda_handler",), "handler"),
    **dict.fromkeys(("PropagationOptions",), "options"),
    **dict.fromkeys(("COPYVER_PREFIX", "copyver_attr", "plan_record"), "plan"),
    **dict.fromkeys(("PropagationError", "PropagationStats"), "propagator"),
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
    "PropagationOptions",
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
