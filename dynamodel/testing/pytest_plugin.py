"""pytest fixtures for testing an app's access patterns on the embedded engine.

Enable them in your ``conftest.py``::

    pytest_plugins = ["dynamodel.testing.pytest_plugin"]

Fixtures:

* ``dynamodel_engine`` (session): moto's server on 127.0.0.1 (:class:`~dynamodel.engine.EmbeddedEngine`),
  started once, stopped at the end of the session.
* ``dynamodel_table``: a factory, ``dynamodel_table(app)`` → a connected
  :class:`~dynamodel.runtime.table.Table` on a fresh table named ``<app>-<stage>`` (a unique
  stage per call), created from the emitted ``create_table`` definition and deleted when
  the test ends. ``dynamodel_table(app, runtime="async")`` connects the async table
  (aiobotocore) behind the same sync interface (:mod:`dynamodel.testing.blocking`), so one
  test runs on both runtimes.
* ``dynamodel_machine``: ``dynamodel_machine(app, **options)`` runs the app's
  :class:`~dynamodel.testing.machine.AppMachine` on the session's engine (over HTTP);
  ``runtime="async"`` drives the async table (aiobotocore) on the same engine.

Without fixtures, ``run_app_machine(app)`` or ``TestShop = app_machine(shop).TestCase``
run the machine on moto in process, which is about twice as fast.

Stages and engines (command-line options):

* ``--dynamodel-stage NAME``: every table the fixtures create is named ``<app>-<NAME>-<unique>``.
  In CI it defaults to the build's id (GitHub Actions, GitLab, CircleCI, Jenkins: see
  :mod:`dynamodel.testing.stages`), so parallel builds never share a table and every item a
  test writes can be traced to its build.
* ``--dynamodel-endpoint embedded|URL``: ``embedded`` (default) starts moto's server here; a URL
  runs the same tests against another engine over HTTP (DynamoDB Local, a shared server).

Profiles: the plugin registers the hypothesis profiles ``fast`` (the machine runs 15 test
cases of 30 steps per app, as under hypothesis's ``ci`` profile) and ``thorough`` (2,000 test cases of 50 steps) unless your
suite registered its own, and loads ``$HYPOTHESIS_PROFILE`` when set (hypothesis's own
``--hypothesis-profile`` option wins over it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

from dynamodel.app import App
from dynamodel.engine import EmbeddedEngine, EndpointEngine
from dynamodel.errors import RequestError
from dynamodel.runtime.table import Table
from dynamodel.testing.blocking import LoopThread, connect_blocking, open_client
from dynamodel.testing.inprocess import create_test_table, new_stage
from dynamodel.testing.machine import run_app_machine
from dynamodel.testing.stages import session_stage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

MakeTable = Callable[..., Table]
RunMachine = Callable[..., None]
PROFILES = {"fast": 60, "thorough": 2000}
"""max_examples of the profiles the plugin registers (the machine caps ``fast`` lower)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--dynamodel-stage`` and ``--dynamodel-endpoint``."""
    group = parser.getgroup("dynamodel")
    group.addoption(
        "--dynamodel-stage",
        default=None,
        help="stage in every test table's name (default: the CI build's id, if any)",
    )
    group.addoption(
        "--dynamodel-endpoint",
        default="embedded",
        help="'embedded' (moto's server, started here) or the URL of another engine",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``fast``/``thorough`` profiles if missing; load ``$HYPOTHESIS_PROFILE``."""
    for name, examples in PROFILES.items():
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(
                name, max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
            )
    wanted = os.environ.get("HYPOTHESIS_PROFILE")
    if wanted and not config.getoption("hypothesis_profile", None):
        settings.load_profile(wanted)


@pytest.fixture(scope="session")
def dynamodel_stage(request: pytest.FixtureRequest) -> str | None:
    """The session's stage: ``--dynamodel-stage``, else the CI build's id, else None."""
    return session_stage(request.config.getoption("dynamodel_stage", None), os.environ)


@pytest.fixture(scope="session")
def dynamodel_engine(request: pytest.FixtureRequest) -> Iterator[EmbeddedEngine | EndpointEngine]:
    """moto's DynamoDB server on 127.0.0.1 for the whole session, or ``--dynamodel-endpoint URL``."""
    where = request.config.getoption("dynamodel_endpoint", "embedded") or "embedded"
    if where != "embedded":
        yield EndpointEngine(where)
        return
    with EmbeddedEngine() as engine:
        yield engine


@pytest.fixture(scope="session")
def dynamodel_client(dynamodel_engine: EmbeddedEngine | EndpointEngine) -> DynamoDBClient:
    """A boto3 DynamoDB client on the session's engine (thread-safe, shared)."""
    client: DynamoDBClient = dynamodel_engine.client()
    return client


@pytest.fixture(scope="session")
def dynamodel_loop() -> Iterator[LoopThread]:
    """An event loop in a thread of its own, serving the async tables of the session."""
    loop = LoopThread()
    yield loop
    loop.stop()


@pytest.fixture
def dynamodel_table(
    dynamodel_engine: EmbeddedEngine | EndpointEngine,
    dynamodel_client: DynamoDBClient,
    dynamodel_stage: str | None,
    request: pytest.FixtureRequest,
) -> Iterator[MakeTable]:
    """``dynamodel_table(app, stage=None, runtime="sync", **connect_options)``: a fresh table for
    ``app``, dropped after; ``runtime="async"`` connects it through aiobotocore (blocking view).

    Named ``<app>-<stage>-<unique>`` with the session's stage, ``<app>-<stage>`` with the one given.

    Example:
        >>> def test_orders(dynamodel_table):  # doctest: +SKIP
        ...     table = dynamodel_table(shop)
        ...     table.create(Customer(customer_id="c1", email="a@x", name="A", order_count=0))
    """
    created: list[str] = []
    closers: list[Callable[[], None]] = []

    def make(app: App, stage: str | None = None, runtime: str = "sync", **connect_options: Any) -> Any:
        if stage is None and dynamodel_stage is not None:
            stage = f"{dynamodel_stage}-{new_stage()}"
        table = create_test_table(app, dynamodel_client, stage, **connect_options)
        created.append(table.name)
        if runtime == "sync":
            return table
        if runtime != "async":
            msg = f"runtime={runtime!r} is not a runtime"
            raise RequestError(msg, hint="pass 'sync' (boto3) or 'async' (aiobotocore)")
        loop: LoopThread = request.getfixturevalue("dynamodel_loop")
        client, close = open_client(loop, dynamodel_engine.async_client())
        closers.append(close)
        return connect_blocking(loop, app, table, client, **connect_options)

    yield make
    for close in closers:
        close()
    for name in created:
        dynamodel_client.delete_table(TableName=name)


@pytest.fixture
def dynamodel_machine(
    dynamodel_engine: EmbeddedEngine | EndpointEngine, dynamodel_stage: str | None
) -> RunMachine:
    """``dynamodel_machine(app, settings=None, **options)``: run the app's machine over HTTP.

    Its tables carry the session's stage (``<app>-<stage>-<unique>``), like ``dynamodel_table``'s.
    ``options`` go to :func:`~dynamodel.testing.machine.app_machine` (``runtime="async"``: its
    aiobotocore client talks to the session's engine).

    Example:
        >>> def test_shop_patterns(dynamodel_machine):  # doctest: +SKIP
        ...     dynamodel_machine(shop)
    """

    def run(app: App, **options: Any) -> None:
        options.setdefault("client_factory", dynamodel_engine.client)
        options.setdefault("stage", dynamodel_stage)
        run_app_machine(app, **options)

    return run
