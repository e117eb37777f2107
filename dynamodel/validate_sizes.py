"""Checks of what feeds the cost estimate: entity sizes and counts, the fields a pattern returns.

Called by :mod:`dynamodel.validate`; every problem is a DefinitionError (or UnknownFieldError)
naming the declaration and the fix.
"""

from __future__ import annotations

from dynamodel.errors import DefinitionError, UnknownFieldError
from dynamodel.spec import AppSpec, EntitySpec, PatternSpec

__all__ = ["MAX_ITEM_BYTES", "check_fields", "check_sizes"]

MAX_ITEM_BYTES = 400 * 1024
"""DynamoDB's item size limit."""


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_sizes(ent: EntitySpec) -> None:
    """Raise DefinitionError for a size or count no item can have."""
    where = f"Entity '{ent.name}'"
    if ent.size is not None and not _whole(ent.size, 1, MAX_ITEM_BYTES):
        msg = f"{where}: size={ent.size!r}; an item holds 1 to {MAX_ITEM_BYTES} bytes."
        raise DefinitionError(msg, hint="give the typical item's size in bytes, e.g. size=800")
    for attr, size in ent.sizes:
        if not ent.has(attr):
            msg = f"{where}: sizes names '{attr}', which {ent.name} does not declare."
            raise UnknownFieldError(msg, hint=f"use one of {[a.name for a in ent.attributes]}")
        if not _whole(size, 1, MAX_ITEM_BYTES):
            msg = f"{where}: sizes {attr}={size!r}; a value holds 1 to {MAX_ITEM_BYTES} bytes."
            raise DefinitionError(
                msg, hint=f"give the typical size of {attr} in bytes, e.g. {{'{attr}': 200}}"
            )
    if ent.size is not None and sum(size for _, size in ent.sizes) > ent.size:
        msg = f"{where}: the sizes of its attributes add up to more than its size={ent.size}."
        raise DefinitionError(msg, hint="declare the item's size, or its attributes' sizes, consistently")
    if ent.count is not None and not _whole(ent.count, 1, 10**12):
        msg = f"{where}: count={ent.count!r} is not a whole number of items >= 1."
        raise DefinitionError(
            msg, hint="give the typical number of items per parent (in all for a root), e.g. count=20"
        )


def check_fields(app: AppSpec, pat: PatternSpec) -> None:
    """Raise when a pattern's ``fields`` name attributes its entities do not have (or it writes)."""
    if not pat.fields:
        return
    where = f"Pattern '{pat.name}'"
    if pat.kind == "write":
        msg = f"{where}: fields belong to read patterns; a write returns what it wrote."
        raise DefinitionError(msg, hint="drop fields from the write pattern")
    known = {a.name for e in pat.entities for a in app.entity(e).attributes}
    unknown = sorted(set(pat.fields) - known)
    if unknown:
        msg = f"{where}: fields {unknown} are not attributes of {', '.join(pat.entities)}."
        raise UnknownFieldError(msg, hint=f"list attributes among {sorted(known)}")
