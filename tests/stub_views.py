"""The pattern declarations of a generated typed view, read from its source (tests only)."""

from __future__ import annotations

import ast

Declared = ast.FunctionDef | ast.AsyncFunctionDef
BASES = {"sync": "Table", "async": "AsyncTable"}


def _classes(source: str) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)}


def protocol_methods(source: str) -> dict[str, dict[str, Declared]]:
    """Query pattern of the async class -> the methods of the Protocol its attribute is typed by."""
    classes = _classes(source)
    out: dict[str, dict[str, Declared]] = {}
    for stmt in _guarded(classes, "async").body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            proto = classes[ast.unparse(stmt.annotation)]
            out[stmt.target.id] = {f.name: f for f in proto.body if isinstance(f, Declared)}
    return out


def _guarded(classes: dict[str, ast.ClassDef], runtime: str) -> ast.If:
    (cls,) = [c for c in classes.values() if [ast.unparse(b) for b in c.bases] == [BASES[runtime]]]
    return next(n for n in cls.body if isinstance(n, ast.If))


def stub_methods(source: str, runtime: str) -> dict[str, Declared]:
    """Pattern name -> how the ``runtime`` class declares calling it (a query of the async
    class: its Protocol's ``__call__``)."""
    guarded = _guarded(_classes(source), runtime)
    out: dict[str, Declared] = {f.name: f for f in guarded.body if isinstance(f, Declared)}
    if runtime == "async":
        out |= {name: methods["__call__"] for name, methods in protocol_methods(source).items()}
    return out
