"""The shape of a DynamoDB Streams record (pure: no boto3, no I/O).

A record reaches propagation in two forms: the Lambda event's JSON (binaries as base64
text, ``ApproximateCreationDateTime`` as epoch seconds) and boto3's ``get_records`` (bytes
and datetimes). This module reads either into one typed :class:`StreamRecord`, turns the
boto3 form into the JSON one for dead letters, and refuses what is not a
``NEW_AND_OLD_IMAGES`` record of a table: such a record is a poison record that no retry
can fix, so every refusal is a RequestError with the same hint.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dynamodel.codec import AttributeValue, Item
from dynamodel.errors import RequestError

__all__ = [
    "EVENT_NAMES",
    "POISON_HINT",
    "STREAM_VIEW",
    "EventName",
    "StreamRecord",
    "lambda_record",
    "normalise_image",
    "parse_record",
    "record_id",
]

STREAM_VIEW = "NEW_AND_OLD_IMAGES"
EventName = Literal["INSERT", "MODIFY", "REMOVE"]
EVENT_NAMES: tuple[EventName, ...] = ("INSERT", "MODIFY", "REMOVE")
POISON_HINT = "the record is not a DynamoDB Streams record of this table; replay it after fixing the writer, or drop it from the dead-letter queue"


@dataclass(frozen=True)
class StreamRecord:
    """A stream record whose shape was checked.

    Attributes:
        event_id: its ``eventID``.
        sequence_number: its ``dynamodb.SequenceNumber`` (the batch item identifier).
        event_name: INSERT, MODIFY or REMOVE.
        new: the NewImage in boto3's low-level form (empty for a REMOVE).
        old: the OldImage in boto3's low-level form (empty for an INSERT).
    """

    event_id: str
    sequence_number: str
    event_name: EventName
    new: Item
    old: Item


def record_id(record: Mapping[str, Any]) -> tuple[str, str]:
    """``(eventID, SequenceNumber)`` of a record; RequestError when either is missing."""
    if not isinstance(record, Mapping):
        msg = f"a stream record must be a mapping, not {type(record).__name__}"
        raise RequestError(msg, hint=POISON_HINT)
    body = record.get("dynamodb")
    seq = body.get("SequenceNumber") if isinstance(body, Mapping) else None
    eid = record.get("eventID")
    if not isinstance(seq, str) or not seq:
        msg = f"stream record {eid!r} has no dynamodb.SequenceNumber"
        raise RequestError(msg, hint=POISON_HINT)
    if not isinstance(eid, str) or not eid:
        msg = f"stream record {seq} has no eventID"
        raise RequestError(msg, hint=POISON_HINT)
    return eid, seq


def parse_record(record: Mapping[str, Any]) -> StreamRecord:
    """Read a record in either form, checking what propagation relies on.

    Raises:
        RequestError: no eventID/SequenceNumber, an unknown eventName, a view type without
            both images, a missing or undecodable image.
    """
    eid, seq = record_id(record)
    name = record.get("eventName")
    if name not in EVENT_NAMES:
        msg = f"stream record {eid} has eventName {name!r}"
        msg += f"; expected one of {', '.join(EVENT_NAMES)}"
        raise RequestError(msg, hint=POISON_HINT)
    body: Mapping[str, Any] = record["dynamodb"]
    view = body.get("StreamViewType", STREAM_VIEW)
    if view != STREAM_VIEW:
        msg = f"stream record {eid} has StreamViewType {view!r}; propagation compares old and new images"
        raise RequestError(
            msg, hint=f"enable the table's stream with {STREAM_VIEW} (the emitted templates do)"
        )
    new = normalise_image(body.get("NewImage"))
    old = normalise_image(body.get("OldImage"))
    if name != "REMOVE" and not new:
        msg = f"stream record {eid} ({name}) has no NewImage"
        raise RequestError(msg, hint=POISON_HINT)
    if name == "MODIFY" and not old:
        msg = f"stream record {eid} (MODIFY) has no OldImage"
        raise RequestError(msg, hint=POISON_HINT)
    return StreamRecord(eid, seq, name, new, old)


def _b64(value: object) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            msg = f"binary attribute value {value[:40]!r} is not base64"
            raise RequestError(msg, hint=POISON_HINT) from None
    msg = f"binary attribute value of type {type(value).__name__}"
    raise RequestError(msg, hint=POISON_HINT)


def _normalise_value(av: Any) -> AttributeValue:
    if not isinstance(av, Mapping) or len(av) != 1:
        msg = f"{str(av)[:60]} is not a DynamoDB attribute value"
        raise RequestError(msg, hint=POISON_HINT)
    ((tag, payload),) = av.items()
    if tag == "B":
        return {"B": _b64(payload)}
    if tag == "BS":
        return {"BS": [_b64(x) for x in payload]}
    if tag == "M" and isinstance(payload, Mapping):
        return {"M": {str(k): _normalise_value(v) for k, v in payload.items()}}
    if tag == "L" and isinstance(payload, list):
        return {"L": [_normalise_value(v) for v in payload]}
    return {str(tag): payload}


def normalise_image(image: object) -> Item:
    """A stream image in boto3's low-level form: Lambda's base64 binaries decoded to bytes.

    DynamoDB Streams' Lambda event carries ``B``/``BS`` values as base64 text; boto3's
    ``get_records`` gives bytes. Both come out as bytes.

    Raises:
        RequestError: the image is not a map of attribute values.
    """
    if image is None:
        return {}
    if not isinstance(image, Mapping):
        msg = f"a stream image must be a map of attribute values, not {type(image).__name__}"
        raise RequestError(msg, hint=POISON_HINT)
    return {str(k): _normalise_value(v) for k, v in image.items()}


def _jsonable(value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    timestamp = getattr(value, "timestamp", None)
    if callable(timestamp):  # datetime (boto3 parses ApproximateCreationDateTime)
        seconds = timestamp()
        return int(seconds) if float(seconds).is_integer() else float(seconds)
    return value


def lambda_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A boto3 ``get_records`` record in the Lambda event's JSON form.

    Binaries become base64 text and ``ApproximateCreationDateTime`` epoch seconds, as in
    the event DynamoDB Streams sends to Lambda; the result is JSON-serialisable (used for
    dead letters). A record already in that form is returned unchanged (as a copy).
    """
    out = _jsonable(record)
    assert isinstance(out, dict)
    return out
