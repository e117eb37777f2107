"""The frozen application spec: what the user declared, checked and normalised.

Both the Python declarations (``model.py``/``patterns.py``) and spec files
(``spec_file.py``) produce an :class:`AppSpec`; everything downstream reads only this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from dynamodel.attribute_types import KEYABLE_NAMES, NAMES
from dynamodel.errors import UnknownEntityError, UnknownFieldError
from dynamodel.memo import PerObject

AttrType = Literal[
    "str", "int", "decimal", "float", "bool", "datetime", "date", "bytes", "list", "map", "enum"
]
"""The built-in type names, for static typing. At run time an attribute's type is any name in
:data:`ATTR_TYPES`: a type registered with ``dynamodel.attribute_types.register`` is one too
(cast its name to AttrType)."""
ATTR_TYPES: Sequence[str] = NAMES
"""The registered type names (built-in ones first, in this order), always current."""
KEYABLE: Sequence[str] = KEYABLE_NAMES
"""Types that can appear in a key string (their order-preserving encodings: ``encode_key``)."""
RangeOp = Literal["eq", "begins_with", "between", "lt", "lte", "gt", "gte"]
RANGE_OPS: tuple[RangeOp, ...] = ("eq", "begins_with", "between", "lt", "lte", "gt", "gte")
PatternKind = Literal["get", "query", "write"]
Order = Literal["asc", "desc"]
Consistency = Literal["strong", "eventual"]
WhereValue = str | int | bool
# One constant (``status=OPEN``) or several allowed ones (``status in [OPEN, PENDING]``), the
# latter a sorted tuple of at least two distinct values: a single value stays a scalar so that
# every design declared before multi-value predicates existed is unchanged.
WhereMatch = WhereValue | tuple[WhereValue, ...]
EventName = Literal["INSERT", "MODIFY", "REMOVE"]
EVENT_NAMES: tuple[EventName, ...] = ("INSERT", "MODIFY", "REMOVE")
"""The stream's event names, in the order a spec lists them."""
ORDERS: tuple[Order, ...] = ("asc", "desc")
CONSISTENCIES: tuple[Consistency, ...] = ("eventual", "strong")
KeyStyle = Literal["auto", "synthetic", "native"]
"""How GSIs are keyed: ``synthetic`` renders ``GSInPK``/``GSInSK`` strings; ``native`` keys every
GSI on the entity's own attributes (DynamoDB's multi-attribute keys); ``auto`` keys natively
each GSI that can be (:mod:`dynamodel.design.native`) and synthetically the rest."""
KEY_STYLES: tuple[KeyStyle, ...] = ("auto", "synthetic", "native")


def where_values(match: WhereMatch) -> tuple[WhereValue, ...]:
    """The values a ``where`` entry allows, always as a tuple (one value or several)."""
    return match if isinstance(match, tuple) else (match,)


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of an entity.

    ``copy_of`` names the (entity, attribute) a denormalised copy follows; ``copy_via``
    maps the source's key attributes to the local attributes that hold them
    (``(("user_id", "assignee_id"),)``), empty when the names are the same. ``immutable``
    attributes never change after the item is created (an update that changes one is
    refused), so the planner may put them in a base-table key. ``min_length`` (str and bytes)
    is the fewest characters or bytes a value has; 1 or more lets a native GSI key on the
    attribute, since DynamoDB refuses an empty string or binary as a key value.
    """

    name: str
    type: AttrType
    optional: bool = False
    enum: tuple[str, ...] = ()
    copy_of: tuple[str, str] | None = None
    copy_via: tuple[tuple[str, str], ...] = ()
    immutable: bool = False
    min_length: int | None = None


@dataclass(frozen=True)
class EntitySpec:
    """One entity: its identity, attributes and relations.

    ``size`` (bytes of a typical item), ``sizes`` (bytes of some attributes' typical values,
    sorted by name) and ``count`` (items per parent item, or in all for an entity without a
    parent) feed the cost estimate (:mod:`dynamodel.design.cost`); None and () mean "not
    declared", and the estimate then says what it assumed.
    """

    name: str
    identity: tuple[str, ...]
    attributes: tuple[AttributeSpec, ...]
    parent: str | None = None
    aggregate: str | None = None
    unique: tuple[str, ...] = ()
    ttl: str | None = None
    size: int | None = None
    sizes: tuple[tuple[str, int], ...] = ()
    count: int | None = None

    def attribute(self, name: str) -> AttributeSpec | None:
        """The attribute called ``name``, or None."""
        return _attributes(self).get(name)

    def has(self, name: str) -> bool:
        """Whether the entity declares ``name``."""
        return name in _attributes(self)


@dataclass(frozen=True)
class Rate:
    """Expected load of a pattern, per second."""

    reads_per_s: float | None = None
    writes_per_s: float | None = None


@dataclass(frozen=True)
class PatternSpec:
    """One declared access pattern, normalised.

    ``where`` and ``increments`` are sorted so that equal declarations compare equal. A
    ``where`` entry is ``(attribute, value)`` or ``(attribute, (value, value, ...))`` when
    several values are allowed (sorted, distinct, at least two); ``where_sets`` gives both
    forms as tuples. ``deletes`` (write patterns only) names the entities the write deletes,
    given by the caller as instances or keys. ``fields`` (read patterns) names the attributes
    the caller uses, sorted; () means all of them.
    """

    name: str
    kind: PatternKind
    entities: tuple[str, ...]
    by: tuple[str, ...] = ()
    where: tuple[tuple[str, WhereMatch], ...] = ()
    sort: str | None = None
    order: Order = "asc"
    range: RangeOp | None = None
    unique: bool = False
    increments: tuple[tuple[str, str, int], ...] = ()
    rate: Rate = field(default_factory=Rate)
    allow_filter: bool = False
    allow_scan: bool = False
    consistency: Consistency = "eventual"
    deletes: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    @property
    def is_read(self) -> bool:
        """Whether the pattern reads (get or query)."""
        return self.kind != "write"

    @property
    def descending(self) -> bool:
        """Whether results come newest/largest first: the one reading of ``order`` for planner and runtime."""
        return self.order == "desc"

    @property
    def where_sets(self) -> tuple[tuple[str, tuple[WhereValue, ...]], ...]:
        """``where`` with every entry's allowed values as a tuple."""
        return tuple((a, where_values(m)) for a, m in self.where)


