"""What leaves the public API is a DynamodelError: page sizes, cursor secrets, and the loud
warning that the default cursor secret is public.

Engine assumed: moto's ThreadedMotoServer on 127.0.0.1 (the session's embedded engine).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from paths import REPO
from shop_world import seed

from access_patterns.battle_royale import battle_royale
from access_patterns.shop import Order, shop
from dynamodel.errors import RequestError
from dynamodel.runtime import connect as connect_module
from dynamodel.runtime.connect import connect
from dynamodel.runtime.table import Table
from dynamodel.testing.pytest_plugin import MakeTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = [pytest.mark.integration, pytest.mark.both_runtimes]

SECRET = b"0123456789abcdef0123456789abcdef"
BAD_LIMITS: list[Any] = [5.5, "5", 0, -1, True, False, float("nan"), Decimal(5)]


def _reads(table: Table, limit: Any) -> list[Callable[[], object]]:
    """Every way a paged read takes a page size."""
    return [
        lambda: table.orders_of_customer(customer_id="c1", limit=limit),
        lambda: table.open_orders_by_date(limit=limit),  # sharded: one Query per shard
        lambda: list(table.orders_of_customer.iterate(customer_id="c1", limit=limit)),
        lambda: list(table.orders_of_customer.pages(customer_id="c1", limit=limit)),
        lambda: table.orders_of_customer.params(customer_id="c1", limit=limit),
        lambda: table.collection("customer_with_recent_orders", customer_id="c1", limit=limit),
        lambda: table.query(Order, "orders_of_customer", customer_id="c1", limit=limit),
    ]


def test_a_bad_page_size_is_a_request_error(make_table: MakeTable) -> None:
    table = make_table(shop, cursor_secret=SECRET)
    for limit in BAD_LIMITS:
        for read in _reads(table, limit):
            with pytest.raises(RequestError, match="limit") as info:
                read()
            assert "whole number >= 1" in (info.value.hint or "")
    for read in _reads(table, 3):  # the same calls with a good limit work
        read()


def test_a_bad_page_size_of_a_scan_is_a_request_error(make_table: MakeTable) -> None:
    table = make_table(battle_royale, cursor_secret=SECRET)
    for limit in BAD_LIMITS:
        with pytest.raises(RequestError, match="limit"):
            table.ap5_open_games(limit=limit)
    table.ap5_open_games(limit=2)


# ---- cursor secrets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "hint"),
    [("s3cret", ".encode()"), (b"", "os.urandom(32)"), ("", "os.urandom(32)"), (42, "os.urandom(32)")],
)
def test_a_bad_cursor_secret_is_refused_at_connect(client: DynamoDBClient, secret: Any, hint: str) -> None:
    makers: list[Callable[[], object]] = [
        lambda: shop.connect("t", client, cursor_secret=secret),
        lambda: connect(shop.design, shop.models, "t", client, cursor_secret=secret),
    ]
    for make in makers:
        with pytest.raises(RequestError, match="cursor_secret") as info:
            make()
        assert hint in (info.value.hint or "")


def test_a_bytes_secret_signs_cursors(make_table: MakeTable) -> None:
    table = make_table(shop, cursor_secret=bytearray(SECRET))
    other = shop.connect(table.name, table.client, cursor_secret=SECRET)
    seed(table)
    page = table.orders_of_customer(customer_id="c1", limit=1)
    assert page.cursor is not None
    assert other.orders_of_customer(customer_id="c1", limit=1, cursor=page.cursor) is not None


# ---- the default secret is public: said once per app and table -------------------------------


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DYNAMODEL_CURSOR_SECRET", raising=False)
    monkeypatch.setattr(connect_module, "_WARNED", set())


def test_no_secret_warns_once_per_app_and_table(client: DynamoDBClient, fresh_warnings: None) -> None:
    from dynamodel.errors import DynamodelWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shop.connect("orders-prod", client)
        shop.connect("orders-prod", client)
        connect(shop.design, shop.models, "orders-prod", client)
        shop.connect("orders-staging", client)
    assert all(issubclass(w.category, DynamodelWarning) for w in caught)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2, messages
    assert "forge" in messages[0]
    assert "cursor_secret" in messages[0]
    assert "DYNAMODEL_CURSOR_SECRET" in messages[0]
    assert caught[0].filename == __file__  # points at the caller's connect


def test_a_secret_or_the_environment_keeps_it_quiet(
    client: DynamoDBClient, fresh_warnings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shop.connect("quiet", client, cursor_secret=SECRET)
        monkeypatch.setenv("DYNAMODEL_CURSOR_SECRET", "from-the-environment")
        shop.connect("quiet-too", client)


def test_the_environment_secret_signs_cursors(
    make_table: MakeTable, fresh_warnings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = make_table(shop, cursor_secret=b"from-the-environment")
    seed(table)
    page = table.orders_of_customer(customer_id="c1", limit=1)
    assert page.cursor is not None
    monkeypatch.setenv("DYNAMODEL_CURSOR_SECRET", "from-the-environment")
    same = shop.connect(table.name, table.client)
    same.orders_of_customer(customer_id="c1", limit=1, cursor=page.cursor)
    monkeypatch.setenv("DYNAMODEL_CURSOR_SECRET", "another")
    with pytest.raises(RequestError, match="signature"):
        shop.connect(table.name, table.client).orders_of_customer(
            customer_id="c1", limit=1, cursor=page.cursor
        )


def test_the_warning_reaches_stderr_of_a_plain_program() -> None:
    code = (
        "import boto3\n"
        "from access_patterns.shop import shop\n"
        "client = boto3.client('dynamodb', region_name='us-east-1', endpoint_url='http://127.0.0.1:9',"
        " aws_access_key_id='x', aws_secret_access_key='x')\n"
        "shop.connect('prod', client)\n"
        "shop.connect('prod', client)\n"
    )
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert done.stderr.count("DynamodelWarning") == 1, done.stderr


# ---- the other connect arguments ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "needle", "fix"),
    [
        ({"client": None}, "client", 'boto3.client("dynamodb"'),
        ({"client": "us-east-1"}, "client", 'boto3.client("dynamodb"'),
        ({"max_workers": 0}, "max_workers", "whole number >= 1"),
        ({"max_workers": "2"}, "max_workers", "whole number >= 1"),
        ({"max_workers": True}, "max_workers", "whole number >= 1"),
        ({"backoff": None}, "backoff", "Backoff("),
    ],
    ids=repr,
)
def test_bad_connect_arguments_are_refused_at_connect(
    client: DynamoDBClient, kwargs: dict[str, Any], needle: str, fix: str
) -> None:
    options: dict[str, Any] = {"client": client, "cursor_secret": SECRET, **kwargs}
    with pytest.raises(RequestError, match=needle) as info:
        connect(shop.design, shop.models, "t", **options)
    assert fix in (info.value.hint or ""), info.value.hint
