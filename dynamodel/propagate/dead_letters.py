"""Dead letters: records given up on after ``max_attempts`` failures, kept to be replayed.

In Lambda the event source mapping sends such records to its SQS on-failure destination;
locally (the driver, a DLQ replay, tests) the batch loop sends them to a
:class:`DeadLetterQueue` instead, so that a record that keeps failing does not stop the
stream. A :class:`DeadLetter` carries what a replay or ``repair-copies`` needs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from dynamodel.errors import DynamodelError, RequestError
from dynamodel.propagate.records import lambda_record

__all__ = ["DeadLetter", "DeadLetterQueue", "JsonlDeadLetterQueue", "ListDeadLetterQueue"]


@dataclass(frozen=True)
class DeadLetter:
    """A record that kept failing, with what is needed to replay it.

    Attributes:
        record: the stream record in the Lambda event's JSON form (replay it with
            ``handle_records([entry.record], ...)`` or ``dynamodel propagate --replay``).
        error: the last error's text.
        error_type: the last error's class name.
        error_code: dynamodel's error code, when the error was a DynamodelError.
        attempts: how many times the record failed.
        table_name: the table whose stream it came from.
        failed_at: when it was given up, ISO 8601 UTC.
    """

    record: Mapping[str, Any]
    error: str
    error_type: str
    error_code: str | None
    attempts: int
    table_name: str
    failed_at: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (one line of a JSONL dead-letter file)."""
        return {
            "record": dict(self.record),
            "error": self.error,
            "error_type": self.error_type,
            "error_code": self.error_code,
            "attempts": self.attempts,
            "table_name": self.table_name,
            "failed_at": self.failed_at,
        }

    @classmethod
    def of(
        cls, record: Mapping[str, Any], error: BaseException, *, attempts: int, table_name: str
    ) -> DeadLetter:
        """The dead letter of a stream record (either form) given up on after ``error``, now."""
        return cls(
            record=lambda_record(record),
            error=str(error),
            error_type=type(error).__name__,
            error_code=error.code if isinstance(error, DynamodelError) else None,
            attempts=attempts,
            table_name=table_name,
            failed_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeadLetter:
        """Inverse of :meth:`to_json`.

        Raises:
            RequestError: ``data`` is not a dead letter.
        """
        try:
            return cls(
                record=dict(data["record"]),
                error=str(data["error"]),
                error_type=str(data["error_type"]),
                error_code=None if data.get("error_code") is None else str(data["error_code"]),
                attempts=int(data["attempts"]),
                table_name=str(data["table_name"]),
                failed_at=str(data["failed_at"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            msg = f"not a dead letter: missing or malformed {err}"
            raise RequestError(msg, hint="pass lines written by JsonlDeadLetterQueue") from None


class DeadLetterQueue(Protocol):
    """Where records go after ``max_attempts`` failures (locally; Lambda uses SQS)."""

    def send(self, entry: DeadLetter) -> None:
        """Keep ``entry``; raising makes the record fail again (it is retried)."""


class ListDeadLetterQueue:
    """Dead letters kept in memory (``entries``), for tests and short local runs."""

    def __init__(self) -> None:
        self.entries: list[DeadLetter] = []

    def send(self, entry: DeadLetter) -> None:
        """Append ``entry``."""
        self.entries.append(entry)

    def __len__(self) -> int:
        return len(self.entries)


class JsonlDeadLetterQueue:
    """Dead letters appended to a JSON Lines file, one :meth:`DeadLetter.to_json` per line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, entry: DeadLetter) -> None:
        """Append ``entry`` as one line (the file and its directory are created as needed)."""
        line = json.dumps(entry.to_json(), sort_keys=True, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    def read(self) -> list[DeadLetter]:
        """Every dead letter in the file (none when it does not exist).

        Raises:
            RequestError: a line is not a dead letter.
        """
        if not self.path.exists():
            return []
        out: list[DeadLetter] = []
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                msg = f"{self.path}:{n} is not JSON: {err}"
                raise RequestError(msg, hint="the file holds one JSON dead letter per line") from None
            out.append(DeadLetter.from_json(data))
        return out
