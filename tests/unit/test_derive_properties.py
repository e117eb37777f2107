"""Property tests of the planner against an independent checker of its promises.

Random apps (entities with parents, optional attributes, enums) and random read patterns are
derived; the checker then verifies, from the emitted key templates alone, that every plan's
key condition can return exactly the pattern's items, that base keys hold the identity and
nothing mutable, that sparse layouts never hide items a pattern needs, and that reordering the
declarations changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import assume, given
from hypothesis import strategies as st

from dynamodel.design import Design, derive, design_to_json
from dynamodel.design.model import TABLE, EntityKeys
from dynamodel.errors import CollectionConflictError, UnsatisfiablePatternError
from dynamodel.keys import Lit, Ref
from dynamodel.spec import (
    KEY_STYLES,
    AppSpec,
    AttributeSpec,
    EntitySpec,
    KeyStyle,
    Order,
    PatternSpec,
    RangeOp,
)
from dynamodel.validate import build_app_spec

TYPES = ("str", "int", "date", "datetime", "enum")
ORDERS: st.SearchStrategy[Order] = st.sampled_from(["asc", "desc"])


@dataclass
class _Draft:
    entities: list[EntitySpec]
    patterns: list[PatternSpec]


@st.composite
def apps(draw: st.DrawFn) -> AppSpec:
    n_entities = draw(st.integers(1, 4))
    entities: list[EntitySpec] = []
    for i in range(n_entities):
        name = f"E{i}"
        parent = entities[draw(st.integers(0, i - 1))] if i and draw(st.booleans()) else None
        attrs: list[AttributeSpec] = []
        if parent is not None:
            attrs += [a for a in parent.attributes if a.name in parent.identity]
        own = draw(st.integers(2, 5))
        for j in range(own):
            kind = draw(st.sampled_from(TYPES))
            attrs.append(
                AttributeSpec(
                    name=f"a{i}_{j}",
                    type=kind,  # type: ignore[arg-type]
                    optional=j >= 2 and draw(st.booleans()),
                    enum=("A", "B", "C") if kind == "enum" else (),
                )
            )
        # a shared attribute name lets collections join entities that are not parent and child
        attrs.append(AttributeSpec(name="shared", type="str"))
        required = [a.name for a in attrs if not a.optional and a.name.startswith(f"a{i}_")]
        identity = tuple(required[: draw(st.integers(1, max(1, min(2, len(required)))))])
        # some attributes never change, so they may join the base key
        attrs = [
            replace(a, immutable=True)
            if a.name.startswith(f"a{i}_") and a.name not in identity and draw(st.booleans())
            else a
            for a in attrs
        ]
        entities.append(EntitySpec(name, identity, tuple(attrs), parent=parent.name if parent else None))
    patterns: list[PatternSpec] = []
    for k in range(draw(st.integers(1, 8))):
        ent = draw(st.sampled_from(entities))
        scalar = [a for a in ent.attributes if a.type in TYPES]
        choice = draw(st.integers(0, 3))
        if choice == 0:
            patterns.append(PatternSpec(f"p{k}", "get", (ent.name,), by=ent.identity))
            continue
        if choice == 3 and len(entities) > 1:
            other = draw(st.sampled_from([e for e in entities if e is not ent]))
            common = sorted({a.name for a in ent.attributes} & {a.name for a in other.attributes})
            by = tuple(draw(st.lists(st.sampled_from(common), min_size=1, max_size=2, unique=True)))
            sortable = [
                a.name
                for a in ent.attributes
                if a.type in TYPES and a.name not in by and not other.has(a.name)
            ]
            # an attribute both carry with one type: the members interleave by it
            sortable += [
                a
                for a in common
                if a not in by and ent.attribute(a).type == other.attribute(a).type in TYPES  # type: ignore[union-attr]
            ]
            sort = draw(st.sampled_from([None, *sortable]))
            order: Order = draw(ORDERS) if sort else "asc"
            patterns.append(
                PatternSpec(f"p{k}", "query", (ent.name, other.name), by=by, sort=sort, order=order)
            )
            continue
        by = tuple(
            draw(st.lists(st.sampled_from([a.name for a in scalar]), min_size=0, max_size=2, unique=True))
        )
        rest = [a for a in scalar if a.name not in by]
        sort = draw(st.sampled_from([None, *[a.name for a in rest]]))
        rng: RangeOp | None = None
        if sort is not None:
            sort_type = ent.attribute(sort).type  # type: ignore[union-attr]
            ops: list[RangeOp] = ["between", "lt", "gte", "eq"]
            if sort_type in ("str", "enum"):
                ops.append("begins_with")
            rng = draw(st.sampled_from([None, *ops]))
        where: tuple[tuple[str, str], ...] = ()
        enums = [a for a in rest if a.type == "enum" and a.name != sort]
        use_where = draw(st.booleans())
        if enums and use_where:
            where = ((enums[0].name, "A"),)
        order = draw(ORDERS) if sort else "asc"
        patterns.append(
            PatternSpec(f"p{k}", "query", (ent.name,), by=by, where=where, sort=sort, order=order, range=rng)
        )
    return build_app_spec("prop", entities, patterns)


def _refs(keys: EntityKeys) -> tuple[list[str], list[str]]:
    pk = [p.attr for p in keys.pk.parts if isinstance(p, Ref) and p.attr != "_shard"]
    sk = [p.attr for p in keys.sk.parts if isinstance(p, Ref)]
    return pk, sk


def _check_plan(app: AppSpec, design: Design, name: str) -> None:
    pat = app.pattern(name)
    plan = design.plan(name)
    eq = set(pat.by) | {a for a, _ in pat.where}

    def sorted_member(e: str) -> bool:
        ent = app.entity(e)
        return (
            pat.sort is not None
            and ent.has(pat.sort)
            and (len(pat.entities) == 1 or not set(ent.identity) <= eq)
        )

    interleaved = len(pat.entities) > 1 and all(sorted_member(e) for e in pat.entities)
    for member in pat.entities:
        keys = design.keys_for(member, plan.index)
        assert keys is not None, (name, member, plan.index)
        pk, sk = _refs(keys)
        assert set(pk) <= eq, (name, pk, eq)
        rest = eq - set(pk)
        assert set(sk[: len(rest)]) == rest, (name, sk, rest)
        ent = app.entity(member)
        # a member whose identity the equalities fix is one item: the sort does not order it
        one_item = len(pat.entities) > 1 and set(ent.identity) <= eq
        if pat.sort is not None and ent.has(pat.sort) and not one_item:
            assert sk[len(rest)] == pat.sort, (name, sk)
        # nothing the pattern must return can be missing from the index
        for a, v in keys.sparse:
            assert (a, v) in pat.where, (name, keys.sparse)
        for a in keys.optional_attrs:
            assert a in eq or a == pat.sort, (name, a)
        if interleaved:
            # the shared sort value leads, the entity's tag follows it
            assert keys.sk.parts[0] == Ref(pat.sort, keys.sk.parts[0].kind), (name, keys.sk.pattern())  # type: ignore[arg-type, union-attr]
            assert isinstance(keys.sk.parts[1], Lit)
        else:
            assert isinstance(keys.sk.parts[0], Lit)
        if plan.operation == "GetItem":
            assert plan.index == TABLE
            assert set(pk) | set(sk) <= eq
    if interleaved:
        # nothing else shares the partition: every read of it would see the other types
        anchor = design.keys_for(pat.entities[0], plan.index)
        assert anchor is not None
        sharing = {
            k.entity for k in design.keys if k.index == plan.index and k.pk.parts[0] == anchor.pk.parts[0]
        }
        assert sharing == set(pat.entities), (name, sharing)
    elif len(pat.entities) > 1:
        anchor = design.keys_for(pat.entities[0], plan.index)
        assert anchor is not None
        namespace = anchor.pk.parts[0]
        tags = sorted(
            (k.tag for k in design.keys if k.index == plan.index and k.pk.parts[0] == namespace),
            key=lambda t: t + "#",
        )
        mine = [t for t in tags if t in plan.blocks]
        first = tags.index(mine[0])
        assert tags[first : first + len(mine)] == mine, (name, tags, mine)


@given(apps())
def test_every_plan_is_served_by_its_key_layout(app: AppSpec) -> None:
    try:
        design = derive(app)
    except (UnsatisfiablePatternError, CollectionConflictError):
        assume(False)
        raise
    for pat in app.patterns:
        _check_plan(app, design, pat.name)
    for ent in app.entities:
        base = design.keys_for(ent.name)
        assert base is not None
        pk, sk = _refs(base)
        allowed = set(ent.identity) | {a for anc in app.ancestors(ent.name) for a in anc.identity}
        allowed |= {a.name for a in ent.attributes if a.immutable and not a.optional}
        assert set(ent.identity) <= set(pk) | set(sk)
        assert set(pk) | set(sk) <= allowed
        assert not base.sparse
        assert not base.optional_attrs
    assert len(design.indexes) <= len([p for p in app.patterns if p.is_read])


@given(apps(), st.randoms(use_true_random=False))
def test_design_does_not_depend_on_declaration_order(app: AppSpec, rnd: object) -> None:
    try:
        first = design_to_json(derive(app))
    except (UnsatisfiablePatternError, CollectionConflictError):
        assume(False)
        raise
    entities, patterns = list(app.entities), list(app.patterns)
    rnd.shuffle(entities)  # type: ignore[attr-defined]
    rnd.shuffle(patterns)  # type: ignore[attr-defined]
    assert design_to_json(derive(build_app_spec(app.name, entities, patterns))) == first


def _mutable(app: AppSpec) -> AppSpec:
    entities = [
        replace(e, attributes=tuple(replace(a, immutable=False) for a in e.attributes)) for e in app.entities
    ]
    return build_app_spec(app.name, entities, list(app.patterns))


@given(apps())
def test_immutable_attributes_never_cost_an_index(app: AppSpec) -> None:
    try:
        without = derive(_mutable(app))
    except (UnsatisfiablePatternError, CollectionConflictError):
        assume(False)
        raise
    with_immutable = derive(app)
    if without.optimal and with_immutable.optimal:
        # Indexes of both kinds: an immutable attribute in a base key can move an item's base
        # partition, so a second sort order there is a GSI where it was an LSI.
        def count(d: Design) -> int:
            return len(d.indexes) + len(d.local_indexes)

        assert count(with_immutable) <= count(without)


def _non_empty(app: AppSpec) -> AppSpec:
    """``app`` with every str attribute declared never empty: the ids a native GSI may key on."""
    entities = tuple(
        replace(
            e,
            attributes=tuple(
                replace(a, min_length=1) if a.type == "str" and a.copy_of is None else a for a in e.attributes
            ),
        )
        for e in app.entities
    )
    return replace(app, entities=entities)


@given(apps(), st.sampled_from(KEY_STYLES))
def test_every_plan_is_served_in_every_key_style(app: AppSpec, style: KeyStyle) -> None:
    styled = replace(_non_empty(app), key_style=style)
    try:
        design = derive(styled)
    except (UnsatisfiablePatternError, CollectionConflictError):
        assume(False)
        raise
    for pat in styled.patterns:
        _check_plan(styled, design, pat.name)
        assert not design.plan(pat.name).uses_filter
    for ix in design.indexes:
        members = [k for k in design.keys if k.index == ix.name]
        if not ix.native:
            continue
        assert style != "synthetic"
        (keys,) = members  # a native GSI serves one entity
        pk, sk = _refs(keys)
        # The attributes the synthetic key would render, in its order (the entity's name for a
        # constant partition, the stored shard where it is sharded).
        assert [n for n, _ in ix.partition_attributes if n not in ("_type", "_shard")] == pk
        assert [n for n, _ in ix.sort_attributes] == sk
        assert (keys.shards > 1) == any(n == "_shard" for n, _ in ix.partition_attributes)
    if style == "auto":  # never a GSI more than the fewest: native keys come free or not at all
        assert len(design.indexes) == len(derive(replace(styled, key_style="synthetic")).indexes)
