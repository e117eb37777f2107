"""The Lambda entry point of an action's stack: ``dynamodel.actions.handler.lambda_handler``.

Environment (set by the emitted template):
    DYNAMODEL_APP: ``package.module:APP``, the App (its entity classes type the events).
    TABLE_NAME: the table (imported from the table stack).
    DYNAMODEL_ACTION: which of the app's actions this function runs.
    FAILURE_TOPIC_ARN: the action's failure topic; a record the handler marks not retryable
        is published there at once (the dead-letter queue is subscribed to it).

The App, the runner and the clients are made once per container. The records reaching the
function already passed the stack's event filter; the runner checks entity and event again,
so a record replayed by hand cannot run the action on the wrong item.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from dynamodel.actions.apply import ActionRunner
from dynamodel.actions.batch import run_batch
from dynamodel.errors import DefinitionError, RequestError
from dynamodel.propagate.dead_letters import DeadLetter


class Publisher(Protocol):
    """What is used of boto3's SNS client."""

    def publish(self, **kwargs: Any) -> Any:
        """Publish one message."""
        ...


__all__ = ["TopicDeadLetters", "lambda_handler"]

_CONTAINER: dict[str, tuple[ActionRunner, TopicDeadLetters | None]] = {}
_LOCK = threading.Lock()
# Lambda's event source mapping retries and bisects; within one call a record is tried once.
_ONE_CALL = 1 << 30


class TopicDeadLetters:
    """Dead letters published to an SNS topic (the action stack's failure topic)."""

    def __init__(self, sns: Publisher, topic_arn: str) -> None:
        self._sns = sns
        self._topic = topic_arn

    def send(self, entry: DeadLetter) -> None:
        """Publish the dead letter as JSON (SNS takes 256 KB; a stream record is at most 400 KB
        of item, so the images are dropped from what does not fit and the keys kept)."""
        body = json.dumps(entry.to_json())
        if len(body.encode()) > 250_000:
            slim = dict(entry.record)
            slim["dynamodb"] = {
                k: v for k, v in dict(slim.get("dynamodb", {})).items() if k not in ("NewImage", "OldImage")
            }
            body = json.dumps({**entry.to_json(), "record": slim, "images_dropped": True})
        self._sns.publish(
            TopicArn=self._topic, Subject=f"dynamodel action failure: {entry.error_type}"[:99], Message=body
        )


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        msg = f"the action function needs the environment variable {name}"
        raise DefinitionError(msg, hint="deploy the function with the emitted template, which sets it")
    return value


def _runner() -> tuple[ActionRunner, TopicDeadLetters | None]:
    found: tuple[ActionRunner, TopicDeadLetters | None] | None
    with _LOCK:
        found = _CONTAINER.get("runner")
        if found is None:
            import boto3  # noqa: PLC0415 - Lambda's runtime provides it

            from dynamodel.app import App  # noqa: PLC0415
            from dynamodel.targets import import_target  # noqa: PLC0415

            target = _env("DYNAMODEL_APP")
            app = import_target(target)
            if not isinstance(app, App):
                msg = f"DYNAMODEL_APP={target!r} is not an App; actions need the app's entity classes."
                raise DefinitionError(msg, hint="point DYNAMODEL_APP at 'package.module:APP'")
            action = app.spec.action(_env("DYNAMODEL_ACTION"))
            runner = ActionRunner(
                app.design, app.models, _env("TABLE_NAME"), boto3.client("dynamodb"), action
            )
            topic = os.environ.get("FAILURE_TOPIC_ARN", "").strip()
            dlq = TopicDeadLetters(boto3.client("sns"), topic) if topic else None
            found = _CONTAINER["runner"] = (runner, dlq)
    return found


def lambda_handler(event: Mapping[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    """Apply the event's stream records to the action; answer with the records to retry."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        msg = "the Lambda event has no 'Records' list; it is not a DynamoDB Streams event"
        raise RequestError(msg, hint="subscribe the function to the table's stream (see the action's stack)")
    runner, dlq = _runner()
    return run_batch(records, runner, dlq=dlq, max_attempts=_ONE_CALL).response()
