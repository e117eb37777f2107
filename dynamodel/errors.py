"""One exception tree for everything dynamodel raises.

Every error carries a stable ``code`` (documented in README "Error codes") and,
where one exists, a ``hint`` that says how to fix the problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

ErrorCode = Literal[
    "invalid-spec",
    "unknown-entity",
    "unknown-field",
    "invalid-pattern",
    "unsatisfiable-pattern",
    "collection-conflict",
    "too-many-indexes",
    "key-encoding",
    "invalid-request",
    "execution",
    "condition-failed",
    "transaction-cancelled",
    "throttled",
    "item-not-found",
    "write-too-large",
    "unprocessed-items",
    "migration",
    "drift-detected",
    "index-filling",
    "not-retryable",
    "effect-in-progress",
    "partial-item",
]

DOCS_URL = "https://github.com/dynamodel/dynamodel#error-codes"
"""The README's list of error codes; each code is a heading of its own in it."""


class DynamodelError(Exception):
    """Base class of every error dynamodel raises.

    Attributes:
        code: a stable identifier of the kind of error.
        hint: how to fix it, when known.
    """

    code: ErrorCode = "invalid-spec"

    def __init__(self, message: str, *, hint: str | None = None, code: ErrorCode | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text} Fix: {self.hint}"
        return f"{text}  [{self.code}: {DOCS_URL.split('#', 1)[0]}#{self.code}]"


class DynamodelWarning(UserWarning):
    """Something works but should not stay as it is (a forgeable cursor secret, ...)."""


class DefinitionError(DynamodelError, ValueError):
    """A declaration (entity, pattern, spec file) is wrong; raised at declare or derive time."""

    code: ErrorCode = "invalid-spec"


class UnknownFieldError(DefinitionError):
    """A pattern or entity names an attribute or entity that does not exist."""

    code: ErrorCode = "unknown-field"


class UnsatisfiablePatternError(DefinitionError):
    """No table design serves the pattern in one request; the hint names the smallest change."""

    code: ErrorCode = "unsatisfiable-pattern"


class TooManyIndexesError(UnsatisfiablePatternError):
    """The patterns need more GSIs than DynamoDB's 20 or the app's ``max_gsis``."""

    code: ErrorCode = "too-many-indexes"


class CollectionConflictError(DefinitionError):
    """Multi-entity queries impose block orders on one partition that cannot all hold."""

    code: ErrorCode = "collection-conflict"


class KeyEncodingError(DynamodelError, ValueError):
    """A value cannot be encoded into (or decoded from) a key string."""

    code: ErrorCode = "key-encoding"


class RequestError(DynamodelError, ValueError):
    """Wrong inputs for a pattern or a write at call time."""

    code: ErrorCode = "invalid-request"


class UnknownEntityError(UnknownFieldError, RequestError):
    """A pattern, relation or copy names an entity that is not declared, or a table call
    passes one its app does not declare.

    A subclass of UnknownFieldError and RequestError (which such lookups raised before), so
    handlers of those keep working; ``code`` tells them apart.
    """

    code: ErrorCode = "unknown-entity"


class ExecutionError(DynamodelError):
    """DynamoDB (or the engine) refused a request.

    Attributes:
        aws_code: the error code DynamoDB returned, when there was one.
        request_id: the request id, for AWS support.
    """

    code: ErrorCode = "execution"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        aws_code: str | None = None,
        request_id: str | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message, hint=hint, code=code)
        self.aws_code = aws_code
        self.request_id = request_id


class ConditionFailedError(ExecutionError):
    """A conditional write found the item in another state (exists, stale version, taken value).

    Attributes:
        item: the stored item DynamoDB returned with the refusal (when the request asked
            for it with ``ReturnValuesOnConditionCheckFailure``), else None.
    """

    code: ErrorCode = "condition-failed"
    item: dict[str, Any] | None = None


class TransactionCancelledError(ExecutionError):
    """A TransactWriteItems was cancelled; ``reasons`` has one entry per action."""

    code: ErrorCode = "transaction-cancelled"

    def __init__(self, message: str, *, reasons: list[str], **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reasons = reasons


class ThrottledError(ExecutionError):
    """DynamoDB kept throttling after every retry."""

    code: ErrorCode = "throttled"


class ItemNotFoundError(ExecutionError):
    """The item a write or read required does not exist."""

    code: ErrorCode = "item-not-found"


class WriteTooLargeError(RequestError):
    """A write that must be atomic does not fit DynamoDB's limits; nothing was written."""

    code: ErrorCode = "write-too-large"


class UnprocessedItemsError(ExecutionError):
    """A batch ended with items DynamoDB never processed; ``items`` lists exactly which.

    For a batch write, ``items`` holds the write requests (``{"PutRequest": {"Item": ...}}``
    or ``{"DeleteRequest": {"Key": ...}}``); for a batch get, the keys not read.
    """

    code: ErrorCode = "unprocessed-items"

    def __init__(
        self, message: str, *, items: Sequence[Mapping[str, Any]] = (), **kwargs: str | None
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.items: list[Mapping[str, Any]] = list(items)


class MigrationError(DynamodelError):
    """A migration cannot be planned or applied."""

    code: ErrorCode = "migration"


class IndexFillingError(ExecutionError):
    """A read pattern's index is still being filled by a migration: its answer would be partial."""

    code: ErrorCode = "index-filling"


class DriftDetectedError(MigrationError):
    """The live table differs from the design."""

    code: ErrorCode = "drift-detected"


class NotRetryableError(ExecutionError):
    """An action's handler says a retry cannot fix this record (bad data, a refused request).

    Raise it from a handler: the record goes to the action's dead-letter queue at once, its
    arrival is published to the action's failure topic, and the stream moves on.
    """

    code: ErrorCode = "not-retryable"


class EffectInProgressError(ExecutionError):
    """Another delivery of the same change is making this effect now; the record is retried."""

    code: ErrorCode = "effect-in-progress"


class PartialItemError(DynamodelError, AttributeError):
    """An attribute of an item read from an index that does not project it (INCLUDE)."""

    code: ErrorCode = "partial-item"
