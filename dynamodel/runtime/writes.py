"""Writes that keep every invariant: keys, sparse indexes, copies, versions, unique guards.

* ``create``: a conditional put (``attribute_not_exists(PK)``), ``_version`` 1.
* ``update``: a full-item put conditioned on ``_version = expected`` (optimistic locking).
* ``put``: create-or-replace. With ``expected_version`` it is an update; without, an
  UpdateItem that SETs every attribute, REMOVEs the ones the item no longer has (sparse
  index keys included) and bumps ``_version`` atomically.
* ``delete``: by key or instance, optionally conditioned on the version.

Entities with unique attributes write through one TransactWriteItems: the item plus a
guard item per unique value, claimed with ``attribute_not_exists(PK) OR owned by this
item``; a changed value releases its old guard in the same transaction. Write patterns
live in ``write_patterns``, copies filled at write time in ``copies``, bulk loads in
``bulk``.

Every transaction is checked against DynamoDB's limits (100 actions, 4 MB, 400 KB per
item) before it is sent: an atomic write is never split, it is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from dynamodel import compile as c
from dynamodel.compile import Condition
from dynamodel.design.model import UniqueGuard
from dynamodel.errors import (
    ConditionFailedError,
    ExecutionError,
    RequestError,
    TransactionCancelledError,
)
from dynamodel.model import Entity
from dynamodel.runtime.codec import Item, item_to_values
from dynamodel.runtime.copies import describe, fill_copies, read_item
from dynamodel.runtime.session import Session
from dynamodel.runtime.versions import remember, version_of
from dynamodel.spec import EntitySpec

E = TypeVar("E", bound=Entity)


class TransactionConditionError(ConditionFailedError):
    """A transactional write was refused because a condition failed; nothing was written.

    Attributes:
        reasons: DynamoDB's cancellation reason per action ("None" for the fine ones).
        failed: a description of every action whose condition failed.
    """

    def __init__(self, message: str, *, reasons: list[str], failed: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reasons = reasons
        self.failed = failed


# ---- values --------------------------------------------------------------------------------


def values_of(entity: Entity) -> dict[str, object]:
    """The declared attribute values of an instance (Python values, not dumped)."""
    return {name: getattr(entity, name) for name in type(entity).model_fields}


def key_text(key: Item) -> str:
    return " / ".join(str(v.get("S")) for v in key.values())


def guards_of(s: Session, entity: str) -> tuple[UniqueGuard, ...]:
    return tuple(g for g in s.design.guards if g.entity == entity)


def instance_of(s: Session, cls: type[E], values: Mapping[str, object], version: int) -> E:
    out = cls.model_validate(dict(values))
    remember(out, version)
    return out


# ---- single-entity writes ------------------------------------------------------------------


def _prepare(s: Session, entity: Entity) -> tuple[str, dict[str, object]]:
    name = s.entity_name(type(entity))
    values = fill_copies(s, name, values_of(entity))
    return name, values


def create(s: Session, entity: E) -> E:
    """Write a new item; ConditionFailedError if an item with its key exists (nothing changes)."""
    name, values = _prepare(s, entity)
    item, _ = c.build_item(s.design, name, values, version=1, born=born_of(s, name))
    spec = s.design.app.entity(name)
    if guards_of(s, name):
        _guarded_write(s, name, values, item, current=None, creating=True)
    else:
        c.check_item_size(item, describe(spec, values))
        request = c.build_put(s.table_name, item, Condition.not_exists())
        try:
            s.call("PutItem", lambda: s.client.put_item(**request), f"create {name}")
        except ConditionFailedError as err:
            msg = f"{describe(spec, values)} already exists (key {key_text(c.base_key(s.design, name, values))}); nothing was written."
            raise ConditionFailedError(
                msg,
                hint="use put() to replace it or update() to change it",
                aws_code=err.aws_code,
                request_id=err.request_id,
            ) from err
    remember(entity, 1)
    return instance_of(s, type(entity), values, 1)


def update(s: Session, entity: E, *, expected_version: int | None = None) -> E:
    """Replace an existing item if its stored version is ``expected_version``.

    The expected version is ``expected_version`` or, when not given, the version the
    instance had when it was read or last written through this runtime.

    Raises:
        RequestError: no version known.
        ConditionFailedError: the item is missing or was changed since (stale version).
    """
    expected = expected_version if expected_version is not None else version_of(entity)
    if expected is None:
        msg = f"update({type(entity).__name__}) needs the version the change is based on."
        raise RequestError(
            msg, hint="update an instance read through the table, pass expected_version=..., or use put()"
        )
    return _replace(s, entity, expected)


def put(s: Session, entity: E, *, expected_version: int | None = None) -> E:
    """Create or replace an item; with ``expected_version``, only if the stored version matches."""
    if expected_version is not None:
        return _replace(s, entity, expected_version)
    name, values = _prepare(s, entity)
    spec = s.design.app.entity(name)
    if guards_of(s, name):
        current = _read_current(s, name, values)
        version = _current_version(current)
        item, _ = c.build_item(s.design, name, values, version=version + 1, born=born_of(s, name, current))
        _guarded_write(s, name, values, item, current=current, creating=False)
        remember(entity, version + 1)
        return instance_of(s, type(entity), values, version + 1)
    item, remove = c.build_item(s.design, name, values, version=1, born=born_of(s, name))
    c.check_item_size(item, describe(spec, values))
    request = c.build_upsert(s.table_name, item, remove)
    response: Any = s.call("UpdateItem", lambda: s.client.update_item(**request), f"put {name}")
    version = int(response["Attributes"][c.VERSION_ATTR]["N"])
    remember(entity, version)
    return instance_of(s, type(entity), values, version)


def _replace(s: Session, entity: E, expected: int) -> E:
    name, values = _prepare(s, entity)
    spec = s.design.app.entity(name)
    if guards_of(s, name):
        current = _read_current(s, name, values)
        found = None if current is None else _current_version(current)
        if found != expected:
            raise _stale(spec, values, expected, found)
        item, _ = c.build_item(s.design, name, values, version=expected + 1, born=born_of(s, name, current))
        _guarded_write(s, name, values, item, current=current, creating=False)
    else:
        item, remove = c.build_item(s.design, name, values, version=expected + 1, born=born_of(s, name))
        c.check_item_size(item, describe(spec, values))
        request: dict[str, Any]
        if c.BORN_ATTR in item:
            # A copy source keeps its _born: SET every attribute rather than replace the item.
            request = c.build_upsert(
                s.table_name, item, remove, condition=Condition.version_is(expected), version=expected + 1
            )
            send: Callable[[], object] = lambda: s.client.update_item(**request)  # noqa: E731
            operation = "UpdateItem"
        else:
            request = c.build_put(s.table_name, item, Condition.version_is(expected))
            send = lambda: s.client.put_item(**request)  # noqa: E731
            operation = "PutItem"
        try:
            s.call(operation, send, f"update {name}")
        except ConditionFailedError as err:
            raise _stale(spec, values, expected, None, err) from err
    remember(entity, expected + 1)
    return instance_of(s, type(entity), values, expected + 1)


def _stale(
    spec: EntitySpec,
    values: Mapping[str, object],
    expected: int,
    found: int | None,
    err: ExecutionError | None = None,
) -> ConditionFailedError:
    now = (
        "is missing"
        if found is None and err is None
        else f"is at version {found}"
        if found
        else "has changed"
    )
    msg = f"{describe(spec, values)} {now}; the write expected version {expected}. Nothing was written."
    return ConditionFailedError(
        msg,
        hint="read the item again, re-apply the change and retry",
        aws_code=err.aws_code if err else "ConditionalCheckFailedException",
        request_id=err.request_id if err else None,
    )


def _read_current(s: Session, name: str, values: Mapping[str, object]) -> Item | None:
    return read_item(s, c.base_key(s.design, name, values), f"read {name} before a guarded write")


def born_of(s: Session, name: str, current: Item | None = None) -> int | None:
    """The ``_born`` an item of ``name`` is written with: None unless it is a copy source;
    ``current``'s when the write replaces a stored item, else now."""
    if not c.is_copy_source(s.design, name):
        return None
    if current is not None:
        av = current.get(c.BORN_ATTR)
        return int(av["N"]) if av and "N" in av else None
    return time.time_ns()


