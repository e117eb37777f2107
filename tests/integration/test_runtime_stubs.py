"""The generated typed view of a connected table: valid Python, one method per pattern, right types.

No engine needed: the view only exists for type checkers.
"""

from __future__ import annotations

import ast
import os
import sys
import types
from pathlib import Path

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


def test_a_partial_result_is_typed_as_what_its_index_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mypy refuses reading an attribute an INCLUDE index leaves out, and writing the item back."""
    from mypy import api
    from projection_app import helpdesk

    (tmp_path / "helpdesk_view.py").write_text(render_protocol(helpdesk()))
    (tmp_path / "use_it.py").write_text(
        "from dynamodel.runtime.table import Table\n"
        "from helpdesk_view import typed\n\n\n"
        "def use(table: Table) -> str:\n"
        "    view = typed(table)\n"
        "    item = view.queue(status='OPEN').items[0]\n"
        "    view.update(item)\n"
        "    return item.title + item.body\n"
    )
    tests = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("MYPYPATH", f"{tests}{os.pathsep}{tmp_path}")
    # `make typecheck` has just filled the project's cache: this check then takes about 2 s.
    cache = tests.parent / ".mypy_cache"
    out, _, status = api.run(
        ["--strict", "--cache-dir", str(cache), "--no-error-summary", str(tmp_path / "use_it.py")]
    )
    lines = {int(e.split(":")[1]) for e in out.splitlines() if "use_it.py:" in e}
    assert status == 1
    assert lines == {8, 9}, out  # the write back, and the left-out attribute; title is held
    assert '"QueueItem" has no attribute "body"' in out