@dataclass(frozen=True)
class ActionSpec:
    """An action: what runs when items of one entity change (docs/spec-format.md §1.8).

    ``events`` are the stream events it takes (in :data:`EVENT_NAMES` order); ``when`` is a
    predicate on the item's attributes, like a pattern's ``where``: tested on the new image
    for INSERT and MODIFY, on the old image for REMOVE. ``handler`` is
    ``"package.module:function"``. ``batch_size``, ``max_retries`` and ``max_record_age_s``
    configure the Lambda event source mapping.
    """

    name: str
    entity: str
    handler: str
    events: tuple[EventName, ...] = EVENT_NAMES
    when: tuple[tuple[str, WhereMatch], ...] = ()
    batch_size: int = 100
    max_retries: int = 3
    max_record_age_s: int = 86_400

    @property
    def when_sets(self) -> tuple[tuple[str, tuple[WhereValue, ...]], ...]:
        """``when`` with every entry's allowed values as a tuple."""
        return tuple((a, where_values(m)) for a, m in self.when)


@dataclass(frozen=True)
class AppSpec:
    """The whole application: entities, patterns and actions, validated, sorted by name.

    ``max_gsis``: the most GSIs the app accepts (None: DynamoDB's 20). ``key_style``: how
    GSIs are keyed (:data:`KeyStyle`).
    """

    name: str
    entities: tuple[EntitySpec, ...]
    patterns: tuple[PatternSpec, ...]
    actions: tuple[ActionSpec, ...] = ()
    max_gsis: int | None = None
    key_style: KeyStyle = "auto"

    def entity(self, name: str) -> EntitySpec:
        """The entity called ``name``; UnknownEntityError if there is none."""
        found = _entities(self).get(name)
        if found is not None:
            return found
        known = ", ".join(e.name for e in self.entities)
        msg = f"App '{self.name}': no entity '{name}'."
        raise UnknownEntityError(msg, hint=f"declare it or use one of: {known}")

    def pattern(self, name: str) -> PatternSpec:
        """The pattern called ``name``; UnknownFieldError if there is none."""
        found = _patterns(self).get(name)
        if found is not None:
            return found
        msg = f"App '{self.name}': no pattern '{name}'."
        raise UnknownFieldError(msg, hint="check the spelling against the declared pattern names")

    def action(self, name: str) -> ActionSpec:
        """The action called ``name``; UnknownFieldError if there is none."""
        for act in self.actions:
            if act.name == name:
                return act
        known = ", ".join(a.name for a in self.actions) or "none declared"
        msg = f"App '{self.name}': no action '{name}'."
        raise UnknownFieldError(msg, hint=f"the app's actions: {known}")

    def ancestors(self, name: str) -> tuple[EntitySpec, ...]:
        """Parent, grandparent, ... of an entity (via ``parent`` and ``aggregate``)."""
        chain: list[EntitySpec] = []
        current = self.entity(name)
        seen = {name}
        while True:
            up = current.parent or current.aggregate
            if up is None or up in seen:
                return tuple(chain)
            seen.add(up)
            current = self.entity(up)
            chain.append(current)


# The runtime looks these up on every call: dicts built once per spec, not scans of the tuples.
_attributes: PerObject[EntitySpec, dict[str, AttributeSpec]] = PerObject(
    lambda e: {a.name: a for a in reversed(e.attributes)}
)
_entities: PerObject[AppSpec, dict[str, EntitySpec]] = PerObject(
    lambda app: {e.name: e for e in reversed(app.entities)}
)
_patterns: PerObject[AppSpec, dict[str, PatternSpec]] = PerObject(
    lambda app: {p.name: p for p in reversed(app.patterns)}
)
