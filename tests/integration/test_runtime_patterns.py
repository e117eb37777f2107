"""Every read pattern of every example app, checked against a brute-force answer.

For each App found in the ``access_patterns`` package: generate a few hundred items from
the entity specs (seeded; values collide on query attributes so partitions hold several
items; strings include '#', '$' and other entities' tags), write them through the runtime
(create, write patterns, put, update, delete), then run every read pattern with sampled
arguments and a small page size, following cursors to the end, and compare with an
answer computed from the values written: same multiset of items, sort order respected,
collection members that are not sorted first in reading order, each entity contiguous.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 over HTTP.
"""

from __future__ import annotations

import itertools
import random
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, get_args, get_origin

import pytest
from example_apps import discover_apps

from dynamodel.app import App
from dynamodel.compile import base_key, key_attrs
from dynamodel.copyrefs import references
from dynamodel.design.derive import entity_tag
from dynamodel.model import Entity
from dynamodel.runtime.table import Table
from dynamodel.spec import AppSpec, AttributeSpec, EntitySpec, PatternSpec
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = pytest.mark.integration

MAX_ITEMS = 280
ARG_SETS = 8
SEED = 20240601


APPS = discover_apps()


# ---- canonical values ----------------------------------------------------------------------


def canon(value: object) -> object:
    """A comparable, hashable form that equals for values DynamoDB stores as equal."""
    if isinstance(value, Enum):
        value = value.value
    if value is None or isinstance(value, bool | str | bytes):
        return value
    if isinstance(value, int | float | Decimal):
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return ("n", str(d.normalize()) if d else "0")
    if isinstance(value, datetime):
        return ("dt", value.astimezone(UTC).isoformat())
    if isinstance(value, date):
        return ("d", value.isoformat())
    if isinstance(value, list | tuple):
        return ("l", tuple(canon(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("s", tuple(sorted(repr(canon(v)) for v in value)))
    if isinstance(value, dict):
        return ("m", tuple(sorted((str(k), repr(canon(v))) for k, v in value.items())))
    raise TypeError(type(value))


def canon_item(entity: str, values: Mapping[str, object]) -> tuple[object, ...]:
    return (entity, *sorted((k, repr(canon(v))) for k, v in values.items() if v is not None))


def orderable(value: object) -> object:
    """A value comparable with others of the same attribute, in DynamoDB key order."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, float | int) and not isinstance(value, bool):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return value


# ---- generation ----------------------------------------------------------------------------

ADVERSARIAL = ["a#b", "$", "x$@y", "#", "a#", "é", "日本", "", "Zz", "a$Fb", "plain", "~"]


@dataclass
class Generator:
    """Seeded values from entity specs: small shared pools for attributes that are queried."""

    app: App
    rng: random.Random
    pools: dict[tuple[str, str], list[object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = self.app.spec
        tags = [entity_tag(e.name) for e in spec.entities]
        self.strings = ADVERSARIAL + [f"{t}#x" for t in tags[:3]] + list(tags[:2]) + ["_UNIQUE#x"]
        used: dict[str, int] = {}
        for e in spec.entities:
            for a in e.attributes:
                used[a.name] = used.get(a.name, 0) + 1
        queried = {a for p in spec.patterns for a in (*p.by, *(w for w, _ in p.where))}
        queried |= {p.sort for p in spec.patterns if p.sort}
        self.collide = queried | {a for a, n in used.items() if n > 1}

    def scalar(self, attr: AttributeSpec, fresh: bool) -> object:
        r = self.rng
        t = attr.type
        if t == "enum":
            return r.choice(attr.enum)
        if t == "bool":
            return r.random() < 0.5
        if t == "str":
            if fresh:
                return r.choice(self.strings) + f"-{r.randrange(10**6)}"
            # A declared min_length (an id that keys a native index) is what pydantic enforces.
            return r.choice([v for v in self.strings if len(v) >= (attr.min_length or 0)])
        if t == "int":
            return r.randrange(-(10**6), 10**6) if fresh else r.choice([-3, 0, 1, 2, 7, 40, 12345678901])
        if t == "decimal":
            if fresh:
                return Decimal(r.randrange(-(10**6), 10**6)).scaleb(-r.randrange(0, 4))
            return r.choice(
                [Decimal("1.50"), Decimal("-0.001"), Decimal(0), Decimal("12345.6789"), Decimal("1E+3")]
            )
        if t == "float":
            return r.uniform(-1e6, 1e6) if fresh else r.choice([0.1, -2.5, 1e10, 3.0])
        if t == "datetime":
            base = datetime(2024, 1, 1, tzinfo=UTC)
            minutes = r.randrange(0, 60 * 24 * 30) if fresh else r.choice([0, 90, 600, 6000, 20000])
            tz = r.choice([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
            return (
                base + timedelta(minutes=minutes, microseconds=r.randrange(10**6) if fresh else 0)
            ).astimezone(tz)
        if t == "date":
            return date(2024, 1, 1) + timedelta(
                days=r.randrange(0, 400) if fresh else r.choice([0, 3, 31, 200])
            )
        if t == "bytes":
            return bytes(r.randrange(256) for _ in range(r.randrange(0, 4)))
        raise AssertionError(t)

    def value(self, entity: str, attr: AttributeSpec, *, own_identity: bool) -> object:
        if attr.type in ("list", "map"):
            cls = self.app.models[entity]
            return self.structured(cls.model_fields[attr.name].annotation)
        if attr.name in self.collide and not own_identity:
            key = (attr.name, attr.type)
            pool = self.pools.get(key)
            if pool is None:
                pool = []
                for _ in range(40):
                    v = self.scalar(attr, fresh=False)
                    if canon(v) not in {canon(x) for x in pool}:
                        pool.append(v)
                    if len(pool) == 6:
                        break
                self.pools[key] = pool
            if attr.type == "enum":
                return self.rng.choice(attr.enum)
            return self.rng.choice(pool)
        return self.scalar(attr, fresh=True)

    def structured(self, annotation: Any) -> Any:
        r = self.rng
        origin = get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
            origin = get_origin(annotation)
        args = get_args(annotation)
        if origin in (list, tuple, set, frozenset) or annotation in (list, tuple, set, frozenset):
            inner = args[0] if args else str
            items = [self.structured(inner) for _ in range(r.randrange(0, 3))]
            if origin in (set, frozenset) or annotation in (set, frozenset):
                return set(map(str, items))
            return items
        if origin is dict or annotation is dict:
            inner = args[1] if len(args) == 2 else Any
            return {
                r.choice(["k", "a#b", "$", "zz"]) + str(i): self.structured(inner)
                for i in range(r.randrange(0, 3))
            }
        if annotation is int:
            return r.randrange(-100, 100)
        if annotation is str or annotation is Any:
            return r.choice(self.strings)
        return r.choice(self.strings)


def topo_order(app: AppSpec) -> list[EntitySpec]:
    deps: dict[str, set[str]] = {}
    for e in app.entities:
        d = {x for x in (e.parent, e.aggregate) if x}
        d |= {a.copy_of[0] for a in e.attributes if a.copy_of}
        deps[e.name] = d - {e.name}
    out: list[EntitySpec] = []
    done: set[str] = set()
    while len(out) < len(app.entities):
        for e in app.entities:
            if e.name not in done and deps[e.name] <= done:
                out.append(e)
                done.add(e.name)
                break
        else:  # pragma: no cover - validation rejects cycles
            raise AssertionError("dependency cycle")
    return out


# ---- the oracle ----------------------------------------------------------------------------


@dataclass
class Stored:
    entity: str
    values: dict[str, object]
    version: int


@dataclass
class Oracle:
    """What the table should hold: every item as written, by (entity, PK, SK)."""

    app: App
    items: dict[tuple[str, str, str], Stored] = field(default_factory=dict)

    def key(self, entity: str, values: Mapping[str, object]) -> tuple[str, str, str]:
        k = base_key(self.app.design, entity, values)
        return (entity, k["PK"]["S"], k["SK"]["S"])

    def of(self, entity: str) -> list[Stored]:
        return [s for s in self.items.values() if s.entity == entity]

    def fill_copies(self, entity: str, values: dict[str, object]) -> bool:
        """Copies from their sources, through each reference's local names; False if refused."""
        for ref in references(self.app.spec, entity):
            key = ref.source_values(values, key_attrs(self.app.design, ref.source))
            src = None if any(v is None for v in key.values()) else self.items.get(self.key(ref.source, key))
            if src is None and not ref.optional:
                return False
            for attr, src_attr in ref.attributes:
                values[attr] = None if src is None else src.values.get(src_attr)
        return True

    def matches(
        self, pat: PatternSpec, entity: str, values: Mapping[str, object], args: Mapping[str, object]
    ) -> bool:
        for a in pat.by:
            if values.get(a) is None or canon(values[a]) != canon(args[a]):
                return False
        for a, w in pat.where:
            if values.get(a) is None or canon(values[a]) != canon(w):
                return False
        spec = self.app.spec.entity(entity)
        if pat.sort is None or not spec.has(pat.sort):
            return True
        v = values.get(pat.sort)
        if v is None:
            return False
        op, given = range_of(pat, args)
        if op is None:
            return True
        x: Any = orderable(v)
        g: list[Any] = [orderable(a) for a in given]
        if op == "eq":
            return bool(x == g[0])
        if op == "begins_with":
            return str(x).startswith(str(g[0]))
        if op == "between":
            return bool(g[0] <= x <= g[1])
        if op == "gte":
            return bool(x >= g[0])
        if op == "lte":
            return bool(x <= g[0])
        if op == "lt":
            return bool(x < g[0])
        if op == "gt":
            return bool(x > g[0])
        raise AssertionError(op)

    def answer(self, pat: PatternSpec, args: Mapping[str, object]) -> list[Stored]:
        return [
            s
            for s in self.items.values()
            if s.entity in pat.entities and self.matches(pat, s.entity, s.values, args)
        ]


def range_of(pat: PatternSpec, args: Mapping[str, object]) -> tuple[str | None, list[object]]:
    if pat.range is None:
        return None, []
    if pat.range == "between":
        lo, hi = args.get("lo"), args.get("hi")
        if lo is not None and hi is not None:
            return "between", [lo, hi]
        if lo is not None:
            return "gte", [lo]
        if hi is not None:
            return "lte", [hi]
        return None, []
    if args.get("value") is None:
        return None, []
    return pat.range, [args["value"]]


# ---- loading -------------------------------------------------------------------------------


def counts(app: AppSpec) -> dict[str, int]:
    """Items per entity: about three times as many at each level below a parent or source."""
    deps = {
        e.name: {x for x in (e.parent, e.aggregate) if x} | {a.copy_of[0] for a in e.attributes if a.copy_of}
        for e in app.entities
    }
    depth: dict[str, int] = {}

    def level(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name not in depth:
            depth[name] = 1 + max((level(d, seen | {name}) for d in deps[name] - seen - {name}), default=-1)
        return depth[name]

    weights = {e.name: 3 ** level(e.name) for e in app.entities}
    total = sum(weights.values())
    return {n: max(6, MAX_ITEMS * w // total) for n, w in weights.items()}


def generate(
    app: App, gen: Generator, oracle_keys: set[tuple[str, str, str]]
) -> dict[str, list[dict[str, object]]]:
    """Values per entity, in dependency order; sources of parents and copies exist."""
    spec = app.spec
    out: dict[str, list[dict[str, object]]] = {}
    seen_keys: set[tuple[str, ...]] = set(oracle_keys)
    unique_seen: set[tuple[str, str, object]] = set()
    for ent in topo_order(spec):
        rows: list[dict[str, object]] = []
        # (source, local name of each source key attribute, optional): parents by their own
        # names, copy sources through each reference (named references map the names).
        sources: list[tuple[str, dict[str, str], bool]] = [
            (x, {a: a for a in key_attrs(app.design, x)}, False) for x in (ent.parent, ent.aggregate) if x
        ]
        sources += [
            (r.source, {a: r.local(a) for a in key_attrs(app.design, r.source)}, r.optional)
            for r in references(spec, ent.name)
        ]
        for _ in range(counts(spec)[ent.name]):
            values: dict[str, object] = {}
            ok = True
            for src, names, optional in sources:
                if optional and gen.rng.random() < 0.25:
                    continue  # an absent optional reference (its copies stay None)
                cands = [
                    r
                    for r in out.get(src, [])
                    if all(
                        values.get(local) is None or canon(values[local]) == canon(r[a])
                        for a, local in names.items()
                        if ent.has(local)
                    )
                ]
                if not cands:
                    if optional:
                        continue
                    ok = False
                    break
                chosen = gen.rng.choice(cands)
                for a, local in names.items():
                    if ent.has(local):
                        values[local] = chosen[a]
            if not ok:
                continue
            for attr in ent.attributes:
                if attr.name in values or attr.copy_of is not None:
                    continue
                if attr.optional and gen.rng.random() < 0.25:
                    values[attr.name] = None
                    continue
                values[attr.name] = gen.value(ent.name, attr, own_identity=attr.name in ent.identity)
            ident = tuple(repr(canon(values[a])) for a in ent.identity)
            key = (ent.name, *ident)
            if key in seen_keys:
                continue
            uniq = [(ent.name, u, canon(values.get(u))) for u in ent.unique] + [
                (ent.name, "+".join(g.attrs), tuple(canon(values.get(a)) for a in g.attrs))
                for g in app.design.guards
                if g.entity == ent.name
            ]
            if any(u in unique_seen for u in uniq):
                continue
            seen_keys.add(key)
            unique_seen.update(uniq)
            rows.append(values)
        out[ent.name] = rows
    return out


def instance(app: App, entity: str, values: Mapping[str, object]) -> Entity:
    return app.models[entity].model_validate({k: v for k, v in values.items() if v is not None})


def load(app: App, table: Table, rng: random.Random) -> Oracle:
    """Write generated items through every write path, mirroring them in the oracle."""
    oracle = Oracle(app)
    gen = Generator(app, rng)
    data = generate(app, gen, set())
    spec = app.spec
    written: set[int] = set()

    def record(entity: str, values: dict[str, object], version: int = 1) -> None:
        vals = dict(values)
        assert oracle.fill_copies(entity, vals)
        oracle.items[oracle.key(entity, vals)] = Stored(entity, vals, version)

    def bump(target: str, key_values: Mapping[str, object], attr: str, n: int) -> None:
        stored = oracle.items[oracle.key(target, key_values)]
        stored.values[attr] = (stored.values.get(attr) or 0) + n  # type: ignore[operator]
        stored.version += 1

    def targets_known(p: PatternSpec, rows: Sequence[Mapping[str, object]]) -> bool:
        for t, _, _ in p.increments:
            need = key_attrs(app.design, t)
            keys = {oracle.key(t, r) for r in rows if all(r.get(a) is not None for a in need)}
            if not keys or any(k not in oracle.items for k in keys):
                return False
        return True

    for ent in topo_order(spec):
        for p in spec.patterns:
            if p.kind != "write" or ent.name not in p.entities:
                continue
            others = [e for e in p.entities if e != ent.name]
            if any(not all(spec.entity(o).has(a) for a in ent.identity) for o in others):
                continue  # ent is not the root of this aggregate write
            for values in data.get(ent.name, []):
                if id(values) in written or rng.random() < 0.4:
                    continue
                members = [
                    (o, mv)
                    for o in others
                    for mv in data.get(o, [])
                    if id(mv) not in written and all(canon(mv[a]) == canon(values[a]) for a in ent.identity)
                ][:20]
                rows = [values, *(mv for _, mv in members)]
                if not all(oracle.fill_copies(e, dict(v)) for e, v in [(ent.name, values), *members]):
                    continue
                if not targets_known(p, rows):
                    continue
                table.write(
                    p.name, instance(app, ent.name, values), *(instance(app, o, mv) for o, mv in members)
                )
                for e, v in [(ent.name, values), *members]:
                    written.add(id(v))
                    record(e, v)
                for t, attr, n in p.increments:
                    need = key_attrs(app.design, t)
                    keys = {oracle.key(t, r): r for r in rows if all(r.get(a) is not None for a in need)}
                    for r in keys.values():
                        bump(t, r, attr, n)
        for values in data.get(ent.name, []):
            if id(values) in written:
                continue
            written.add(id(values))
            obj = instance(app, ent.name, values)
            if rng.random() < 0.2:
                table.put(obj)
            else:
                table.create(obj)
            record(ent.name, values)
    mutate(app, table, oracle, gen)
    return oracle


def mutate(app: App, table: Table, oracle: Oracle, gen: Generator) -> None:
    """Update, replace and delete some items: sparse keys and sort keys must follow."""
    rng = gen.rng
    stored = sorted(oracle.items.items(), key=lambda kv: kv[0])
    for key, s in rng.sample(stored, k=min(40, len(stored))):
        spec = app.spec.entity(s.entity)
        fixed = set(key_attrs(app.design, s.entity)) | {a.name for a in spec.attributes if a.copy_of}
        changeable = [a for a in spec.attributes if a.name not in fixed]
        roll = rng.random()
        if roll < 0.12:
            key_values: dict[str, Any] = {a: s.values[a] for a in key_attrs(app.design, s.entity)}
            assert table.delete(app.models[s.entity], **key_values)
            del oracle.items[key]
            continue
        if not changeable:
            continue
        new = dict(s.values)
        for a in rng.sample(changeable, k=min(2, len(changeable))):
            if a.optional and rng.random() < 0.3:
                new[a.name] = None
            else:
                new[a.name] = gen.value(s.entity, a, own_identity=False)
        guards = [g for g in app.design.guards if g.entity == s.entity]
        taken = {
            (g.attrs, tuple(canon(o.values.get(x)) for x in g.attrs))
            for g in guards
            for k2, o in oracle.items.items()
            if o.entity == s.entity and k2 != key
        }
        if any((g.attrs, tuple(canon(new.get(x)) for x in g.attrs)) in taken for g in guards):
            continue
        if not oracle.fill_copies(s.entity, dict(new)):
            continue  # a copy source was deleted: the write would be refused
        obj = instance(app, s.entity, new)
        if roll < 0.6:
            table.update(obj, expected_version=s.version)
            s.version += 1
        else:
            table.put(obj)
            s.version += 1
        for a in spec.attributes:
            if a.copy_of is None:
                s.values[a.name] = new[a.name]
        oracle.fill_copies(s.entity, s.values)


# ---- checking ------------------------------------------------------------------------------


def sample_args(
    app: App, oracle: Oracle, pat: PatternSpec, rng: random.Random, gen: Generator
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    sorted_member = next((e for e in pat.entities if pat.sort and app.spec.entity(e).has(pat.sort)), None)
    candidates = [
        s
        for s in oracle.items.values()
        if s.entity in pat.entities and all(s.values.get(a) is not None for a in pat.by)
    ]
    for _ in range(ARG_SETS):
        args: dict[str, object] = {}
        if candidates and rng.random() < 0.85:
            base = rng.choice(candidates)
            args = {a: base.values[a] for a in pat.by}
        else:
            ent = app.spec.entity(pat.entities[0])
            for a in pat.by:
                attr = ent.attribute(a)
                assert attr is not None
                args[a] = gen.value(ent.name, attr, own_identity=False)
        sort = pat.sort
        if pat.range is not None and sort is not None and sorted_member is not None and rng.random() < 0.8:
            same = [
                s.values[sort]
                for s in oracle.items.values()
                if s.entity == sorted_member
                and s.values.get(sort) is not None
                and all(canon(s.values.get(a)) == canon(args[a]) for a in pat.by)
            ]
            attr = app.spec.entity(sorted_member).attribute(sort)
            assert attr is not None

            def pick(
                same: list[object] = same, attr: AttributeSpec = attr, member: str = sorted_member
            ) -> object:
                if same and rng.random() < 0.8:
                    return rng.choice(same)
                return gen.value(member, attr, own_identity=False)

            if pat.range == "between":
                lo, hi = pick(), pick()
                if orderable(lo) > orderable(hi):  # type: ignore[operator]
                    lo, hi = hi, lo
                form = rng.random()
                if form < 0.7:
                    args["lo"], args["hi"] = lo, hi
                elif form < 0.85:
                    args["lo"] = lo
                else:
                    args["hi"] = hi
            elif pat.range == "begins_with":
                text = str(pick())
                args["value"] = text[: rng.randrange(0, len(text) + 1)]
            else:
                args["value"] = pick()
        out.append(args)
    return out


def check_order(app: App, pat: PatternSpec, got: Sequence[Entity]) -> None:
    names = [type(x).__name__ for x in got]
    blocks = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
    assert len(blocks) == len(set(blocks)), f"{pat.name}: entity blocks are not contiguous: {blocks}"
    if pat.sort is None:
        return
    sorted_member = [e for e in pat.entities if app.spec.entity(e).has(pat.sort)]
    if len(pat.entities) > 1:
        first_sorted = next((i for i, n in enumerate(names) if n in sorted_member), len(names))
        assert all(n in sorted_member for n in names[first_sorted:]), (
            f"{pat.name}: unsorted members after sorted ones: {names}"
        )
    keys: list[Any] = [orderable(getattr(x, pat.sort)) for x in got if type(x).__name__ in sorted_member]
    pairs = list(itertools.pairwise(keys))
    if pat.order == "asc":
        assert all(a <= b for a, b in pairs), f"{pat.name}: not ascending: {keys}"
    else:
        assert all(a >= b for a, b in pairs), f"{pat.name}: not descending: {keys}"


def run_pattern(table: Table, pat: PatternSpec, args: Mapping[str, object], limit: int) -> list[Entity]:
    if pat.kind == "get":
        found = table.run(pat.name, **args)
        return [] if found is None else [found]
    items: list[Entity] = []
    cursor: str | None = None
    for _ in range(1000):
        page = table.run(pat.name, **args, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        items += page.items
        cursor = page.cursor
        if cursor is None:
            return items
    raise AssertionError(f"{pat.name}: more than 1000 pages")


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_every_read_pattern_matches_brute_force(app: App, make_table: MakeTable) -> None:
    rng = random.Random(f"{SEED}-{app.name}")
    table = make_table(app)
    oracle = load(app, table, rng)
    assert 50 <= len(oracle.items) <= 300
    gen = Generator(app, random.Random(f"{SEED}-{app.name}-args"))
    checked = 0
    nonempty = 0
    for pat in app.spec.patterns:
        if pat.kind == "write":
            continue
        for args in sample_args(app, oracle, pat, rng, gen):
            limit = rng.randint(3, 7)
            got = run_pattern(table, pat, args, limit)
            expected = oracle.answer(pat, args)
            got_c = sorted(canon_item(type(x).__name__, x.model_dump()) for x in got)
            exp_c = sorted(canon_item(s.entity, s.values) for s in expected)
            assert got_c == exp_c, f"{pat.name}({args}): got {len(got)} items, expected {len(expected)}"
            if pat.kind == "get":
                assert len(got) <= 1
            check_order(app, pat, got)
            for x in got:
                stored = oracle.items[oracle.key(type(x).__name__, x.model_dump())]
                assert table.version_of(x) == stored.version
            checked += 1
            nonempty += bool(got)
    assert checked > 0
    assert nonempty >= checked // 2, f"only {nonempty} of {checked} sampled calls found items"
