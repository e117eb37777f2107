"""A typed view of an app's connected table, for static type checkers.

``app.connect(...)`` dispatches pattern methods dynamically, so a type checker sees their
results as ``Any``. :func:`render_protocol` writes a module with a ``Table`` subclass that
declares every pattern method with exact types (for the type checker only: at run time
the methods still come from ``Table``) and a ``typed()`` cast, and the same for
``AsyncTable`` (``typed_async()``)::

    # generated once: render_protocol(shop) written to shop_table.py
    from shop_table import typed, typed_async
    table = typed(shop.connect("shop-dev", client))
    page = table.orders_of_customer(customer_id="c1", lo=t0, hi=t1)   # Page[Order]
    table.delete(Order, order_id="o1")                                 # every Table method too
    aio = typed_async(await shop.connect_async("shop-dev", aio_client))
    page = await aio.orders_of_customer(customer_id="c1")              # Page[Order]
    async for order in aio.orders_of_customer.iterate(customer_id="c1"): ...  # Order

The output is deterministic, so it can be checked in and compared in CI.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from dynamodel.compile import call_convention
from dynamodel.design.projections import holds_only
from dynamodel.model import Entity
from dynamodel.runtime.pattern_deletes import delete_keyword
from dynamodel.runtime.write_patterns import finds_target, target_keyword

if typing.TYPE_CHECKING:
    from collections.abc import Mapping

    from dynamodel.design import Design


class App(typing.Protocol):
    """What the stubs need of an app (``dynamodel.App`` is one; the runtime never imports it)."""

    @property
    def name(self) -> str: ...

    @property
    def design(self) -> Design: ...

    @property
    def models(self) -> Mapping[str, type[Entity]]: ...


_BUILTINS = {"str", "int", "float", "bool", "bytes", "list", "dict", "set", "frozenset", "tuple", "object"}


class _Imports:
    def __init__(self) -> None:
        self.modules: dict[str, set[str]] = {}

    def name(self, cls: type) -> str:
        if cls.__module__ == "builtins" and cls.__name__ in _BUILTINS:
            return cls.__name__
        self.modules.setdefault(cls.__module__, set()).add(cls.__qualname__.split(".")[0])
        return cls.__qualname__

    def lines(self) -> list[str]:
        return [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(self.modules.items())]


def _annotation(tp: Any, imports: _Imports) -> str:
    if tp is type(None):
        return "None"
    if tp is Any:
        imports.modules.setdefault("typing", set()).add("Any")
        return "Any"
    origin = get_origin(tp)
    if origin is typing.Annotated:  # ``NonEmptyStr``: its constraint is checked at run time
        return _annotation(get_args(tp)[0], imports)
    if origin is typing.Literal:
        imports.modules.setdefault("typing", set()).add("Literal")
        return f"Literal[{', '.join(repr(a) for a in get_args(tp))}]"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_annotation(a, imports) for a in get_args(tp))
    if origin is not None:
        args = ", ".join(_annotation(a, imports) for a in get_args(tp))
        return f"{_annotation(origin, imports)}[{args}]"
    if isinstance(tp, type):
        return imports.name(tp)
    return "Any"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[_\-]+", name) if part)


def _partial_view(app: App, entity: str, name: str, held: tuple[str, ...], imports: _Imports) -> list[str]:
    """A Protocol of what an item read through an INCLUDE index holds: reading another
    attribute, or passing the item to a write, is a type error (as it is an error at run time)."""
    imports.modules.setdefault("typing", set()).add("Protocol")
    model: type[Entity] = app.models[entity]
    lines = [
        f"class {name}(Protocol):",
        f'    """A {entity} as its index holds it: {", ".join(held)} (PartialItemError for the rest)."""',
        "",
    ]
    for attr in held:
        lines += [
            "    @property",
            f"    def {attr}(self) -> {_annotation(model.model_fields[attr].annotation, imports)}: ...",
        ]
    return [*lines, "", ""]


@dataclass(frozen=True)
class _Signature:
    """One pattern method as both typed classes declare it (they differ only in ``async``)."""

    name: str
    kind: str
    params: list[str]
    returns: str
    items: str
    """What ``.iterate`` yields (queries only)."""
    note: str | None


def _signatures(app: App, imports: _Imports) -> tuple[list[_Signature], list[str]]:
    """Every pattern's signature, and the Protocols of partial items they name."""
    sigs: list[_Signature] = []
    views: list[str] = []
    design = app.design

    def field_type(entity: str, attr: str) -> str:
        # The type of a value the caller passes: None is refused (an absent argument, or an
        # optional attribute's absence, selects nothing), so an optional field loses `| None`.
        model: type[Entity] = app.models[entity]
        info = model.model_fields.get(attr)
        if info is None:
            return "Any"
        tp = info.annotation
        if get_origin(tp) in (typing.Union, types.UnionType):
            inner = [a for a in get_args(tp) if a is not type(None)]
            return " | ".join(_annotation(a, imports) for a in inner)
        return _annotation(tp, imports)

    for pat in design.app.patterns:
        models = [imports.name(app.models[e]) for e in pat.entities]
        if pat.kind == "write":
            # What run_write_pattern takes: instances to write or delete, and keys to delete
            # (positionally when the pattern deletes one entity, else by its keyword).
            gone = [imports.name(app.models[e]) for e in pat.deletes]
            items = [*models, *gone, *(["dict[str, object]"] if len(gone) == 1 else [])]
            params = [f"*entities: {' | '.join(items)} | list[{' | '.join(items)}]"]
            for target, _, _ in pat.increments:
                given = f"{target_keyword(target)}: dict[str, object] | {imports.name(app.models[target])}"
                # Keyword-only after *entities, so a required one may follow optional ones.
                params.append(f"{given} | None = None" if finds_target(design, pat.name, target) else given)
            for e, model in zip(pat.deletes, gone, strict=True):
                key = f"{model} | dict[str, object]"
                params.append(f"{delete_keyword(e)}: {key} | list[{key}] | None = None")
            named = [*models, *gone]
            params.append(f"**named: {' | '.join(named)} | list[{' | '.join(named)}]")
            sigs.append(_Signature(pat.name, "write", params, "list[Entity]", "Entity", None))
            continue
        conv = call_convention(design, pat.name)
        params = ["*"]
        for a in conv.required:
            owner = next(e for e in pat.entities if design.app.entity(e).has(a))
            params.append(f"{a}: {field_type(owner, a)}")
        if conv.range_params and pat.sort is not None:
            holder = next(e for e in pat.entities if design.app.entity(e).has(pat.sort))
            kind = "str" if pat.range == "begins_with" else field_type(holder, pat.sort)
            params += [f"{r}: {kind} | None = None" for r in conv.range_params]
        if conv.paged:
            params += ["limit: int | None = None", "cursor: str | None = None"]
        held = holds_only(design, pat.name)
        item = " | ".join(models)
        if pat.kind == "get":
            ret = f"{models[0]} | None"
        elif len(models) > 1:
            ret = "CollectionPage"
            item = "Entity" if held else item
        elif held:
            item = f"{_camel(pat.name)}Item"
            views += _partial_view(app, pat.entities[0], item, held, imports)
            ret = f"Page[{item}]"
        else:
            ret = f"Page[{models[0]}]"
        note = f"Items hold only {', '.join(held)} (PartialItemError for the rest)." if held else None
        sigs.append(_Signature(pat.name, pat.kind, params, ret, item, note))
    return sigs, views


