"""Checks of ``Copy(...)`` declarations: named references (``via``) and optional references.

Called by :mod:`dynamodel.validate`; every problem is a DefinitionError (or
UnknownFieldError) that names the attribute and says how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping

from dynamodel.copyrefs import normalise_via, references
from dynamodel.errors import DefinitionError, UnknownFieldError
from dynamodel.spec import AppSpec, AttributeSpec, EntitySpec

__all__ = ["check_copies", "resolve_via"]


def _source_keys(src: EntitySpec, by_name: Mapping[str, EntitySpec]) -> list[str]:
    """Attributes a source's base key may hold: its identity and its ancestors' (carried)."""
    keys = list(src.identity)
    seen = {src.name}
    current = src
    while (up := current.parent or current.aggregate) is not None and up not in seen and up in by_name:
        seen.add(up)
        current = by_name[up]
        keys += [a for a in current.identity if src.has(a) and a not in keys]
    return keys


def resolve_via(
    ent: EntitySpec, attr: AttributeSpec, src: EntitySpec, by_name: Mapping[str, EntitySpec]
) -> tuple[tuple[str, str], ...]:
    """``attr.copy_via`` checked against the source and the entity, in its one normal form.

    Raises:
        UnknownFieldError: a via key is not a key attribute of the source, or a via value is
            not an attribute of the entity.
        DefinitionError: two key attributes map to one local attribute, or a local attribute
            is a copy or has another type than the source key attribute.
    """
    where = (
        f"Entity '{ent.name}': copy '{attr.name}' of {src.name}.{attr.copy_of[1] if attr.copy_of else '?'}"
    )
    keys = _source_keys(src, by_name)
    example = f"via={{'{keys[0] if keys else 'id'}': '<attribute of {ent.name}>'}}"
    locals_seen: dict[str, str] = {}
    for source_attr, local in attr.copy_via:
        if source_attr not in keys:
            msg = f"{where} maps '{source_attr}' in via, which is not a key attribute of {src.name} ({keys})."
            raise UnknownFieldError(
                msg, hint=f"via maps {src.name}'s key attributes to {ent.name}'s: {example}"
            )
        target = ent.attribute(local)
        if target is None:
            msg = f"{where} names {src.name}.{source_attr} by '{local}', which {ent.name} does not define."
            raise UnknownFieldError(msg, hint=f"declare '{local}' on {ent.name}, or fix via")
        if local in locals_seen:
            msg = f"{where} maps both '{locals_seen[local]}' and '{source_attr}' to '{local}'."
            raise DefinitionError(msg, hint="give each key attribute of the source its own local attribute")
        locals_seen[local] = source_attr
        key = src.attribute(source_attr)
        assert key is not None  # a key attribute is declared (check_entity refuses others)
        if target.copy_of is not None or target.type != key.type or set(target.enum) != set(key.enum):
            shown = "a copy" if target.copy_of is not None else target.type
            msg = f"{where} names {src.name}.{source_attr} ({key.type}) by '{local}', which is {shown}."
            raise DefinitionError(
                msg, hint=f"declare '{local}' on {ent.name} with the type of {src.name}.{source_attr}"
            )
    return normalise_via(src, attr.copy_via)


def check_copies(app: AppSpec, ent: EntitySpec) -> None:
    """Every reference of ``ent`` can find its source, and a required copy a required reference.

    Raises:
        DefinitionError: a source's identity attribute has no local attribute, or a required
            copy would be impossible to fill when an optional reference attribute is None.
    """
    for ref in references(app, ent.name):
        src = app.entity(ref.source)
        copies = ", ".join(name for name, _ in ref.attributes)
        missing = [local for local in ref.local_attrs if not ent.has(local)]
        if not src.identity or missing:
            msg = f"Entity '{ent.name}': copy '{copies}' of {src.name} cannot find its source: {ent.name} lacks {src.name}'s identity {list(src.identity)}."
            if ref.named:
                msg = f"Entity '{ent.name}': copy '{copies}' of {src.name} cannot find its source: {ent.name} lacks {missing} (via {dict(ref.via)})."
            raise DefinitionError(
                msg,
                hint=f"add {missing} to {ent.name}, or name them with via={{'<{src.name} key>': '<attribute>'}}",
            )
        loose = [local for local in ref.local_attrs if (a := ent.attribute(local)) is not None and a.optional]
        required = [name for name, _ in ref.attributes if not _optional(ent, name)]
        if loose and required:
            msg = f"Entity '{ent.name}': copy {required} of {src.name} is required, but its reference {loose} is optional: a {ent.name} without {loose[0]} could never be written."
            raise DefinitionError(
                msg,
                hint=f"declare the copy Copy({src.name}.<attr>, optional=True) (no {src.name}, no copy), or make {loose} required",
            )


def _optional(ent: EntitySpec, name: str) -> bool:
    attr = ent.attribute(name)
    return attr is not None and attr.optional
