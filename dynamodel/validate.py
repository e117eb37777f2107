"""Checks that turn declarations into a valid AppSpec, or say exactly what to fix."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import cast

from dynamodel.attribute_types import find, is_keyable
from dynamodel.errors import DefinitionError, UnknownEntityError, UnknownFieldError
from dynamodel.layout import is_key_name
from dynamodel.spec import (
    CONSISTENCIES,
    KEY_STYLES,
    ORDERS,
    RANGE_OPS,
    ActionSpec,
    AppSpec,
    AttributeSpec,
    EntitySpec,
    KeyStyle,
    PatternSpec,
    WhereMatch,
    WhereValue,
    where_values,
)
from dynamodel.validate_actions import check_action, check_where_value
from dynamodel.validate_copies import check_copies, resolve_via
from dynamodel.validate_sizes import check_fields, check_sizes

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_APP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def build_app_spec(
    name: str,
    entities: list[EntitySpec],
    patterns: list[PatternSpec],
    actions: Sequence[ActionSpec] = (),
    max_gsis: int | None = None,
    *,
    key_style: KeyStyle = "auto",
) -> AppSpec:
    """Validate and freeze an application; every problem is a DefinitionError naming the fix.

    Entities, patterns and actions are sorted by name, so declaration order never changes the result.
    """
    if not _APP_NAME.fullmatch(name or ""):
        msg = f"App name {name!r} is not valid."
        raise DefinitionError(msg, hint="start with a letter; use letters, digits, '_' or '-', e.g. 'shop'")
    _check_unique_names("entity", [e.name for e in entities], name)
    _check_unique_names("pattern", [p.name for p in patterns], name)
    _check_unique_names("action", [a.name for a in actions], name)
    by_name = {e.name: e for e in entities}
    resolved = [_resolve_copies(e, by_name) for e in entities]
    app = AppSpec(
        name=name,
        entities=tuple(sorted(resolved, key=lambda e: e.name)),
        patterns=tuple(sorted(patterns, key=lambda p: p.name)),
        actions=tuple(sorted(actions, key=lambda a: a.name)),
        max_gsis=max_gsis,
        key_style=key_style,
    )
    if key_style not in KEY_STYLES:
        msg = f"App '{name}': key_style={key_style!r} is not one of {list(KEY_STYLES)}."
        raise DefinitionError(
            msg, hint="write key_style: auto (native keys where they fit), synthetic or native"
        )
    if max_gsis is not None and (
        isinstance(max_gsis, bool) or not isinstance(max_gsis, int) or not 0 <= max_gsis <= 20
    ):
        msg = f"App '{name}': max_gsis={max_gsis!r}; a table has 0 to 20 GSIs."
        raise DefinitionError(msg, hint="write max_gsis: 2, or leave it out for DynamoDB's 20")
    for ent in app.entities:
        check_entity(app, ent)
        check_sizes(ent)
    for pat in app.patterns:
        check_pattern(app, pat)
        check_fields(app, pat)
    for act in app.actions:
        check_action(app, act)
    return app


def _check_unique_names(kind: str, names: list[str], app: str) -> None:
    seen: set[str] = set()
    for n in names:
        if not _NAME.fullmatch(n) or (kind == "pattern" and keyword.iskeyword(n)):
            msg = f"App '{app}': {kind} name {n!r} is not a valid identifier."
            raise DefinitionError(msg, hint="use letters, digits and '_', starting with a letter")
        if n in seen:
            msg = f"App '{app}': two {kind}s are called '{n}'."
            raise DefinitionError(msg, hint=f"give each {kind} a unique name")
        seen.add(n)


def _resolve_copies(ent: EntitySpec, by_name: dict[str, EntitySpec]) -> EntitySpec:
    attrs: list[AttributeSpec] = []
    for attr in ent.attributes:
        if attr.copy_of is None:
            attrs.append(attr)
            continue
        src_name, src_attr = attr.copy_of
        src = by_name.get(src_name)
        if src is None:
            msg = f"Entity '{ent.name}': attribute '{attr.name}' copies {src_name}.{src_attr}, but there is no entity '{src_name}'."
            raise UnknownEntityError(msg, hint=f"declare '{src_name}' or fix the copy source")
        source = src.attribute(src_attr)
        if source is None:
            msg = f"Entity '{ent.name}': attribute '{attr.name}' copies {src_name}.{src_attr}, which {src_name} does not define."
            raise UnknownFieldError(msg, hint=f"add '{src_attr}' to {src_name} or copy another attribute")
        if source.copy_of is not None:
            msg = f"Entity '{ent.name}': '{attr.name}' copies {src_name}.{src_attr}, which is itself a copy."
            raise DefinitionError(msg, hint=f"copy the original: {source.copy_of[0]}.{source.copy_of[1]}")
        attrs.append(
            replace(
                attr,
                type=source.type,
                enum=source.enum,
                optional=attr.optional or source.optional,
                min_length=source.min_length,
                copy_via=resolve_via(ent, attr, src, by_name),
            )
        )
    return replace(ent, attributes=tuple(attrs))


def _check_min_length(ent: EntitySpec, a: AttributeSpec) -> None:
    if a.min_length is None or a.copy_of is not None:  # a copy takes its source's
        return
    if a.type not in ("str", "bytes"):
        msg = f"Entity '{ent.name}': attribute '{a.name}' ({a.type}) declares min_length, which only str and bytes have."
        raise DefinitionError(msg, hint="drop min_length, or declare the attribute as str")
    if isinstance(a.min_length, bool) or not isinstance(a.min_length, int) or a.min_length < 0:
        msg = f"Entity '{ent.name}': attribute '{a.name}': min_length={a.min_length!r} is not a count."
        raise DefinitionError(msg, hint="write min_length: 1")


def check_entity(app: AppSpec, ent: EntitySpec) -> None:
    """Raise DefinitionError when an entity declaration is inconsistent."""
    names = [a.name for a in ent.attributes]
    if len(set(names)) != len(names):
        msg = f"Entity '{ent.name}' declares an attribute twice."
        raise DefinitionError(msg, hint="give each attribute one declaration")
    for a in ent.attributes:
        # the table's own key attributes: an entity attribute with one of these names would be overwritten
        if is_key_name(a.name):
            msg = f"Entity '{ent.name}': attribute name '{a.name}' is reserved for the table's keys."
            raise DefinitionError(msg, hint=f"rename it, e.g. '{a.name.lower()}_value'")
        if not _NAME.fullmatch(a.name) or a.name.startswith("_"):
            msg = f"Entity '{ent.name}': attribute name {a.name!r} is not valid."
            raise DefinitionError(msg, hint="use letters, digits and '_', starting with a letter")
        _check_min_length(ent, a)
        if _lists_values(a) and (not a.enum or len(set(a.enum)) != len(a.enum)):
            msg = f"Entity '{ent.name}': enum attribute '{a.name}' needs a non-empty list of distinct values."
            raise DefinitionError(msg, hint="write {enum: [A, B]}")
    for ident in ent.identity:
        attr = ent.attribute(ident)
        if attr is None:
            msg = f"Entity '{ent.name}': identity attribute '{ident}' is not declared."
            raise UnknownFieldError(msg, hint=f"add '{ident}' to the attributes of {ent.name}")
        if not is_keyable(attr.type) or attr.optional or attr.copy_of is not None:
            msg = f"Entity '{ent.name}': identity attribute '{ident}' ({attr.type}{', optional' if attr.optional else ''}) cannot be part of a key."
            raise DefinitionError(
                msg,
                hint="identity attributes must be required scalars (str, int, decimal, datetime, date, bool, enum, bytes)",
            )
    if len(set(ent.identity)) != len(ent.identity):
        msg = f"Entity '{ent.name}': identity lists an attribute twice."
        raise DefinitionError(msg, hint="list each identity attribute once")
    for rel_kind, rel in (("parent", ent.parent), ("aggregate", ent.aggregate)):
        if rel is None:
            continue
        if rel == ent.name:
            msg = f"Entity '{ent.name}' is its own {rel_kind}."
            raise DefinitionError(msg, hint=f"remove '{rel_kind}' or name another entity")
        target = app.entity(rel)
        missing = [a for a in target.identity if not ent.has(a)]
        if missing:
            msg = f"Entity '{ent.name}' has {rel_kind} {rel} but does not carry {rel}'s identity attribute(s) {missing}."
            raise DefinitionError(
                msg, hint=f"add {missing} to {ent.name}: a child refers to its {rel_kind} by those attributes"
            )
    if ent.parent and ent.aggregate and ent.parent != ent.aggregate:
        msg = f"Entity '{ent.name}' declares parent {ent.parent} and aggregate {ent.aggregate}."
        raise DefinitionError(msg, hint="an aggregate member belongs to its root: declare only 'aggregate'")
    _check_acyclic(app, ent)
    for u in ent.unique:
        attr = ent.attribute(u)
        if attr is None or not is_keyable(attr.type):
            msg = f"Entity '{ent.name}': unique attribute '{u}' is not a declared scalar attribute."
            raise UnknownFieldError(msg, hint=f"declare '{u}' as str/int/... on {ent.name}")
    if ent.ttl is not None:
        attr = ent.attribute(ent.ttl)
        if attr is None or attr.type not in ("datetime", "int"):
            msg = f"Entity '{ent.name}': ttl attribute '{ent.ttl}' must be a declared datetime or int (epoch seconds) attribute."
            raise DefinitionError(msg, hint=f"declare '{ent.ttl}: datetime' or 'int'")
    _check_immutable(app, ent)
    check_copies(app, ent)


def _check_immutable(app: AppSpec, ent: EntitySpec) -> None:
    # Identity and carried ancestor identity never change by construction (design/layout.py keys
    # the base table on them); marking them as well would give one app two spellings.
    implicit = set(ent.identity) | {a for anc in app.ancestors(ent.name) for a in anc.identity}
    for attr in ent.attributes:
        if not attr.immutable:
            continue
        if attr.name in implicit:
            msg = f"Entity '{ent.name}': '{attr.name}' is marked immutable, but identity attributes (its own and its parent's) never change already."
            raise DefinitionError(msg, hint=f"remove '{attr.name}' from immutable")
        if attr.copy_of is not None:
            # A copy changes whenever its source changes or its reference moves to another source;
            # whether the copied value can change is the source attribute's property.
            src, src_attr = attr.copy_of
            msg = f"Entity '{ent.name}': '{attr.name}' is a copy of {src}.{src_attr} and cannot be marked immutable."
            raise DefinitionError(msg, hint=f"mark {src}.{src_attr} immutable on {src} instead")


def _check_acyclic(app: AppSpec, ent: EntitySpec) -> None:
    seen = {ent.name}
    current = ent
    while True:
        up = current.parent or current.aggregate
        if up is None:
            return
        if up in seen:
            msg = f"Entity '{ent.name}': parent/aggregate relations form a cycle through '{up}'."
            raise DefinitionError(msg, hint="parents must form a tree")
        seen.add(up)
        current = app.entity(up)


def check_options(pat: PatternSpec) -> None:
    """Raise DefinitionError when an option has a value outside its allowed set.

    Planner and runtime read ``order`` through ``PatternSpec.descending``; an unchecked
    ``order="ascending"`` once read one way in the planner and the other in the runtime.
    """
    where = f"Pattern '{pat.name}'"
    choices: tuple[tuple[str, object, tuple[object, ...], str], ...] = (
        ("order", pat.order, ORDERS, "order='desc'"),
        ("range", pat.range, (None, *RANGE_OPS), "range='between'"),
        ("consistency", pat.consistency, CONSISTENCIES, "consistency='strong'"),
    )
    for option, value, allowed, example in choices:
        if not isinstance(value, str | None) or value not in allowed:
            names = ", ".join(repr(a) for a in allowed if a is not None)
            msg = f"{where}: {option}={value!r} is not one of {names}."
            raise DefinitionError(msg, hint=f"write {example}")
    for flag in ("unique", "allow_filter", "allow_scan"):
        if not isinstance(getattr(pat, flag), bool):
            msg = f"{where}: {flag} must be True or False, got {getattr(pat, flag)!r}."
            raise DefinitionError(msg, hint=f"write {flag}=True")
    for rate in ("reads_per_s", "writes_per_s"):
        value = getattr(pat.rate, rate)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            msg = f"{where}: {rate} must be a number, got {value!r}."
            raise DefinitionError(msg, hint=f"write {rate}=50 (requests per second)")


def check_pattern(app: AppSpec, pat: PatternSpec) -> None:
    """Raise DefinitionError when a pattern names nothing or mixes options that cannot go together."""
    where = f"Pattern '{pat.name}'"
    check_options(pat)
    if not pat.entities and not (pat.kind == "write" and pat.deletes):
        msg = f"{where} names no entity."
        raise DefinitionError(msg, hint="give the entity after get:/query:/write: (or deletes: for a write)")
    ents = [app.entity(n) for n in pat.entities]
    if len(set(pat.entities)) != len(pat.entities):
        msg = f"{where} lists an entity twice."
        raise DefinitionError(msg, hint="list each entity once")
    if pat.kind == "write":
        _check_write(app, pat, ents)
        return
    if pat.deletes:
        msg = f"{where}: deletes are only for write patterns."
        raise DefinitionError(msg, hint="declare a write pattern with deletes: [...]")
    if pat.increments:
        msg = f"{where}: increments are only for write patterns."
        raise DefinitionError(msg, hint="declare a separate write pattern with the increments")
    if pat.kind == "get" and len(ents) != 1:
        msg = f"{where}: get returns one item of one entity, but {len(ents)} are listed."
        raise DefinitionError(msg, hint="use query: [..] for several entities")
    if len(set(pat.by)) != len(pat.by):
        msg = f"{where}: 'by' lists an attribute twice."
        raise DefinitionError(msg, hint="list each attribute once")
    for a in pat.by:
        for e in ents:
            attr = e.attribute(a)
            if attr is None:
                msg = f"{where}: 'by' uses '{a}', which {e.name} does not define."
                raise UnknownFieldError(msg, hint=f"add a '{a}' attribute to {e.name} or change by=")
            if not is_keyable(attr.type):
                msg = f"{where}: 'by' uses '{a}' of type {attr.type}, which cannot be part of a key."
                raise DefinitionError(
                    msg, hint="use a scalar attribute (str, int, decimal, datetime, date, bool, enum)"
                )
    for a, match in pat.where:
        if isinstance(match, tuple) and normalise_where(where, {a: match}) != ((a, match),):
            msg = f"{where}: where {a} lists {match!r}, which is not a sorted tuple of two or more distinct values."
            raise DefinitionError(
                msg, hint="build patterns with Get/Query or a spec file, which normalise where"
            )
        for e in ents:
            attr = e.attribute(a)
            if attr is None:
                msg = f"{where}: 'where' uses '{a}', which {e.name} does not define."
                raise UnknownFieldError(msg, hint=f"add '{a}' to {e.name} or remove it from where")
            for value in where_values(match):
                check_where_value(where, e, attr, value)
        if a in pat.by:
            msg = f"{where}: '{a}' is in both 'by' and 'where'."
            raise DefinitionError(msg, hint="keep it in one of them")
    _check_sort(pat, ents, where)
    if pat.kind == "get":
        ent = ents[0]
        if not pat.by and ent.identity:
            msg = f"{where}: get {ent.name} with no 'by', but {ent.name} is not a singleton."
            raise DefinitionError(msg, hint=f"add by: {list(ent.identity)}")
        if not pat.unique and not set(ent.identity) <= set(pat.by) | {a for a, _ in pat.where}:
            msg = f"{where}: get {ent.name} by {list(pat.by)} can match several items."
            raise DefinitionError(
                msg, hint=f"declare unique: true, or get by the identity {list(ent.identity)}, or use query"
            )
    elif pat.unique:
        msg = f"{where}: unique: true only goes with get."
        raise DefinitionError(msg, hint="use get: ... unique: true, or the entity's unique: [attr] list")
    if pat.rate.reads_per_s is not None and pat.rate.reads_per_s < 0:
        msg = f"{where}: reads_per_s is negative."
        raise DefinitionError(msg, hint="give a rate of 0 or more")
    if pat.rate.writes_per_s is not None and pat.rate.writes_per_s < 0:
        msg = f"{where}: writes_per_s is negative."
        raise DefinitionError(msg, hint="give a rate of 0 or more")


def normalise_where(label: str, where: Mapping[str, object]) -> tuple[tuple[str, WhereMatch], ...]:
    """``{attr: value or [values]}`` as PatternSpec.where: sorted by attribute, several values as a
    sorted tuple of distinct values, one value (or a one-value list) as the bare value."""
    out: list[tuple[str, WhereMatch]] = []
    for attr, raw in where.items():
        if not isinstance(attr, str):
            msg = f"{label}: where keys must be attribute names, got {attr!r}."
            raise DefinitionError(msg, hint="write where={'status': 'OPEN'}")
        many = isinstance(raw, list | tuple | set | frozenset)
        values = list(cast("Iterable[object]", raw)) if many else [raw]
        if not values:
            msg = f"{label}: where {attr} lists no value, so no item could match."
            raise DefinitionError(
                msg, hint=f"list the allowed values, e.g. where={{'{attr}': ['OPEN', 'PENDING']}}"
            )
        checked: list[WhereValue] = []
        for v in values:
            if not isinstance(v, str | int | bool):
                msg = f"{label}: where {attr}={v!r} is not a constant (str, int or bool)."
                raise DefinitionError(msg, hint=f"write where={{'{attr}': 'OPEN'}} or a list of such values")
            if any(type(v) is type(w) and v == w for w in checked):
                msg = f"{label}: where {attr} lists {v!r} twice."
                raise DefinitionError(msg, hint="list each allowed value once")
            checked.append(v)
        # Sorted by (type, value) so that mixed types (refused later, with the attribute's type) never
        # make the sort itself fail.
        ordered = tuple(sorted(checked, key=lambda v: (type(v).__name__, v)))
        out.append((attr, ordered if len(ordered) > 1 else ordered[0]))
    return tuple(sorted(out, key=lambda kv: kv[0]))


def _lists_values(attr: AttributeSpec) -> bool:
    found = find(attr.type)
    return found is not None and found.lists_values


def _prefix_searchable(attr: AttributeSpec) -> bool:
    found = find(attr.type)
    return found is not None and found.prefix_searchable


def _check_sort(pat: PatternSpec, ents: list[EntitySpec], where: str) -> None:
    if pat.sort is None:
        if pat.range is not None:
            msg = f"{where}: range '{pat.range}' needs a sort attribute to apply to."
            raise DefinitionError(msg, hint="add sort: <attribute>")
        if pat.descending:
            msg = f"{where}: order: desc needs a sort attribute."
            raise DefinitionError(msg, hint="add sort: <attribute>")
        return
    if pat.kind == "get":
        msg = f"{where}: a get returns one item, so 'sort' has no meaning."
        raise DefinitionError(msg, hint="remove sort, or use query")
    holders = [e for e in ents if e.has(pat.sort)]
    if not holders:
        msg = f"{where}: sort attribute '{pat.sort}' is not defined on {', '.join(e.name for e in ents)}."
        raise UnknownFieldError(msg, hint=f"add '{pat.sort}' to one of them or change sort=")
    for e in holders:
        attr = e.attribute(pat.sort)
        assert attr is not None
        if not is_keyable(attr.type):
            msg = f"{where}: sort attribute '{pat.sort}' has type {attr.type}, which has no key order."
            raise DefinitionError(msg, hint="sort by a scalar attribute")
        if pat.range == "begins_with" and not _prefix_searchable(attr):
            msg = (
                f"{where}: begins_with needs a string sort attribute, but {e.name}.{pat.sort} is {attr.type}."
            )
            raise DefinitionError(msg, hint="use between/lt/gt on non-string attributes")
    if pat.sort in pat.by:
        msg = f"{where}: '{pat.sort}' is both a 'by' attribute and the sort attribute."
        raise DefinitionError(msg, hint="an equality attribute has one value: drop it from by or from sort")


def _check_write(app: AppSpec, pat: PatternSpec, ents: list[EntitySpec]) -> None:
    where = f"Pattern '{pat.name}'"
    if pat.by or pat.where or pat.sort or pat.range or pat.unique or pat.allow_filter or pat.allow_scan:
        msg = f"{where}: a write pattern takes only entities, increments and rate."
        raise DefinitionError(msg, hint="remove by/where/sort/range/unique/allow_* from the write")
    for ent_name in pat.deletes:
        app.entity(ent_name)
        if ent_name in pat.entities:
            msg = f"{where} both writes and deletes {ent_name}."
            raise DefinitionError(
                msg, hint=f"declare one write pattern that creates {ent_name} and another that deletes it"
            )
    if len(set(pat.deletes)) != len(pat.deletes):
        msg = f"{where}: deletes lists an entity twice."
        raise DefinitionError(msg, hint="list each entity once")
    for ent_name, attr_name, _ in pat.increments:
        target = app.entity(ent_name)
        attr = target.attribute(attr_name)
        if attr is None:
            msg = f"{where}: increments {ent_name}.{attr_name}, which {ent_name} does not define."
            raise UnknownFieldError(msg, hint=f"add '{attr_name}: int' to {ent_name}")
        found = find(attr.type)
        if found is None or not found.incrementable:
            msg = f"{where}: increments {ent_name}.{attr_name}, which is {attr.type}, not a number."
            raise DefinitionError(msg, hint="increment an int or decimal attribute")
        # A target whose identity the written items do not carry is keyed by the caller at run time
        # (e.g. a Reaction that stores target_id but increments Issue.reaction_count).
