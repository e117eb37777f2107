"""Single-entity writes that keep every invariant: keys, sparse indexes, copies, versions, unique guards.

* ``create``: a conditional put (``attribute_not_exists(PK)``), ``_version`` 1.
* ``update``: a full-item put conditioned on ``_version = expected`` (optimistic locking).
* ``put``: create-or-replace. With ``expected_version`` it is an update; without, an
  UpdateItem that SETs every attribute, REMOVEs the ones the item no longer has (sparse
  index keys included) and bumps ``_version`` atomically.
* ``delete``: by key or instance, optionally conditioned on the version.

Entities with unique attributes write through one TransactWriteItems: the item plus a
guard item per unique value (``guards``); a changed value releases its old guard in the
same transaction. How a write is sent once is in ``sending``; write patterns live in
``write_patterns``, copies filled at write time in ``copies``, bulk loads in ``bulk``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, TypeVar

from dynamodel.codec import AttributeValue, Item, item_to_values
from dynamodel.compile import (
    Condition,
    base_key,
    build_delete,
    build_item,
    build_put,
    build_upsert,
    check_item_size,
    key_attrs,
)
from dynamodel.errors import ConditionFailedError, ExecutionError, RequestError
from dynamodel.layout import PK, SK, VERSION_ATTR
from dynamodel.model import Entity
from dynamodel.runtime.copies import describe, fill_copies, read_item, with_absence_stamps
from dynamodel.runtime.errors import restated
from dynamodel.runtime.guards import guard_actions, guard_releases, transactional
from dynamodel.runtime.immutables import (
    changed_immutable,
    check_pinned,
    refuse_immutable_change,
    stored_immutables_equal,
)
from dynamodel.runtime.instances import instance_of, key_text, key_values, values_of
from dynamodel.runtime.sending import (
    Label,
    TransactionConditionError,
    new_write_id,
    send_conditional,
    stamp_write,
    transact,
)
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.versions import (
    UNKNOWN_BORN,
    born_of,
    item_born,
    item_version,
    locking_condition,
    remember,
    stored_of,
)
from dynamodel.spec import EntitySpec

E = TypeVar("E", bound=Entity)


def _prepare(s: Session, entity: Entity) -> Steps[tuple[str, dict[str, object], dict[str, AttributeValue]]]:
    name = s.entity_name(type(entity))
    absent: dict[str, AttributeValue] = {}
    values = yield from fill_copies(s, name, values_of(entity), absent=absent)
    return name, values, absent


def create(s: Session, entity: E) -> Steps[E]:
    """Write a new item; ConditionFailedError if an item with its key exists (nothing changes)."""
    name, values, absent = yield from _prepare(s, entity)
    write_id = new_write_id()
    born = born_of()
    item, _ = with_absence_stamps(*build_item(s.design, name, values, version=1, born=born), absent)
    stamp_write(item, write_id)
    spec = s.design.app.entity(name)
    if transactional(s, name):
        yield from _guarded_write(s, name, values, item, current=None, creating=True, write_id=write_id)
    else:
        check_item_size(item, describe(spec, values))
        request = build_put(s.table_name, item, Condition.not_exists())
        try:
            yield from send_conditional(s, "PutItem", request, write_id, f"create {name}")
        except ConditionFailedError as err:
            msg = f"{describe(spec, values)} already exists (key {key_text(base_key(s.design, name, values))}); nothing was written."
            raise restated(
                ConditionFailedError, msg, hint="use put() to replace it or update() to change it", cause=err
            ) from err
    remember(entity, 1, born)
    return instance_of(s, type(entity), values, 1, born)


def update(s: Session, entity: E, *, expected_version: int | None = None) -> Steps[E]:
    """Replace an existing item if its stored version is ``expected_version``.

    The expected version is ``expected_version`` or, when not given, the version the
    instance had when it was read or last written through this runtime. The write also
    requires the item's birth the instance was read at, so a stale instance of a deleted
    item never overwrites a re-created one (whose version restarted at 1).

    Raises:
        RequestError: no version known.
        ConditionFailedError: the item is missing or was changed since (stale version).
    """
    stored = stored_of(entity)
    expected = expected_version if expected_version is not None else (stored.version if stored else None)
    if expected is None:
        msg = f"update({type(entity).__name__}) needs the version the change is based on."
        raise RequestError(
            msg, hint="update an instance read through the table, pass expected_version=..., or use put()"
        )
    return (yield from _replace(s, entity, expected, stored.born if stored else UNKNOWN_BORN))


def put(s: Session, entity: E, *, expected_version: int | None = None) -> Steps[E]:
    """Create or replace an item; with ``expected_version``, only if the stored version matches."""
    if expected_version is not None:
        stored = stored_of(entity)
        return (yield from _replace(s, entity, expected_version, stored.born if stored else UNKNOWN_BORN))
    name, values, absent = yield from _prepare(s, entity)
    spec = s.design.app.entity(name)
    write_id = new_write_id()
    if transactional(s, name):
        current = yield from _read_current(s, name, values)
        changed = changed_immutable(spec, values, current)
        if changed is not None and current is not None:
            raise refuse_immutable_change(spec, values, changed, current)
        version = item_version(current)
        born = item_born(current) if current is not None else born_of()
        item, _ = with_absence_stamps(
            *build_item(s.design, name, values, version=version + 1, born=born), absent
        )
        yield from _guarded_write(
            s, name, values, stamp_write(item, write_id), current=current, creating=False, write_id=write_id
        )
        remember(entity, version + 1, born)
        return instance_of(s, type(entity), values, version + 1, born)
    item, remove = with_absence_stamps(*build_item(s.design, name, values, version=1, born=born_of()), absent)
    check_item_size(stamp_write(item, write_id), describe(spec, values))
    immutable = stored_immutables_equal(spec, values)
    fresh_or_same = None if immutable is None else Condition.not_exists().or_(immutable)
    request = build_upsert(
        s.table_name, item, remove, condition=Condition.not_written_by(write_id).and_(fresh_or_same)
    )
    try:
        response, mine = yield from send_conditional(s, "UpdateItem", request, write_id, f"put {name}")
    except ConditionFailedError as err:
        changed = changed_immutable(spec, values, err.item)
        if changed is not None and err.item is not None:
            raise refuse_immutable_change(spec, values, changed, err.item) from err
        raise
    written = mine if mine is not None else response["Attributes"]
    version = int(written[VERSION_ATTR]["N"])
    born_now = item_born(written)
    remember(entity, version, born_now)
    return instance_of(s, type(entity), values, version, born_now)


def _replace(s: Session, entity: E, expected: int, born: int | None) -> Steps[E]:
    check_pinned(entity)
    name, values, absent = yield from _prepare(s, entity)
    spec = s.design.app.entity(name)
    write_id = new_write_id()
    if transactional(s, name):
        current = yield from _read_current(s, name, values)
        found = None if current is None else item_version(current)
        found_born = None if current is None else item_born(current)
        if found != expected or not _same_life(born, found_born):
            raise _stale(spec, values, expected, found if _same_life(born, found_born) else None)
        changed = changed_immutable(spec, values, current)
        if changed is not None and current is not None:
            raise refuse_immutable_change(spec, values, changed, current)
        item, _ = with_absence_stamps(
            *build_item(s.design, name, values, version=expected + 1, born=found_born), absent
        )
        yield from _guarded_write(
            s, name, values, stamp_write(item, write_id), current=current, creating=False, write_id=write_id
        )
        remember(entity, expected + 1, found_born)
        return instance_of(s, type(entity), values, expected + 1, found_born)
    condition = locking_condition(expected, born).and_(stored_immutables_equal(spec, values))
    if born == UNKNOWN_BORN:
        # The birth is not known: SET every attribute, the stored _born kept (if_not_exists).
        item, remove = with_absence_stamps(
            *build_item(s.design, name, values, version=expected + 1, born=born_of()), absent
        )
        check_item_size(stamp_write(item, write_id), describe(spec, values))
        request = build_upsert(s.table_name, item, remove, condition=condition, version=expected + 1)
        operation = "UpdateItem"
    else:
        item, _ = with_absence_stamps(
            *build_item(s.design, name, values, version=expected + 1, born=born), absent
        )
        check_item_size(stamp_write(item, write_id), describe(spec, values))
        request = build_put(s.table_name, item, condition)
        operation = "PutItem"
    try:
        response, mine = yield from send_conditional(s, operation, request, write_id, f"update {name}")
    except ConditionFailedError as err:
        changed = changed_immutable(spec, values, err.item)
        # Only the same life of the item at the expected version refuses it for the value:
        # a re-created item at that version makes this instance stale.
        if (
            changed is not None
            and err.item is not None
            and item_version(err.item) == expected
            and _same_life(born, item_born(err.item))
        ):
            raise refuse_immutable_change(spec, values, changed, err.item) from err
        raise _stale(spec, values, expected, None, err) from err
    if born == UNKNOWN_BORN:
        born = item_born(mine if mine is not None else response["Attributes"])
    remember(entity, expected + 1, born)
    return instance_of(s, type(entity), values, expected + 1, born)


def _stale(
    spec: EntitySpec,
    values: Mapping[str, object],
    expected: int,
    found: int | None,
    err: ExecutionError | None = None,
) -> ConditionFailedError:
    now = (
        "is missing (or was deleted and created again)"
        if found is None and err is None
        else f"is at version {found}"
        if found
        else "has changed (or was deleted and created again)"
    )
    msg = f"{describe(spec, values)} {now}; the write expected version {expected}. Nothing was written."
    return ConditionFailedError(
        msg,
        hint="read the item again, re-apply the change and retry",
        aws_code=err.aws_code if err else "ConditionalCheckFailedException",
        request_id=err.request_id if err else None,
    )


def _read_current(s: Session, name: str, values: Mapping[str, object]) -> Steps[Item | None]:
    return read_item(s, base_key(s.design, name, values), f"read {name} before a guarded write")


def _same_life(born: int | None, found_born: int | None) -> bool:
    """Whether the stored item is the one an instance was read from (unknown births pass)."""
    return born in (UNKNOWN_BORN, found_born)


def _refused(spec: EntitySpec, values: Mapping[str, object], why: str) -> str:
    return f"{describe(spec, values)} {why}"


def _guarded_write(
    s: Session,
    name: str,
    values: Mapping[str, object],
    item: Item,
    *,
    current: Item | None,
    creating: bool,
    write_id: str,
) -> Steps[None]:
    spec = s.design.app.entity(name)
    owner = {PK: item[PK], SK: item[SK]}
    if creating or current is None:
        cond = Condition.not_exists()
        refused = "already exists" if creating else "was created concurrently"
    else:
        cond = Condition.version_is(item_version(current), item_born(current))
        refused = "was changed concurrently (version moved on)"
    label: Label = partial(_refused, spec, values, refused)
    old_values = item_to_values(spec, current) if current is not None else None
    g_actions, guard_labels = guard_actions(s, name, values, owner, old_values, written=item)
    actions = [{"Put": build_put(s.table_name, item, cond)}, *g_actions]
    yield from transact(
        s, actions, [label, *guard_labels], f"write of {describe(spec, values)}", token=write_id
    )


def delete(
    s: Session,
    target: type[Entity] | Entity,
    key: Mapping[str, object],
    *,
    expected_version: int | None = None,
) -> Steps[bool]:
    """Delete one item by its key (or an instance); True if an item was deleted.

    With ``expected_version`` (or an instance whose version is known), only if the stored
    version (and, for an instance, the item's birth) matches, else ConditionFailedError.
    Unique guards are released in the same transaction. The delete is one
    TransactWriteItems whose ClientRequestToken is the call's write id: a retry after a
    lost answer is then recognised by DynamoDB, so the result says whether *this call*
    deleted the item (a plain DeleteItem cannot tell, once its first attempt removed it).
    """
    born: int | None = UNKNOWN_BORN
    if isinstance(target, Entity):
        cls: type[Entity] = type(target)
        if key:
            msg = "delete(instance) takes no key arguments: the key comes from the instance."
            raise RequestError(msg, hint="call delete(EntityClass, **key) to delete by key")
        values = values_of(target)
        stored = stored_of(target)
        if stored is not None and expected_version in (None, stored.version):
            expected_version, born = stored.version, stored.born
    else:
        cls = target
        values = {}
    name = s.entity_name(cls)
    spec = s.design.app.entity(name)
    # Key arguments, or an instance's key attributes, validated (and converted) by their declared types.
    given = {a: values.get(a) for a in key_attrs(s.design, name)} if isinstance(target, Entity) else key
    values.update(key_values(s, name, given, "delete"))
    base = base_key(s.design, name, values)
    write_id = new_write_id()
    what = f"delete of {describe(spec, values)}"
    if transactional(s, name):
        current = yield from _read_current(s, name, values)
        if current is None:
            if expected_version is not None:
                raise _stale(spec, values, expected_version, None)
            return False
        found = item_version(current)
        found_born = item_born(current)
        if expected_version is not None and (found != expected_version or not _same_life(born, found_born)):
            raise _stale(spec, values, expected_version, found if _same_life(born, found_born) else None)
        releases, release_labels = guard_releases(s, name, base, item_to_values(spec, current))
        actions: list[dict[str, Any]] = [
            {"Delete": build_delete(s.table_name, base, Condition.version_is(found, found_born))},
            *releases,
        ]
        labels = [f"{describe(spec, values)} was changed concurrently (version moved on)", *release_labels]
        yield from transact(s, actions, labels, what, token=write_id)
        return True
    condition = Condition.exists() if expected_version is None else locking_condition(expected_version, born)
    try:
        yield from transact(
            s,
            [{"Delete": build_delete(s.table_name, base, condition)}],
            [f"{describe(spec, values)} does not exist (or is at another version)"],
            what,
            token=write_id,
        )
    except TransactionConditionError as err:
        if expected_version is None:
            return False
        raise _stale(spec, values, expected_version, None, err) from err
    return True
