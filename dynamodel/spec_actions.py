"""The ``actions`` section of a spec file (docs/spec-format.md §1.8): parsed and dumped.

Each entry reads as the Python ``Action(...)``: ``name``, ``on`` (the entity), ``handler``
(``package.module:function``), and optionally ``events``, ``when``, ``batch_size``,
``max_retries`` and ``max_record_age_s``. A dumped spec lists only what differs from the
defaults, so a spec without actions dumps as it did before actions existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from dynamodel.declare_actions import Action
from dynamodel.errors import DefinitionError
from dynamodel.spec import EVENT_NAMES, ActionSpec, EventName
from dynamodel.spec_load import named_entry, short

__all__ = ["dump_actions", "parse_actions"]

_KEYS = {"name", "on", "handler", "events", "when", "batch_size", "max_retries", "max_record_age_s"}
_DEFAULTS = {"batch_size": 100, "max_retries": 3, "max_record_age_s": 86_400}


def parse_actions(raw: object, source: str) -> list[ActionSpec]:
    """The actions of a spec file's ``actions`` list (checked again with the whole app)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        msg = f"{source}: 'actions' must be a list."
        raise DefinitionError(msg, hint="write each action as '- {name: ..., on: ..., handler: ...}'")
    return [_parse_action(i, a) for i, a in enumerate(raw)]


def _parse_action(index: int, given: object) -> ActionSpec:
    raw, name, label = named_entry(
        "Action",
        index,
        given,
        _KEYS,
        example="{name: ..., on: ..., handler: ...}",
        why_named="its stack is named after it",
    )
    for key in ("on", "handler"):
        if not isinstance(raw.get(key), str):
            msg = f"{label}: '{key}' must be given as a string, got {short(raw.get(key))}."
            raise DefinitionError(msg, hint="e.g. on: Order, handler: shop_actions:notify_shipped")
    events = raw.get("events", list(EVENT_NAMES))
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        msg = f"{label}: events must be a list of {list(EVENT_NAMES)}, got {short(events)}."
        raise DefinitionError(msg, hint="write events: [MODIFY]")
    when = raw.get("when") or {}
    if not isinstance(when, Mapping):
        msg = f"{label}: when must map attributes to values, got {short(when)}."
        raise DefinitionError(msg, hint="write when: {status: SHIPPED}")
    settings = {key: raw.get(key, default) for key, default in _DEFAULTS.items()}
    return Action(
        name,
        on=cast("str", raw["on"]),
        handler=cast("str", raw["handler"]),
        events=cast("list[EventName]", events),
        when=cast("Mapping[str, object]", when),
        batch_size=settings["batch_size"],
        max_retries=settings["max_retries"],
        max_record_age_s=settings["max_record_age_s"],
    )


def dump_actions(actions: tuple[ActionSpec, ...]) -> list[dict[str, Any]]:
    """The spec-file entries of ``actions`` (round-trips through :func:`parse_actions`)."""
    out: list[dict[str, Any]] = []
    for a in actions:
        d: dict[str, Any] = {"name": a.name, "on": a.entity, "handler": a.handler}
        if a.events != EVENT_NAMES:
            d["events"] = list(a.events)
        if a.when:
            d["when"] = {k: list(m) if isinstance(m, tuple) else m for k, m in a.when}
        for key, default in _DEFAULTS.items():
            if getattr(a, key) != default:
                d[key] = getattr(a, key)
        out.append(d)
    return out
