"""boto3 request kwargs for the table of a design: create it, finish it, and change it.

Pure: this module builds the dicts you pass to ``client.create_table(**kwargs)`` and
friends, and never imports boto3. The table matches the CloudFormation template field by
field (keys, attribute types, GSIs, projections, billing, stream, SSE); point-in-time
recovery and TTL are separate API calls in boto3, so :func:`render_post_create` lists
them. The TTL attribute is ``_expires_at`` (see :mod:`dynamodel.emit._common`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from dynamodel.design.model import TABLE, Design, IndexSpec, KeyAttribute
from dynamodel.emit._common import (
    STREAM_VIEW_TYPE,
    TTL_ATTRIBUTE,
    Billing,
    Capacity,
    attribute_definitions,
    check_billing,
    default_table_name,
    key_schema,
    needs_stream,
    needs_ttl,
    projection,
)
from dynamodel.errors import MigrationError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeDefinitionTypeDef,
        CreateTableInputTypeDef,
        GlobalSecondaryIndexTypeDef,
        KeySchemaElementTypeDef,
        ProjectionTypeDef,
        ProvisionedThroughputTypeDef,
        UpdateTableInputTypeDef,
    )


def _attribute_definitions(definitions: Iterable[KeyAttribute]) -> list[AttributeDefinitionTypeDef]:
    return cast("list[AttributeDefinitionTypeDef]", attribute_definitions(definitions))


def _key_schema(index: IndexSpec) -> list[KeySchemaElementTypeDef]:
    return cast("list[KeySchemaElementTypeDef]", key_schema(index))


def _throughput(units: tuple[int, int]) -> ProvisionedThroughputTypeDef:
    return {"ReadCapacityUnits": units[0], "WriteCapacityUnits": units[1]}


def _projection(index: IndexSpec) -> ProjectionTypeDef:
    return cast("ProjectionTypeDef", projection(index))


def _gsi(index: IndexSpec, units: dict[str, tuple[int, int]]) -> GlobalSecondaryIndexTypeDef:
    gsi: GlobalSecondaryIndexTypeDef = {
        "IndexName": index.name,
        "KeySchema": _key_schema(index),
        "Projection": _projection(index),
    }
    if units:
        gsi["ProvisionedThroughput"] = _throughput(units[index.name])
    return gsi


def render_create_table(
    design: Design,
    table_name: str | None = None,
    *,
    billing: Billing = "PAY_PER_REQUEST",
    capacity: Capacity | None = None,
) -> CreateTableInputTypeDef:
    """Kwargs for ``client.create_table``: the same table as the CloudFormation template.

    Args:
        design: the derived design.
        table_name: the table's name; ``<app>-dev`` when not given.
        billing: ``PAY_PER_REQUEST`` (default) or ``PROVISIONED``.
        capacity: per-index (read, write) units for ``PROVISIONED`` (default 5/5).

    Returns:
        The kwargs, keys in a fixed order.

    Raises:
        DefinitionError: the billing options are inconsistent.

    Example:
        >>> client.create_table(**render_create_table(design, "shop-test"))  # doctest: +SKIP
    """
    units = check_billing(design, billing, capacity)
    kwargs: CreateTableInputTypeDef = {
        "TableName": table_name or default_table_name(design),
        "AttributeDefinitions": _attribute_definitions(design.key_definitions()),
        "KeySchema": _key_schema(design.table),
        "BillingMode": billing,
    }
    if units:
        kwargs["ProvisionedThroughput"] = _throughput(units[TABLE])
    if design.indexes:
        kwargs["GlobalSecondaryIndexes"] = [_gsi(ix, units) for ix in design.indexes]
    if design.local_indexes:
        kwargs["LocalSecondaryIndexes"] = [
            {"IndexName": ix.name, "KeySchema": _key_schema(ix), "Projection": _projection(ix)}
            for ix in design.local_indexes
        ]
    if needs_stream(design):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE}
    kwargs["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
    return kwargs


def render_post_create(design: Design, table_name: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The calls that finish a new table: point-in-time recovery, then TTL when an entity has one.

    Run them after the table is ACTIVE, as ``getattr(client, operation)(**kwargs)``.
    ``update_time_to_live`` fails if TTL is already on, so run these once per table.

    Args:
        design: the derived design.
        table_name: the table's name; ``<app>-dev`` when not given.

    Returns:
        ``(operation, kwargs)`` pairs, in the order to run them.
    """
    name = table_name or default_table_name(design)
    calls: list[tuple[str, dict[str, Any]]] = [
        (
            "update_continuous_backups",
            {"TableName": name, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}},
        )
    ]
    if needs_ttl(design):
        calls.append(
            (
                "update_time_to_live",
                {
                    "TableName": name,
                    "TimeToLiveSpecification": {"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
                },
            )
        )
    return calls


def render_update_steps(
    old: Design,
    new: Design,
    table_name: str | None = None,
    *,
    billing: Billing = "PAY_PER_REQUEST",
    capacity: Capacity | None = None,
) -> list[UpdateTableInputTypeDef]:
    """The ``update_table`` calls that turn the table of ``old`` into the table of ``new``.

    DynamoDB accepts one GSI creation or deletion per call and only once the previous
    one is finished, so each step changes one index; wait for the table and its indexes
    to be ACTIVE between steps. Deletions come first (they free the per-table GSI quota
    and the names a changed index reuses); a GSI whose key schema or projection changed
    is deleted and created again. A stream is switched on before, and off after, the
    index changes. Items need their new GSI key attributes written (a backfill) before
    the new indexes serve queries; that is the migration runner's job, not this one's.

    Args:
        old: the design the table was created from.
        new: the design to reach.
        table_name: the table's name; ``<app>-dev`` of ``new`` when not given.
        billing: the table's billing mode, for the throughput of created indexes.
        capacity: per-index (read, write) units for ``PROVISIONED``.

    Returns:
        The kwargs of each call, in order; empty when nothing changes.

    Raises:
        MigrationError: the base table's key schema differs (a table's primary key cannot
            change in place).
        DefinitionError: the billing options are inconsistent.
    """
    if (old.table.partition_key, old.table.sort_key) != (new.table.partition_key, new.table.sort_key):
        msg = f"the primary key of table '{new.app.name}' changes, which DynamoDB cannot do in place."
        raise MigrationError(msg, hint="create a new table and copy the items (a re-key migration)")
    if old.local_indexes != new.local_indexes:
        msg = f"the local secondary indexes of table '{new.app.name}' change, which DynamoDB cannot do in place."
        raise MigrationError(
            msg, hint="an LSI is created with its table only: create a new table and copy the items"
        )
    units = check_billing(new, billing, capacity)
    name = table_name or default_table_name(new)
    before = {ix.name: ix for ix in old.indexes}
    after = {ix.name: ix for ix in new.indexes}
    steps: list[UpdateTableInputTypeDef] = []
    had_stream, wants_stream = needs_stream(old), needs_stream(new)
    if wants_stream and not had_stream:
        steps.append(
            {
                "TableName": name,
                "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
            }
        )
    steps.extend(
        {"TableName": name, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": ix_name}}]}
        for ix_name in sorted(before)
        if after.get(ix_name) != before[ix_name]
    )
    steps.extend(
        {
            "TableName": name,
            # A Create must define the key attributes the new index uses.
            "AttributeDefinitions": _attribute_definitions(ix.key_definitions()),
            "GlobalSecondaryIndexUpdates": [{"Create": _gsi(ix, units)}],
        }
        for ix in new.indexes
        if before.get(ix.name) != ix
    )
    if had_stream and not wants_stream:
        steps.append({"TableName": name, "StreamSpecification": {"StreamEnabled": False}})
    return steps
