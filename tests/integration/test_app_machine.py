"""AppMachine over every app in ``access_patterns``: random writes, every pattern against the oracle.

Engine assumed: moto in process (``InProcessEngine``, the machine's default) for the
machines of every app; one run of the shop's machine over HTTP on moto's server, through
the pytest plugin's fixtures. Examples and steps follow the active
hypothesis profile (``machine_settings``): small under ``fast``, the profile's own under
``HYPOTHESIS_PROFILE=thorough``.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import pytest
from example_apps import discover_apps
from hypothesis import settings

from dynamodel.app import App
from dynamodel.design.explain import design_to_dict
from dynamodel.engine import EmbeddedEngine
from dynamodel.runtime.table import Table
from dynamodel.spec import KeyStyle
from dynamodel.testing import AppMachine, app_machine, machine_settings, run_app_machine
from dynamodel.testing.machine import propagation_driver
from dynamodel.testing.pytest_plugin import MakeTable

RunMachine = Callable[..., None]
pytestmark = pytest.mark.integration


# shop_events is the shop plus one Notice entity and two actions: its machine would re-run the
# shop's (about 35 s of the suite's 10-minute budget) for one more plain Query. Its actions are
# property-tested in test_actions_exactly_once.py, and its patterns run in test_runtime_patterns.py.
VARIANTS = {"shop_events"}
APPS = [a for a in discover_apps() if a.name not in VARIANTS]


def test_every_example_app_is_found() -> None:
    assert {a.name for a in APPS} >= {"shop", "github", "library", "online_shop", "battle_royale"}


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_app_machine(app: App) -> None:
    run_app_machine(app)


def _layout(app: App) -> dict[str, Any]:
    # What the runtime follows: the words on minimality differ by style, the layout may not.
    return {k: v for k, v in design_to_dict(app.design).items() if k != "minimal_among"}


def _styled(style: KeyStyle) -> list[App]:
    """The apps whose design in ``style`` differs from their own (auto): the others are run above."""
    return [a.with_key_style(style) for a in APPS if _layout(a.with_key_style(style)) != _layout(a)]


STYLED = [*_styled("synthetic"), *_styled("native")]


def test_every_key_style_of_every_app_is_run_by_some_machine() -> None:
    # auto is what test_app_machine runs; a style whose design equals it needs no run of its own.
    differs = {(a.name, a.spec.key_style) for a in STYLED}
    assert ("tickets", "synthetic") in differs  # tickets' GSI3 is native under auto
    assert ("tickets", "native") in differs
    for app in STYLED:
        assert app.spec.key_style == "synthetic" or any(ix.native for ix in app.design.indexes)


@pytest.mark.parametrize("app", STYLED, ids=[f"{a.name}-{a.spec.key_style}" for a in STYLED])
def test_app_machine_in_another_key_style(app: App) -> None:
    run_app_machine(app, settings=machine_settings(max_examples=min(4, machine_settings().max_examples)))


def test_subclass_form_generates_rules_bundles_and_settings() -> None:
    from access_patterns.shop import shop

    class ShopMachine(AppMachine):
        app = shop
        max_items = 10

    names = {n for n in dir(ShopMachine) if n.startswith(("create_", "update_", "delete_", "write_"))}
    assert {"create_Customer", "create_Order_in_Customer", "update_Order", "delete_OrderLine"} <= names
    assert "write_place_order_in_Customer" in names
    assert ShopMachine._config.max_items == 10
    assert ShopMachine.TestCase.settings.stateful_step_count == machine_settings().stateful_step_count


def test_every_pattern_of_every_app_is_checked() -> None:
    """A few test cases per app (derandomized, so not flaky) run and compare every read pattern."""
    checked: collections.Counter[str] = collections.Counter()
    original = AppMachine.check_read

    def counting(self: AppMachine, pattern: str, *args: Any, **kwargs: Any) -> None:
        checked[f"{self.app.name}.{pattern}"] += 1
        original(self, pattern, *args, **kwargs)

    AppMachine.check_read = counting  # type: ignore[method-assign]
    try:
        for app in APPS:
            run_app_machine(app, settings=machine_settings(max_examples=2, database=None, derandomize=True))
    finally:
        AppMachine.check_read = original  # type: ignore[method-assign]
    wanted = {f"{a.name}.{p.name}" for a in APPS for p in a.spec.patterns if p.kind != "write"}
    assert wanted - set(checked) == set()


def test_copies_are_drained_when_propagation_exists() -> None:
    from access_patterns.shop import shop

    machine = app_machine(shop)()
    try:
        if propagation_driver() is None:
            assert machine.drainer is None  # copies filled at write time only; invariant off
        else:
            assert machine.drainer is not None
    finally:
        machine.teardown()


def test_shop_machine_over_http(dynamodel_machine: RunMachine) -> None:
    """The same machine through the plugin, on moto's server over real HTTP."""
    from access_patterns.shop import shop

    dynamodel_machine(shop, settings=machine_settings(max_examples=3, stateful_step_count=15))


def test_table_fixture_gives_a_fresh_table_per_call(
    dynamodel_table: MakeTable, dynamodel_engine: EmbeddedEngine
) -> None:
    from access_patterns.shop import Customer, shop

    first: Table = dynamodel_table(shop)
    second: Table = dynamodel_table(shop, stage="it-fixed")
    assert first.name != second.name
    assert second.name == "shop-it-fixed"
    first.create(Customer(customer_id="c1", email="a@x", name="A", order_count=0))
    assert second.get_customer(customer_id="c1") is None
    assert first.get_customer(customer_id="c1") is not None
    names = dynamodel_engine.client().list_tables()["TableNames"]
    assert {first.name, second.name} <= set(names)


def test_thorough_profile_is_deferred_to() -> None:
    settings.register_profile("machine-probe", max_examples=7, stateful_step_count=9)
    previous = settings.get_current_profile_name()
    settings.load_profile("machine-probe")
    try:
        probe = machine_settings()
        assert (probe.max_examples, probe.stateful_step_count) == (7, 9)
    finally:
        settings.load_profile(previous)
    fast = machine_settings()
    assert fast.max_examples <= 15


def test_hypothesis_ci_profile_keeps_the_machine_small() -> None:
    """hypothesis loads its ``ci`` profile by itself where ``CI`` is set; CI must stay fast."""
    previous = settings.get_current_profile_name()
    settings.load_profile("ci")
    try:
        under_ci = machine_settings()
    finally:
        settings.load_profile(previous)
    assert (under_ci.max_examples, under_ci.stateful_step_count) == (15, 30)
