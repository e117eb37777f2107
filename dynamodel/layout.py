"""Every name the item layout reserves, in one place.

The table's keys, the bookkeeping attributes the runtime writes beside an entity's own, and the
tags of items that are not entities. The runtime, the emitters, the propagation, PynamoDB
interop and the testing toolkit all read them from here; an entity attribute may use none of
them (declared names cannot start with ``_``, and :func:`is_key_name` covers the rest).
"""

from __future__ import annotations

import re

__all__ = [
    "BORN_ATTR",
    "COPYVER_PREFIX",
    "EXPIRES_ATTR",
    "GUARD_TYPE",
    "INDEX_ITEM_MARK",
    "MIGRATION_PK",
    "MIGRATION_STATE_SK",
    "MIGRATION_TYPE",
    "OWNER_PK",
    "OWNER_SK",
    "PK",
    "SHARD_ATTR",
    "SK",
    "TYPE_ATTR",
    "VERSION_ATTR",
    "WRITE_ID_ATTR",
    "entity_of_type",
    "is_key_name",
]

PK = "PK"
SK = "SK"
TYPE_ATTR = "_type"
"""The entity name of an item (``_UNIQUE`` for a guard item)."""
VERSION_ATTR = "_version"
"""1 on create, +1 on every write: optimistic locking."""
BORN_ATTR = "_born"
"""Nanoseconds since the epoch when the item was created, kept by every later write."""
WRITE_ID_ATTR = "_wid"
"""The id of the call that last wrote the item (its ClientRequestToken)."""
EXPIRES_ATTR = "_expires_at"
"""Epoch seconds after which DynamoDB's TTL may delete the item."""
SHARD_ATTR = "_shard"
"""The template value of a write-sharded key: ``crc32(PK + SK) % shards``."""
COPYVER_PREFIX = "_copyver_"
"""Prefix of the stamp of the source state a target's copies were taken at."""
STAMP_SHIFT = 10**12
"""A copy stamp is ``_born * STAMP_SHIFT + _version`` of its source (``_version`` below this).
A stamp with no version part (``T * STAMP_SHIFT``) records that the source was absent at T."""
GUARD_TYPE = "_UNIQUE"
INDEX_ITEM_MARK = "@"
"""Joins an entity and a number in the ``_type`` of its index items (``Employee@1``)."""
"""The ``_type`` and key namespace of unique-guard items."""
MIGRATION_TYPE = "_MIGRATION"
"""The ``_type`` of the migration runner's bookkeeping items (lease, checkpoints, revisions)."""
MIGRATION_PK = "_MIGRATION#"
"""The partition of those items: no entity's key starts with ``_`` (tags are upper-case names)."""
MIGRATION_STATE_SK = "STATE#"
"""The item naming the revision being applied and the indexes it is still filling (``filling``)."""
OWNER_PK = "owner_pk"
OWNER_SK = "owner_sk"
"""The key of the item a guard item holds its unique value for."""

_KEY_NAME = re.compile(r"(PK|SK|GSI[0-9]+PK|GSI[0-9]+SK|LSI[0-9]+SK)")


def is_key_name(name: str) -> bool:
    """Whether ``name`` is one of the table's key attributes (``PK``, ``SK``, ``GSI<n>PK``/``SK``)."""
    return _KEY_NAME.fullmatch(name) is not None


def entity_of_type(type_name: str) -> str:
    """The entity a stored ``_type`` belongs to: ``Employee`` for ``Employee`` and its index
    items ``Employee@1`` (dynamodel.design.adjacency)."""
    return type_name.split(INDEX_ITEM_MARK, 1)[0]
