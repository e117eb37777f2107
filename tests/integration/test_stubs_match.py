"""The generated stubs say exactly what the runtime accepts (issue 11 item 13).

For every example app, every parameter of every generated method is checked against the
runtime, sync (``Table``) and async (``AsyncTable``): a parameter typed ``X | None`` must accept None and one without None must refuse it;
a parameter with a default may be left out and one without must not. "Refuses" means a
``RequestError`` before anything is sent; any other outcome (a page, an empty answer, a
refusal by the engine) means the arguments were accepted.

Engine assumed: moto in process (``InProcessEngine``), one fresh table per app; the async
table on the session's moto server (``dynamodel_table(app, runtime="async")``, blocking view).
"""

from __future__ import annotations

import ast
import datetime as dt
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, get_args, get_origin

import pytest
from example_apps import discover_apps
from stub_views import stub_methods

from dynamodel.app import App
from dynamodel.errors import DynamodelError, RequestError
from dynamodel.model import Entity
from dynamodel.runtime.instances import values_of
from dynamodel.runtime.stubs import render_protocol
from dynamodel.runtime.write_patterns import target_keys, target_keyword
from dynamodel.testing.inprocess import InProcessEngine, create_test_table
from dynamodel.testing.pytest_plugin import MakeTable

pytestmark = pytest.mark.integration
APPS = discover_apps()
RUNTIMES = ("sync", "async")
DELETING = [a for a in APPS if any(p.deletes for p in a.spec.patterns)]
_ABSENT = object()


