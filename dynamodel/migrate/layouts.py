"""Key templates read back from the design JSON an operation carries.

A migration file's operations hold the key layouts as the design JSON writes them
(``"ORDER#{status}#{_shard}#"``), so that a revision stays exact however a later dynamodel
would derive the same declarations. To lay out items by them, each pattern is read back into
the :class:`~dynamodel.keys.KeyTemplate` it was rendered from, with the attribute kinds of
the entity's declaration. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dynamodel.design.local import is_local_name
from dynamodel.design.model import EntityKeys, UniqueGuard
from dynamodel.errors import KeyEncodingError, MigrationError
from dynamodel.keys import TERMINATOR, KeyTemplate, Lit, Part, Ref, unescape
from dynamodel.layout import SHARD_ATTR
from dynamodel.spec import EntitySpec

__all__ = ["entity_keys_from_json", "guard_from_json", "index_key_names", "template_from_pattern"]

_REF = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def index_key_names(index: str) -> tuple[str, ...]:
    """The key attributes a write renders for an index, as derivation names them: ``GSI2`` →
    ``GSI2PK``, ``GSI2SK``; ``LSI1`` → ``LSI1SK`` (its partition is the table's own PK)."""
    if is_local_name(index):
        return (f"{index}SK",)
    return f"{index}PK", f"{index}SK"


def template_from_pattern(pattern: str, spec: EntitySpec) -> KeyTemplate:
    """The template whose ``pattern()`` is ``pattern``; references take ``spec``'s kinds.

    Raises:
        MigrationError: the pattern is not one dynamodel writes, or names an attribute the
            entity does not declare (the declaration changed since the revision was written).
    """
    if pattern and not pattern.endswith(TERMINATOR):
        msg = f"key template {pattern!r} does not end with '#'."
        raise MigrationError(msg, hint="restore the template as `dynamodel migrate new` wrote it")
    parts: list[Part] = []
    for piece in pattern[:-1].split(TERMINATOR) if pattern else []:
        ref = _REF.fullmatch(piece)
        if ref is None:
            try:
                parts.append(Lit(unescape(piece)))
            except KeyEncodingError as err:
                msg = f"key template {pattern!r}: {err.message}"
                raise MigrationError(
                    msg, hint="restore the template as `dynamodel migrate new` wrote it"
                ) from err
            continue
        name = ref.group(1)
        if name == SHARD_ATTR:
            parts.append(Ref(SHARD_ATTR, "int"))
            continue
        attr = spec.attribute(name)
        if attr is None:
            msg = f"key template {pattern!r} names {spec.name}.{name}, which is not declared any more."
            raise MigrationError(
                msg, hint=f"run this migration with code that still declares {spec.name}.{name}"
            )
        parts.append(Ref(name, attr.type))  # type: ignore[arg-type]  # derive only keys on keyable kinds
    return KeyTemplate(tuple(parts))


def entity_keys_from_json(spec: EntitySpec, index: str, entry: Mapping[str, Any]) -> EntityKeys:
    """An entity's keys on ``index`` from its design JSON entry (``pk``, ``sk``, ``sparse_when``, ...)."""
    sparse = tuple(
        (attr, tuple(value) if isinstance(value, list) else value)
        for attr, value in dict(entry.get("sparse_when", {})).items()
    )
    return EntityKeys(
        entity=spec.name,
        index=index,
        pk=template_from_pattern(str(entry["pk"]), spec),
        sk=template_from_pattern(str(entry["sk"]), spec),
        sparse=sparse,
        shards=int(entry.get("shards", 1)),
        optional_attrs=tuple(entry.get("present_only_with", ())),
    )


def guard_from_json(spec: EntitySpec, entry: Mapping[str, Any]) -> UniqueGuard:
    """A unique guard from its design JSON entry."""
    return UniqueGuard(
        entity=spec.name,
        attrs=tuple(entry["attributes"]),
        pk=template_from_pattern(str(entry["pk"]), spec),
        sk=template_from_pattern(str(entry["sk"]), spec),
    )
