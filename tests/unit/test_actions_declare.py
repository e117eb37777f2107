"""Actions as declarations: Python and spec file agree, bad input is refused with a fix,
and the emitted Lambda filters select exactly the records an action's declaration names."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_patterns.shop import Customer, Order, shop
from dynamodel import Action, App, DefinitionError
from dynamodel.emit.filter_criteria import action_patterns, filter_criteria, propagation_patterns
from dynamodel.event_filters import matches_any
from dynamodel.spec import EVENT_NAMES, ActionSpec
from dynamodel.spec_file import dump_spec, parse_spec


def notify(event: object) -> None:
    """A module-level handler (the decorator form takes its import path)."""


def _app(*actions: ActionSpec) -> App:
    return App("shop", list(shop.models.values()), list(shop.spec.patterns), actions=actions)


SHIPPED = Action(
    "notify_shipped",
    on=Order,
    events=("MODIFY",),
    when={"status": "SHIPPED"},
    handler="shop_actions:notify_shipped",
)


def test_python_and_spec_file_declare_the_same_action() -> None:
    app = _app(SHIPPED)
    dumped = dump_spec(app.spec)
    assert dumped["actions"] == [
        {
            "name": "notify_shipped",
            "on": "Order",
            "handler": "shop_actions:notify_shipped",
            "events": ["MODIFY"],
            "when": {"status": "SHIPPED"},
        }
    ]
    assert parse_spec(dumped) == app.spec
    assert "actions" not in dump_spec(shop.spec)  # a spec without actions dumps as before


def test_the_design_says_what_runs_and_needs_a_stream_and_expiry() -> None:
    app = _app(SHIPPED)
    assert app.design.needs_stream
    assert app.design.needs_ttl
    assert '"actions"' in app.to_json()
    assert '"actions"' not in shop.to_json()


def test_decorator_declares_with_the_function_import_path() -> None:
    app = _app()
    decorated = app.action(on=Customer, events=["INSERT"])(notify)
    assert decorated is notify
    (act,) = app.spec.actions
    assert (act.name, act.handler, act.events) == ("notify", f"{__name__}:notify", ("INSERT",))
    assert app.design.needs_stream


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"on": "Nope"}, "no entity 'Nope'"),
        ({"when": {"colour": "red"}}, "does not declare"),
        ({"when": {"placed_at": "2026"}}, "not a valid datetime value"),
        ({"events": ("UPDATE",)}, "events"),
        ({"events": ()}, "events"),
        ({"handler": "not a path"}, "is not 'package.module:function'"),
        ({"handler": lambda e: None}, "not a module-level function"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"max_record_age_s": 10}, "max_record_age_s=10"),
    ],
)
def test_bad_actions_are_refused_with_the_fix(kwargs: dict[str, Any], expected: str) -> None:
    args: dict[str, Any] = {"on": Order, "handler": "m:f", **kwargs}
    with pytest.raises(DefinitionError, match=expected) as info:
        _app(Action("a", **args))
    assert info.value.hint


def test_names_are_checked() -> None:
    for name, expected in (
        ("propagate", "built-in"),
        ("Bad_name", "lower-case"),
        ("bad-name", "not a valid identifier"),
        ("x" * 40, "characters"),
    ):
        with pytest.raises(DefinitionError, match=expected):
            _app(Action(name, on=Order, handler="m:f"))
    with pytest.raises(DefinitionError, match="two actions"):
        _app(Action("a", on=Order, handler="m:f"), Action("a", on=Customer, handler="m:g"))


def test_spec_file_actions_are_checked() -> None:
    base = dump_spec(shop.spec)
    with pytest.raises(DefinitionError, match="unknown key"):
        parse_spec({**base, "actions": [{"name": "a", "on": "Order", "handler": "m:f", "colour": 1}]})
    with pytest.raises(DefinitionError, match="'handler' must be given"):
        parse_spec({**base, "actions": [{"name": "a", "on": "Order"}]})


# What Lambda delivers must be what the declaration means: the model below is the declaration
# read literally; the filter is what the stack emits.
_STATUSES = ("OPEN", "SHIPPED", "CANCELLED")


def _image(entity: str, status: str, count: int) -> dict[str, Any]:
    return {
        "_type": {"S": entity},
        "status": {"S": status},
        "order_count": {"N": str(count)},
        "PK": {"S": "X"},
    }


images = st.one_of(
    st.none(),
    st.builds(_image, st.sampled_from(("Order", "Customer")), st.sampled_from(_STATUSES), st.integers(0, 3)),
)


@settings(max_examples=300, deadline=None)
@given(
    events=st.sets(st.sampled_from(EVENT_NAMES), min_size=1),
    statuses=st.sets(st.sampled_from(_STATUSES), max_size=2),
    old=images,
    new=images,
)
def test_filters_select_exactly_what_the_declaration_names(
    events: set[str], statuses: set[str], old: dict[str, Any] | None, new: dict[str, Any] | None
) -> None:
    if old is None and new is None:
        return
    event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    when = {"status": sorted(statuses)} if statuses else None
    act = Action("a", on=Order, handler="m:f", events=tuple(sorted(events)), when=when)  # type: ignore[arg-type]
    app = _app(act)
    patterns = action_patterns(app.design, app.spec.actions[0])
    filter_criteria(patterns, what="a")  # within Lambda's limits
    record = {"eventName": event, "dynamodb": {k: v for k, v in (("OldImage", old), ("NewImage", new)) if v}}
    image = old if event == "REMOVE" else new
    assert image is not None
    expected = (
        event in events
        and image["_type"]["S"] == "Order"
        and (not statuses or image["status"]["S"] in statuses)
    )
    assert matches_any(patterns, record) == expected


def test_propagation_takes_new_images_of_copy_sources() -> None:
    (pattern,) = propagation_patterns(shop.design)
    assert pattern == {"dynamodb": {"NewImage": {"_type": {"S": ["Customer"]}}}}