def _current_version(item: Item | None) -> int:
    if item is None:
        return 0
    av = item.get(c.VERSION_ATTR)
    return int(av["N"]) if av and "N" in av else 0


def guard_actions(
    s: Session, name: str, values: Mapping[str, object], owner: Item, old_values: Mapping[str, object] | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Claim each unique value for ``owner`` and release the values it no longer holds."""
    actions: list[dict[str, Any]] = []
    labels: list[str] = []
    owner_pk, owner_sk = owner["PK"]["S"], owner["SK"]["S"]
    for g in guards_of(s, name):
        new = c.guard_item(g, values, owner)
        shown = ", ".join(f"{a}={values.get(a)!r}" for a in g.attrs)
        if new is not None:
            cond = Condition.guard_free_or_owned(owner_pk, owner_sk)
            actions.append({"Put": c.build_put(s.table_name, new, cond)})
            labels.append(f"unique {name}.{'+'.join(g.attrs)}: {shown} is already taken by another {name}")
        old = c.guard_key(g, old_values) if old_values is not None else None
        if old is not None and (new is None or {k: new[k] for k in ("PK", "SK")} != old):
            cond = Condition.guard_free_or_owned(owner_pk, owner_sk)
            actions.append({"Delete": c.build_delete(s.table_name, old, cond)})
            labels.append(f"release of the old {name}.{'+'.join(g.attrs)} guard (held by another item)")
    return actions, labels


def _guarded_write(
    s: Session, name: str, values: Mapping[str, object], item: Item, *, current: Item | None, creating: bool
) -> None:
    spec = s.design.app.entity(name)
    owner = {"PK": item["PK"], "SK": item["SK"]}
    if creating or current is None:
        cond = Condition.not_exists()
        label = (
            f"{describe(spec, values)} already exists"
            if creating
            else f"{describe(spec, values)} was created concurrently"
        )
    else:
        cond = Condition.version_is(_current_version(current))
        label = f"{describe(spec, values)} was changed concurrently (version moved on)"
    old_values = item_to_values(spec, current) if current is not None else None
    g_actions, guard_labels = guard_actions(s, name, values, owner, old_values)
    actions = [{"Put": c.build_put(s.table_name, item, cond)}, *g_actions]
    transact(s, actions, [label, *guard_labels], f"write of {describe(spec, values)}")


def delete(
    s: Session,
    target: type[Entity] | Entity,
    key: Mapping[str, object],
    *,
    expected_version: int | None = None,
) -> bool:
    """Delete one item by its key (or an instance); True if an item was deleted.

    With ``expected_version`` (or an instance whose version is known), only if the stored
    version matches, else ConditionFailedError. Unique guards are released in the same
    transaction.
    """
    if isinstance(target, Entity):
        cls: type[Entity] = type(target)
        if key:
            msg = "delete(instance) takes no key arguments: the key comes from the instance."
            raise RequestError(msg, hint="call delete(EntityClass, **key) to delete by key")
        values = values_of(target)
        if expected_version is None:
            expected_version = version_of(target)
    else:
        cls = target
        values = dict(key)
    name = s.entity_name(cls)
    spec = s.design.app.entity(name)
    needed = c.key_attrs(s.design, name)
    unknown = sorted(set(key) - set(needed))
    if unknown:
        msg = f"delete({name}) takes the key attributes {list(needed)}, not {unknown}."
        raise RequestError(msg, hint=f"pass {', '.join(f'{a}=...' for a in needed)}")
    for a in needed:  # key arguments validated (and converted) by the declared field types
        values[a] = s.coerce(name, a, values.get(a))
    base = c.base_key(s.design, name, values)
    if guards_of(s, name):
        current = _read_current(s, name, values)
        if current is None:
            if expected_version is not None:
                raise _stale(spec, values, expected_version, None)
            return False
        found = _current_version(current)
        if expected_version is not None and found != expected_version:
            raise _stale(spec, values, expected_version, found)
        old_values = item_to_values(spec, current)
        actions: list[dict[str, Any]] = [
            {"Delete": c.build_delete(s.table_name, base, Condition.version_is(found))}
        ]
        labels = [f"{describe(spec, values)} was changed concurrently (version moved on)"]
        for g in guards_of(s, name):
            old = c.guard_key(g, old_values)
            if old is not None:
                cond = Condition.guard_free_or_owned(base["PK"]["S"], base["SK"]["S"])
                actions.append({"Delete": c.build_delete(s.table_name, old, cond)})
                labels.append(f"release of {name}.{'+'.join(g.attrs)} guard (held by another item)")
        transact(s, actions, labels, f"delete of {describe(spec, values)}")
        return True
    request = c.build_delete(
        s.table_name, base, Condition.version_is(expected_version) if expected_version is not None else None
    )
    request["ReturnValues"] = "ALL_OLD"
    try:
        response: Any = s.call("DeleteItem", lambda: s.client.delete_item(**request), f"delete {name}")
    except ConditionFailedError as err:
        assert expected_version is not None
        raise _stale(spec, values, expected_version, None, err) from err
    return bool(response.get("Attributes"))


# ---- transactions --------------------------------------------------------------------------


def transact(s: Session, actions: Sequence[dict[str, Any]], labels: Sequence[str], what: str) -> None:
    """Send one TransactWriteItems (limits checked first); explain failed conditions.

    Raises:
        WriteTooLargeError: over DynamoDB's transaction limits; nothing was sent.
        TransactionConditionError: a condition failed; ``failed`` names which.
        TransactionCancelledError: cancelled for another reason (conflict, throttling).
    """
    request = c.build_transaction(actions, what)
    try:
        s.call("TransactWriteItems", lambda: s.client.transact_write_items(**request), what)
    except TransactionCancelledError as err:
        reasons = list(err.reasons)
        failed = [
            labels[i] if i < len(labels) else f"action {i}"
            for i, r in enumerate(reasons)
            if r == "ConditionalCheckFailed"
        ]
        if failed and all(r in ("None", "ConditionalCheckFailed") for r in reasons):
            msg = f"The {what} was refused: {'; '.join(failed)}. Nothing was written."
            raise TransactionConditionError(
                msg,
                reasons=reasons,
                failed=failed,
                hint="nothing was written; read the current state and decide again",
                aws_code=err.aws_code,
                request_id=err.request_id,
            ) from err
        raise
