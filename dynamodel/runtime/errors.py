"""botocore errors → dynamodel's exception tree, keeping the AWS code and request id.

| AWS error code                                   | raised as                        |
|--------------------------------------------------|----------------------------------|
| ConditionalCheckFailedException                  | ConditionFailedError             |
| TransactionCanceledException                     | TransactionCancelledError        |
| ProvisionedThroughputExceededException,          | ThrottledError                   |
| ThrottlingException, RequestLimitExceeded        |                                  |
| ResourceNotFoundException                        | ExecutionError (hint: create it) |
| ValidationException and everything else          | ExecutionError                   |
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from dynamodel.errors import ConditionFailedError, ExecutionError, ThrottledError, TransactionCancelledError

THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
"""AWS error codes that mean "slow down and retry"."""

_Restated = TypeVar("_Restated", bound=ExecutionError)

_REASONS_RE = re.compile(r"\[([^\[\]]*)\]\s*$")

_HINTS: dict[str, str] = {
    "ConditionalCheckFailedException": "the item is not in the state the write expected (it exists, is missing, or has another version); read it again and retry",
    "TransactionCanceledException": "see the reasons: 'ConditionalCheckFailed' marks the action whose condition failed, 'TransactionConflict' a concurrent write (retry), 'ValidationError' a malformed action",
    "ResourceNotFoundException": "create the table first (from the emitted boto3 create_table kwargs or CloudFormation), or check the table name, region and endpoint_url",
    "ValidationException": "the request does not match the table: check the key attributes, types and expression against the design",
    "TransactionConflictException": "another transaction is writing the same item; retry the write",
    "TransactionInProgressException": "a transaction with the same ClientRequestToken is still running; wait and retry with the same token",
    "IdempotentParameterMismatchException": "a ClientRequestToken was reused with different actions; use a new token for a different write",
    "ItemCollectionSizeLimitExceededException": "an item collection with a local secondary index exceeds 10 GB; spread the items over more partition values",
    "AccessDeniedException": "the credentials may not perform this action on the table; check the IAM policy",
    "UnrecognizedClientException": "the credentials are not valid for this endpoint; check the access key, or the endpoint_url for a local engine",
}
_THROTTLE_HINT = "DynamoDB kept throttling: raise the table's capacity (or use on-demand), spread the load over more partition values, or retry later"


def aws_error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError ("" when the response carries none)."""
    error: Any = exc.response.get("Error", {})
    return str(error.get("Code", "")) if isinstance(error, dict) else ""


def _request_id(exc: ClientError) -> str | None:
    meta: Any = exc.response.get("ResponseMetadata", {})
    rid = meta.get("RequestId") if isinstance(meta, dict) else None
    return str(rid) if rid else None


def cancellation_reasons(exc: ClientError) -> list[str]:
    """One reason code per transaction action (``"None"`` for actions that were fine).

    Read from ``CancellationReasons`` when the response has them, else from the
    message text (``"... [None, ConditionalCheckFailed]"``); [] when neither says.
    """
    raw: Any = exc.response.get("CancellationReasons")
    if isinstance(raw, list):
        return [str(r.get("Code", "None")) if isinstance(r, dict) else "None" for r in raw]
    error: Any = exc.response.get("Error", {})
    message = str(error.get("Message", "")) if isinstance(error, dict) else ""
    m = _REASONS_RE.search(message)
    if m is None:
        return []
    return [part.strip() for part in m.group(1).split(",") if part.strip()]


def map_client_error(exc: ClientError, *, operation: str, context: str = "") -> ExecutionError:
    """The dynamodel error for a botocore ClientError (returned, not raised).

    Args:
        exc: the error boto3 raised.
        operation: what was attempted, e.g. ``"PutItem"`` or ``"Order.create"``.
        context: optional detail for the message, e.g. the table name or key.

    Returns:
        ConditionFailedError, TransactionCancelledError (``reasons``: one code per
        action), ThrottledError, or ExecutionError; each keeps ``aws_code`` and
        ``request_id``. Raise it ``from exc``.
    """
    code = aws_error_code(exc)
    error: Any = exc.response.get("Error", {})
    aws_message = str(error.get("Message", "")) if isinstance(error, dict) else ""
    request_id = _request_id(exc)
    where = f" ({context})" if context else ""
    detail = f"{code}: {aws_message}" if aws_message else code or str(exc)
    msg = f"{operation}{where} failed: {detail}"
    if code == "ConditionalCheckFailedException":
        failed = ConditionFailedError(msg, hint=_HINTS[code], aws_code=code, request_id=request_id)
        stored: Any = exc.response.get("Item")
        failed.item = stored if isinstance(stored, dict) else None
        return failed
    if code == "TransactionCanceledException":
        reasons = cancellation_reasons(exc)
        if reasons:
            msg = f"{operation}{where} was cancelled; reasons per action: [{', '.join(reasons)}]"
        return TransactionCancelledError(
            msg, reasons=reasons, hint=_HINTS[code], aws_code=code, request_id=request_id
        )
    if code in THROTTLING_CODES:
        return ThrottledError(msg, hint=_THROTTLE_HINT, aws_code=code, request_id=request_id)
    return ExecutionError(msg, hint=_HINTS.get(code), aws_code=code or None, request_id=request_id)


def restated(cls: type[_Restated], message: str, *, hint: str, cause: ExecutionError) -> _Restated:
    """``cause`` said again as ``cls`` in the runtime's words, keeping DynamoDB's error code and
    request id (AWS support finds a request by its id only). Raise it ``from`` the original."""
    return cls(message, hint=hint, aws_code=cause.aws_code, request_id=cause.request_id)
