"""Actions: what runs when items change, once per change (docs: README "Actions").

* :mod:`~dynamodel.actions.event`: what a handler receives (``ActionEvent``: typed ``old`` and
  ``new``, the event name, a table whose writes commit with the action, ``once`` for effects).
* :mod:`~dynamodel.actions.markers`: the marker that makes an action's writes happen once.
* :mod:`~dynamodel.actions.idempotency`: effects outside the table made once (Powertools' protocol).
* :mod:`~dynamodel.actions.apply`: one record through one action (``ActionRunner``).
* :mod:`~dynamodel.actions.batch`: a batch, answered as Lambda's partial batch response.
* :mod:`~dynamodel.actions.handler`: the Lambda entry point of an action's stack.
* :mod:`~dynamodel.actions.driver`: every action over a local engine's stream, selected by the
  emitted event filters (``drain_actions``).
"""

from __future__ import annotations

from dynamodel.actions.apply import ActionRunner
from dynamodel.actions.batch import run_batch
from dynamodel.actions.driver import ActionsReport, drain_actions, emitted_patterns
from dynamodel.actions.event import ActionEvent, ActionTable
from dynamodel.errors import EffectInProgressError, NotRetryableError

__all__ = [
    "ActionEvent",
    "ActionRunner",
    "ActionTable",
    "ActionsReport",
    "EffectInProgressError",
    "NotRetryableError",
    "drain_actions",
    "emitted_patterns",
    "run_batch",
]
