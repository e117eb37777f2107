"""Copy references: which source item a target's copies follow, and through which attributes.

A *reference* is one way an entity names items of a source entity: the local attributes
that hold the source's identity. ``Copy(User.name)`` uses the source's own attribute names
(the target carries ``user_id``); ``Copy(User.name, via={"user_id": "assignee_id"})`` names
the user by ``assignee_id``. Every copy through the same reference is filled from the same
source item, shares one ``_copyver_`` stamp and one copy path (the lookup from a source item
to its targets), so an entity can copy from one source twice (reporter and assignee).

Pure: only the AppSpec is read. The runtime, the planner, propagation and the testing
mirror all derive references here, so they agree on what a reference is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dynamodel.layout import COPYVER_PREFIX
from dynamodel.memo import PerObject
from dynamodel.spec import AppSpec, EntitySpec

__all__ = [
    "COPYVER_PREFIX",
    "Reference",
    "all_references",
    "normalise_via",
    "references",
    "stamp_attr",
    "write_time_copies",
]

NAMED_MARK = "@"
"""Separates the source from the reference's local attributes in a named reference's stamp:
attribute names cannot contain it, so no two references of one entity share a stamp."""


def stamp_attr(source: str, via: tuple[tuple[str, str], ...] = ()) -> str:
    """The attribute a target stores the stamp of one reference's copies in.

    ``_copyver_<Source>`` for a reference by the source's own attribute names (items stored
    before named references existed stay valid), else ``_copyver_<Source>@<local>`` with
    the local attribute of every renamed source key attribute joined by ``+``
    (``_copyver_User@assignee_id``).
    """
    if not via:
        return f"{COPYVER_PREFIX}{source}"
    return f"{COPYVER_PREFIX}{source}{NAMED_MARK}{'+'.join(local for _, local in via)}"


@dataclass(frozen=True)
class Reference:
    """One reference of ``target`` items to ``source`` items, and the copies it feeds.

    Attributes:
        source: the source entity.
        target: the entity holding the copies.
        keys: (source identity attribute, local attribute), in the source's identity order.
        via: (source key attribute, local attribute) of every renamed source key attribute
            (the declared ``copy_via`` without same-name pairs), in the source's attribute
            order; empty for a reference by the source's own attribute names.
        attributes: (target attribute, source attribute) of every copy through it.
        propagated: the ``attributes`` whose source attribute can change (not declared
            immutable): only these need propagation and a copy path.
        optional: every copy through it may be absent, so an absent reference (a local
            attribute is None) or a source item that does not exist leaves them None.
    """

    source: str
    target: str
    keys: tuple[tuple[str, str], ...]
    via: tuple[tuple[str, str], ...]
    attributes: tuple[tuple[str, str], ...]
    propagated: tuple[tuple[str, str], ...]
    optional: bool

    @property
    def named(self) -> bool:
        """Whether the reference uses local names other than the source's."""
        return bool(self.via)

    @property
    def local_attrs(self) -> tuple[str, ...]:
        """The local attributes holding the source's identity, in identity order."""
        return tuple(local for _, local in self.keys)

    @property
    def stamp_attr(self) -> str:
        """The target attribute holding the stamp its copies were taken at."""
        return stamp_attr(self.source, self.via)

    @property
    def label(self) -> str:
        """``User`` or, for a named reference, ``User via assignee_id``."""
        if not self.named:
            return self.source
        return f"{self.source} via {', '.join(local for _, local in self.via)}"

    def local(self, source_attr: str) -> str:
        """The target attribute holding ``source_attr`` (the same name when not mapped)."""
        return dict(self.via).get(source_attr, source_attr)

    def source_values(self, values: Mapping[str, object], attrs: tuple[str, ...]) -> dict[str, object]:
        """``attrs`` of the referenced source item, read from a target's ``values``."""
        return {a: values.get(self.local(a)) for a in attrs}

    def to_local(self, source_values: Mapping[str, object]) -> dict[str, object]:
        """A source's identity values under the target's local names."""
        return {self.local(a): v for a, v in source_values.items()}

    def absent(self, values: Mapping[str, object]) -> bool:
        """Whether ``values`` name no source item (a local identity attribute is None)."""
        return any(values.get(local) is None for local in self.local_attrs)


def normalise_via(source: EntitySpec, via: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """``via`` without same-name pairs, in the source's attribute order (one spelling each)."""
    order = {a.name: i for i, a in enumerate(source.attributes)}
    pairs = {(s, local) for s, local in via if s != local}
    return tuple(sorted(pairs, key=lambda p: (order.get(p[0], len(order)), p)))


# Every write of an entity with copies asks for its references: derived once per (app, entity).
_REFERENCES: PerObject[AppSpec, dict[str, tuple[Reference, ...]]] = PerObject(lambda _app: {})


def references(app: AppSpec, entity: str) -> tuple[Reference, ...]:
    """Every reference of ``entity`` to a copy source, in declaration order of their copies."""
    known = _REFERENCES(app)
    found = known.get(entity)
    if found is None:
        found = known[entity] = _references(app, entity)
    return found


def _references(app: AppSpec, entity: str) -> tuple[Reference, ...]:
    spec = app.entity(entity)
    groups: dict[tuple[EntitySpec, tuple[tuple[str, str], ...]], list[tuple[str, str, bool, bool]]] = {}
    for a in spec.attributes:
        if a.copy_of is None:
            continue
        source, source_attr = a.copy_of
        src = app.entity(source)
        via = normalise_via(src, a.copy_via)
        copied = src.attribute(source_attr)
        mutable = copied is None or not copied.immutable
        groups.setdefault((src, via), []).append((a.name, source_attr, a.optional, mutable))
    out: list[Reference] = []
    for (src, via), copies in groups.items():
        mapped = dict(via)
        out.append(
            Reference(
                source=src.name,
                target=entity,
                keys=tuple((a, mapped.get(a, a)) for a in src.identity),
                via=via,
                attributes=tuple((t, s) for t, s, _, _ in copies),
                propagated=tuple((t, s) for t, s, _, mutable in copies if mutable),
                optional=all(optional for _, _, optional, _ in copies),
            )
        )
    return tuple(out)


def all_references(app: AppSpec) -> tuple[Reference, ...]:
    """Every reference of the app, sorted by (source, target, renamed attributes)."""
    found = [r for e in app.entities for r in references(app, e.name)]
    return tuple(sorted(found, key=lambda r: (r.source, r.target, r.via)))


def write_time_copies(app: AppSpec) -> tuple[tuple[Reference, tuple[tuple[str, str], ...]], ...]:
    """Each reference with copies of immutable attributes, and those copies.

    They are filled from the source when the target is written and never change after:
    no propagation, no copy path, no lookup index.
    """
    out: list[tuple[Reference, tuple[tuple[str, str], ...]]] = []
    for ref in all_references(app):
        fixed = tuple(a for a in ref.attributes if a not in ref.propagated)
        if fixed:
            out.append((ref, fixed))
    return tuple(out)
