"""Access-pattern declarations in Python: Get, Query, Collection and Write.

Each returns a frozen PatternSpec, checked at once against the entity classes it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dynamodel.errors import DefinitionError
from dynamodel.model import Entity, FieldRef
from dynamodel.naming import snake_case
from dynamodel.spec import AppSpec, Consistency, Order, PatternKind, PatternSpec, RangeOp, Rate, WhereValue
from dynamodel.validate import check_options, check_pattern, normalise_where

if TYPE_CHECKING:
    EntityRef = type[Entity] | str
else:
    EntityRef = object


def _name_of(e: object) -> str:
    if isinstance(e, str):
        return e
    if isinstance(e, type) and issubclass(e, Entity):
        return e.__name__
    msg = f"Expected an Entity class or its name, got {e!r}."
    raise DefinitionError(msg, hint="pass the class itself, e.g. Get(Customer, by='customer_id')")


def _tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _fields(fields: Sequence[str]) -> tuple[str, ...]:
    if isinstance(fields, str):
        return (fields,)
    if not all(isinstance(f, str) for f in fields):
        msg = f"fields must be attribute names, got {list(fields)!r}."
        raise DefinitionError(msg, hint="write fields=['name', 'total']")
    return tuple(sorted(set(fields)))


def _rate(reads_per_s: float | None, writes_per_s: float | None) -> Rate:
    return Rate(reads_per_s=reads_per_s, writes_per_s=writes_per_s)


def _default_name(
    kind: PatternKind, entities: Sequence[str], by: Sequence[str], where: Sequence[str], sort: str | None
) -> str:
    name = f"{kind}_" + "_".join(snake_case(e) for e in entities)
    if by:
        name += "_by_" + "_and_".join(by)
    if where:
        name += "_where_" + "_and_".join(where)
    if sort:
        name += "_sorted_by_" + sort
    return name


def _checked(pat: PatternSpec, refs: Sequence[object]) -> PatternSpec:
    check_options(pat)
    classes = [r for r in refs if isinstance(r, type) and issubclass(r, Entity)]
    if len(classes) == len(refs):
        # Check what can be checked now; relations to other entities are checked by App.
        specs = {c.__entity_spec__.name: c.__entity_spec__ for c in classes}
        probe = AppSpec("probe", tuple(specs.values()), ())
        if pat.kind != "write":
            check_pattern(probe, pat)
    return pat


def Get(  # noqa: N802 - declarations read as nouns
    entity: EntityRef,
    by: str | Sequence[str] | None = None,
    *,
    name: str | None = None,
    where: Mapping[str, WhereValue | Sequence[WhereValue]] | None = None,
    unique: bool = False,
    consistency: Consistency = "eventual",
    allow_filter: bool = False,
    reads_per_s: float | None = None,
    fields: Sequence[str] = (),
) -> PatternSpec:
    """Exactly one item of ``entity`` (or none), looked up by ``by``.

    ``fields`` names the attributes the caller uses (default all): the cost estimate reads it.

    Example:
        >>> Get(Customer, by="email", unique=True)  # doctest: +SKIP
    """
    ent = _name_of(entity)
    by_t = _tuple(by)
    w = normalise_where(f"Get({ent})", where or {})
    pat = PatternSpec(
        name=name or _default_name("get", [ent], by_t, [a for a, _ in w], None),
        kind="get",
        entities=(ent,),
        by=by_t,
        where=w,
        unique=unique,
        consistency=consistency,
        allow_filter=allow_filter,
        rate=_rate(reads_per_s, None),
        fields=_fields(fields),
    )
    return _checked(pat, [entity])


def Query(  # noqa: N802
    entity: EntityRef,
    by: str | Sequence[str] | None = None,
    *,
    name: str | None = None,
    where: Mapping[str, WhereValue | Sequence[WhereValue]] | None = None,
    sort: str | None = None,
    order: Order = "asc",
    range: RangeOp | None = None,
    include: Sequence[EntityRef] = (),
    consistency: Consistency = "eventual",
    allow_filter: bool = False,
    allow_scan: bool = False,
    reads_per_s: float | None = None,
    writes_per_s: float | None = None,
    fields: Sequence[str] = (),
) -> PatternSpec:
    """A list of ``entity`` items (plus ``include`` entities sharing ``by``, in one request).

    ``fields`` names the attributes the caller uses (default all): the cost estimate reads it.

    Example:
        >>> Query(Order, by="customer_id", sort="placed_at", order="desc", range="between")  # doctest: +SKIP
    """
    refs = [*include, entity]
    ents = tuple(_name_of(e) for e in refs)
    by_t = _tuple(by)
    w = normalise_where(f"Query({ents[-1]})", where or {})
    pat = PatternSpec(
        name=name or _default_name("query", ents, by_t, [a for a, _ in w], sort),
        kind="query",
        entities=ents,
        by=by_t,
        where=w,
        sort=sort,
        order=order,
        range=range,
        consistency=consistency,
        allow_filter=allow_filter,
        allow_scan=allow_scan,
        rate=_rate(reads_per_s, writes_per_s),
        fields=_fields(fields),
    )
    return _checked(pat, refs)


def Collection(  # noqa: N802
    *entities: EntityRef,
    by: str | Sequence[str],
    name: str | None = None,
    sort: str | None = None,
    order: Order = "asc",
    consistency: Consistency = "eventual",
    fields: Sequence[str] = (),
) -> PatternSpec:
    """Items of several entities sharing ``by``, returned by one request (an item collection)."""
    if len(entities) < 2:
        msg = "Collection() needs at least two entities."
        raise DefinitionError(msg, hint="use Query() for one entity")
    ents = tuple(_name_of(e) for e in entities)
    by_t = _tuple(by)
    pat = PatternSpec(
        name=name or _default_name("query", ents, by_t, [], sort),
        kind="query",
        entities=ents,
        by=by_t,
        sort=sort,
        order=order,
        consistency=consistency,
        fields=_fields(fields),
    )
    return _checked(pat, list(entities))


def Write(  # noqa: N802
    *entities: EntityRef,
    name: str | None = None,
    deletes: Sequence[EntityRef] = (),
    increments: Mapping[Any, int] | None = None,
    writes_per_s: float | None = None,
) -> PatternSpec:
    """An atomic write (one transaction): ``entities`` created, ``deletes`` deleted, counters updated.

    Example:
        >>> Write(deletes=[Comment], increments={Ticket.comment_count: -1}, name="delete_comment")  # doctest: +SKIP
    """
    if isinstance(deletes, str | type) or not isinstance(deletes, Sequence):
        msg = f"Write(): deletes must be a list of entities, got {deletes!r}."
        raise DefinitionError(msg, hint="write deletes=[Comment]")
    ents = tuple(_name_of(e) for e in entities)
    dels = tuple(_name_of(e) for e in deletes)
    if not ents and not dels:
        msg = "Write() writes nothing: give the entities it creates or deletes=[...]."
        raise DefinitionError(msg, hint="write Write(Order, OrderLine) or Write(deletes=[Comment])")
    both = sorted(set(ents) & set(dels))
    if both:
        msg = f"Write() both writes and deletes {', '.join(both)}."
        raise DefinitionError(
            msg, hint="declare one write pattern that creates it and another that deletes it"
        )
    incs: list[tuple[str, str, int]] = []
    for ref, n in (increments or {}).items():
        text = repr(ref) if isinstance(ref, FieldRef) else ref
        if not isinstance(text, str) or text.count(".") != 1 or not isinstance(n, int) or isinstance(n, bool):
            msg = f"Write(): increments entries must be Entity.attribute: int, got {ref!r}: {n!r}."
            raise DefinitionError(msg, hint="write increments={Customer.order_count: 1}")
        e, a = text.split(".")
        incs.append((e, a, n))
    default = "_".join(
        [
            *([_default_name("write", ents, (), (), None)] if ents else []),
            *(f"delete_{snake_case(d)}" for d in dels),
        ]
    )
    pat = PatternSpec(
        name=name or default,
        kind="write",
        entities=ents,
        increments=tuple(sorted(incs)),
        rate=_rate(None, writes_per_s),
        deletes=dels,
    )
    return _checked(pat, [*entities, *deletes])
