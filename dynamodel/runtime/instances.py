"""An entity instance as the values the runtime writes, and back; a key as messages show it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from dynamodel import instance_state
from dynamodel.codec import Item
from dynamodel.compile import key_attrs
from dynamodel.errors import RequestError
from dynamodel.model import Entity
from dynamodel.runtime.session import Session
from dynamodel.runtime.trusted import build
from dynamodel.runtime.versions import UNKNOWN_BORN, remember

E = TypeVar("E", bound=Entity)


def values_of(entity: Entity) -> dict[str, object]:
    """The declared attribute values of an instance (Python values, not dumped).

    Raises:
        RequestError: the instance is partial (read from an index that projects some
            attributes only): writing it would drop the others.
    """
    present = instance_state.partial_fields(entity)
    if present is not None:
        name = type(entity).__name__
        msg = f"this {name} was read from an index that holds only {list(present)}; writing it would lose its other attributes."
        raise RequestError(
            msg, hint=f"read the whole {name} (a get by its identity), change that, and write it"
        )
    return {name: getattr(entity, name) for name in type(entity).model_fields}


def key_values(s: Session, name: str, key: Mapping[str, object], call: str) -> dict[str, object]:
    """The key attributes of entity ``name`` from a call's keyword arguments, each validated
    (and converted) by its declared type.

    Raises:
        RequestError: an argument that is not a key attribute (a missing one fails its type).
    """
    needed = key_attrs(s.design, name)
    unknown = sorted(set(key) - set(needed))
    if unknown:
        msg = f"{call}({name}) takes the key attributes {list(needed)}, not {unknown}."
        raise RequestError(msg, hint=f"pass {', '.join(f'{a}=...' for a in needed)}")
    return {a: s.coerce(name, a, key.get(a)) for a in needed}


def key_text(key: Item) -> str:
    return " / ".join(str(v.get("S")) for v in key.values())


def instance_of(
    s: Session, cls: type[E], values: Mapping[str, object], version: int, born: int | None = UNKNOWN_BORN
) -> E:
    out = build(cls, values)
    remember(out, version, born)
    return out
