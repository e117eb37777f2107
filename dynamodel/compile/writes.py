"""Write requests: PutItem, DeleteItem, UpdateItem and TransactWriteItems kwargs.

Separate from the item layout (``items``) because a write is the layout plus how it is
sent: an upsert that keeps ``_born``, conditions for optimistic locking and unique guards,
and the transaction limits checked before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dynamodel.codec import Item
from dynamodel.compile.expressions import Condition, Placeholders, Update
from dynamodel.compile.limits import check_transaction
from dynamodel.layout import BORN_ATTR, PK, SK, VERSION_ATTR

__all__ = [
    "build_delete",
    "build_increment",
    "build_put",
    "build_transaction",
    "build_upsert",
]


def _apply(kwargs: dict[str, Any], cond: Condition | None) -> dict[str, Any]:
    if cond is None:
        return kwargs
    ph = Placeholders()
    kwargs["ConditionExpression"] = ph.condition(cond)
    return ph.into(kwargs)


def build_put(table_name: str, item: Item, condition: Condition | None = None) -> dict[str, Any]:
    """PutItem kwargs (also the body of a transaction's ``Put``)."""
    return _apply({"TableName": table_name, "Item": item}, condition)


def build_delete(table_name: str, key: Item, condition: Condition | None = None) -> dict[str, Any]:
    """DeleteItem kwargs (also the body of a transaction's ``Delete``)."""
    return _apply({"TableName": table_name, "Key": key}, condition)


def build_upsert(
    table_name: str,
    item: Item,
    remove: Sequence[str],
    *,
    condition: Condition | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """UpdateItem kwargs that make the stored item equal ``item``, keeping its ``_born``.

    Every attribute is SET, ``_born`` only ``if_not_exists`` (an existing item keeps the
    instant it was created), and the attributes in ``remove`` (absent optional attributes,
    keys of sparse indexes the item left) are REMOVEd. ``_version`` becomes ``version``,
    or without one (a put whose version is not known) ``if_not_exists(_version, 0) + 1``;
    ``ReturnValues`` is ``ALL_NEW`` so the caller learns it and the item's ``_born`` (which
    UPDATED_NEW may leave out when ``if_not_exists`` kept it: moto does).
    """
    key = {k: item[k] for k in (PK, SK)}
    ph = Placeholders()
    update = Update()
    ver = ph.name("ver", VERSION_ATTR)
    if version is None:
        zero, one = ph.value("zero", {"N": "0"}), ph.value("one", {"N": "1"})
        update.set(ver, f"if_not_exists({ver}, {zero}) + {one}")
    else:
        update.set(ver, ph.value("ver", {"N": str(version)}))
    for name, av in item.items():
        if name in key or name == VERSION_ATTR:
            continue
        ref, val = ph.pair("a", name, av)
        update.set(ref, f"if_not_exists({ref}, {val})" if name == BORN_ATTR else val)
    for name in dict.fromkeys(remove):
        if name not in item:
            update.remove(ph.name(ph.fresh("r"), name))
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "Key": key,
        "UpdateExpression": update.expression(),
        "ExpressionAttributeNames": ph.names,
        "ExpressionAttributeValues": ph.values,
        "ReturnValues": "ALL_NEW",
    }
    if condition is not None:
        kwargs["ConditionExpression"] = ph.condition(condition)
    return kwargs


def build_increment(table_name: str, key: Item, attr: str, by: int) -> dict[str, Any]:
    """Update body: ``ADD attr :n`` and bump ``_version``, only if the target item exists."""
    # A fixed shape with fixed placeholders, like a Condition's: written out, it costs a
    # dict literal instead of an allocation per counted child write.
    return {
        "TableName": table_name,
        "Key": key,
        "UpdateExpression": "ADD #a :n, #ver :one",
        "ConditionExpression": "attribute_exists(#pk)",
        "ExpressionAttributeNames": {"#a": attr, "#ver": VERSION_ATTR, "#pk": PK},
        "ExpressionAttributeValues": {":n": {"N": str(by)}, ":one": {"N": "1"}},
    }


def build_transaction(actions: Sequence[Mapping[str, Any]], what: str, token: str) -> dict[str, Any]:
    """TransactWriteItems kwargs after :func:`check_transaction`.

    ``token`` is the ClientRequestToken: it must be the same for every retry of one call
    (DynamoDB then applies the call once) and differ between calls, because DynamoDB
    answers a repeated token within 10 minutes with success and writes nothing. The
    runtime passes the call's write id.
    """
    check_transaction(actions, what)
    return {"TransactItems": list(actions), "ClientRequestToken": token}
