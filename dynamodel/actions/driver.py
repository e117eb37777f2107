"""The local driver: every action (and propagation) run against an engine's stream, as Lambda would.

Each action reads the stream on its own, from its own checkpoint, as each action's event
source mapping does in AWS; records reach it only if they pass the ``FilterCriteria`` its
stack declares, evaluated from the emitted filter text with Lambda's matching rules
(:mod:`dynamodel.event_filters`), so what a test sees is what the deployed function would
receive. Retries, bisection of crashing batches and dead letters are the propagation
driver's (:func:`dynamodel.propagate.driver.drain`), with the action's own attempts
(``1 + max_retries``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynamodel.actions.apply import ActionRunner
from dynamodel.actions.batch import run_batch
from dynamodel.actions.event import ActionEvent
from dynamodel.design.model import Design
from dynamodel.emit.filter_criteria import action_patterns, filter_criteria, propagation_patterns
from dynamodel.errors import RequestError
from dynamodel.event_filters import matches_any, parse_pattern
from dynamodel.model import Entity
from dynamodel.propagate.batch_loop import BatchArgs, BatchResult, process_records
from dynamodel.propagate.dead_letters import DeadLetterQueue
from dynamodel.propagate.driver import DrainReport, StreamCheckpoint, drain, stream_arn
from dynamodel.propagate.records import lambda_record
from dynamodel.validate_actions import BUILTIN_ACTION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from typing_extensions import Unpack

__all__ = ["ActionsReport", "drain_actions", "emitted_patterns"]

Select = Callable[[Sequence[Mapping[str, Any]]], list[Mapping[str, Any]]]
"""Of a batch, the records an action's event filter passes."""
_CHECKPOINTS: dict[tuple[str, str], StreamCheckpoint] = {}
_LOCK = threading.Lock()


def emitted_patterns(design: Design, action: str) -> list[dict[str, Any]]:
    """The filter patterns of an action's stack, read back from the emitted ``FilterCriteria``."""
    patterns = (
        propagation_patterns(design)
        if action == BUILTIN_ACTION
        else action_patterns(design, design.app.action(action))
    )
    criteria = filter_criteria(patterns, what=f"action '{action}'")
    return [parse_pattern(f["Pattern"]) for f in criteria["Filters"]]


@dataclass
class ActionsReport:
    """What a drain of every action did: per action, the drain and the handler's outcomes."""

    drains: dict[str, DrainReport] = field(default_factory=dict)
    runners: dict[str, ActionRunner] = field(default_factory=dict)
    delivered: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per action."""
        lines = []
        for name, report in self.drains.items():
            runner = self.runners.get(name)
            calls = f", handler called {runner.calls} time(s)" if runner is not None else ""
            lines.append(
                f"{name}: {self.delivered.get(name, 0)} record(s) passed its filter{calls}; {report.summary()}"
            )
        return "\n".join(lines)


def _checkpoint(arn: str, action: str) -> StreamCheckpoint:
    with _LOCK:
        return _CHECKPOINTS.setdefault((arn, action), StreamCheckpoint())


def drain_actions(
    design: Design,
    models: Mapping[str, type[Entity]],
    table_name: str,
    client: DynamoDBClient,
    streams_client: DynamoDBStreamsClient,
    *,
    actions: Sequence[str] | None = None,
    handlers: Mapping[str, Callable[[ActionEvent[Any]], object]] | None = None,
    dlq: DeadLetterQueue | None = None,
    checkpoints: dict[str, StreamCheckpoint] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ActionsReport:
    """Run each action (and propagation, when the design has copies) over the pending stream.

    Args:
        design, models: the app (``app.design``, ``app.models``).
        table_name, client, streams_client: the table and its engine.
        actions: which to run (default: every declared action, then ``propagate``).
        handlers: action name -> function, instead of importing ``action.handler``.
        dlq: where records given up on go (None: a record that keeps failing stops the drain
            with PropagationError, and a not-retryable one is retried as any other).
        checkpoints: action name -> where to resume; by default this process's own.
        on_progress: called with the size of every batch an action reads, before its event
            filter (the sum is the drains' ``deliveries``).

    Raises:
        RequestError: an action name that is not declared.
    """
    known = [a.name for a in design.app.actions] + ([BUILTIN_ACTION] if design.copy_paths else [])
    chosen = list(actions) if actions is not None else known
    unknown = [a for a in chosen if a not in known]
    if unknown:
        msg = f"no action {unknown} in app '{design.app.name}'."
        raise RequestError(msg, hint=f"run one of {known}")
    arn = stream_arn(client, table_name)
    report = ActionsReport()
    for name in chosen:
        patterns = emitted_patterns(design, name)
        cp = (checkpoints or {}).get(name) or _checkpoint(arn, name)
        report.delivered[name] = 0

        def passing(
            records: Sequence[Mapping[str, Any]], name: str = name, patterns: list[dict[str, Any]] = patterns
        ) -> list[Mapping[str, Any]]:
            if on_progress is not None:
                on_progress(len(records))
            chosen_records = [r for r in records if matches_any(patterns, lambda_record(r))]
            report.delivered[name] += len(chosen_records)
            return chosen_records

        if name == BUILTIN_ACTION:

            def propagate(
                records: Sequence[Mapping[str, Any]], passing: Select = passing, **batch: Unpack[BatchArgs]
            ) -> BatchResult:
                return process_records(passing(records), **batch)

            report.drains[name] = drain(
                design, table_name, client, streams_client, dlq=dlq, checkpoint=cp, handler=propagate
            )
            continue
        spec = design.app.action(name)
        runner = ActionRunner(design, models, table_name, client, spec, (handlers or {}).get(name))
        report.runners[name] = runner

        def act(
            records: Sequence[Mapping[str, Any]],
            runner: ActionRunner = runner,
            passing: Select = passing,
            **batch: Unpack[BatchArgs],
        ) -> BatchResult:
            options = batch.get("options")
            return run_batch(
                passing(records),
                runner,
                dlq=options.dlq if options is not None else None,
                max_attempts=1 + runner.action.max_retries,
                attempts=batch.get("attempts"),
            ).result

        report.drains[name] = drain(
            design,
            table_name,
            client,
            streams_client,
            dlq=dlq,
            checkpoint=cp,
            handler=act,
            max_attempts=1 + spec.max_retries,
            batch_size=spec.batch_size,
        )
    return report
