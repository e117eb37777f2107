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
(aggregates and ``increments``) are one TransactWriteItems with a ClientRequestToken
derived from the content, so a retry of the same call is applied once.

Every transaction is checked against DynamoDB's limits (100 actions, 4 MB, 400 KB per
item) before it is sent: an atomic write is never split, it is refused.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from dynamodel.runtime import batch
from dynamodel.runtime.codec import Item, item_to_values
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


def _key_text(key: Item) -> str:
    return " / ".join(str(v.get("S")) for v in key.values())


def _describe(spec: EntitySpec, values: Mapping[str, object]) -> str:
    ident = ", ".join(f"{a}={values.get(a)!r}" for a in spec.identity)
    return f"{spec.name}({ident})"


def _guards(s: Session, entity: str) -> tuple[UniqueGuard, ...]:
    return tuple(g for g in s.design.guards if g.entity == entity)


def _copy_sources(spec: EntitySpec) -> dict[str, list[tuple[str, str]]]:
    """Source entity → [(attribute, source attribute)] of an entity's copies."""
    out: dict[str, list[tuple[str, str]]] = {}
    for a in spec.attributes:
        if a.copy_of is not None:
            out.setdefault(a.copy_of[0], []).append((a.name, a.copy_of[1]))
    return out


def fill_copies(
    s: Session,
    entity: str,
    values: dict[str, object],
    pending: Mapping[tuple[str, str, str], Mapping[str, object]] | None = None,
) -> dict[str, object]:
    """Fill every ``Copy(...)`` attribute from its source item (read strongly consistent).

    Args:
        s: the session.
        entity: the entity being written.
        values: its attribute values; copies are overwritten.
        pending: items written in the same call, by (entity, PK, SK): a source among them
            is taken from there instead of the table.

    Raises:
        RequestError: the source item is missing, or cannot be located from the values.
    """
    spec = s.design.app.entity(entity)
    for source, attrs in _copy_sources(spec).items():
        needed = c.key_attrs(s.design, source)
        missing = [a for a in needed if values.get(a) is None]
        if missing:
            msg = f"{_describe(spec, values)} copies {source} attributes but lacks {missing} to find the {source}."
            raise RequestError(msg, hint=f"set {missing} on the {entity}")
        key = c.base_key(s.design, source, values)
        ref = (source, key["PK"]["S"], key["SK"]["S"])
        src_values = pending.get(ref) if pending else None
        if src_values is None:
            item = _get(s, key, f"copy source {source}")
            if not item:
                who = ", ".join(f"{a}={values.get(a)!r}" for a in needed)
                msg = f"{_describe(spec, values)} copies {', '.join(f'{source}.{b}' for _, b in attrs)}, but the {source} ({who}) does not exist."
                raise RequestError(msg, hint=f"create the {source} first, or fix {', '.join(needed)}")
            src_values = item_to_values(s.design.app.entity(source), item)
        for name, src_attr in attrs:
            values[name] = src_values.get(src_attr)
    return values


def _instance(s: Session, cls: type[E], values: Mapping[str, object], version: int) -> E:
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
    item, _ = c.build_item(s.design, name, values, version=1, born=_born(s, name))
    spec = s.design.app.entity(name)
    if _guards(s, name):
        _guarded_write(s, name, values, item, current=None, creating=True)
    else:
        c.check_item_size(item, _describe(spec, values))
        request = c.build_put(s.table_name, item, Condition.not_exists())
        try:
            s.call("PutItem", lambda: s.client.put_item(**request), f"create {name}")
        except ConditionFailedError as err:
            msg = f"{_describe(spec, values)} already exists (key {_key_text(c.base_key(s.design, name, values))}); nothing was written."
            raise ConditionFailedError(
                msg,
                hint="use put() to replace it or update() to change it",
                aws_code=err.aws_code,
                request_id=err.request_id,
            ) from err
    remember(entity, 1)
    return _instance(s, type(entity), values, 1)


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
    if _guards(s, name):
        current = _read_current(s, name, values)
        version = _current_version(current)
        item, _ = c.build_item(s.design, name, values, version=version + 1, born=_born(s, name, current))
        _guarded_write(s, name, values, item, current=current, creating=False)
        remember(entity, version + 1)
        return _instance(s, type(entity), values, version + 1)
    item, remove = c.build_item(s.design, name, values, version=1, born=_born(s, name))
    c.check_item_size(item, _describe(spec, values))
    request = c.build_upsert(s.table_name, item, remove)
    response: Any = s.call("UpdateItem", lambda: s.client.update_item(**request), f"put {name}")
    version = int(response["Attributes"][c.VERSION_ATTR]["N"])
    remember(entity, version)
    return _instance(s, type(entity), values, version)


