"""The generated typed view of a connected table: valid Python, one method per pattern, right types.

No engine needed: the view only exists for type checkers.
"""

from __future__ import annotations

import ast
import sys
import types

import boto3
import pytest
from example_apps import discover_apps

from dynamodel.app import App
from dynamodel.runtime.stubs import render_protocol

APPS = discover_apps()


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_typed_view_declares_every_pattern(app: App) -> None:
    source = render_protocol(app)
    assert source == render_protocol(app)  # deterministic
    tree = ast.parse(source)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    guarded = next(n for n in cls.body if isinstance(n, ast.If))
    methods = {f.name: f for f in guarded.body if isinstance(f, ast.FunctionDef)}
    assert set(methods) == {p.name for p in app.spec.patterns}
    for pat in app.spec.patterns:
        returns = ast.unparse(methods[pat.name].returns)  # type: ignore[arg-type]
        if pat.kind == "write":
            assert returns == "list[Entity]"
        elif pat.kind == "get":
            assert returns == f"{pat.entities[0]} | None"
        elif len(pat.entities) > 1:
            assert returns == "CollectionPage"
        else:
            assert returns == f"Page[{pat.entities[0]}]"
        kwonly = [a.arg for a in methods[pat.name].args.kwonlyargs]
        assert kwonly[: len(pat.by)] == list(pat.by) or pat.kind == "write"
    module = types.ModuleType(f"typed_{app.name}")
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, module.__name__, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    table = app.connect("t", boto3.client("dynamodb", region_name="us-east-1"))
    assert module.typed(table) is table
