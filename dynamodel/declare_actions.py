"""Action declarations in Python: ``Action(...)``, and what ``App.action`` builds on.

An action runs a handler when items of one entity change: a stream event (``INSERT``,
``MODIFY``, ``REMOVE``) whose item matches ``when``. The handler is named by its import
path (``"package.module:function"``), because it runs in another process (a Lambda function
of its own stack, or the local driver) that imports it there; a function may be passed
instead, and its path is taken from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from dynamodel.errors import DefinitionError
from dynamodel.model import Entity
from dynamodel.spec import EVENT_NAMES, ActionSpec, EventName
from dynamodel.validate import normalise_where

__all__ = ["Action", "handler_path"]


def handler_path(handler: str | Callable[..., Any]) -> str:
    """The ``"module:function"`` import path of a handler (a str is returned unchanged)."""
    if isinstance(handler, str):
        return handler
    module = getattr(handler, "__module__", None)
    qualname = getattr(handler, "__qualname__", "")
    if not callable(handler) or not module or not qualname or "." in qualname or qualname == "<lambda>":
        msg = f"handler {handler!r} is not a module-level function, so another process cannot import it."
        raise DefinitionError(
            msg, hint="define the handler at the top level of a module, or pass 'module:function'"
        )
    return f"{module}:{qualname}"


def Action(  # noqa: N802 - declarations read as nouns
    name: str,
    *,
    on: type[Entity] | str,
    handler: str | Callable[..., Any],
    events: Sequence[EventName] = EVENT_NAMES,
    when: Mapping[str, object] | None = None,
    batch_size: int = 100,
    max_retries: int = 3,
    max_record_age_s: int = 86_400,
) -> ActionSpec:
    """An action: ``handler`` runs once per change of an ``on`` item that matches ``when``.

    Args:
        name: the action's name (lower-case identifier; its stack is named after it).
        on: the entity whose changes it takes.
        handler: ``"package.module:function"`` or a module-level function; it is called with
            an :class:`~dynamodel.actions.ActionEvent` (typed ``old``/``new``, the event name and
            a table to write with).
        events: the stream events it takes, default all three.
        when: attribute -> value (or list of values) the item must hold: the new image for
            INSERT and MODIFY, the old image for REMOVE. Expressed in the Lambda event filter.
        batch_size, max_retries, max_record_age_s: the event source mapping's settings.

    Example:
        >>> Action("notify_shipped", on=Order, events=("MODIFY",), when={"status": "SHIPPED"},
        ...        handler="shop_actions:notify_shipped")  # doctest: +SKIP
    """
    if isinstance(on, type) and issubclass(on, Entity):
        entity = on.__name__
    elif isinstance(on, str):
        entity = on
    else:
        msg = f"Action {name!r}: on={on!r} is not an Entity class."
        raise DefinitionError(msg, hint="pass the class, e.g. on=Order")
    # A lone event name ("MODIFY") is a common slip: read it as the one event it names.
    given: Sequence[str] = (events,) if isinstance(events, str) else events
    order = {e: i for i, e in enumerate(EVENT_NAMES)}
    return ActionSpec(
        name=name,
        entity=entity,
        handler=handler_path(handler),
        events=tuple(cast("list[EventName]", sorted(given, key=lambda e: order.get(e, len(order))))),
        when=normalise_where(f"Action {name!r}", when or {}),
        batch_size=batch_size,
        max_retries=max_retries,
        max_record_age_s=max_record_age_s,
    )
