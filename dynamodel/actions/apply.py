"""One stream record through one action: decode, call the handler, commit with the marker.

The handler decides on what it reads; its writes are conditioned on that state and commit in
one transaction with the marker of the change (:mod:`dynamodel.actions.markers`). Outcomes:

* the marker was there already (a redelivery, a replay, or a concurrent delivery that won):
  nothing is written, and the handler is not called when the marker is seen before it;
* a write's condition failed (what the handler read changed meanwhile): the handler runs
  again on fresh reads, up to :data:`MAX_CONFLICTS` times, then the record fails and is
  retried by the stream;
* the handler raises: the record fails (:class:`~dynamodel.errors.NotRetryableError` is
  sent to the dead-letter queue by the batch loop; anything else is retried).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from dynamodel.actions.event import ActionEvent, ActionTable
from dynamodel.actions.idempotency import IdempotentEffects
from dynamodel.actions.markers import change_of, marker_item, marker_key
from dynamodel.compile import Condition, build_put
from dynamodel.design.model import Design
from dynamodel.errors import DefinitionError, ExecutionError
from dynamodel.layout import TYPE_ATTR
from dynamodel.model import Entity
from dynamodel.propagate.records import lambda_record, parse_record
from dynamodel.runtime.connect import connect
from dynamodel.runtime.sending import TransactionConditionError
from dynamodel.spec import ActionSpec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from dynamodel.runtime.table import Table

__all__ = ["MAX_CONFLICTS", "ActionRunner", "Outcome", "load_handler"]

MAX_CONFLICTS = 5
Outcome = Literal["applied", "duplicate", "skipped"]
_MARKER_LABEL = "the action already ran for this change (its marker exists)"


def load_handler(action: ActionSpec) -> Callable[[ActionEvent[Any]], object]:
    """Import an action's handler from its ``module:function`` path."""
    module_name, _, attr = action.handler.partition(":")
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, attr)
    except (ImportError, AttributeError) as err:
        msg = f"Action '{action.name}': cannot import its handler {action.handler!r}: {err}."
        raise DefinitionError(
            msg, hint="package the handler's module with the function and check the path"
        ) from err
    if not callable(handler):
        msg = f"Action '{action.name}': {action.handler!r} is not callable."
        raise DefinitionError(msg, hint="point handler at a function taking an ActionEvent")
    return handler  # type: ignore[no-any-return]


@dataclass
class ActionRunner:
    """Applies records to one action of a connected table.

    Attributes:
        design, models, table_name, client: the app and its table.
        action: the action's declaration.
        handler: its function (imported from ``action.handler`` when not given).
        calls: how many times the handler was called (tests compare it with deliveries).
    """

    design: Design
    models: Mapping[str, type[Entity]]
    table_name: str
    client: DynamoDBClient
    action: ActionSpec
    handler: Callable[[ActionEvent[Any]], object] | None = None
    calls: int = 0
    _table: Table | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.handler is None:
            self.handler = load_handler(self.action)

    @property
    def table(self) -> Table:
        """The connected table the handler reads through."""
        if self._table is None:
            # Cursors a handler reads with never leave this process: a secret of its own suffices.
            self._table = connect(
                self.design, self.models, self.table_name, self.client, cursor_secret=os.urandom(32)
            )
        return self._table

    def apply(self, record: Mapping[str, Any]) -> Outcome:
        """Apply one record (either form: Lambda's JSON or boto3's ``get_records``)."""
        parsed = parse_record(record)
        image = parsed.old if parsed.event_name == "REMOVE" else parsed.new
        if (
            parsed.event_name not in self.action.events
            or image.get(TYPE_ATTR, {}).get("S") != self.action.entity
        ):
            return "skipped"  # Lambda's filter keeps these away; a replay may not
        change = change_of(parsed)
        key = marker_key(self.action.name, change)
        if self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item"):
            return "duplicate"
        table = self.table
        old = table.decode(parsed.old) if parsed.old else None
        as_lambda = lambda_record(record)
        for _ in range(MAX_CONFLICTS):
            work = table.unit_of_work()
            event: ActionEvent[Any] = ActionEvent(
                action=self.action.name,
                name=parsed.event_name,
                old=old,
                new=table.decode(parsed.new) if parsed.new else None,
                table=ActionTable(table, work),
                record=as_lambda,
                effects=IdempotentEffects(self.client, self.table_name, self.action.name, change),
            )
            self.calls += 1
            assert self.handler is not None
            self.handler(event)
            marker = {
                "Put": build_put(
                    self.table_name, marker_item(self.action.name, change), Condition.not_exists()
                )
            }
            try:
                work.commit([marker], [_MARKER_LABEL], what=f"action '{self.action.name}' on {change.pk}")
            except TransactionConditionError as err:
                if _MARKER_LABEL in err.failed:
                    return "duplicate"
                continue  # what the handler read has changed: decide again on fresh reads
            return "applied"
        msg = f"action '{self.action.name}': the items it writes kept changing under it ({MAX_CONFLICTS} tries) for {change.pk}."
        raise ExecutionError(
            msg, hint="the record is retried by the stream; check for a writer racing the action"
        )
