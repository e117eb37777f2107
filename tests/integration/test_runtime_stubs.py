"""The generated typed view of a connected table: valid Python, one method per pattern, right types.

No engine needed: the view only exists for type checkers. One mypy run (module fixture) checks
every example app's view and the usage snippets below, each line marked ``# E: <text>`` being
where mypy must report an error saying ``<text>`` (and nowhere else).
"""

from __future__ import annotations

import ast
import os
import re
import sys
import types
from pathlib import Path

import boto3
import pytest
from example_apps import discover_apps
from stub_views import protocol_methods, stub_methods

from dynamodel.app import App
from dynamodel.runtime.stubs import render_protocol

APPS = discover_apps()
RUNTIMES = ("sync", "async")
TESTS = Path(__file__).resolve().parents[1]


def _module(app: App) -> str:
    return "view_" + re.sub(r"\W", "_", app.name)


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_typed_view_declares_every_pattern(app: App, runtime: str) -> None:
    source = render_protocol(app)
    assert source == render_protocol(app)  # deterministic
    methods, sync = stub_methods(source, runtime), stub_methods(source, "sync")
    assert set(methods) == {p.name for p in app.spec.patterns}
    for pat in app.spec.patterns:
        fn = methods[pat.name]
        assert isinstance(fn, ast.AsyncFunctionDef) == (runtime == "async"), pat.name
        returns = ast.unparse(fn.returns)  # type: ignore[arg-type]
        if pat.kind == "write":
            assert returns == "list[Entity]"
        elif pat.kind == "get":
            assert returns == f"{pat.entities[0]} | None"
        elif len(pat.entities) > 1:
            assert returns == "CollectionPage"
        else:
            assert returns == f"Page[{pat.entities[0]}]"
        kwonly = [a.arg for a in fn.args.kwonlyargs]
        assert kwonly[: len(pat.by)] == list(pat.by) or pat.kind == "write"
        # Both classes take the same arguments: only `async` tells them apart.
        assert ast.unparse(fn.args) == ast.unparse(sync[pat.name].args)
    module = types.ModuleType(f"typed_{app.name}")
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, module.__name__, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    table = app.connect("t", boto3.client("dynamodb", region_name="us-east-1"))
    # typed_async is a cast, so any object shows it has no run-time effect (no aiobotocore client needed).
    assert (module.typed if runtime == "sync" else module.typed_async)(table) is table


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_async_iterate_and_pages_take_the_calls_arguments(app: App) -> None:
    source = render_protocol(app)
    queries = protocol_methods(source)
    assert set(queries) == {p.name for p in app.spec.patterns if p.kind == "query"}
    for name, methods in queries.items():
        call = methods["__call__"]
        items = ast.unparse(call.returns).removeprefix("Page[").removesuffix("]")  # type: ignore[arg-type]
        assert ast.unparse(methods["iterate"].args) == ast.unparse(call.args), name
        assert ast.unparse(methods["pages"].args) == ast.unparse(call.args), name
        assert ast.unparse(methods["pages"].returns) == f"AsyncIterator[{ast.unparse(call.returns)}]"  # type: ignore[arg-type]
        if items != "CollectionPage":
            assert ast.unparse(methods["iterate"].returns) == f"AsyncIterator[{items}]"  # type: ignore[arg-type]


def test_sync_only_is_the_view_before_the_async_table() -> None:
    from access_patterns.shop import shop

    both, sync_only = render_protocol(shop), render_protocol(shop, include_async=False)
    assert "AsyncTable" not in sync_only
    assert sync_only.split("\n\n\nclass ShopTable", 1)[1] in both


_GOOD = """\
from access_patterns.shop import Customer, Order, OrderLine
from dynamodel.model import Entity
from dynamodel.runtime.async_table import AsyncTable
from dynamodel.runtime.reads import CollectionPage, Page
from view_shop import ShopAsyncTable, typed_async


async def use(table: AsyncTable, order: Order, line: OrderLine) -> list[str]:
    view: ShopAsyncTable = typed_async(table)
    customer: Customer | None = await view.get_customer(customer_id="c1")
    page: Page[Order] = await view.orders_of_customer(customer_id="c1", limit=10)
    ids = [o.order_id for o in (await view.orders_of_customer(customer_id="c1", cursor=page.cursor)).items]
    async for one in view.orders_of_customer.iterate(customer_id="c1"):
        ids.append(one.order_id)
    async for each in view.orders_of_customer.pages(customer_id="c1", limit=5):
        ids += [o.order_id for o in each.items]
    both: CollectionPage = await view.order_with_lines(order_id="o1")
    async for item in view.order_with_lines.iterate(order_id="o1"):
        ids.append(item.order_id)  # Order | OrderLine: both have it
    written: list[Entity] = await view.place_order(order, lines=[line])
    deleted: bool = await view.delete(Order, order_id="o1")  # AsyncTable's own methods too
    sent = view.orders_of_customer.params(customer_id="c1")
    return [*ids, str(customer), str(both), str(written), str(deleted), str(sent)]
"""

