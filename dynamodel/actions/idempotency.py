"""Effects outside the table (an email, an HTTP call) made once per change: idempotency records.

The protocol is that of AWS Lambda Powertools' idempotency utility: before the effect, a
record is put as ``INPROGRESS`` (with an in-progress expiry, in case the function dies
mid-effect) under the condition that none exists, or that the one there has expired or was
left in progress past its expiry; the effect runs; the record becomes ``COMPLETED`` with the
effect's JSON result, kept until its expiry. A caller that meets a ``COMPLETED`` record gets
the stored result without running the effect; one that meets a live ``INPROGRESS`` record
gets :class:`EffectInProgressError`, a retryable error (another delivery is making the
effect now). If the effect raises, the record is deleted, so a retry makes it again.

Why not Powertools itself: its DynamoDB layer on a table with a sort key (as every dynamodel
table has) puts every record under one static partition key (``idempotency#<function>``),
one hot partition for all of an action's records, and it keys records by a hash of the
event, where an action needs them keyed by the change of its source item (so a replay of
the same change from a dead-letter queue finds them). The records here share the table, sit
in a partition per source item beside the action's markers, and expire through its TTL.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from botocore.exceptions import ClientError

from dynamodel.actions.markers import Change
from dynamodel.codec import Item
from dynamodel.errors import EffectInProgressError, RequestError
from dynamodel.layout import EXPIRES_ATTR, PK, SK, TYPE_ATTR, WRITE_ID_ATTR

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["IDEMPOTENCY_TYPE", "IdempotentEffects"]

T = TypeVar("T")
IDEMPOTENCY_TYPE = "_IDEMPOTENCY"
INPROGRESS, COMPLETED = "INPROGRESS", "COMPLETED"


class IdempotentEffects:
    """Idempotency records of one action's effects for one change of its source item."""

    def __init__(self, client: DynamoDBClient, table_name: str, action: str, change: Change) -> None:
        self._client = client
        self._table = table_name
        self._pk = f"_IDEMPOTENCY#{action}#{change.pk}"
        self._prefix = change.name

    def _key(self, name: str) -> Item:
        return {PK: {"S": self._pk}, SK: {"S": f"{self._prefix}#{name}"}}

    def once(
        self, name: str, effect: Callable[[], T], *, keep_s: int = 3600 * 24 * 15, in_progress_s: int = 60
    ) -> T:
        """Run ``effect`` once for this change and name; later calls return its stored result.

        Args:
            name: which effect (an action may make several per change).
            effect: makes the effect and returns a JSON-serialisable result (or None).
            keep_s: how long the completed record (and its result) is kept.
            in_progress_s: after how long an effect still in progress is taken for dead
                (its function was stopped) and may be made again. Keep it above the
                effect's longest run.

        Raises:
            EffectInProgressError: another delivery is making it now (retryable).
            RequestError: ``name`` is empty or the result is not JSON-serialisable.
        """
        if not name or not isinstance(name, str):
            msg = f"once() needs the effect's name, got {name!r}."
            raise RequestError(msg, hint="name the effect, e.g. event.once('email', send)")
        now = int(time.time())
        key = self._key(name)
        attempt = uuid.uuid4().hex
        item = {
            **key,
            TYPE_ATTR: {"S": IDEMPOTENCY_TYPE},
            WRITE_ID_ATTR: {"S": attempt},
            "status": {"S": INPROGRESS},
            "in_progress_expiry": {"N": str(now + in_progress_s)},
            EXPIRES_ATTR: {"N": str(now + keep_s)},
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk) OR #exp < :now OR (#st = :inprog AND #ipe < :now)",
                ExpressionAttributeNames={
                    "#pk": PK,
                    "#exp": EXPIRES_ATTR,
                    "#st": "status",
                    "#ipe": "in_progress_expiry",
                },
                ExpressionAttributeValues={":now": {"N": str(now)}, ":inprog": {"S": INPROGRESS}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            found = cast("Item | None", err.response.get("Item")) or self._read(key)
            # A lost answer retried by botocore meets the record its first attempt put: ours.
            if found is None or found.get(WRITE_ID_ATTR, {}).get("S") != attempt:
                return cast("T", self._existing(name, found))
        try:
            result = effect()
            data = json.dumps(result)
        except BaseException:
            self._only_if_mine(
                lambda: self._client.delete_item(
                    TableName=self._table,
                    Key=key,
                    ConditionExpression="#wid = :wid",
                    ExpressionAttributeNames={"#wid": WRITE_ID_ATTR},
                    ExpressionAttributeValues={":wid": {"S": attempt}},
                )
            )
            raise
        self._only_if_mine(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET #st = :done, #data = :data",
                ConditionExpression="#wid = :wid",
                ExpressionAttributeNames={"#st": "status", "#data": "data", "#wid": WRITE_ID_ATTR},
                ExpressionAttributeValues={
                    ":done": {"S": COMPLETED},
                    ":data": {"S": data},
                    ":wid": {"S": attempt},
                },
            )
        )
        return result

    @staticmethod
    def _only_if_mine(request: Callable[[], object]) -> None:
        # The record is this attempt's unless its in-progress expiry passed and another
        # delivery took it over; that one now owns it, and its outcome stands.
        try:
            request()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def _read(self, key: Item) -> Item | None:
        found = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return cast("Item | None", found)

    def _existing(self, name: str, found: Item | None) -> Any:
        if found is not None and found.get("status", {}).get("S") == COMPLETED:
            return json.loads(found.get("data", {}).get("S", "null"))
        msg = f"effect {name!r} of this change is being made by another delivery."
        raise EffectInProgressError(msg, hint="the record is retried; nothing to do") from None
