"""dynamodel: declare DynamoDB access patterns first, derive the single-table design."""

from __future__ import annotations

from dynamodel.app import App
from dynamodel.design import Design, derive, design_to_json, explain
from dynamodel.errors import (
    DefinitionError,
    DynamodelError,
    ExecutionError,
    RequestError,
    UnsatisfiablePatternError,
)
from dynamodel.model import Copy, Entity, field_ref
from dynamodel.patterns import Collection, Get, Query, Write
from dynamodel.spec import AppSpec, EntitySpec, PatternSpec
from dynamodel.spec_file import load_spec_file, parse_spec, parse_spec_text

__all__ = [
    "App",
    "AppSpec",
    "Collection",
    "Copy",
    "DefinitionError",
    "Design",
    "DynamodelError",
    "Entity",
    "EntitySpec",
    "ExecutionError",
    "Get",
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
]