def _replace(s: Session, entity: E, expected: int) -> E:
    name, values = _prepare(s, entity)
    spec = s.design.app.entity(name)
    if _guards(s, name):
        current = _read_current(s, name, values)
        found = None if current is None else _current_version(current)
        if found != expected:
            raise _stale(spec, values, expected, found)
        item, _ = c.build_item(s.design, name, values, version=expected + 1, born=_born(s, name, current))
        _guarded_write(s, name, values, item, current=current, creating=False)
    else:
        item, remove = c.build_item(s.design, name, values, version=expected + 1, born=_born(s, name))
        c.check_item_size(item, _describe(spec, values))
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
    return _instance(s, type(entity), values, expected + 1)


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
    msg = f"{_describe(spec, values)} {now}; the write expected version {expected}. Nothing was written."
    return ConditionFailedError(
        msg,
        hint="read the item again, re-apply the change and retry",
        aws_code=err.aws_code if err else "ConditionalCheckFailedException",
        request_id=err.request_id if err else None,
    )


def _read_current(s: Session, name: str, values: Mapping[str, object]) -> Item | None:
    return _get(s, c.base_key(s.design, name, values), f"read {name} before a guarded write")


def _get(s: Session, key: Item, context: str) -> Item | None:
    """A strongly consistent GetItem; None when there is no item."""
    response: Any = s.call(
        "GetItem",
        lambda: s.client.get_item(TableName=s.table_name, Key=key, ConsistentRead=True),
        context,
    )
    item: Item | None = response.get("Item")
    return item if item else None


def _born(s: Session, name: str, current: Item | None = None) -> int | None:
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


