"""Copies filled at write time: each ``Copy(...)`` attribute read from its source item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynamodel import compile as c
from dynamodel.errors import RequestError
from dynamodel.runtime.codec import Item, item_to_values
from dynamodel.runtime.session import Session
from dynamodel.spec import EntitySpec


def describe(spec: EntitySpec, values: Mapping[str, object]) -> str:
    ident = ", ".join(f"{a}={values.get(a)!r}" for a in spec.identity)
    return f"{spec.name}({ident})"


def read_item(s: Session, key: Item, context: str) -> Item | None:
    """A strongly consistent GetItem; None when there is no item."""
    response: Any = s.call(
        "GetItem",
        lambda: s.client.get_item(TableName=s.table_name, Key=key, ConsistentRead=True),
        context,
    )
    item: Item | None = response.get("Item")
    return item if item else None


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
            msg = f"{describe(spec, values)} copies {source} attributes but lacks {missing} to find the {source}."
            raise RequestError(msg, hint=f"set {missing} on the {entity}")
        key = c.base_key(s.design, source, values)
        ref = (source, key["PK"]["S"], key["SK"]["S"])
        src_values = pending.get(ref) if pending else None
        if src_values is None:
            item = read_item(s, key, f"copy source {source}")
            if not item:
                who = ", ".join(f"{a}={values.get(a)!r}" for a in needed)
                msg = f"{describe(spec, values)} copies {', '.join(f'{source}.{b}' for _, b in attrs)}, but the {source} ({who}) does not exist."
                raise RequestError(msg, hint=f"create the {source} first, or fix {', '.join(needed)}")
            src_values = item_to_values(s.design.app.entity(source), item)
        for name, src_attr in attrs:
            values[name] = src_values.get(src_attr)
    return values
