"""DynamoDB's size and count limits, checked before a write is sent.

Separate because the sizes follow DynamoDB's own accounting (not the codec's), and a
write refused here is refused whole: nothing is sent, so nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dynamodel.codec import AttributeValue
from dynamodel.errors import RequestError, WriteTooLargeError
from dynamodel.layout import PK, SK

__all__ = [
    "MAX_ITEM_BYTES",
    "MAX_TRANSACTION_ACTIONS",
    "MAX_TRANSACTION_BYTES",
    "check_item_size",
    "check_transaction",
    "item_size",
]

# DynamoDB's documented limits ("Service, account, and table quotas").
MAX_ITEM_BYTES = 400 * 1024
MAX_TRANSACTION_ACTIONS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024


def _number_size(text: str) -> int:
    if text.isdigit():  # most numbers: versions, counts, births
        return (len(text.strip("0") or "0") + 1) // 2 + 1
    digits = text.lstrip("-").replace(".", "")
    mantissa = digits.split("e")[0].split("E")[0].strip("0") or "0"
    return (len(mantissa) + 1) // 2 + 1


def _value_size(av: AttributeValue) -> int:
    ((tag, payload),) = av.items()
    if tag == "S":
        return len(payload.encode("utf-8"))
    if tag == "N":
        return _number_size(payload)
    if tag == "B":
        return len(payload)
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "SS":
        return sum(len(s.encode("utf-8")) for s in payload)
    if tag == "NS":
        return sum(_number_size(n) for n in payload)
    if tag == "BS":
        return sum(len(b) for b in payload)
    if tag == "L":
        return 3 + sum(1 + _value_size(x) for x in payload)
    if tag == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(x) for k, x in payload.items())
    msg = f"{tag!r} is not a DynamoDB attribute type"
    raise RequestError(msg, hint="build values with dynamodel.codec.serialize")


def item_size(item: Mapping[str, AttributeValue]) -> int:
    """An item's size as DynamoDB counts it: per attribute, UTF-8 name length + value size.

    Strings and binaries count their bytes; numbers 1 byte per two significant digits
    plus 1; booleans and nulls 1; lists and maps 3 bytes plus 1 byte per element plus
    the elements (and, for maps, the keys).
    """
    size = 0
    # Every transaction item is sized before it is sent: the common S and N values are counted
    # inline (an ASCII str's length is its UTF-8 size, and isascii() is O(1) in CPython).
    for name, av in item.items():
        size += len(name) if name.isascii() else len(name.encode("utf-8"))
        payload = av.get("S")
        if payload is not None and len(av) == 1:
            size += len(payload) if payload.isascii() else len(payload.encode("utf-8"))
            continue
        payload = av.get("N")
        if payload is not None and len(av) == 1:
            size += _number_size(payload)
            continue
        size += _value_size(av)
    return size


def check_item_size(item: Mapping[str, AttributeValue], what: str) -> int:
    """The item's size; WriteTooLargeError when it exceeds DynamoDB's 400 KB item limit."""
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        msg = f"{what} is {size} bytes; a DynamoDB item holds at most {MAX_ITEM_BYTES} bytes (400 KB). Nothing was written."
        raise WriteTooLargeError(
            msg,
            hint="move large values (documents, images) to S3 and store the object key, or split the entity",
        )
    return size


def _action_size(action: Mapping[str, Any]) -> int:
    ((kind, body),) = action.items()
    if kind == "Put":
        return item_size(body["Item"])
    size = item_size(body["Key"])
    for v in body.get("ExpressionAttributeValues", {}).values():
        size += _value_size(v)
    return size


def check_transaction(actions: Sequence[Mapping[str, Any]], what: str) -> None:
    """Refuse a transaction DynamoDB would refuse, before anything is sent.

    Raises:
        WriteTooLargeError: more than 100 actions, an item over 400 KB, or more than
            4 MB in total. The write is atomic, so it is never split: nothing is written.
    """
    if not actions:
        msg = f"{what} has nothing to write."
        raise RequestError(msg, hint="pass at least one entity")
    if len(actions) > MAX_TRANSACTION_ACTIONS:
        msg = f"{what} needs {len(actions)} actions; one DynamoDB transaction holds at most {MAX_TRANSACTION_ACTIONS}. Nothing was written."
        raise WriteTooLargeError(
            msg,
            hint="an atomic write cannot be split: write fewer children per call, or declare the children embedded in the parent",
        )
    total = 0
    for action in actions:
        ((kind, body),) = action.items()
        if kind == "Put":
            size = item_size(body["Item"])
            if size > MAX_ITEM_BYTES:  # the item is named only when it is refused
                check_item_size(body["Item"], f"{what}: item {_key_text(body['Item'])}")
            total += size
        else:
            total += _action_size(action)
    if total > MAX_TRANSACTION_BYTES:
        msg = f"{what} writes {total} bytes; one DynamoDB transaction holds at most {MAX_TRANSACTION_BYTES} bytes (4 MB). Nothing was written."
        raise WriteTooLargeError(msg, hint="an atomic write cannot be split: write less per call")


def _key_text(item: Mapping[str, AttributeValue]) -> str:
    pk = item.get(PK, {}).get("S", "?")
    sk = item.get(SK, {}).get("S", "?")
    return f"{pk} / {sk}"
