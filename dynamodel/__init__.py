"""dynamodel: declare DynamoDB access patterns first, derive the single-table design."""

from __future__ import annotations

from dynamodel.app import App
from dynamodel.declare_actions import Action
from dynamodel.design import Design, derive, design_to_json, explain
from dynamodel.errors import (
    ConditionFailedError,
    DefinitionError,
    DynamodelError,
    ExecutionError,
    RequestError,
    UnsatisfiablePatternError,
)
from dynamodel.model import Copy, Entity, NonEmptyStr, field_ref
from dynamodel.patterns import Collection, Get, Query, Write
from dynamodel.spec import ActionSpec, AppSpec, EntitySpec, PatternSpec
from dynamodel.spec_file import load_spec_file, parse_spec, parse_spec_text

_RUNTIME = {
    "Table": "dynamodel.runtime.table",
    "Page": "dynamodel.runtime.reads",
    "CollectionPage": "dynamodel.runtime.reads",
    "connect": "dynamodel.runtime.connect",
    "EmbeddedEngine": "dynamodel.engine",
}


def __getattr__(name: str) -> object:
    # The runtime imports boto3; loading it lazily keeps `import dynamodel` (and the
    # planning CLI) free of it.
    module = _RUNTIME.get(name)
    if module is None:
        msg = f"module 'dynamodel' has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(module), name)


__all__ = [  # noqa: RUF022 - grouped: declarations, design, errors, runtime
    "Action",
    "ActionSpec",
    "App",
    "AppSpec",
    "Collection",
    "ConditionFailedError",
    "Copy",
    "DefinitionError",
    "Design",
    "DynamodelError",
    "Entity",
    "EntitySpec",
    "ExecutionError",
    "Get",
    "NonEmptyStr",
    "PatternSpec",
    "Query",
    "RequestError",
    "UnsatisfiablePatternError",
    "Write",
    "derive",
    "design_to_json",
    "explain",
    "field_ref",
    "load_spec_file",
    "parse_spec",
    "parse_spec_text",
    "Table",
    "Page",
    "CollectionPage",
    "connect",
    "EmbeddedEngine",
]