def _sample(tp: Any) -> object:
    """A valid value of an entity field's type (the inner type of an optional)."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in get_args(tp) if a is not type(None)))
    if origin is typing.Literal:
        return get_args(tp)[0]
    if origin is typing.Annotated:
        return _sample(get_args(tp)[0])
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    base = origin or tp
    samples: dict[object, object] = {
        str: "s1",
        int: 1,
        float: 1.5,
        Decimal: Decimal("1.5"),
        bool: True,
        dt.datetime: dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        dt.date: dt.date(2026, 1, 2),
        bytes: b"b1",
        list: [],
        tuple: (),
        set: set(),
        frozenset: frozenset(),
        dict: {},
    }
    return samples[base]


def _instance(model: type[Entity]) -> Entity:
    """An instance with every field set (copies left to the runtime)."""
    values = {n: _sample(f.annotation) for n, f in model.model_fields.items() if f.is_required()}
    values |= {
        n: _sample(f.annotation)
        for n, f in model.model_fields.items()
        if not f.is_required() and not isinstance(f.json_schema_extra, dict)
    }
    return model(**values)


def _methods(app: App, runtime: str = "sync") -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return stub_methods(render_protocol(app), runtime)


def _stub_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, tuple[bool, bool]]:
    """Keyword parameter -> (accepts None, has a default), as the stub declares them."""
    out: dict[str, tuple[bool, bool]] = {}
    for arg, default in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
        text = ast.unparse(arg.annotation) if arg.annotation is not None else "Any"
        parts = {p.strip() for p in text.split("|")}
        out[arg.arg] = ("None" in parts or "Any" in parts, default is not None)
    return out


def _accepts(call: Callable[..., object], args: Mapping[str, object]) -> bool:
    try:
        call(**{k: v for k, v in args.items() if v is not _ABSENT})
    except RequestError:
        return False
    except DynamodelError:
        return True  # sent, and refused by the engine (the item to delete is not there)
    return True


@pytest.fixture(scope="module")
def engine() -> InProcessEngine:
    return InProcessEngine()


@pytest.fixture
def connect(engine: InProcessEngine, request: pytest.FixtureRequest) -> MakeTable:
    """``connect(app, runtime)``: a fresh table of ``runtime`` (the async one behind a blocking view)."""

    def make(app: App, runtime: str) -> Any:
        if runtime == "sync":
            return create_test_table(app, engine.client())
        # Only the async runtime needs the moto server (aiobotocore speaks HTTP).
        make_table: MakeTable = request.getfixturevalue("dynamodel_table")
        return make_table(app, runtime=runtime)

    return make


def _read_cases(app: App, table: Any, runtime: str) -> list[tuple[str, str, bool, bool, bool, bool]]:
    """(pattern, parameter, stub accepts None, runtime does, stub has default, runtime does)."""
    cases = []
    for name, fn in sorted(_methods(app, runtime).items()):
        pat = app.spec.pattern(name)
        if pat.kind == "write":
            continue
        declared = _stub_params(fn)
        holders = {a: next(e for e in pat.entities if app.spec.entity(e).has(a)) for a in [*pat.by]}
        base: dict[str, object] = {
            a: _sample(app.models[holders[a]].model_fields[a].annotation) for a in pat.by
        }
        if pat.sort is not None and pat.range is not None:
            holder = next(e for e in pat.entities if app.spec.entity(e).has(pat.sort))
            value = (
                "s"
                if pat.range == "begins_with"
                else _sample(app.models[holder].model_fields[pat.sort].annotation)
            )
            base |= {p: value for p in declared if p in ("value", "lo", "hi")}
        if pat.kind == "query":
            base["limit"] = 5
        method = getattr(table, name)
        assert _accepts(method, base), (name, base)
        for param, (stub_none, stub_default) in declared.items():
            with_none = base | {param: None}
            without = base | {param: _ABSENT}
            cases.append(
                (name, param, stub_none, _accepts(method, with_none), stub_default, _accepts(method, without))
            )
    return cases


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_read_stubs_say_what_the_runtime_accepts(app: App, runtime: str, connect: MakeTable) -> None:
    table = connect(app, runtime)
    cases = _read_cases(app, table, runtime)
    assert cases
    wrong = [c for c in cases if c[2] != c[3] or c[4] != c[5]]
    assert not wrong, "(pattern, parameter, stub None, runtime None, stub default, runtime default): " + repr(
        wrong
    )


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_write_stub_target_keywords_say_when_they_are_needed(app: App, engine: InProcessEngine) -> None:
    table = create_test_table(app, engine.client())
    session = table._session
    for name, fn in sorted(_methods(app).items()):
        pat = app.spec.pattern(name)
        if pat.kind != "write":
            continue
        declared = _stub_params(fn)
        staged = [(e, values_of(_instance(app.models[e]))) for e in (*pat.entities, *pat.deletes)]
        for target, _, _ in pat.increments:
            stub_none, stub_default = declared[target_keyword(target)]
            assert stub_none == stub_default, (name, target)
            try:
                target_keys(session, name, target, staged, None)
                runtime_optional = True
            except RequestError:
                runtime_optional = False
            assert stub_default == runtime_optional, (name, target, stub_default)


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("app", DELETING, ids=[a.name for a in DELETING])
def test_write_stubs_say_how_items_to_delete_are_given(app: App, runtime: str, connect: MakeTable) -> None:
    from dynamodel.compile import key_attrs
    from dynamodel.runtime.pattern_deletes import delete_keyword

    table = connect(app, runtime)
    for name, fn in sorted(_methods(app, runtime).items()):
        pat = app.spec.pattern(name)
        if pat.kind != "write" or not pat.deletes:
            continue
        vararg = fn.args.vararg
        assert vararg is not None
        assert vararg.annotation is not None
        positional_keys = "dict[str, object]" in ast.unparse(vararg.annotation)
        declared = _stub_params(fn)
        for entity in pat.deletes:
            model = app.models[entity]
            key = {a: _sample(model.model_fields[a].annotation) for a in key_attrs(app.design, entity)}
            keyword = delete_keyword(entity)
            write = functools.partial(table.write, name)
            assert _accepts(functools.partial(write, key), {}) == positional_keys, (name, entity)
            assert _accepts(write, {keyword: key}), (name, entity)
            stub_none, stub_default = declared[keyword]
            runtime_none = _accepts(functools.partial(write, _instance(model)), {keyword: None})
            assert (stub_none, stub_default) == (runtime_none, runtime_none), (name, keyword)