def _sync_class(app: App, cls_name: str, sigs: list[_Signature]) -> list[str]:
    body: list[str] = []
    for sig in sigs:
        note = [f'            """{sig.note}"""'] if sig.note else []
        body += [
            f"        def {sig.name}({', '.join(['self', *sig.params])}) -> {sig.returns}:",
            *note,
            "            raise NotImplementedError",
            "",
        ]
    return [
        f"class {cls_name}(Table):",
        f'    """The connected {app.name} table with typed pattern methods (``typed(app.connect(...))``)."""',
        "",
        "    if TYPE_CHECKING:",
        "",
        *body,
        "",
        f"def typed(table: Table) -> {cls_name}:",
        f'    """``table`` seen as {cls_name} by the type checker (no run-time effect)."""',
        f"    return cast({cls_name}, table)",
        "",
    ]


def _async_class(app: App, cls_name: str, sigs: list[_Signature], imports: _Imports) -> list[str]:
    """The async twin: gets and writes are ``async def``; a query is an attribute typed by a
    Protocol, since its ``.iterate``/``.pages`` are reached on the method itself (``async for``)."""
    imports.modules.setdefault("dynamodel.runtime.async_table", set()).add("AsyncTable")
    protocols: list[str] = []
    body: list[str] = []
    for sig in sigs:
        params = ", ".join(["self", *sig.params])
        note = [f'            """{sig.note}"""'] if sig.note else []
        if sig.kind != "query":
            body += [
                f"        async def {sig.name}({params}) -> {sig.returns}:",
                *note,
                "            raise NotImplementedError",
                "",
            ]
            continue
        imports.modules.setdefault("collections.abc", set()).add("AsyncIterator")
        imports.modules.setdefault("typing", set()).update({"Any", "Protocol"})
        proto = f"Async{_camel(sig.name)}"
        held = f" {sig.note}" if sig.note else ""
        protocols += [
            f"class {proto}(Protocol):",
            f'    """Pattern {sig.name} of the async table: ``await`` it, or ``async for`` over'
            f' ``.iterate``/``.pages``.{held}"""',
            "",
            f"    async def __call__({params}) -> {sig.returns}: ...",
            f"    def iterate({params}) -> AsyncIterator[{sig.items}]: ...",
            f"    def pages({params}) -> AsyncIterator[{sig.returns}]: ...",
            "    def params(self, **args: Any) -> dict[str, Any]: ...",
            "",
            "",
        ]
        body += [f"        {sig.name}: {proto}", ""]
    return [
        *protocols,
        f"class {cls_name}(AsyncTable):",
        f'    """The {app.name} table connected for asyncio, with typed pattern methods'
        ' (``typed_async(await app.connect_async(...))``)."""',
        "",
        "    if TYPE_CHECKING:",
        "",
        *body,
        "",
        f"def typed_async(table: AsyncTable) -> {cls_name}:",
        f'    """``table`` seen as {cls_name} by the type checker (no run-time effect)."""',
        f"    return cast({cls_name}, table)",
        "",
    ]


