"""Spec files (YAML or JSON, docs/spec-format.md §1) to AppSpec.

``parse_spec`` is pure (a mapping in, an AppSpec out); ``load_spec_file`` is the one reader.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from dynamodel.errors import DefinitionError, UnknownFieldError
from dynamodel.spec import (
    ATTR_TYPES,
    RANGE_OPS,
    AppSpec,
    AttributeSpec,
    AttrType,
    Consistency,
    EntitySpec,
    Order,
    PatternKind,
    PatternSpec,
    RangeOp,
    Rate,
    WhereMatch,
)
from dynamodel.spec_actions import dump_actions, parse_actions
from dynamodel.spec_load import Format, load_document, named_entry, short
from dynamodel.spec_sizes import COST_KEYS, dump_entity_costs, parse_entity_costs
from dynamodel.validate import build_app_spec, normalise_where

_ENTITY_KEYS = {"identity", "attributes", "parent", "aggregate", "unique", "ttl", "immutable", *COST_KEYS}
_PATTERN_KEYS = {
    "name",
    "get",
    "query",
    "write",
    "by",
    "where",
    "sort",
    "order",
    "range",
    "unique",
    "increments",
    "rate",
    "allow_filter",
    "allow_scan",
    "consistency",
    "deletes",
    "fields",
}


def parse_spec_text(text: str, *, source: str = "<spec>") -> AppSpec:
    """Parse YAML or JSON text into a validated AppSpec (a JSON object is read as JSON)."""
    return _parse_document(load_document(text, source=source), source)


def load_spec_file(path: str | Path) -> AppSpec:
    """Read and parse a spec file (``.json`` strictly as JSON, anything else as YAML)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        msg = f"Cannot read spec file {p}: {exc.strerror}."
        raise DefinitionError(msg, hint="give the path of a .yaml or .json spec file") from exc
    fmt: Format | None = "json" if p.suffix.lower() == ".json" else None
    return _parse_document(load_document(data, source=str(p), fmt=fmt), str(p))


def _parse_document(data: object, source: str) -> AppSpec:
    if not isinstance(data, Mapping):
        msg = f"{source}: the spec must be a mapping with keys app, entities, patterns."
        raise DefinitionError(msg, hint="see docs/spec-format.md §1 for the format")
    return parse_spec(data, source=source)


def parse_spec(data: Mapping[str, Any], *, source: str = "<spec>") -> AppSpec:
    """Turn a spec mapping into a validated AppSpec."""
    unknown = set(data) - {"app", "entities", "patterns", "actions", "max_gsis", "key_style"}
    if unknown:
        msg = f"{source}: unknown top-level key(s) {sorted(unknown)}."
        raise DefinitionError(msg, hint="the top level has app, entities, patterns and actions")
    app = data.get("app")
    if not isinstance(app, str):
        msg = f"{source}: 'app' must be the application's name (a string)."
        raise DefinitionError(msg, hint="add 'app: shop'")
    entities_raw = data.get("entities")
    if not isinstance(entities_raw, Mapping) or not entities_raw:
        msg = f"{source}: 'entities' must map entity names to their declarations."
        raise DefinitionError(msg, hint="see docs/spec-format.md §1")
    patterns_raw = data.get("patterns") or []
    if not isinstance(patterns_raw, list):
        msg = f"{source}: 'patterns' must be a list."
        raise DefinitionError(msg, hint="write each pattern as '- {name: ..., query: ...}'")
    entities = [_parse_entity(str(n), e) for n, e in entities_raw.items()]
    patterns = [_parse_pattern(i, p) for i, p in enumerate(patterns_raw)]
    return build_app_spec(
        app,
        entities,
        patterns,
        parse_actions(data.get("actions"), source),
        data.get("max_gsis"),
        key_style=data.get("key_style", "auto"),
    )


