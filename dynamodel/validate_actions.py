"""Checks of action declarations (``App.action``, ``Action(...)``, a spec file's ``actions``).

Called by :mod:`dynamodel.validate`; every problem is a DefinitionError naming the action
and the fix. An action's name becomes part of its stack's resource names (a Lambda function
name has at most 64 characters), and ``propagate`` is the built-in action that keeps copies
fresh, so neither is left to chance.
"""

from __future__ import annotations

import keyword
import re

from dynamodel.attribute_types import find
from dynamodel.attribute_types.base import WHERE_HINT
from dynamodel.errors import DefinitionError, UnknownFieldError
from dynamodel.spec import EVENT_NAMES, ActionSpec, AppSpec, AttributeSpec, EntitySpec, where_values

__all__ = ["BUILTIN_ACTION", "MAX_ACTION_NAME", "check_action", "check_where_value"]

BUILTIN_ACTION = "propagate"
"""The name of the built-in action that keeps denormalised copies fresh."""
MAX_ACTION_NAME = 32
_ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_HANDLER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")
# Lambda's limits for a DynamoDB stream event source mapping.
_LIMITS = {
    "batch_size": (1, 10_000, "batch_size=100"),
    "max_retries": (0, 10_000, "max_retries=3"),
    "max_record_age_s": (60, 604_800, "max_record_age_s=86400 (one day)"),
}


def check_where_value(where: str, e: EntitySpec, attr: AttributeSpec, value: object) -> None:
    """Raise DefinitionError unless ``value`` is a constant a predicate on ``attr`` may name."""
    found = find(attr.type)
    hint = WHERE_HINT if found is None else found.where_hint(value, attr.enum)
    if hint is not None:
        msg = (
            f"{where}: where {attr.name}={value!r} is not a valid {attr.type} value of {e.name}.{attr.name}."
        )
        raise DefinitionError(msg, hint=hint)


def check_action(app: AppSpec, act: ActionSpec) -> None:
    """Raise DefinitionError when an action names nothing real or sets a value Lambda refuses."""
    where = f"Action '{act.name}'"
    if not isinstance(act.name, str) or not _ACTION_NAME.fullmatch(act.name) or keyword.iskeyword(act.name):
        msg = f"{where}: the name is not a lower-case identifier."
        raise DefinitionError(msg, hint="use lower-case letters, digits and '_', starting with a letter")
    if len(act.name) > MAX_ACTION_NAME:
        msg = f"{where}: the name has {len(act.name)} characters; at most {MAX_ACTION_NAME} fit in its stack's resource names."
        raise DefinitionError(msg, hint="choose a shorter name")
    if act.name == BUILTIN_ACTION:
        msg = f"{where}: '{BUILTIN_ACTION}' is the built-in action that keeps copies fresh."
        raise DefinitionError(msg, hint="give the action another name")
    ent = app.entity(act.entity)
    if not isinstance(act.handler, str) or not _HANDLER.fullmatch(act.handler):
        msg = f"{where}: handler {act.handler!r} is not 'package.module:function'."
        raise DefinitionError(
            msg, hint="write handler='shop_actions:notify_shipped' (a module-level function)"
        )
    if not act.events or len(set(act.events)) != len(act.events) or not set(act.events) <= set(EVENT_NAMES):
        msg = f"{where}: events {list(act.events)!r} must be distinct names among {list(EVENT_NAMES)}."
        raise DefinitionError(msg, hint="write events=('MODIFY',) or leave it out for all three")
    for attr_name, match in act.when:
        attr = ent.attribute(attr_name)
        if attr is None:
            msg = f"{where}: when names '{attr_name}', which {ent.name} does not declare."
            raise UnknownFieldError(msg, hint=f"use one of {[a.name for a in ent.attributes]}")
        for value in where_values(match):
            check_where_value(where, ent, attr, value)
    for option, (low, high, example) in _LIMITS.items():
        value = getattr(act, option)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            msg = f"{where}: {option}={value!r}; Lambda accepts a whole number from {low} to {high}."
            raise DefinitionError(msg, hint=f"write {option} within {low}..{high}, e.g. {example}")