_BAD = """\
from access_patterns.shop import Order
from dynamodel.runtime.async_table import AsyncTable
from view_shop import typed_async


async def misuse(table: AsyncTable, order: Order) -> object:
    view = typed_async(table)
    got = await view.get_customer(customer_id="c1")
    print(got.items)  # E: has no attribute "items"
    await view.get_customer(customer="c1")  # E: Unexpected keyword argument "customer"
    page = view.orders_of_customer(customer_id="c1")
    print(page.items)  # E: "Coroutine[Any, Any, Page[Order]]" has no attribute "items"
    view.place_order(order)  # E: Value of type "Coroutine[Any, Any, list[Entity]]" must be used
    for one in view.orders_of_customer.iterate(customer_id="c1"):  # E: has no attribute "__iter__"
        print(one)
    return await view.orders_of_customer(customer_id=None)  # E: incompatible type "None"
"""

_PARTIAL = {
    "sync": """\
from dynamodel.runtime.table import Table
from helpdesk_view import typed


def use(table: Table) -> str:
    view = typed(table)
    item = view.queue(status="OPEN").items[0]
    view.update(item)  # E: cannot be "QueueItem"
    return item.title + item.body  # E: "QueueItem" has no attribute "body"
""",
    "async": """\
from dynamodel.runtime.async_table import AsyncTable
from helpdesk_view import typed_async


async def use(table: AsyncTable) -> str:
    view = typed_async(table)
    item = (await view.queue(status="OPEN")).items[0]
    await view.update(item)  # E: cannot be "QueueItem"
    async for held in view.queue.iterate(status="OPEN"):
        return held.title + held.body  # E: "QueueItem" has no attribute "body"
    return item.title
""",
}


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, str]]:
    """File name -> line -> mypy's errors there, from one ``mypy --strict`` run over every file."""
    from mypy import api
    from projection_app import helpdesk

    where = tmp_path_factory.mktemp("stubs")
    files = {f"{_module(app)}.py": render_protocol(app) for app in APPS}
    files["helpdesk_view.py"] = render_protocol(helpdesk())
    files |= {"use_async.py": _GOOD, "misuse_async.py": _BAD}
    files |= {f"partial_{runtime}.py": text for runtime, text in _PARTIAL.items()}
    for name, text in files.items():
        (where / name).write_text(text)
    env = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = f"{TESTS}{os.pathsep}{where}"
    try:
        # `make typecheck` has just filled the project's cache: this check then takes a few seconds.
        cache = TESTS.parent / ".mypy_cache"
        args = ["--strict", "--cache-dir", str(cache), "--no-error-summary", "--hide-error-context"]
        out, _, _ = api.run([*args, *(str(where / n) for n in sorted(files))])
    finally:
        if env is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = env
    errors: dict[str, dict[int, str]] = {name: {} for name in files}
    for row in out.splitlines():
        path, line, rest = row.split(":", 2)
        lines = errors.setdefault(Path(path).name, {})
        lines[int(line)] = lines.get(int(line), "") + rest
    return errors


def _expected(text: str) -> dict[int, str]:
    return {n: line.split("# E: ", 1)[1] for n, line in enumerate(text.splitlines(), 1) if "# E: " in line}


def _check(found: dict[int, str], text: str) -> None:
    expected = _expected(text)
    assert set(found) == set(expected), found
    for line, says in expected.items():
        assert says in found[line], (line, found[line])


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_every_typed_view_passes_mypy_strict(app: App, mypy_errors: dict[str, dict[int, str]]) -> None:
    assert mypy_errors[f"{_module(app)}.py"] == {}


def test_async_view_types_awaits_and_iteration(mypy_errors: dict[str, dict[int, str]]) -> None:
    assert mypy_errors["view_shop.py"] == {}
    _check(mypy_errors["use_async.py"], _GOOD)


def test_async_view_refuses_misuse(mypy_errors: dict[str, dict[int, str]]) -> None:
    """A get used as a page, a wrong argument name, a missing await, ``for`` over an async iterator."""
    _check(mypy_errors["misuse_async.py"], _BAD)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_partial_result_is_typed_as_what_its_index_holds(
    runtime: str, mypy_errors: dict[str, dict[int, str]]
) -> None:
    """mypy refuses reading an attribute an INCLUDE index leaves out, and writing the item back."""
    assert mypy_errors["helpdesk_view.py"] == {}
    _check(mypy_errors[f"partial_{runtime}.py"], _PARTIAL[runtime])
