"""Each GSI's projection: the third objective, after index count and write work.

An index whose every reader declares ``fields`` projects INCLUDE with exactly what they need:
their fields and sort attribute, each entity's identity (the runtime builds the instance from it) and the
bookkeeping the runtime decodes with (``_type``, ``_version``, ``_born``). That is never more
read units, stored bytes or index write units than ALL, and less as soon as an item has an
attribute no reader asked for; an attribute outside the projection also stops costing index
writes when it changes. KEYS_ONLY is never enough: an item's entity and identity live in
non-key attributes. An index keeps ALL when some reader wants every attribute (no
``fields``), or when propagation looks copies up through it (it rewrites whole targets).
DynamoDB allows 100 projected non-key attributes over all of a table's indexes; indexes that
would pass it keep ALL, in index order.
"""

from __future__ import annotations

from dataclasses import replace

from dynamodel.design.model import CopyPath, Design, IndexSpec, PatternPlan
from dynamodel.layout import BORN_ATTR, TYPE_ATTR, VERSION_ATTR
from dynamodel.spec import AppSpec

__all__ = ["MAX_PROJECTED", "choose_projections", "holds_only"]

MAX_PROJECTED = 100
"""Non-key attributes DynamoDB lets a table's indexes project in all (INCLUDE)."""
_DECODED_WITH = (TYPE_ATTR, VERSION_ATTR, BORN_ATTR)


def _needed(app: AppSpec, readers: list[PatternPlan]) -> set[str]:
    attrs: set[str] = set(_DECODED_WITH)
    for plan in readers:
        pat = app.pattern(plan.name)
        for name in pat.entities:
            ent = app.entity(name)
            # The sort attribute too: the items come in its order, which the caller may check.
            named = {*pat.fields, *([pat.sort] if pat.sort else [])}
            attrs |= {f for f in named if ent.has(f)} | set(ent.identity)
    return attrs


def choose_projections(
    app: AppSpec, indexes: tuple[IndexSpec, ...], plans: list[PatternPlan], copy_paths: tuple[CopyPath, ...]
) -> tuple[IndexSpec, ...]:
    """``indexes`` with INCLUDE where every reader names its fields (see the module docstring)."""
    looked_up = {c.plan.index for c in copy_paths}
    room = MAX_PROJECTED
    out: list[IndexSpec] = []
    for ix in indexes:
        readers = [p for p in plans if p.index == ix.name and p.kind != "write"]
        if not readers or ix.name in looked_up or any(not app.pattern(p.name).fields for p in readers):
            out.append(ix)
            continue
        attrs = _needed(app, readers) - {ix.partition_key, ix.sort_key}
        if len(attrs) > room:
            out.append(ix)
            continue
        room -= len(attrs)
        out.append(replace(ix, projection="INCLUDE", non_key_attributes=tuple(sorted(attrs))))
    return tuple(out)


def holds_only(design: Design, pattern: str) -> tuple[str, ...] | None:
    """The attributes the items of a read pattern hold when its index projects INCLUDE, else None."""
    plan = design.plan(pattern)
    ix = design.index(plan.index)
    if plan.kind == "write" or ix.projection != "INCLUDE":
        return None
    return tuple(
        a.name
        for e in plan.entities
        for a in design.entity_spec(e).attributes
        if a.name in ix.non_key_attributes
    )
