"""Evaluate AWS Lambda event-filtering patterns the way Lambda does, so the local stream driver
hands a function exactly the DynamoDB stream records Lambda would.

Facts relied on (paraphrased; the pages are the sources):

- Lambda event filtering,
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html (and its source,
  awsdocs/aws-lambda-developer-guide ``doc_source/invocation-eventfiltering.md``):
  a ``Pattern`` is a JSON object whose shape follows the record; every field it names must be
  in the record (fields are ANDed), fields it does not name are ignored; a leaf is an array of
  rules, any of which may match (OR). Several filters of one mapping are ORed. Lambda uses the
  EventBridge rule syntax and lists: null (``[null]``), empty (``[""]``), equals, or,
  ``anything-but`` (not), ``numeric`` with ``=`` or a range, ``exists`` true/false and
  ``prefix``. Strings match character by character, without case folding; numbers are
  compared by their representation (300 and 300.0 differ).
- DynamoDB filtering,
  https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html: record values are
  typed (``{"S": "..."}``, ``{"N": "101"}``, ``{"BOOL": true}``), so a pattern names the type
  key, e.g. ``{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}`` (the Lambda guide's multi-level
  example): an ``N`` value is a JSON *string*. Its "Using the Exists operator" section: ``exists``
  only works on a leaf, so an attribute's presence is tested on its type key
  (``{"status": {"S": [{"exists": true}]}}``).
- EventBridge operators,
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html and
  https://docs.aws.amazon.com/eventbridge/latest/userguide/content-filtering-with-event-patterns.html:
  ``suffix``, ``equals-ignore-case``, ``anything-but`` with one value, with a list of only
  strings or only numbers, or with ``{"prefix": ...}``; ``prefix``/``suffix`` apply to strings,
  ``numeric`` to JSON numbers only.
- EventBridge arrays,
  https://docs.aws.amazon.com/eventbridge/latest/userguide/arrays-in-eventbridge-event-patterns.html:
  when the record's value is an array, the rule matches if any element matches.
- ``Filter.Pattern`` is at most 4096 characters,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-eventsourcemapping-filter.html.

A ``numeric`` rule on an ``N`` key is refused: stream numbers are strings, so Lambda would accept
the filter and silently never match it. Approximations: numbers are told apart by JSON type
(int or float), as Python's parser keeps no more of their spelling (300.0 and 3.0e2 compare equal);
no nesting limit is checked, none being documented.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dynamodel.errors import DefinitionError

__all__ = ["MAX_PATTERN_LENGTH", "matches", "matches_any", "parse_pattern", "validate_pattern"]

MAX_PATTERN_LENGTH = 4096
"""Characters allowed in one ``Filter.Pattern`` (CloudFormation's documented maximum)."""

_STRING_OPERATORS = ("prefix", "suffix", "equals-ignore-case")
_OPERATORS = (*_STRING_OPERATORS, "anything-but", "exists", "numeric")
_LOWER = (">", ">=")
_UPPER = ("<", "<=")
_ROOT = ""
_HINT = "Write the pattern as in https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html."


def _error(path: str, problem: str, hint: str = _HINT) -> DefinitionError:
    return DefinitionError(f"Filter pattern at {path or '<root>'}: {problem}.", hint=hint)


def _is_number(value: object) -> bool:
    # bool is an int to Python but a distinct JSON type.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_literal(value: object) -> bool:
    return value is None or isinstance(value, (str, bool)) or _is_number(value)


def parse_pattern(text: str) -> dict[str, Any]:
    """Parse one ``FilterCriteria.Filters[].Pattern`` string and check it (see ``validate_pattern``)."""
    if len(text) > MAX_PATTERN_LENGTH:
        raise _error(
            _ROOT,
            f"is {len(text)} characters, more than the {MAX_PATTERN_LENGTH} Lambda allows",
            "Split the pattern into several filters (they are ORed) or drop rules.",
        )
    try:
        pattern = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _error(_ROOT, f"is not valid JSON ({exc.msg} at character {exc.pos})") from exc
    if not isinstance(pattern, dict):
        raise _error(_ROOT, f"must be a JSON object, not {type(pattern).__name__}")
    validate_pattern(pattern)
    return pattern


def _no_constant(name: str) -> None:
    # Python's json reads NaN and Infinity; JSON, and so Lambda, does not.
    raise _error(_ROOT, f"is not valid JSON ({name} is not a JSON value)")


def validate_pattern(pattern: Mapping[str, Any], path: str = "") -> None:
    """Raise ``DefinitionError`` for anything Lambda rejects or this evaluator does not support."""
    if not pattern:
        raise _error(
            path, "is an empty object, which names no field", "Name at least one field, or drop the key."
        )
    for key, sub in pattern.items():
        where = f"{path}.{key}" if path else key
        if key.startswith("$"):
            raise _error(
                where,
                f"uses {key!r}, which Lambda event filtering does not document",
                "Use several filters instead: Lambda ORs them.",
            )
        if isinstance(sub, Mapping):
            validate_pattern(sub, where)
        elif isinstance(sub, list):
            if not sub:
                raise _error(where, "is an empty array, which no value matches", "Give at least one rule.")
            for rule in sub:
                _validate_rule(rule, where, key)
        else:
            raise _error(
                where,
                f"is {json.dumps(sub)}, but a leaf must be an array of rules",
                f"Wrap it in an array: [{json.dumps(sub)}].",
            )


def _validate_rule(rule: object, path: str, key: str) -> None:
    if _is_literal(rule):
        return
    if not isinstance(rule, Mapping):
        raise _error(
            path,
            f"has the rule {json.dumps(rule)}; a rule is a string, number, boolean, null or an operator object",
        )
    if len(rule) != 1:
        raise _error(
            path,
            f"has the rule {json.dumps(rule)} with {len(rule)} operators; an operator object holds exactly one",
            "Put each operator in its own object in the array (ORed), or nest fields (ANDed).",
        )
    ((operator, operand),) = rule.items()
    if operator in _STRING_OPERATORS:
        if not isinstance(operand, str):
            raise _error(path, f"{operator!r} needs a string, got {json.dumps(operand)}")
    elif operator == "exists":
        if not isinstance(operand, bool):
            raise _error(path, f"'exists' needs true or false, got {json.dumps(operand)}")
    elif operator == "anything-but":
        _validate_anything_but(operand, path)
    elif operator == "numeric":
        _validate_numeric(operand, path)
        if key == "N":
            raise _error(
                path,
                "compares a DynamoDB N value numerically, but stream records carry numbers as strings",
                'Lambda never matches it; match exact strings instead, e.g. {"N": ["5"]}.',
            )
    else:
        raise _error(
            path,
            f"uses the unknown or unsupported operator {operator!r}",
            f"Use one of {', '.join(_OPERATORS)}.",
        )


def _validate_anything_but(operand: object, path: str) -> None:
    if isinstance(operand, Mapping):
        if list(operand) != ["prefix"] or not isinstance(operand["prefix"], str):
            raise _error(
                path,
                f"'anything-but' with {json.dumps(operand)} is not supported",
                'Inside \'anything-but\' only {"prefix": "..."} is supported.',
            )
        return
    values = operand if isinstance(operand, list) else [operand]
    if not values:
        raise _error(path, "'anything-but' has an empty array", "Give at least one value to exclude.")
    if not (all(isinstance(v, str) for v in values) or all(_is_number(v) for v in values)):
        raise _error(
            path,
            f"'anything-but' needs strings only or numbers only, got {json.dumps(operand)}",
            "Split mixed values into separate filters.",
        )


def _validate_numeric(operand: object, path: str) -> None:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise _error(
            path, f"'numeric' needs [op, number] or [op, number, op, number], got {json.dumps(operand)}"
        )
    ops = operand[0::2]
    for op, bound in zip(ops, operand[1::2], strict=True):
        if op not in ("=", *_LOWER, *_UPPER):
            raise _error(
                path, f"'numeric' has the unknown comparison {json.dumps(op)}", "Use =, <, <=, > or >=."
            )
        if not _is_number(bound):
            raise _error(path, f"'numeric' compares with {json.dumps(bound)}, which is not a number")
    if len(ops) == 2 and not (
        (ops[0] in _LOWER and ops[1] in _UPPER) or (ops[0] in _UPPER and ops[1] in _LOWER)
    ):
        raise _error(
            path,
            f"'numeric' range {json.dumps(operand)} needs one lower bound (> or >=) and one upper bound (< or <=)",
        )


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether ``event`` (a record as Lambda sees it) matches the one filter ``pattern``."""
    validate_pattern(pattern)
    return _match_object(pattern, [event])


def matches_any(patterns: Sequence[Mapping[str, Any]], event: Mapping[str, Any]) -> bool:
    """Lambda's rule for a mapping's filters: the record passes if any of them matches."""
    return any(matches(pattern, event) for pattern in patterns)


def _flatten(values: Sequence[Any]) -> list[Any]:
    # An array in the record stands for its elements (EventBridge's array rule), at any depth.
    out: list[Any] = []
    for value in values:
        out.extend(_flatten(value) if isinstance(value, list) else [value])
    return out


def _match_object(pattern: Mapping[str, Any], nodes: list[Any]) -> bool:
    for key, sub in pattern.items():
        children = [node[key] for node in _flatten(nodes) if isinstance(node, Mapping) and key in node]
        if isinstance(sub, Mapping):
            if not _match_object(sub, children):
                return False
        elif not any(_match_rule(rule, _flatten(children)) for rule in sub):
            return False
    return True


def _match_rule(rule: Any, values: list[Any]) -> bool:
    if isinstance(rule, Mapping) and "exists" in rule:
        # Only leaves exist: an object at a leaf position (a typed DynamoDB value) does not count.
        present = any(not isinstance(value, Mapping) for value in values)
        return present if rule["exists"] else not values
    return any(_match_value(rule, value) for value in values if not isinstance(value, Mapping))


def _same(literal: Any, value: Any) -> bool:
    # Lambda compares representations: "5" is not 5, 300 is not 300.0, true is not 1.
    return type(literal) is type(value) and literal == value


def _match_value(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return _same(rule, value)
    ((operator, operand),) = rule.items()
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == operand.casefold()
    if operator == "anything-but":
        if isinstance(operand, Mapping):
            return isinstance(value, str) and not value.startswith(operand["prefix"])
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_same(item, value) for item in excluded)
    if operator == "numeric":
        return _is_number(value) and all(
            _compare(value, op, bound) for op, bound in zip(operand[0::2], operand[1::2], strict=True)
        )
    raise _error(_ROOT, f"uses the unknown operator {operator!r}")


def _compare(value: float, op: str, bound: float) -> bool:
    if op == "=":
        return value == bound
    if op == ">":
        return value > bound
    if op == ">=":
        return value >= bound
    if op == "<":
        return value < bound
    return value <= bound
