"""Write patterns: several entities created (and counters incremented) in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from dynamodel.codec import AttributeValue, Item
from dynamodel.compile import (
    Condition,
    base_key,
    build_increment,
    build_item,
    build_put,
    check_item_size,
    key_attrs,
)
from dynamodel.design.model import Design
from dynamodel.errors import ConditionFailedError, RequestError
from dynamodel.layout import PK, SK
from dynamodel.memo import PerObject
from dynamodel.model import Entity
from dynamodel.naming import snake_case
from dynamodel.runtime.copies import describe, fill_copies, with_absence_stamps
from dynamodel.runtime.guards import guard_actions
from dynamodel.runtime.instances import instance_of, key_text, values_of
from dynamodel.runtime.pattern_deletes import Deletion, delete_actions, delete_keyword, deletion_of
from dynamodel.runtime.sending import Label, label_text, new_write_id, send_conditional, stamp_write, transact
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.versions import born_of, remember
from dynamodel.spec import EntitySpec


def _already_exists(spec: EntitySpec, values: Mapping[str, object]) -> str:
    return f"{describe(spec, values)} already exists"


def _no_target(target: str, key: Item) -> str:
    return f"the {target} to increment ({key_text(key)}) does not exist"


@dataclass(frozen=True)
class _Keywords:
    """The keywords a write pattern takes beside its entities, worked out once per pattern."""

    targets: frozenset[str]
    """``<target>_key`` of each increment target."""
    deletes: frozenset[str]
    """The keyword naming each entity it deletes."""
    all: frozenset[str]
    takes: str
    """What it writes and deletes, as its errors say it."""


def _keywords_of(design: Design, name: str) -> _Keywords:
    pat = design.app.pattern(name)
    targets = frozenset(target_keyword(e) for e, _, _ in pat.increments)
    deletes = frozenset(delete_keyword(e) for e in pat.deletes)
    takes = " and ".join(
        [
            *([f"writes {', '.join(pat.entities)}"] if pat.entities else []),
            *([f"deletes {', '.join(pat.deletes)}"] if pat.deletes else []),
        ]
    )
    return _Keywords(targets, deletes, targets | deletes, takes)


_KEYWORDS: PerObject[Design, dict[str, _Keywords]] = PerObject(lambda _design: {})


def _keywords(design: Design, name: str) -> _Keywords:
    known = _KEYWORDS(design)
    found = known.get(name)
    if found is None:
        found = known[name] = _keywords_of(design, name)
    return found


def target_keyword(entity: str) -> str:
    """The keyword that names an increment target explicitly, e.g. ``issue_comment_key``."""
    return f"{snake_case(entity)}_key"


def _collect(
    s: Session, name: str, args: Sequence[object], kwargs: Mapping[str, object]
) -> tuple[list[Entity], list[Deletion]]:
    pat = s.design.app.pattern(name)
    out: list[Entity] = []
    gone: list[Deletion] = []
    keywords = _keywords(s.design, name)
    targets = keywords.targets
    takes = keywords.takes

    def add(value: object, where: str, keyword: str | None) -> None:
        if isinstance(value, Entity) and type(value).__name__ in pat.entities:
            out.append(value)
            return
        if (isinstance(value, Entity) and type(value).__name__ in pat.deletes) or (
            isinstance(value, Mapping) and pat.deletes
        ):
            gone.append(deletion_of(s, name, value, where, keyword))
            return
        if isinstance(value, list | tuple):
            for v in value:
                add(v, where, keyword)
            return
        what = f"a {type(value).__name__}" if isinstance(value, Entity) else type(value).__name__
        msg = f"Write pattern '{name}' {takes}; {where} is {what}."
        hint = f"pass {', '.join((*pat.entities, *pat.deletes))} instances (single or in lists)"
        raise RequestError(msg, hint=hint + (", or keys of the items to delete" if pat.deletes else ""))

    for i, a in enumerate(args):
        add(a, f"argument #{i + 1}", None)
    for k, v in kwargs.items():
        if k in targets or (v is None and k in keywords.deletes):
            continue  # a delete keyword given None deletes nothing (the stubs make them optional)
        add(v, f"'{k}'", k)
    if not out and not gone:
        msg = f"Write pattern '{name}' got nothing to write."
        raise RequestError(
            msg, hint=f"pass the {', '.join((*pat.entities, *pat.deletes))} it {takes.split()[0]}"
        )
    return out, gone


def finds_target(design: Design, name: str, target: str) -> bool:
    """Whether a written item of pattern ``name`` can carry an increment target's key.

    When none declares every key attribute of ``target``, the caller must name the target
    (``<target>_key=``); the generated stubs make that keyword required exactly then.
    """
    needed = key_attrs(design, target)
    pat = design.app.pattern(name)
    return any(all(design.app.entity(e).has(a) for a in needed) for e in (*pat.entities, *pat.deletes))


def target_keys(
    s: Session, name: str, target: str, written: Sequence[tuple[str, Mapping[str, object]]], explicit: object
) -> list[Item]:
    needed = key_attrs(s.design, target)
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
            key = base_key(s.design, target, vals)
            keys[(key[PK]["S"], key[SK]["S"])] = key
        return list(keys.values())
    for _, vals in written:
        if all(vals.get(a) is not None for a in needed):
            key = base_key(s.design, target, vals)
            keys[(key[PK]["S"], key[SK]["S"])] = key
    if not keys:
        msg = f"Write pattern '{name}' increments a {target}, but no written item carries {list(needed)} to identify it."
        raise RequestError(
            msg, hint=f"pass {target_keyword(target)}={{{', '.join(f'{a!r}: ...' for a in needed)}}}"
        )
    return list(keys.values())


def run_write_pattern(
    s: Session, name: str, args: Sequence[object], kwargs: Mapping[str, object]
) -> Steps[list[Entity]]:
    """Apply a write pattern as one TransactWriteItems (or one conditional put).

    Every entity is created (conditional on not existing), copies are filled, unique
    guards claimed; every item to delete (an instance, or a dict of its key: see
    ``pattern_deletes``) is deleted on condition that it exists, its guards released; and
    each ``increments`` target gets ``ADD attr :n`` (it must exist; ``n`` may be negative).
    The target is found from the written or deleted items' attributes, or from the keyword
    ``<target_entity_snake>_key`` (a dict of its key attributes, or an instance). Each
    distinct target is incremented once per call. If any condition fails, nothing is written.

    Returns:
        The written entities as stored (copies filled), versions remembered (none for a
        pattern that only deletes).
    """
    plan = s.design.plan(name)
    pat = s.design.app.pattern(name)
    keywords = _keywords(s.design, name)
    allowed = keywords.targets
    for k, v in kwargs.items():
        if k.endswith("_key") and k not in keywords.all and not isinstance(v, Entity | list | tuple):
            msg = f"Write pattern '{name}' takes no '{k}'."
            shown = ", ".join(sorted(allowed)) or "no target keywords"
            raise RequestError(msg, hint=f"it takes entities and {shown}")
    entities, deletions = _collect(s, name, args, kwargs)
    staged: list[tuple[str, dict[str, object]]] = []
    pending: dict[tuple[str, str, str], Mapping[str, object]] = {}
    for e in entities:
        ename = type(e).__name__
        vals = values_of(e)
        staged.append((ename, vals))
        key = base_key(s.design, ename, vals)
        pending[(ename, key[PK]["S"], key[SK]["S"])] = vals
    absent: list[dict[str, AttributeValue]] = []
    for ename, vals in staged:
        absent.append({})
        yield from fill_copies(s, ename, vals, pending, absent[-1])
    actions: list[dict[str, Any]] = []
    labels: list[Label] = []
    seen: set[tuple[str, str]] = set()
    write_id = new_write_id()
    born = born_of()
    for (ename, vals), missing in zip(staged, absent, strict=True):
        spec = s.design.app.entity(ename)
        item, _ = with_absence_stamps(*build_item(s.design, ename, vals, version=1, born=born), missing)
        stamp_write(item, write_id)
        ident = (item[PK]["S"], item[SK]["S"])
        if ident in seen:
            msg = f"Write pattern '{name}' got {describe(spec, vals)} twice."
            raise RequestError(msg, hint="pass each item once")
        seen.add(ident)
        actions.append({"Put": build_put(s.table_name, item, Condition.not_exists())})
        labels.append(partial(_already_exists, spec, vals))
        owner = {PK: item[PK], SK: item[SK]}
        g_actions, g_labels = guard_actions(s, ename, vals, owner, None, written=item)
        actions += g_actions
        labels += g_labels
    removed: list[tuple[str, Mapping[str, object]]] = []
    for d in deletions:
        # Without the item's other attributes, an increment target the key does not name is
        # found by reading the item (the delete is then pinned to the version read).
        blind = not d.whole and any(
            kwargs.get(target_keyword(t)) is None and not all(a in d.values for a in key_attrs(s.design, t))
            for t, _, _ in pat.increments
        )
        d_actions, d_labels, d_values = yield from delete_actions(s, name, d, read=blind)
        ident = (d_actions[0]["Delete"]["Key"][PK]["S"], d_actions[0]["Delete"]["Key"][SK]["S"])
        if ident in seen:
            msg = f"Write pattern '{name}' got {describe(s.design.app.entity(d.entity), d.values)} twice."
            raise RequestError(msg, hint="pass each item once")
        seen.add(ident)
        actions += d_actions
        labels += d_labels
        removed.append((d.entity, d_values))
    for target, attr, n in pat.increments:
        for key in target_keys(s, name, target, [*staged, *removed], kwargs.get(target_keyword(target))):
            if (key[PK]["S"], key[SK]["S"]) in seen:
                msg = f"Write pattern '{name}' both writes (or deletes) and increments the same {target}."
                raise RequestError(
                    msg, hint="a transaction touches each item once: set the counter on the written item"
                )
            seen.add((key[PK]["S"], key[SK]["S"]))
            actions.append({"Update": build_increment(s.table_name, key, attr, n)})
            labels.append(partial(_no_target, target, key))
    what = f"write pattern '{name}'"
    if plan.operation == "PutItem" and len(actions) == 1:
        body = actions[0]["Put"]
        check_item_size(body["Item"], what)
        try:
            yield from send_conditional(s, "PutItem", body, write_id, what)
        except ConditionFailedError as err:
            msg = f"The {what} was refused: {label_text(labels[0])}. Nothing was written."
            raise ConditionFailedError(
                msg, hint="use put() to replace it", aws_code=err.aws_code, request_id=err.request_id
            ) from err
    else:
        yield from transact(s, actions, labels, what, token=write_id)
    out: list[Entity] = []
    for e, (_, vals) in zip(entities, staged, strict=True):
        remember(e, 1, born)
        out.append(instance_of(s, type(e), vals, 1, born))
    return out