def _strs(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(cast("Sequence[str]", value))
    msg = f"{what} must be a name or a list of names, got {short(value)}."
    raise DefinitionError(msg, hint="write [a, b]")


def _parse_entity(name: str, raw: object) -> EntitySpec:
    if not isinstance(raw, Mapping):
        msg = f"Entity '{name}': expected a mapping with identity and attributes."
        raise DefinitionError(msg, hint="see docs/spec-format.md §1")
    unknown = set(raw) - _ENTITY_KEYS
    if unknown:
        msg = f"Entity '{name}': unknown key(s) {sorted(unknown)}."
        raise DefinitionError(msg, hint=f"allowed keys: {sorted(_ENTITY_KEYS)}")
    if "identity" not in raw:
        msg = f"Entity '{name}': 'identity' is missing."
        raise DefinitionError(msg, hint="list the attributes that identify one item, or [] for a singleton")
    attrs_raw = raw.get("attributes")
    if not isinstance(attrs_raw, Mapping):
        msg = f"Entity '{name}': 'attributes' must map attribute names to types."
        raise DefinitionError(msg, hint="write 'attributes: {customer_id: str}'")
    attrs = tuple(_parse_attribute(name, str(a), t) for a, t in attrs_raw.items())
    attrs = _mark_immutable(name, attrs, _strs(raw.get("immutable"), f"Entity '{name}': immutable"))
    ttl = raw.get("ttl")
    return EntitySpec(
        name=name,
        identity=_strs(raw.get("identity"), f"Entity '{name}': identity"),
        attributes=attrs,
        parent=_opt_str(raw.get("parent"), f"Entity '{name}': parent"),
        aggregate=_opt_str(raw.get("aggregate"), f"Entity '{name}': aggregate"),
        unique=_strs(raw.get("unique"), f"Entity '{name}': unique"),
        ttl=_opt_str(ttl, f"Entity '{name}': ttl"),
        **parse_entity_costs(name, raw),
    )


def _mark_immutable(
    entity: str, attrs: tuple[AttributeSpec, ...], names: tuple[str, ...]
) -> tuple[AttributeSpec, ...]:
    # `immutable: [posted_at]` on the entity (like `unique`) and `immutable: true` on the attribute
    # mean the same; validate.check_entity refuses identity and copy attributes.
    declared = {a.name for a in attrs}
    for n in names:
        if n not in declared:
            msg = f"Entity '{entity}': immutable attribute '{n}' is not declared."
            raise UnknownFieldError(msg, hint=f"list attributes of {entity}, e.g. immutable: [posted_at]")
    return tuple(replace(a, immutable=True) if a.name in names else a for a in attrs)


def _opt_str(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    msg = f"{what} must be a name, got {short(value)}."
    raise DefinitionError(msg, hint="write the entity or attribute name")


def _parse_type(entity: str, attr: str, value: object) -> AttrType:
    if isinstance(value, str) and value in ATTR_TYPES and value != "enum":
        return cast("AttrType", value)
    msg = f"Entity '{entity}': attribute '{attr}' has unknown type {short(value)}."
    raise DefinitionError(
        msg, hint=f"use one of {[t for t in ATTR_TYPES if t != 'enum']}, {{enum: [...]}} or {{copy: E.attr}}"
    )


def _parse_attribute(entity: str, name: str, raw: object) -> AttributeSpec:
    if not isinstance(raw, Mapping):
        return AttributeSpec(name=name, type=_parse_type(entity, name, raw))
    unknown = set(raw) - {"type", "optional", "enum", "copy", "via", "immutable", "min_length"}
    if unknown:
        msg = f"Entity '{entity}': attribute '{name}' has unknown key(s) {sorted(unknown)}."
        raise DefinitionError(msg, hint="use type, optional, enum, copy (with via), immutable or min_length")
    if "min_length" in raw:  # checked with the type by validate.check_entity
        return replace(
            _parse_attribute(entity, name, {k: v for k, v in raw.items() if k != "min_length"}),
            min_length=raw["min_length"],
        )
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        msg = f"Entity '{entity}': attribute '{name}': optional must be true or false."
        raise DefinitionError(msg, hint="write optional: true")
    immutable = raw.get("immutable", False)
    if not isinstance(immutable, bool):
        msg = f"Entity '{entity}': attribute '{name}': immutable must be true or false."
        raise DefinitionError(msg, hint="write immutable: true")
    if immutable:
        return replace(
            _parse_attribute(entity, name, {k: v for k, v in raw.items() if k != "immutable"}), immutable=True
        )
    if "copy" in raw:
        src = raw["copy"]
        if not isinstance(src, str) or src.count(".") != 1:
            msg = f"Entity '{entity}': attribute '{name}': copy must be 'Entity.attribute', got {short(src)}."
            raise DefinitionError(msg, hint="write {copy: Customer.name}")
        src_entity, src_attr = src.split(".")
        # The type is the source's; validate.build_app_spec fills it in.
        return AttributeSpec(
            name=name,
            type="str",
            optional=optional,
            copy_of=(src_entity, src_attr),
            copy_via=_parse_via(entity, name, raw.get("via")),
        )
    if "via" in raw:
        msg = f"Entity '{entity}': attribute '{name}' has via but no copy."
        raise DefinitionError(
            msg, hint="via names the source of a copy: {copy: User.name, via: {user_id: assignee_id}}"
        )
    if "enum" in raw or raw.get("type") == "enum":
        values = raw.get("enum")
        if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
            msg = f"Entity '{entity}': enum attribute '{name}' needs a list of values."
            raise DefinitionError(msg, hint="write {enum: [OPEN, CLOSED]}")
        return AttributeSpec(name=name, type="enum", optional=optional, enum=tuple(str(v) for v in values))
    return AttributeSpec(name=name, type=_parse_type(entity, name, raw.get("type")), optional=optional)


def _parse_via(entity: str, name: str, raw: object) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        msg = f"Entity '{entity}': attribute '{name}': via must map the source's key attributes to names, got {short(raw)}."
        raise DefinitionError(msg, hint="write via: {user_id: assignee_id}")
    return tuple(sorted(raw.items()))


def _parse_pattern(index: int, given: object) -> PatternSpec:
    raw, name, label = named_entry(
        "Pattern",
        index,
        given,
        _PATTERN_KEYS,
        example="{name: ..., query: ...}",
        why_named="it becomes the method name",
    )
    kinds = [k for k in ("get", "query", "write") if k in raw]
    if not kinds and "deletes" in raw:
        kinds = ["write"]  # a write that only deletes: `deletes: Comment` says it all
    if len(kinds) != 1:
        msg = f"{label}: give exactly one of get:, query:, write: (found {kinds or 'none'})."
        raise DefinitionError(msg, hint="e.g. 'query: Order'")
    kind = cast("PatternKind", kinds[0])
    entities = _strs(raw.get(kind), f"{label}: {kind}")
    order = raw.get("order", "asc")
    if order not in ("asc", "desc"):
        msg = f"{label}: order must be asc or desc, got {short(order)}."
        raise DefinitionError(msg, hint="write order: desc")
    rng = raw.get("range")
    if rng is not None and rng not in RANGE_OPS:
        msg = f"{label}: range must be one of {list(RANGE_OPS)}, got {short(rng)}."
        raise DefinitionError(msg, hint="e.g. range: between")
    consistency = raw.get("consistency", "eventual")
    if consistency not in ("strong", "eventual"):
        msg = f"{label}: consistency must be strong or eventual, got {short(consistency)}."
        raise DefinitionError(msg, hint="write consistency: strong")
    sort = raw.get("sort")
    if sort is not None and not isinstance(sort, str):
        msg = f"{label}: sort must be one attribute name."
        raise DefinitionError(msg, hint="write sort: placed_at")
    return PatternSpec(
        name=name,
        kind=kind,
        entities=entities,
        by=_strs(raw.get("by"), f"{label}: by"),
        where=_parse_where(label, raw.get("where")),
        sort=sort,
        order=cast("Order", order),
        range=cast("RangeOp | None", rng),
        unique=_flag(label, raw, "unique"),
        increments=_parse_increments(label, raw.get("increments")),
        rate=_parse_rate(label, raw.get("rate")),
        allow_filter=_flag(label, raw, "allow_filter"),
        allow_scan=_flag(label, raw, "allow_scan"),
        consistency=cast("Consistency", consistency),
        deletes=_strs(raw.get("deletes"), f"{label}: deletes"),
        fields=tuple(sorted(set(_strs(raw.get("fields"), f"{label}: fields")))),
    )


def _flag(label: str, raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        msg = f"{label}: {key} must be true or false, got {short(value)}."
        raise DefinitionError(msg, hint=f"write {key}: true")
    return value


def _parse_where(label: str, raw: object) -> tuple[tuple[str, WhereMatch], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, str | int | bool)
        or (isinstance(v, list) and all(isinstance(x, str | int | bool) for x in v))
        for v in raw.values()
    ):
        msg = f"{label}: where must map attributes to a constant value or a list of allowed values."
        raise DefinitionError(msg, hint="write where: {status: OPEN} or where: {status: [OPEN, PENDING]}")
    return normalise_where(label, {str(k): v for k, v in raw.items()})


def _parse_increments(label: str, raw: object) -> tuple[tuple[str, str, int], ...]:
    if raw is None:
        return ()
    out: list[tuple[str, str, int]] = []
    if isinstance(raw, Mapping):
        for key, n in raw.items():
            if (
                not isinstance(key, str)
                or key.count(".") != 1
                or not isinstance(n, int)
                or isinstance(n, bool)
            ):
                msg = f"{label}: increments entries must be 'Entity.attribute: integer', got {short(key)}: {short(n)}."
                raise DefinitionError(msg, hint="write increments: {Customer.order_count: 1}")
            ent, attr = key.split(".")
            out.append((ent, attr, n))
        return tuple(sorted(out))
    msg = f"{label}: increments must be a mapping."
    raise DefinitionError(msg, hint="write increments: {Customer.order_count: 1}")


def _parse_rate(label: str, raw: object) -> Rate:
    if raw is None:
        return Rate()
    if not isinstance(raw, Mapping) or set(raw) - {"reads_per_s", "writes_per_s"}:
        msg = f"{label}: rate takes reads_per_s and/or writes_per_s."
        raise DefinitionError(msg, hint="write rate: {reads_per_s: 50, writes_per_s: 2500}")
    values: dict[str, float | None] = {}
    for key in ("reads_per_s", "writes_per_s"):
        v = raw.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            msg = f"{label}: rate {key} must be a number, got {short(v)}."
            raise DefinitionError(msg, hint="give requests per second")
        values[key] = None if v is None else float(v)
    return Rate(reads_per_s=values["reads_per_s"], writes_per_s=values["writes_per_s"])


def dump_spec(app: AppSpec) -> dict[str, Any]:
    """Render an AppSpec back to the spec-file mapping (round-trips through parse_spec)."""
    entities: dict[str, Any] = {}
    for e in app.entities:
        attrs: dict[str, Any] = {}
        for a in e.attributes:
            if a.copy_of is not None:
                attrs[a.name] = {"copy": f"{a.copy_of[0]}.{a.copy_of[1]}"}
                if a.copy_via:
                    attrs[a.name]["via"] = dict(a.copy_via)
                if a.optional:
                    attrs[a.name]["optional"] = True
            elif a.type == "enum":
                attrs[a.name] = {"enum": list(a.enum), **({"optional": True} if a.optional else {})}
            elif a.optional or a.min_length is not None:
                attrs[a.name] = {
                    "type": a.type,
                    **({"optional": True} if a.optional else {}),
                    **({"min_length": a.min_length} if a.min_length is not None else {}),
                }
            else:
                attrs[a.name] = a.type
        ent: dict[str, Any] = {"identity": list(e.identity), "attributes": attrs}
        for key in ("parent", "aggregate", "ttl"):
            if getattr(e, key) is not None:
                ent[key] = getattr(e, key)
        if e.unique:
            ent["unique"] = list(e.unique)
        if any(a.immutable for a in e.attributes):
            ent["immutable"] = [a.name for a in e.attributes if a.immutable]
        ent.update(dump_entity_costs(e))
        entities[e.name] = ent
    patterns: list[dict[str, Any]] = []
    for p in app.patterns:
        d: dict[str, Any] = {"name": p.name}
        if p.entities:
            d[p.kind] = list(p.entities) if len(p.entities) > 1 else p.entities[0]
        if p.deletes:
            d["deletes"] = list(p.deletes)
        if p.by:
            d["by"] = list(p.by)
        if p.where:
            d["where"] = {a: list(m) if isinstance(m, tuple) else m for a, m in p.where}
        if p.sort:
            d["sort"] = p.sort
        if p.order != "asc":
            d["order"] = p.order
        if p.range:
            d["range"] = p.range
        for flag in ("unique", "allow_filter", "allow_scan"):
            if getattr(p, flag):
                d[flag] = True
        if p.increments:
            d["increments"] = {f"{e}.{a}": n for e, a, n in p.increments}
        rate = {
            k: v
            for k, v in (("reads_per_s", p.rate.reads_per_s), ("writes_per_s", p.rate.writes_per_s))
            if v is not None
        }
        if rate:
            d["rate"] = rate
        if p.consistency != "eventual":
            d["consistency"] = p.consistency
        if p.fields:
            d["fields"] = list(p.fields)
        patterns.append(d)
    dumped: dict[str, Any] = {"app": app.name, "entities": entities, "patterns": patterns}
    if app.actions:  # absent when there are none: every spec and lock written before actions is unchanged
        dumped["actions"] = dump_actions(app.actions)
    if app.max_gsis is not None:
        dumped["max_gsis"] = app.max_gsis
    if app.key_style != "auto":  # absent at its default: every spec written before it is unchanged
        dumped["key_style"] = app.key_style
    return dumped


def spec_to_json(app: AppSpec) -> str:
    """The spec as canonical JSON text."""
    return json.dumps(dump_spec(app), indent=2, sort_keys=True)
