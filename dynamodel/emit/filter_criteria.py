"""Lambda event filters for an action's stream subscription: what reaches its function.

One pattern per image an action reads (pure, deterministic). Lambda filters DynamoDB stream
records on the ``dynamodb`` key only (the Lambda guide's DynamoDB filtering page says so), so
the event name is told apart by the images a record carries: an INSERT has no old image, a
REMOVE no new one, a MODIFY both. Every entity item carries ``_type`` (guard items, action
markers and migration bookkeeping do not), which makes ``_type`` both the entity selector and
the presence test::

    INSERT, MODIFY          {"dynamodb": {"NewImage": {"_type": {"S": ["Order"]}, ...when}}}
    INSERT only             ... and {"OldImage": {"_type": {"S": [{"exists": false}]}}}
    MODIFY only             ... and {"OldImage": {"_type": {"S": [{"exists": true}]}}}
    REMOVE                  {"dynamodb": {"OldImage": {"_type": ..., ...when},
                                          "NewImage": {"_type": {"S": [{"exists": false}]}}}}

So an action takes at most two of a mapping's filters (Lambda's default quota is five). The
``when`` predicate is a conjunction of per-attribute value lists, exactly what a pattern
expresses: every declared ``when`` is in the filter, and the local driver
(:mod:`dynamodel.actions.driver`) selects records by evaluating these same patterns with
:mod:`dynamodel.event_filters`.
"""

from __future__ import annotations

import json
from typing import Any

from dynamodel.design.model import Design
from dynamodel.errors import DefinitionError
from dynamodel.event_filters import MAX_PATTERN_LENGTH, validate_pattern
from dynamodel.layout import TYPE_ATTR
from dynamodel.spec import ActionSpec, EntitySpec, WhereValue

__all__ = ["action_patterns", "filter_criteria", "propagation_patterns"]

JsonDict = dict[str, Any]
MAX_FILTERS = 5
"""Filters one event source mapping may have (Lambda's default quota)."""


def _wire(value: WhereValue) -> tuple[str, object]:
    # The codec's representation of a where-able constant (str and enum: S, int: N, bool: BOOL).
    if isinstance(value, bool):
        return "BOOL", value
    if isinstance(value, int):
        return "N", str(value)
    return "S", value


def _image_rules(ent: EntitySpec, action: ActionSpec) -> JsonDict:
    rules: JsonDict = {TYPE_ATTR: {"S": [ent.name]}}
    for attr, values in action.when_sets:
        by_type: dict[str, list[object]] = {}
        for v in values:
            kind, wire = _wire(v)
            by_type.setdefault(kind, []).append(wire)
        if len(by_type) != 1:
            msg = f"Action '{action.name}': when {attr} mixes value types {sorted(by_type)}."
            raise DefinitionError(msg, hint=f"list values of {ent.name}.{attr}'s one type")
        ((kind, wires),) = by_type.items()
        rules[attr] = {kind: wires}
    return rules


def _absent(present: bool) -> JsonDict:
    return {TYPE_ATTR: {"S": [{"exists": present}]}}


def action_patterns(design: Design, action: ActionSpec) -> list[JsonDict]:
    """The filter patterns (as objects) of one action, in a fixed order: new image, old image."""
    ent = design.app.entity(action.entity)
    rules = _image_rules(ent, action)
    patterns: list[JsonDict] = []
    new_events = [e for e in action.events if e in ("INSERT", "MODIFY")]
    if new_events:
        image: JsonDict = {"NewImage": rules}
        if new_events == ["INSERT"]:
            image["OldImage"] = _absent(present=False)
        elif new_events == ["MODIFY"]:
            image["OldImage"] = _absent(present=True)
        patterns.append({"dynamodb": image})
    if "REMOVE" in action.events:
        patterns.append({"dynamodb": {"OldImage": rules, "NewImage": _absent(present=False)}})
    return patterns


def propagation_patterns(design: Design) -> list[JsonDict]:
    """The built-in propagation's one pattern: new images of the entities copies are taken from.

    A REMOVE leaves copies alone (:mod:`dynamodel.propagate.plan`), so it need not be delivered.
    """
    sources = sorted({c.source for c in design.copy_paths})
    if not sources:
        return []
    return [{"dynamodb": {"NewImage": {TYPE_ATTR: {"S": sources}}}}]


def filter_criteria(patterns: list[JsonDict], *, what: str) -> JsonDict:
    """``FilterCriteria`` for an event source mapping: each pattern as compact JSON text.

    Raises:
        DefinitionError: over the five-filter quota or a pattern over 4096 characters.
    """
    if len(patterns) > MAX_FILTERS:
        msg = f"{what} needs {len(patterns)} event filters; a mapping takes {MAX_FILTERS}."
        raise DefinitionError(msg, hint="split it into several actions")
    filters = []
    for p in patterns:
        validate_pattern(p)
        text = json.dumps(p, sort_keys=True, separators=(",", ":"))
        if len(text) > MAX_PATTERN_LENGTH:
            msg = f"{what}: an event filter is {len(text)} characters; Lambda takes {MAX_PATTERN_LENGTH}."
            raise DefinitionError(msg, hint="list fewer values in its 'when'")
        filters.append({"Pattern": text})
    return {"Filters": filters}