def render_protocol(
    app: App,
    class_name: str | None = None,
    *,
    async_class_name: str | None = None,
    include_async: bool = True,
) -> str:
    """Python source of a typed view of ``app``'s connected tables, sync and async.

    Args:
        app: the application.
        class_name: the sync class's name; ``<App>Table`` by default (``ShopTable``).
        async_class_name: the async class's name; ``<App>AsyncTable`` by default.
        include_async: False renders the sync class alone (the output before the async table).

    Returns:
        A module's source: ``class <Name>(Table)`` declaring each pattern method with
        its argument and result types under ``TYPE_CHECKING``, and ``typed(table)``; then
        ``class <Name>(AsyncTable)`` with the same methods awaited, and ``typed_async(table)``.
    """
    imports = _Imports()
    imports.modules.setdefault("typing", set()).update({"TYPE_CHECKING", "cast"})
    imports.modules.setdefault("dynamodel.runtime.reads", set()).update({"CollectionPage", "Page"})
    imports.modules.setdefault("dynamodel.runtime.table", set()).add("Table")
    imports.modules.setdefault("dynamodel.model", set()).add("Entity")
    sigs, views = _signatures(app, imports)
    classes = _sync_class(app, class_name or f"{_camel(app.name)}Table", sigs)
    if include_async:
        name = async_class_name or f"{_camel(app.name)}AsyncTable"
        classes += ["", *_async_class(app, name, sigs, imports)]
    lines = [
        f'"""Typed methods of the {app.name} table (generated by dynamodel; regenerate, do not edit)."""',
        "",
        "from __future__ import annotations",
        "",
        *imports.lines(),
        "",
        "",
        *views,
        *classes,
    ]
    return "\n".join(lines)
