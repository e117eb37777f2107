"""Sending a write once: its write id, conditional puts that know their own lost attempt, and
TransactWriteItems with its cancellation reasons explained.

Every write call gets a fresh write id. A conditional PutItem/UpdateItem stamps it on the item
as ``_wid``: when botocore resends the write after a lost answer and the condition then fails on
the state the first attempt created, the stored ``_wid`` shows that the write was ours, not a
refusal. A transaction carries it as its ClientRequestToken, which DynamoDB itself recognises.

Every transaction is checked against DynamoDB's limits (100 actions, 4 MB, 400 KB per item)
before it is sent (by the request builder): an atomic write is never split, it is refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from dynamodel.codec import Item
from dynamodel.compile import build_transaction
from dynamodel.errors import ConditionFailedError, TransactionCancelledError
from dynamodel.layout import WRITE_ID_ATTR
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps


class TransactionConditionError(ConditionFailedError):
    """A transactional write was refused because a condition failed; nothing was written.

    Attributes:
        reasons: DynamoDB's cancellation reason per action ("None" for the fine ones).
        failed: a description of every action whose condition failed.
    """

    def __init__(self, message: str, *, reasons: list[str], failed: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reasons = reasons
        self.failed = failed


Label = str | Callable[[], str]
"""What a transaction says of an action that was refused: its text, or a function that
formats it (``functools.partial``), called only when the action is refused."""


def label_text(label: Label) -> str:
    """The text of a :data:`Label`."""
    return label if isinstance(label, str) else label()


def new_write_id() -> str:
    """A fresh id for one write call: its ClientRequestToken and the ``_wid`` of what it writes.

    The same for every retry of the call (botocore's and ours), different for every call:
    DynamoDB answers a repeated token within 10 minutes with success and writes nothing,
    so a token derived from the content would drop a genuine second identical write.
    """
    # os.urandom is what secrets.token_hex reads, without its three Python calls.
    return os.urandom(16).hex()


def stamp_write(item: Item, write_id: str) -> Item:
    item[WRITE_ID_ATTR] = {"S": write_id}
    return item


def _ours(err: ConditionFailedError, write_id: str) -> Item | None:
    """The stored item when the refusal met this call's own earlier attempt, else None.

    After a lost response botocore sends the write again; its condition then fails on
    the state the first attempt created, which carries this call's ``_wid``.
    """
    item = err.item
    if item is not None and item.get(WRITE_ID_ATTR, {}).get("S") == write_id:
        return item
    return None


def send_conditional(
    s: Session, operation: str, request: dict[str, Any], write_id: str, what: str
) -> Steps[tuple[Any, Item | None]]:
    """Send a conditional PutItem/UpdateItem; ``(response, None)``, or ``(None, item)`` when
    the condition failed on this call's own earlier attempt (its answer was lost)."""
    request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    try:
        return (yield from s.send(operation, request, what)), None
    except ConditionFailedError as err:
        mine = _ours(err, write_id)
        if mine is None:
            raise
        return None, mine


def transact(
    s: Session,
    actions: Sequence[dict[str, Any]],
    labels: Sequence[Label],
    what: str,
    *,
    token: str | None = None,
) -> Steps[None]:
    """Send one TransactWriteItems (limits checked first); explain failed conditions.

    ``token`` is the call's write id (a new one when not given): every retry of this call
    carries it, no other call does.

    Raises:
        WriteTooLargeError: over DynamoDB's transaction limits; nothing was sent.
        TransactionConditionError: a condition failed; ``failed`` names which.
        TransactionCancelledError: cancelled for another reason (conflict; throttling
            that outlasted the retries is a ThrottledError).
    """
    request = build_transaction(actions, what, token or new_write_id())
    try:
        yield from s.send("TransactWriteItems", request, what)
    except TransactionCancelledError as err:
        reasons = list(err.reasons)
        failed = [
            label_text(labels[i]) if i < len(labels) else f"action {i}"
            for i, r in enumerate(reasons)
            if r == "ConditionalCheckFailed"
        ]
        if failed and all(r in ("None", "ConditionalCheckFailed") for r in reasons):
            msg = f"The {what} was refused: {'; '.join(failed)}. Nothing was written."
            raise TransactionConditionError(
                msg,
                reasons=reasons,
                failed=failed,
                hint="nothing was written; read the current state and decide again",
                aws_code=err.aws_code,
                request_id=err.request_id,
            ) from err
        raise
