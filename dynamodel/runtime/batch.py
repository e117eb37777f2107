"""BatchWriteItem and BatchGetItem within DynamoDB's limits, retried until done.

Both split their input into requests DynamoDB accepts (25 writes, 100 keys), retry
``UnprocessedItems``/``UnprocessedKeys`` and throttled requests with exponential
backoff and full jitter, and end either with everything done or with an
:class:`~dynamodel.errors.UnprocessedItemsError` whose ``items`` lists exactly what was
not done. Nothing is dropped silently.

The limits are DynamoDB's, enforced here: moto accepts a 26-item BatchWriteItem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from dynamodel.codec import AttributeValue, Item
from dynamodel.errors import RequestError, UnprocessedItemsError
from dynamodel.layout import PK, SK
from dynamodel.runtime.backoff import DEFAULT_BACKOFF, Backoff
from dynamodel.runtime.drive import run_sync
from dynamodel.runtime.errors import THROTTLING_CODES, aws_error_code, map_client_error
from dynamodel.runtime.steps import Pause, Send, Steps

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Key = dict[str, AttributeValue]
"""A primary key: the key attributes only, e.g. ``{"PK": {"S": ...}, "SK": {"S": ...}}``."""
WriteRequest = dict[str, Any]
"""``{"PutRequest": {"Item": item}}`` or ``{"DeleteRequest": {"Key": key}}``."""

MAX_BATCH_WRITE = 25
MAX_BATCH_GET = 100
TABLE_KEY_ATTRIBUTES = (PK, SK)

_Identity = tuple[tuple[str, str, object], ...]
_Request = TypeVar("_Request", bound=Mapping[str, Any])


def _identity(key_names: Sequence[str], item: Mapping[str, AttributeValue], what: str) -> _Identity:
    parts: list[tuple[str, str, object]] = []
    for name in key_names:
        av = item.get(name)
        if not isinstance(av, Mapping) or len(av) != 1:
            msg = f"{what} has no key attribute '{name}' (the table's key is {', '.join(key_names)})"
            raise RequestError(
                msg, hint="give every item its full primary key, or pass the table's key_attributes"
            )
        ((tag, value),) = av.items()
        if tag not in ("S", "N", "B"):
            msg = f"{what}: key attribute '{name}' is {tag}; key attributes are S, N or B"
            raise RequestError(msg, hint="encode the key with the entity's key template")
        parts.append((name, tag, bytes(value) if tag == "B" else value))
    return tuple(parts)


def _show(identity: _Identity) -> str:
    return ", ".join(f"{name}={value!r}" for name, _, value in identity)


def _write_requests(
    table_name: str, puts: Sequence[Item], deletes: Sequence[Key], key_attributes: Sequence[str]
) -> list[WriteRequest]:
    seen: dict[_Identity, str] = {}
    requests: list[WriteRequest] = []

    def claim(identity: _Identity, what: str) -> None:
        first = seen.setdefault(identity, what)
        if first != what:
            msg = f"batch write to table '{table_name}' has two writes for one key ({_show(identity)}): {first} and {what}"
            raise RequestError(
                msg,
                hint="DynamoDB rejects a batch with two writes to one key: keep only the last write for each key, or make separate batch_write calls in order",
            )

    for i, item in enumerate(puts):
        claim(_identity(key_attributes, item, f"put #{i}"), f"put #{i}")
        requests.append({"PutRequest": {"Item": item}})
    names = frozenset(key_attributes)
    for i, key in enumerate(deletes):
        what = f"delete #{i}"
        claim(_identity(key_attributes, key, what), what)
        extra = sorted(set(key) - names)
        if extra:
            msg = f"{what} key has attributes that are not part of the key: {', '.join(extra)}"
            raise RequestError(msg, hint=f"pass only the key attributes {', '.join(key_attributes)}")
        requests.append({"DeleteRequest": {"Key": key}})
    return requests


def batch_write(
    client: DynamoDBClient,
    table_name: str,
    puts: Sequence[Item] = (),
    deletes: Sequence[Key] = (),
    *,
    backoff: Backoff = DEFAULT_BACKOFF,
    key_attributes: Sequence[str] = TABLE_KEY_ATTRIBUTES,
) -> None:
    """Put ``puts`` and delete ``deletes`` through ``client``: see :func:`batch_write_steps`."""
    run_sync(
        batch_write_steps(table_name, puts, deletes, backoff=backoff, key_attributes=key_attributes), client
    )


def batch_write_steps(
    table_name: str,
    puts: Sequence[Item] = (),
    deletes: Sequence[Key] = (),
    *,
    backoff: Backoff = DEFAULT_BACKOFF,
    key_attributes: Sequence[str] = TABLE_KEY_ATTRIBUTES,
) -> Steps[None]:
    """Put ``puts`` and delete ``deletes`` with BatchWriteItem, 25 writes per request.

    Each request is retried, with ``backoff``, for its unprocessed items and when the
    whole request is throttled; ``backoff.attempts`` bounds the calls per request.
    Batch writes are not atomic and not conditional: use transactions for invariants.

    Args:
        table_name: the table.
        puts: whole items (key attributes included).
        deletes: primary keys.
        backoff: delays and attempts per request.
        key_attributes: the table's key attribute names (to find duplicate keys).

    Raises:
        RequestError: two writes for the same key, or an item without its full key;
            raised before anything is sent.
        UnprocessedItemsError: retries ran out; ``items`` holds exactly the write
            requests not applied (the last request's leftovers and every later one).
        ExecutionError: DynamoDB refused a request for another reason (mapped).
    """
    requests = _write_requests(table_name, puts, deletes, key_attributes)
    total = len(requests)

    def send(pending: list[WriteRequest]) -> Steps[list[WriteRequest]]:
        response: Any = yield Send("BatchWriteItem", {"RequestItems": {table_name: pending}})
        left: Any = response.get("UnprocessedItems", {}).get(table_name, [])
        return list(left)

    def stopped(unprocessed: list[WriteRequest], not_done: list[WriteRequest]) -> str:
        never_sent = len(not_done) - len(unprocessed)
        return (
            f"batch write to table '{table_name}' stopped with {len(not_done)} of {total} writes not applied "
            f"after {backoff.attempts} attempts ({len(unprocessed)} unprocessed, {never_sent} never sent)"
        )

    yield from _send_until_processed(
        requests,
        MAX_BATCH_WRITE,
        send,
        backoff=backoff,
        operation="BatchWriteItem",
        context=lambda done: f"table '{table_name}', {done} of {total} writes done before this request",
        stopped=stopped,
        hint="the error's .items lists exactly the writes not applied: retry them later, raise the table's capacity, or pass a Backoff with more attempts",
    )


def batch_get(
    client: DynamoDBClient,
    table_name: str,
    keys: Sequence[Key],
    *,
    consistent: bool = False,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> list[Item]:
    """Read the items at ``keys`` through ``client``: see :func:`batch_get_steps`."""
    return run_sync(batch_get_steps(table_name, keys, consistent=consistent, backoff=backoff), client)


def batch_get_steps(
    table_name: str,
    keys: Sequence[Key],
    *,
    consistent: bool = False,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Steps[list[Item]]:
    """Read the items at ``keys`` with BatchGetItem, 100 keys per request.

    Unprocessed keys and throttled requests are retried with ``backoff``.

    Args:
        table_name: the table.
        keys: primary keys, all with the same attribute names; a key given twice is
            read once.
        consistent: strongly consistent reads.
        backoff: delays and attempts per request.

    Returns:
        The items found, in the order of ``keys`` (one per occurrence in ``keys``);
        keys with no item are skipped.

    Raises:
        RequestError: keys with different attribute names, or a malformed key.
        UnprocessedItemsError: retries ran out; ``items`` holds exactly the keys not read.
        ExecutionError: DynamoDB refused a request for another reason (mapped).
    """
    if not keys:
        return []
    key_names = tuple(sorted(keys[0]))
    unique: dict[_Identity, Key] = {}
    order: list[_Identity] = []
    for i, key in enumerate(keys):
        if len(key) != len(key_names):
            msg = f"batch get key #{i} has attributes {sorted(key)}, key #0 has {list(key_names)}"
            raise RequestError(msg, hint="pass keys with the table's key attributes only")
        identity = _identity(key_names, key, f"key #{i}")
        unique.setdefault(identity, key)
        order.append(identity)
    wanted = list(unique.values())
    found: dict[_Identity, Item] = {}

    def send(pending: list[Key]) -> Steps[list[Key]]:
        response: Any = yield Send(
            "BatchGetItem", {"RequestItems": {table_name: {"Keys": pending, "ConsistentRead": consistent}}}
        )
        items: Any = response.get("Responses", {}).get(table_name, [])
        for item in items:
            found[_identity(key_names, item, "an item DynamoDB returned")] = item
        left: Any = response.get("UnprocessedKeys", {}).get(table_name, {})
        return list(left.get("Keys", [])) if left else []

    yield from _send_until_processed(
        wanted,
        MAX_BATCH_GET,
        send,
        backoff=backoff,
        operation="BatchGetItem",
        context=lambda done: f"table '{table_name}'",
        stopped=lambda unprocessed, not_read: (
            f"batch get from table '{table_name}' stopped with {len(not_read)} of {len(wanted)} keys not read "
            f"after {backoff.attempts} attempts"
        ),
        hint="the error's .items lists exactly the keys not read: retry them later, raise the table's capacity, or pass a Backoff with more attempts",
    )
    return [found[identity] for identity in order if identity in found]


def _send_until_processed(
    requests: Sequence[_Request],
    size: int,
    send: Callable[[list[_Request]], Steps[list[_Request]]],
    *,
    backoff: Backoff,
    operation: str,
    context: Callable[[int], str],
    stopped: Callable[[list[_Request], list[_Request]], str],
    hint: str,
) -> Steps[None]:
    """Send ``requests`` ``size`` at a time, each chunk retried until DynamoDB processed all of it.

    ``send`` sends one chunk and returns what DynamoDB left unprocessed. A throttled
    chunk counts as left whole; any other ClientError is mapped, named by
    ``context(requests done so far)``. When ``backoff.attempts`` calls leave a chunk
    unfinished, UnprocessedItemsError lists its leftovers and every chunk not yet sent,
    with the message ``stopped(leftovers, not done)`` and the code of the last throttling
    seen by any chunk.
    """
    done = 0
    last_error: ClientError | None = None
    for start in range(0, len(requests), size):
        pending = list(requests[start : start + size])
        retry = 0
        while True:
            try:
                unprocessed = yield from send(pending)
            except ClientError as exc:
                if aws_error_code(exc) not in THROTTLING_CODES:
                    raise map_client_error(exc, operation=operation, context=context(done)) from exc
                last_error = exc
                unprocessed = pending
            done += len(pending) - len(unprocessed)
            if not unprocessed:
                break
            if retry + 1 >= backoff.attempts:
                not_done = unprocessed + list(requests[start + size :])
                aws_code = aws_error_code(last_error) if last_error is not None else None
                raise UnprocessedItemsError(
                    stopped(unprocessed, not_done), items=not_done, hint=hint, aws_code=aws_code
                )
            yield Pause(backoff.delay(retry), backoff)
            retry += 1
            pending = unprocessed
