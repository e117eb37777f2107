"""AppMachine over every app in ``access_patterns``: random writes, every pattern against the oracle.

Engine assumed: moto in process (``InProcessEngine``, the machine's default) for the
machines of every app; one run of the shop's machine over HTTP on moto's server, through
the pytest plugin's fixtures. Examples and steps follow the active
hypothesis profile (``machine_settings``): small under ``fast``, the profile's own under
``HYPOTHESIS_PROFILE=thorough``.

The async runtime (``runtime="async"``: an AsyncTable on aiobotocore behind a blocking view)
runs for three apps covering its features (the shop; online_shop's two copies drained
through ``table.client``; hr's unique guards), on the EmbeddedEngine the machine starts,
with a few test cases each (aiobotocore needs HTTP, and each app costs about 6 s).
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import pytest
from example_apps import discover_apps
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from dynamodel.app import App
from dynamodel.design.explain import design_to_dict
from dynamodel.engine import EmbeddedEngine
from dynamodel.errors import RequestError
from dynamodel.runtime.table import Table
from dynamodel.spec import KeyStyle
from dynamodel.testing import (
    AppMachine,
    DynamoRules,
    InProcessEngine,
    app_machine,
    machine_settings,
    run_app_machine,
)
from dynamodel.testing.blocking import BlockingTable
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


# The shop (copies and a unique email), two copies drained per write, unique guards per department.
ASYNC_APPS = ("shop", "online_shop", "hr")
MACHINE_CASES = [pytest.param(a, "sync", id=a.name) for a in APPS] + [
    pytest.param(a, "async", id=f"{a.name}-async") for a in APPS if a.name in ASYNC_APPS
]


def test_the_async_machine_covers_propagation_and_unique_guards() -> None:
    chosen = [a for a in APPS if a.name in ASYNC_APPS]
    assert len(chosen) == len(ASYNC_APPS)
    assert any(a.design.needs_stream for a in chosen)
    assert any(design_to_dict(a.design)["unique_guards"] for a in chosen)


@pytest.mark.parametrize(("app", "runtime"), MACHINE_CASES)
def test_app_machine(app: App, runtime: str) -> None:
    if runtime == "sync":
        run_app_machine(app)
        return
    machine = app_machine(app, runtime="async")
    try:
        run_state_machine_as_test(machine, settings=machine_settings(max_examples=3, stateful_step_count=15))
    finally:
        machine._config.close()


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


@pytest.mark.parametrize("runtime", ["sync", "async"])
def test_shop_machine_over_http(dynamodel_machine: RunMachine, runtime: str) -> None:
    """The same machine through the plugin, on moto's server over real HTTP (options passed through)."""
    from access_patterns.shop import shop

    dynamodel_machine(
        shop, runtime=runtime, settings=machine_settings(max_examples=3, stateful_step_count=15)
    )


def test_async_machine_drives_an_async_table_and_closes_its_loop() -> None:
    """Its writes go through aiobotocore, where a lost answer is retried and meets its token."""
    from access_patterns.shop import Customer, shop

    cls = app_machine(shop, runtime="async")
    machine = cls()
    rules = cls._config.rules
    customer = Customer(customer_id="c1", email="a@x", name="A", order_count=0)
    try:
        assert isinstance(machine.table, BlockingTable)
        machine.attempt("ok", "create Customer", lambda: machine.table.create(customer), lose=True)
        assert (rules.lost, rules.replayed) == (1, 1)  # a guarded create is a transaction
        assert machine.table.get_customer(customer_id="c1") is not None
        if machine.drainer is not None:
            machine.drainer()  # propagation drains through the blocking aiobotocore client
    finally:
        machine.teardown()
        cls._config.close()
    assert cls._config._async is not None
    assert cls._config._async._loop is None


def test_async_machine_refuses_in_process_clients() -> None:
    from access_patterns.shop import shop

    cls = app_machine(shop, runtime="async", client_factory=InProcessEngine().client)
    with pytest.raises(RequestError, match="needs an engine over HTTP"):
        cls()
    with pytest.raises(RequestError, match="not a runtime"):
        app_machine(shop, runtime="asyncio")  # type: ignore[arg-type]


def test_fault_rules_apply_to_an_aiobotocore_client(engine: EmbeddedEngine) -> None:
    """A lost TransactWriteItems answer is retried and meets its token; another body with it is refused."""
    from botocore.exceptions import ClientError

    from dynamodel.testing.blocking import LoopThread, open_client

    rules = DynamoRules()
    name = "rules-async"
    engine.client().create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    loop = LoopThread()
    client, close = open_client(loop, engine.async_client())
    rules.install_async(client)

    def put(pk: str) -> Any:
        item = {"Put": {"TableName": name, "Item": {"pk": {"S": pk}}}}
        return loop.run(client.transact_write_items(TransactItems=[item], ClientRequestToken="t" * 36))

    try:
        rules.lose_next_response()
        put("a")
        assert (rules.lost, rules.replayed) == (1, 1)
        with pytest.raises(ClientError, match="IdempotentParameterMismatch"):
            put("b")
        assert loop.run(client.scan(TableName=name))["Count"] == 1
    finally:
        close()
        loop.stop()
        engine.client().delete_table(TableName=name)


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