def _guard_actions(
    s: Session, name: str, values: Mapping[str, object], owner: Item, old_values: Mapping[str, object] | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Claim each unique value for ``owner`` and release the values it no longer holds."""
    actions: list[dict[str, Any]] = []
    labels: list[str] = []
    owner_pk, owner_sk = owner["PK"]["S"], owner["SK"]["S"]
    for g in _guards(s, name):
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
            f"{_describe(spec, values)} already exists"
            if creating
            else f"{_describe(spec, values)} was created concurrently"
        )
    else:
        cond = Condition.version_is(_current_version(current))
        label = f"{_describe(spec, values)} was changed concurrently (version moved on)"
    old_values = item_to_values(spec, current) if current is not None else None
    guard_actions, guard_labels = _guard_actions(s, name, values, owner, old_values)
    actions = [{"Put": c.build_put(s.table_name, item, cond)}, *guard_actions]
    transact(s, actions, [label, *guard_labels], f"write of {_describe(spec, values)}")


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
    if _guards(s, name):
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
        labels = [f"{_describe(spec, values)} was changed concurrently (version moved on)"]
        for g in _guards(s, name):
            old = c.guard_key(g, old_values)
            if old is not None:
                cond = Condition.guard_free_or_owned(base["PK"]["S"], base["SK"]["S"])
                actions.append({"Delete": c.build_delete(s.table_name, old, cond)})
                labels.append(f"release of {name}.{'+'.join(g.attrs)} guard (held by another item)")
        transact(s, actions, labels, f"delete of {_describe(spec, values)}")
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


# ---- write patterns ------------------------------------------------------------------------


def _snake(name: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()


def target_keyword(entity: str) -> str:
    """The keyword that names an increment target explicitly, e.g. ``issue_comment_key``."""
    return f"{_snake(entity)}_key"


def _collect(s: Session, name: str, args: Sequence[object], kwargs: Mapping[str, object]) -> list[Entity]:
    pat = s.design.app.pattern(name)
    out: list[Entity] = []
    targets = {target_keyword(e) for e, _, _ in pat.increments}

    def add(value: object, where: str) -> None:
        if isinstance(value, Entity):
            if type(value).__name__ not in pat.entities:
                msg = f"Write pattern '{name}' writes {', '.join(pat.entities)}; {where} is a {type(value).__name__}."
                raise RequestError(msg, hint=f"pass only {', '.join(pat.entities)} instances")
            out.append(value)
            return
        if isinstance(value, list | tuple):
            for v in value:
                add(v, where)
            return
        msg = (
            f"Write pattern '{name}': {where} is {type(value).__name__}, not an entity or a list of entities."
        )
        raise RequestError(msg, hint=f"pass {', '.join(pat.entities)} instances (single or in lists)")

    for i, a in enumerate(args):
        add(a, f"argument #{i + 1}")
    for k, v in kwargs.items():
        if k in targets:
            continue
        add(v, f"'{k}'")
    if not out:
        msg = f"Write pattern '{name}' got nothing to write."
        raise RequestError(msg, hint=f"pass the {', '.join(pat.entities)} to write")
    return out


def _target_keys(
    s: Session, name: str, target: str, written: Sequence[tuple[str, Mapping[str, object]]], explicit: object
) -> list[Item]:
    needed = c.key_attrs(s.design, target)
    keys: dict[tuple[str, str], Item] = {}
    if explicit is not None:
        given: list[object] = list(explicit) if isinstance(explicit, list | tuple) else [explicit]
        for g in given:
            if isinstance(g, Entity):
                vals: Mapping[str, object] = values_of(g)
            elif isinstance(g, Mapping):
                vals = {k: s.coerce(target, k, v) for k, v in g.items()}
            else:
                msg = f"Write pattern '{name}': {target_keyword(target)} must be a dict of {list(needed)} or a {target}."
                raise RequestError(
                    msg, hint=f"{target_keyword(target)}={{{', '.join(f'{a!r}: ...' for a in needed)}}}"
                )
            key = c.base_key(s.design, target, vals)
            keys[(key["PK"]["S"], key["SK"]["S"])] = key
        return list(keys.values())
    for _, vals in written:
        if all(vals.get(a) is not None for a in needed):
            key = c.base_key(s.design, target, vals)
            keys[(key["PK"]["S"], key["SK"]["S"])] = key
    if not keys:
        msg = f"Write pattern '{name}' increments a {target}, but no written item carries {list(needed)} to identify it."
        raise RequestError(
            msg, hint=f"pass {target_keyword(target)}={{{', '.join(f'{a!r}: ...' for a in needed)}}}"
        )
    return list(keys.values())


def run_write_pattern(
    s: Session, name: str, args: Sequence[object], kwargs: Mapping[str, object]
) -> list[Entity]:
    """Apply a write pattern as one TransactWriteItems (or one conditional put).

    Every entity is created (conditional on not existing), copies are filled, unique
    guards claimed, and each ``increments`` target gets ``ADD attr :n`` (it must exist).
    The target is found from the written items' attributes, or from the keyword
    ``<target_entity_snake>_key`` (a dict of its key attributes, or an instance). Each
    distinct target is incremented once per call.

    Returns:
        The written entities as stored (copies filled), versions remembered.
    """
    plan = s.design.plan(name)
    pat = s.design.app.pattern(name)
    allowed = {target_keyword(e) for e, _, _ in pat.increments}
    for k, v in kwargs.items():
        if k.endswith("_key") and k not in allowed and not isinstance(v, Entity | list | tuple):
            msg = f"Write pattern '{name}' takes no '{k}'."
            shown = ", ".join(sorted(allowed)) or "no target keywords"
            raise RequestError(msg, hint=f"it takes entities and {shown}")
    entities = _collect(s, name, args, kwargs)
    staged: list[tuple[str, dict[str, object]]] = []
    pending: dict[tuple[str, str, str], Mapping[str, object]] = {}
    for e in entities:
        ename = type(e).__name__
        vals = values_of(e)
        staged.append((ename, vals))
        key = c.base_key(s.design, ename, vals)
        pending[(ename, key["PK"]["S"], key["SK"]["S"])] = vals
    for ename, vals in staged:
        fill_copies(s, ename, vals, pending)
    actions: list[dict[str, Any]] = []
    labels: list[str] = []
    seen: set[tuple[str, str]] = set()
    for ename, vals in staged:
        spec = s.design.app.entity(ename)
        item, _ = c.build_item(s.design, ename, vals, version=1, born=_born(s, ename))
        ident = (item["PK"]["S"], item["SK"]["S"])
        if ident in seen:
            msg = f"Write pattern '{name}' got {_describe(spec, vals)} twice."
            raise RequestError(msg, hint="pass each item once")
        seen.add(ident)
        actions.append({"Put": c.build_put(s.table_name, item, Condition.not_exists())})
        labels.append(f"{_describe(spec, vals)} already exists")
        owner = {"PK": item["PK"], "SK": item["SK"]}
        g_actions, g_labels = _guard_actions(s, ename, vals, owner, None)
        actions += g_actions
        labels += g_labels
    for target, attr, n in pat.increments:
        for key in _target_keys(s, name, target, staged, kwargs.get(target_keyword(target))):
            if (key["PK"]["S"], key["SK"]["S"]) in seen:
                msg = f"Write pattern '{name}' both writes and increments the same {target}."
                raise RequestError(
                    msg, hint="a transaction touches each item once: set the counter on the written item"
                )
            seen.add((key["PK"]["S"], key["SK"]["S"]))
            actions.append({"Update": c.build_increment(s.table_name, key, attr, n)})
            labels.append(f"the {target} to increment ({_key_text(key)}) does not exist")
    what = f"write pattern '{name}'"
    if plan.operation == "PutItem" and len(actions) == 1:
        body = actions[0]["Put"]
        c.check_item_size(body["Item"], what)
        try:
            s.call("PutItem", lambda: s.client.put_item(**body), what)
        except ConditionFailedError as err:
            msg = f"The {what} was refused: {labels[0]}. Nothing was written."
            raise ConditionFailedError(
                msg, hint="use put() to replace it", aws_code=err.aws_code, request_id=err.request_id
            ) from err
    else:
        transact(s, actions, labels, what)
    out: list[Entity] = []
    for e, (_, vals) in zip(entities, staged, strict=True):
        remember(e, 1)
        out.append(_instance(s, type(e), vals, 1))
    return out


# ---- batches -------------------------------------------------------------------------------


def _batchable(s: Session, name: str) -> None:
    spec = s.design.app.entity(name)
    why = []
    if _guards(s, name):
        why.append("unique attributes (guard items must be written in the same transaction)")
    if any(a.copy_of is not None for a in spec.attributes):
        why.append("copied attributes (filled from their source at write time)")
    roots = {e.aggregate for e in s.design.app.entities if e.aggregate}
    if spec.aggregate is not None or name in roots:
        why.append("an aggregate (written atomically with its members)")
    if why:
        msg = f"batch_put cannot write {name}: it has {' and '.join(why)}."
        raise RequestError(msg, hint=f"write {name} with create()/put() or its write pattern")


def batch_put(s: Session, entities: Iterable[Entity]) -> int:
    """Put many items with BatchWriteItem (25 per request, unprocessed items retried).

    A bulk load: each item is overwritten (not conditional) and stored with ``_version``
    1 (and, for a copy source, a new ``_born``: its copies follow it as a new item). Use
    create/put/update where concurrent writers or versions matter.

    Returns:
        The number of items written.
    """
    items: list[Item] = []
    for e in entities:
        name = s.entity_name(type(e))
        _batchable(s, name)
        vals = values_of(e)
        item, _ = c.build_item(s.design, name, vals, version=1, born=_born(s, name))
        c.check_item_size(item, _describe(s.design.app.entity(name), vals))
        items.append(item)
    batch.batch_write(s.client, s.table_name, items, backoff=s.backoff)
    return len(items)


def batch_get(s: Session, cls: type[E], keys: Sequence[Mapping[str, object]]) -> list[E | None]:
    """Read many items of one entity by key (100 per request); None where there is none."""
    name = s.entity_name(cls)
    needed = c.key_attrs(s.design, name)
    wanted: list[Item] = []
    for k in keys:
        unknown = sorted(set(k) - set(needed))
        if unknown:
            msg = f"batch_get({name}) keys take {list(needed)}, not {unknown}."
            raise RequestError(msg, hint=f"pass dicts with {', '.join(needed)}")
        vals = {a: s.coerce(name, a, v) for a, v in k.items()}
        wanted.append(c.base_key(s.design, name, vals))
    items = batch.batch_get(s.client, s.table_name, wanted, backoff=s.backoff)
    found = {(i["PK"]["S"], i["SK"]["S"]): i for i in items}
    out: list[E | None] = []
    for key in wanted:
        item = found.get((key["PK"]["S"], key["SK"]["S"]))
        if item is None:
            out.append(None)
            continue
        decoded = s.decode(item)
        if not isinstance(decoded, cls):
            msg = f"The item at {_key_text(key)} is a {type(decoded).__name__}, not a {name}."
            raise ExecutionError(msg, hint="the table holds an item another writer put at this key")
        out.append(decoded)
    return out
