"""The Lambda entry point: DynamoDB Streams records → conditioned updates of every copy.

``lambda_handler`` is what the SAM template subscribes to the table's stream
(``dynamodel.emit.sam.HANDLER`` names this module, so it stays here): it reads its settings
from the function's environment, keeps the design and the DynamoDB client for the life of
the container, and hands the event's records to the batch loop
(:func:`~dynamodel.propagate.batch_loop.handle_records`, the same handler for any caller:
the local driver, tests, a DLQ replay). The update protocol (``_copyver_<Source>``, the
condition that makes duplicates, retries and reordered records no-ops, why a REMOVE leaves
copies alone and why the target's ``_version`` is not bumped) is described in
:mod:`dynamodel.propagate.plan`; per-record failures and dead letters in
:mod:`dynamodel.propagate.batch_loop`.

The names this module held before propagation was split by concept (the batch loop, the
propagator, dead letters, the options) are still importable from it, so that code written
against ``dynamodel.propagate.handler`` keeps working.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dynamodel.design.model import Design
from dynamodel.errors import DefinitionError, RequestError
from dynamodel.propagate.batch_loop import BatchResult, handle_records, process_records
from dynamodel.propagate.dead_letters import (
    DeadLetter,
    DeadLetterQueue,
    JsonlDeadLetterQueue,
    ListDeadLetterQueue,
)
from dynamodel.propagate.options import DEFAULT_MAX_ATTEMPTS
from dynamodel.propagate.propagator import MAX_CONFLICTS, PropagationError, PropagationStats, Propagator

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = [  # lambda_handler, and what this module held before the split (see above)
    "DEFAULT_MAX_ATTEMPTS",
    "MAX_CONFLICTS",
    "BatchResult",
    "DeadLetter",
    "DeadLetterQueue",
    "JsonlDeadLetterQueue",
    "ListDeadLetterQueue",
    "PropagationError",
    "PropagationStats",
    "Propagator",
    "handle_records",
    "lambda_handler",
    "process_records",
]

_CONTAINER: dict[tuple[str, ...], Any] = {}
_CONTAINER_LOCK = threading.Lock()
_ENDPOINT_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL")


def _env(name: str, hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        msg = f"the propagation function needs the environment variable {name}"
        raise DefinitionError(msg, hint=hint)
    return value


def _container_design(target: str) -> Design:
    key = ("design", target)
    with _CONTAINER_LOCK:
        found = _CONTAINER.get(key)
    if found is None:
        from dynamodel.targets import load_design  # noqa: PLC0415 - only the Lambda entry point needs it

        found = load_design(target)
        with _CONTAINER_LOCK:
            _CONTAINER[key] = found
    assert isinstance(found, Design)
    return found


def _container_client() -> DynamoDBClient:
    key = ("client", *(os.environ.get(v, "") for v in _ENDPOINT_VARS))
    with _CONTAINER_LOCK:
        found = _CONTAINER.get(key)
        if found is None:
            import boto3  # noqa: PLC0415 - Lambda's runtime provides it
            from botocore.config import Config  # noqa: PLC0415

            found = boto3.client("dynamodb", config=Config(retries={"max_attempts": 3, "mode": "standard"}))
            _CONTAINER[key] = found
    return found


def lambda_handler(event: Mapping[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    """The Lambda entry point (``dynamodel.propagate.handler.lambda_handler``).

    Environment:
        DYNAMODEL_APP: ``package.module:APP`` (or a spec file bundled with the function):
            the app whose design is derived, once per container.
        TABLE_NAME: the table.

    The DynamoDB client is boto3's default (region and credentials from the function's
    environment; ``AWS_ENDPOINT_URL_DYNAMODB`` points it elsewhere), made once per container.

    Returns:
        The ``batchItemFailures`` response of :func:`handle_records`.

    Raises:
        DefinitionError: an environment variable is missing or DYNAMODEL_APP does not load;
            the whole batch fails and Lambda retries it.
        RequestError: the event has no ``Records`` list.
    """
    target = _env(
        "DYNAMODEL_APP",
        "set it to the app's 'package.module:APP' (e.g. access_patterns.shop:shop) in the function's environment",
    )
    table_name = _env(
        "TABLE_NAME", "set it to the table's name (the SAM template imports it from the table stack)"
    )
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        msg = "the Lambda event has no 'Records' list; it is not a DynamoDB Streams event"
        raise RequestError(msg, hint="subscribe the function to the table's stream (see the SAM template)")
    design = _container_design(target)
    return handle_records(records, design=design, table_name=table_name, client=_container_client())
