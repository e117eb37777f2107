"""Stream records the handler cannot read: refused before anything recurses into them, and
stored as dead letters with what can be kept (the record whole, else what finds it again)."""

from __future__ import annotations

import json
import reprlib
from collections.abc import Mapping
from typing import Any

from dynamodel.errors import DynamodelError, RequestError
from dynamodel.propagate.records import lambda_record, record_id

MAX_RECORD_DEPTH = 100
"""Nesting a record may have: DynamoDB nests documents 32 levels deep, two per level here."""
ERROR_CHARS = 2000
"""Characters of an error's text kept in a log line or a dead letter."""


def check_depth(record: object) -> None:
    """Refuse a record nested deeper than DynamoDB allows before anything recurses into it."""
    stack: list[tuple[object, int]] = [(record, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_RECORD_DEPTH:
            msg = f"stream record {_id_text(record)} is nested deeper than {MAX_RECORD_DEPTH} levels"
            raise RequestError(
                msg, hint="DynamoDB nests at most 32 levels: the record was not written by DynamoDB Streams"
            )
        if isinstance(value, Mapping):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list | tuple):
            stack.extend((v, depth + 1) for v in value)


def _id_text(record: object) -> str:
    try:
        return record_id(record)[1]  # type: ignore[arg-type]
    except RequestError:
        return "without id"


def unreadable(record: object, err: Exception) -> RequestError:
    msg = f"stream record {_id_text(record)} cannot be read: {type(err).__name__}: {clip(str(err))}"
    return RequestError(msg, hint="the record is not a DynamoDB Streams record of this table")


def clip(text: str) -> str:
    return text if len(text) <= ERROR_CHARS else text[:ERROR_CHARS] + " ..."


def letter_record(record: object) -> dict[str, Any]:
    """The record as a dead letter stores it: whole when it can be stored, else what finds it
    again (eventID, SequenceNumber, Keys) and a short description of the rest."""
    if isinstance(record, Mapping):
        try:
            check_depth(record)
            whole = lambda_record(record)
            json.dumps(whole)
        except (DynamodelError, TypeError, ValueError, RecursionError):
            pass
        else:
            return whole
    out: dict[str, Any] = {"dynamodel_unstorable": reprlib.repr(record)}
    if not isinstance(record, Mapping):
        return out
    for key in ("eventID", "eventName", "eventSourceARN"):
        if isinstance(record.get(key), str):
            out[key] = record[key]
    body = record.get("dynamodb")
    if isinstance(body, Mapping):
        kept: dict[str, Any] = {}
        if isinstance(body.get("SequenceNumber"), str):
            kept["SequenceNumber"] = body["SequenceNumber"]
        try:
            check_depth(body.get("Keys"))
            keys = lambda_record({"Keys": body["Keys"]})["Keys"]
            json.dumps(keys)
            kept["Keys"] = keys
        except (DynamodelError, KeyError, TypeError, ValueError, RecursionError):
            pass
        out["dynamodb"] = kept
    return out
