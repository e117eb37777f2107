"""Pure request builders: a pattern's inputs → the boto3 kwargs the runtime sends.

Nothing here imports boto3 or does I/O, so every request the runtime would send can be
printed and asserted on in a unit test (``Table.params(...)`` is the same idea as
ElectroDB's ``.params()``).

The package, one concept a module:

* ``calls``: which arguments a read pattern takes, checked and split;
* ``reads``: GetItem, Query and Scan kwargs;
* ``items``: the item layout (keys, type tag, version, expiry, unique guards);
* ``limits``: DynamoDB's item and transaction size limits;
* ``writes``: Put, Delete, Update and transaction kwargs;
* ``expressions``: the placeholder allocator and the Condition/Update nodes.

This module re-exports their public names, the interface the rest of dynamodel uses.
Reserved attribute names (``PK``, ``_version``, ...) are not here: they live in
:mod:`dynamodel.layout`.
"""

from __future__ import annotations

from dynamodel.compile.calls import (
    PatternCall,
    RangeArg,
    ReadArgs,
    call_convention,
    check_limit,
    parse_read_args,
)
from dynamodel.compile.expressions import Condition, Placeholders, Update
from dynamodel.compile.items import (
    base_key,
    belongs,
    build_item,
    derived_keys,
    guard_item,
    guard_key,
    is_copy_source,
    key_attrs,
    shard_of,
)
from dynamodel.compile.limits import (
    MAX_ITEM_BYTES,
    MAX_TRANSACTION_ACTIONS,
    MAX_TRANSACTION_BYTES,
    check_item_size,
    check_transaction,
    item_size,
)
from dynamodel.compile.reads import (
    build_get_request,
    build_plan_query,
    build_query_request,
    build_query_requests,
    build_scan_request,
)
from dynamodel.compile.writes import (
    build_delete,
    build_increment,
    build_put,
    build_transaction,
    build_upsert,
)

__all__ = [
    "MAX_ITEM_BYTES",
    "MAX_TRANSACTION_ACTIONS",
    "MAX_TRANSACTION_BYTES",
    "Condition",
    "PatternCall",
    "Placeholders",
    "RangeArg",
    "ReadArgs",
    "Update",
    "base_key",
    "belongs",
    "build_delete",
    "build_get_request",
    "build_increment",
    "build_item",
    "build_plan_query",
    "build_put",
    "build_query_request",
    "build_query_requests",
    "build_scan_request",
    "build_transaction",
    "build_upsert",
    "call_convention",
    "check_item_size",
    "check_limit",
    "check_transaction",
    "derived_keys",
    "guard_item",
    "guard_key",
    "is_copy_source",
    "item_size",
    "key_attrs",
    "parse_read_args",
    "shard_of",
]
