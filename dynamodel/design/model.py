"""The derived design: frozen, deterministically ordered, and the input of every emitter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dynamodel.copyrefs import stamp_attr
from dynamodel.keys import KeyTemplate
from dynamodel.layout import entity_of_type
from dynamodel.memo import PerObject
from dynamodel.spec import AppSpec, Consistency, EntitySpec, Order, PatternKind, RangeOp, WhereMatch

Operation = Literal["GetItem", "Query", "Scan", "PutItem", "UpdateItem", "TransactWriteItems"]
TABLE = "table"


ScalarType = Literal["S", "N", "B"]
KeyAttribute = tuple[str, ScalarType]
"""An attribute keying a native index, with the DynamoDB type it is stored as."""


@dataclass(frozen=True)
class IndexSpec:
    """The base table's key (name ``table``) or one GSI.

    A synthetic index is keyed on two rendered strings, ``partition_key`` and ``sort_key``.
    A native index (``partition_attributes`` not empty) is keyed on the entity's own
    attributes, up to four per key part (DynamoDB's multi-attribute keys); its
    ``partition_key``/``sort_key`` then name the first attribute of each part.
    """

    name: str
    partition_key: str
    sort_key: str
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    # INCLUDE: the non-key attributes the index copies (sorted); empty for ALL and KEYS_ONLY.
    non_key_attributes: tuple[str, ...] = ()
    partition_attributes: tuple[KeyAttribute, ...] = ()
    sort_attributes: tuple[KeyAttribute, ...] = ()
    # A local secondary index: partitioned by the table's own partition key (so no key of its
    # own to write there), created with the table only (dynamodel.design.local).
    local: bool = False

    def written_keys(self) -> tuple[str, ...]:
        """The key attributes a write renders for this index: none for a native one (the
        entity's own attributes), the sort key alone for a local one (its partition is the table's)."""
        if self.native:
            return ()
        if self.local:
            return (self.sort_key,)
        return (self.partition_key, self.sort_key)

    @property
    def native(self) -> bool:
        """Whether the index is keyed on the items' own attributes (no rendered key strings)."""
        return bool(self.partition_attributes)

    def key_definitions(self) -> tuple[KeyAttribute, ...]:
        """Every attribute keying the index with its type, partition part first."""
        if self.native:
            return (*self.partition_attributes, *self.sort_attributes)
        return ((self.partition_key, "S"), (self.sort_key, "S"))

    def key_schema(self) -> tuple[tuple[str, Literal["HASH", "RANGE"]], ...]:
        """``(attribute, HASH|RANGE)`` in DynamoDB's KeySchema order."""
        if self.native:
            return (
                *((name, "HASH") for name, _ in self.partition_attributes),
                *((name, "RANGE") for name, _ in self.sort_attributes),
            )
        return ((self.partition_key, "HASH"), (self.sort_key, "RANGE"))


@dataclass(frozen=True)
class EntityKeys:
    """How one entity writes its keys on one index."""

    entity: str
    index: str
    pk: KeyTemplate
    sk: KeyTemplate
    sparse: tuple[tuple[str, WhereMatch], ...] = ()
    shards: int = 1
    optional_attrs: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        """The literal that opens the sort key: keeps each entity type contiguous."""
        first = self.sk.parts[0]
        return getattr(first, "text", "")


@dataclass(frozen=True)
class PatternPlan:
    """How one declared pattern runs: the request, its cost, and why."""

    name: str
    kind: PatternKind
    operation: Operation
    index: str
    requests: int
    uses_filter: bool
    uses_scan: bool
    consistency: Consistency
    key_condition: str
    reason: str
    entities: tuple[str, ...]
    sort: str | None = None
    order: Order = "asc"
    range: RangeOp | None = None
    shards: int = 1
    reads_copies: bool = False
    # Sort-key bounds of a collection: the first and last member tags, in block order.
    blocks: tuple[str, ...] = ()
    whole_partition: bool = False

    @property
    def descending(self) -> bool:
        """Whether the read runs backwards: the one reading of ``order`` (see PatternSpec.descending)."""
        return self.order == "desc"


@dataclass(frozen=True)
class CopyPath:
    """How propagation finds every ``target`` item holding copies of one ``source`` item."""

    source: str
    target: str
    attributes: tuple[tuple[str, str], ...]  # (target attribute, source attribute)
    plan: PatternPlan
    # (source key attribute, target attribute) of a named reference (``Copy(..., via=...)``);
    # empty when the target names the source by the source's own attribute names.
    via: tuple[tuple[str, str], ...] = ()

    @property
    def stamp_attr(self) -> str:
        """The target attribute holding the source stamp its copies were taken at."""
        return stamp_attr(self.source, self.via)

    def local(self, source_attr: str) -> str:
        """The target attribute that holds the source's ``source_attr``."""
        return dict(self.via).get(source_attr, source_attr)


@dataclass(frozen=True)
class UniqueGuard:
    """A guard item that makes ``attrs`` unique across ``entity`` (written in the same transaction)."""

    entity: str
    attrs: tuple[str, ...]
    pk: KeyTemplate
    sk: KeyTemplate


@dataclass(frozen=True)
class _Lookups:
    keys: dict[tuple[str, str], EntityKeys]
    indexes_of: dict[str, tuple[EntityKeys, ...]]
    items_of: dict[str, tuple[str, ...]]
    plans: dict[str, PatternPlan]
    index_items: dict[str, EntitySpec]
    indexes: dict[str, IndexSpec]


@dataclass(frozen=True)
class Design:
    """The whole derived single-table design: plain data (``App`` renders it: ``shop.explain()``)."""

    app: AppSpec
    table: IndexSpec
    indexes: tuple[IndexSpec, ...]
    keys: tuple[EntityKeys, ...]
    plans: tuple[PatternPlan, ...]
    guards: tuple[UniqueGuard, ...]
    techniques: tuple[str, ...]
    optimal: bool
    copy_paths: tuple[CopyPath, ...] = ()
    local_indexes: tuple[IndexSpec, ...] = ()
    # Index items (dynamodel.design.adjacency): ``<Entity>@<n>`` copies of an entity written
    # with it, keyed for one more layout; their keys are in ``keys`` under those names.
    index_items: tuple[EntitySpec, ...] = ()

    def entity_spec(self, name: str) -> EntitySpec:
        """The declaration of an entity or of an index item (``Employee@1``)."""
        return _lookups(self).index_items.get(name) or self.app.entity(name)

    def index_items_of(self, entity: str) -> tuple[str, ...]:
        """The index items written with every ``entity`` item, by name."""
        return _lookups(self).items_of.get(entity, ())

    def keys_for(self, entity: str, index: str = TABLE) -> EntityKeys | None:
        """The keys an entity writes on ``index``, or None if it is not on that index."""
        return _lookups(self).keys.get((entity, index))

    def entity_indexes(self, entity: str) -> tuple[EntityKeys, ...]:
        """Every index the entity writes keys to, base table first."""
        return _lookups(self).indexes_of.get(entity, ())

    def copy_path(
        self, source: str, target: str, via: tuple[tuple[str, str], ...] | None = None
    ) -> CopyPath | None:
        """The lookup propagation uses for copies of ``source`` held by ``target``.

        ``via`` picks one reference when ``target`` names ``source`` in several ways
        (``()`` is the reference by the source's own attribute names); None takes the first.
        """
        for c in self.copy_paths:
            if (c.source, c.target) == (source, target) and (via is None or c.via == via):
                return c
        return None

    def plan(self, name: str) -> PatternPlan:
        """The plan of one pattern."""
        found = _lookups(self).plans.get(name)
        if found is not None:
            return found
        msg = f"no pattern '{name}' in design '{self.app.name}'"
        raise KeyError(msg)

    def index(self, name: str) -> IndexSpec:
        """The base table (``table``) or the named GSI."""
        if name == TABLE:
            return self.table
        found = _lookups(self).indexes.get(name)
        if found is not None:
            return found
        msg = f"no index '{name}' in design '{self.app.name}'"
        raise KeyError(msg)

    @property
    def needs_stream(self) -> bool:
        """Whether some attribute is a copy that the propagation function keeps fresh, or an
        action is declared: both read the table's stream.

        Copies of immutable attributes are filled at write time and never propagated.
        """
        return bool(self.copy_paths) or bool(self.app.actions)

    @property
    def needs_ttl(self) -> bool:
        """Whether items expire: an entity declares ``ttl``, or actions leave markers that do."""
        return any(e.ttl is not None for e in self.app.entities) or bool(self.app.actions)

    def key_attribute_names(self) -> tuple[str, ...]:
        """Every rendered key attribute (base and synthetic GSIs), in a stable order.

        A native index's key attributes are the entities' own attributes, so they are not here.
        """
        names = [self.table.partition_key, self.table.sort_key]
        for ix in self.indexes:
            if not ix.native:
                names += [ix.partition_key, ix.sort_key]
        names += [ix.sort_key for ix in self.local_indexes]
        return tuple(names)

    def key_definitions(self) -> tuple[KeyAttribute, ...]:
        """Every attribute keying the table or a GSI, with its type, each name once."""
        out: dict[str, ScalarType] = {}
        for ix in (self.table, *self.indexes, *self.local_indexes):
            for name, kind in ix.key_definitions():
                out.setdefault(name, kind)
        return tuple(out.items())


def _build_lookups(design: Design) -> _Lookups:
    keys: dict[tuple[str, str], EntityKeys] = {}
    indexes_of: dict[str, tuple[EntityKeys, ...]] = {}
    for k in design.keys:
        keys.setdefault((k.entity, k.index), k)
        indexes_of[k.entity] = (*indexes_of.get(k.entity, ()), k)
    items_of: dict[str, tuple[str, ...]] = {}
    for spec in design.index_items:
        owner = entity_of_type(spec.name)
        if owner != spec.name:
            items_of[owner] = (*items_of.get(owner, ()), spec.name)
    plans: dict[str, PatternPlan] = {}
    for p in design.plans:
        plans.setdefault(p.name, p)
    index_items: dict[str, EntitySpec] = {}
    for spec in design.index_items:
        index_items.setdefault(spec.name, spec)
    indexes: dict[str, IndexSpec] = {}
    for ix in (*design.indexes, *design.local_indexes):
        indexes.setdefault(ix.name, ix)
    return _Lookups(keys, indexes_of, items_of, plans, index_items, indexes)


# The runtime asks these on every call: dicts built once per design, not scans of the tuples.
_lookups: PerObject[Design, _Lookups] = PerObject(_build_lookups)
