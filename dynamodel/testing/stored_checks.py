"""The whole table against the model: what the machine checks after writes.

:func:`scan_table` reads every item; :func:`check_stored` checks that the table holds exactly
the model's entities (so a refused write left nothing) at the model's versions, with keys
that parse back (:func:`~dynamodel.testing.table_checks.check_item_keys`), one guard item per
``unique`` value owned by its holder, every index item in step with its entity, and, once propagation has drained, every copy equal to
its source.
"""

from __future__ import annotations

from typing import Any

from dynamodel.app import App
from dynamodel.codec import Item, item_to_values
from dynamodel.compile import base_key
from dynamodel.layout import (
    BORN_ATTR,
    GUARD_TYPE,
    MIGRATION_TYPE,
    OWNER_PK,
    OWNER_SK,
    PK,
    SK,
    TYPE_ATTR,
    VERSION_ATTR,
    entity_of_type,
)
from dynamodel.testing.mirror import Model
from dynamodel.testing.oracle import normalise
from dynamodel.testing.table_checks import check_item_keys, entity_values, parse_key, same_values

Seen = dict[tuple[str, str], tuple[str, dict[str, object]]]
"""The stored entities by base key (PK, SK): entity name and values."""


def scan_table(client: Any, table_name: str) -> list[Item]:
    """Every item of the table (strongly consistent)."""
    items: list[Item] = []
    kwargs: dict[str, Any] = {"TableName": table_name, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def check_stored(app: App, model: Model, items: list[Item], *, copies: bool) -> None:
    """``items`` are exactly the model's entities and their guards, with keys that parse back.

    ``copies``: also check every copy equals its source (only true once propagation drained).
    """
    spec = app.spec
    seen: Seen = {}
    guards: list[Item] = []
    index_items: list[Item] = []
    count = 0
    for item in items:
        kind = item.get(TYPE_ATTR, {}).get("S")
        if kind == GUARD_TYPE:
            guards.append(item)
            continue
        if kind == MIGRATION_TYPE:
            continue  # the migration runner's bookkeeping (applied revisions, checkpoints)
        assert isinstance(kind, str), f"a stored item has no _type: {item}"
        if kind != entity_of_type(kind):
            index_items.append(item)
            continue
        assert kind in app.models, f"a stored item has _type {kind!r}: {item}"
        values = entity_values(app.models[kind].model_validate(item_to_values(spec.entity(kind), item)))
        want = model.oracle.get(kind, values)
        assert want is not None, f"{kind} {values} is stored, but was never written or was deleted"
        assert same_values(values, want), f"{kind} stored as {values}, expected {want}"
        version = int(item[VERSION_ATTR]["N"])
        expected = model.version(kind, values)
        assert version == expected, f"{kind} {values}: _version {version}, expected {expected}"
        check_item_keys(app, kind, item, values)
        seen[(item[PK]["S"], item[SK]["S"])] = (kind, values)
        count += 1
    assert count == model.size(), f"the table holds {count} entities, the model {model.size()}"
    _check_guards(app, guards, seen)
    _check_index_items(app, index_items, seen, {(i[PK]["S"], i[SK]["S"]): i for i in items})
    if copies:
        _check_copies(app, model, seen)


def _check_guards(app: App, guards: list[Item], seen: Seen) -> None:
    """Each guard is owned by a stored holder whose values it claims; each holder has its guards."""
    design = app.design
    claimed: set[tuple[str, tuple[str, ...], tuple[str, str]]] = set()
    for g in guards:
        entity = g.get("entity", {}).get("S", "")
        owner = (g[OWNER_PK]["S"], g[OWNER_SK]["S"])
        assert owner in seen, f"guard {g[PK]['S']!r} is owned by a missing item {owner}"
        holder_entity, holder = seen[owner]
        assert holder_entity == entity, f"guard {g[PK]['S']!r} of {entity} held by a {holder_entity}"
        guard = next(x for x in design.guards if x.entity == entity and x.sk.render({}) == g[SK]["S"])
        parsed = parse_key(guard.pk, g[PK]["S"], "guard")
        for a, v in parsed.items():
            assert normalise(v) == normalise(holder.get(a)), f"guard {g[PK]['S']!r} claims {a}={v!r}"
        claimed.add((entity, guard.attrs, owner))
    for owner, (entity, values) in seen.items():
        for guard in design.guards:
            if guard.entity == entity and all(values.get(a) is not None for a in guard.attrs):
                assert (entity, guard.attrs, owner) in claimed, (
                    f"{entity} {values} has no guard for {guard.attrs}"
                )


def _check_copies(app: App, model: Model, seen: Seen) -> None:
    for entity, values in seen.values():
        for attr, source, source_attr, source_key in model.propagated_copies(entity, values):
            if source_key is None:
                continue  # an optional reference naming no source
            key = base_key(app.design, source, source_key)
            src = seen.get((key[PK]["S"], key[SK]["S"]))
            if src is not None:
                assert normalise(values.get(attr)) == normalise(src[1].get(source_attr)), (
                    f"{entity} {values}: copy {attr}={values.get(attr)!r} != {source}.{source_attr}={src[1].get(source_attr)!r} after draining"
                )


def _check_index_items(
    app: App, index_items: list[Item], seen: Seen, by_key: dict[tuple[str, str], Item]
) -> None:
    """Every index item is its stored entity's, in step with it (the same values, version and
    birth, keys that parse back); every entity item has each of its index items."""
    design = app.design
    found: set[tuple[str, tuple[str, str]]] = set()
    for item in index_items:
        kind = item[TYPE_ATTR]["S"]
        entity = entity_of_type(kind)
        assert kind in design.index_items_of(entity), (
            f"a stored item has _type {kind!r}, no index item of the design"
        )
        values = entity_values(
            app.models[entity].model_validate(item_to_values(design.entity_spec(kind), item))
        )
        key = base_key(design, entity, values)
        owner = (key[PK]["S"], key[SK]["S"])
        assert owner in seen, f"index item {kind} {values} outlived its {entity} (or was written without it)"
        assert same_values(values, seen[owner][1]), (
            f"index item {kind} holds {values}, its {entity} {seen[owner][1]}"
        )
        main = by_key[owner]
        for attr in (VERSION_ATTR, BORN_ATTR):
            assert item.get(attr) == main.get(attr), (
                f"index item {kind} {values}: {attr} {item.get(attr)} != {main.get(attr)}"
            )
        check_item_keys(app, kind, item, values)
        found.add((kind, owner))
    for owner, (entity, values) in seen.items():
        for kind in design.index_items_of(entity):
            assert (kind, owner) in found, f"{entity} {values} has no index item {kind}"
