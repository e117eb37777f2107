"""The migration fan-out on moto: the emitted state machine runs the shop's migrations.

moto 5.2.5 executes Step Functions state machines (Distributed Map included) in process,
but runs Lambda code only in Docker; the ``lambdas`` fixture answers each Lambda call in
process instead, with the entry points of :mod:`dynamodel.migrator.fanout`, as Lambda
would: the payload and the answer go through JSON, and an exception becomes a function
error whose ``errorType`` is the exception's class name (what Retry and Catch match).

Engine assumed: ``moto.mock_aws`` in process, DynamoDB through the in-process engine (each
request applied atomically); dummy credentials, nothing leaves the process.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import botocore_stubber
from moto.dynamodb import models as moto_dynamodb
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from paths import REPO

from access_patterns.shop import Customer, Order, OrderLine
from access_patterns.shop import shop as v1
from access_patterns.shop_versions.v2 import shop as v2
from access_patterns.shop_versions.v3 import shop as v3
from dynamodel.emit.stepfunctions import map_concurrency, render_migrate_stack, worker_budget
from dynamodel.engine import client_config, serial_lock
from dynamodel.errors import MigrationError, ThrottledError
from dynamodel.layout import MIGRATION_TYPE, TYPE_ATTR
from dynamodel.migrate.revisions import Revision, load_history
from dynamodel.migrator import fanout
from dynamodel.migrator.bookkeeping import LEASE_SK, Books
from dynamodel.migrator.checks import verify
from dynamodel.migrator.runner import MigrationRunner
from dynamodel.testing.stored_checks import scan_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.integration

ACCOUNT, REGION, STAGE = "123456789012", "us-east-1", "ci"
CUSTOMERS, ORDERS = 40, 60
Entry = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="module")
def history() -> list[Revision]:
    return load_history(REPO / "migrations")


class _BackupOnce:
    """moto's ``copy`` for its DynamoDB backend: a transaction backs each table up once.

    moto deep-copies the whole table for every action of a transaction (a checkpoint has
    two), which takes most of this file's time; one copy per table, taken before any action
    runs as moto's are, restores the same state.
    """

    def __init__(self) -> None:
        self.memo: dict[int, Any] | None = None

    def deepcopy(self, found: Any) -> Any:
        if self.memo is None:
            return copy.deepcopy(found)
        if id(found) not in self.memo:
            self.memo[id(found)] = copy.deepcopy(found)
        return self.memo[id(found)]

    def install(self, patch: pytest.MonkeyPatch) -> None:
        original = DynamoDBBackend.transact_write_items

        def transact(backend: DynamoDBBackend, items: list[dict[str, Any]]) -> None:
            self.memo = {}
            try:
                original(backend, items)
            finally:
                self.memo = None

        patch.setattr(moto_dynamodb, "copy", self)
        patch.setattr(DynamoDBBackend, "transact_write_items", transact)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in process, executing state machines; dummy credentials."""
    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # moto copies the table, stream records included, for every action of a transaction;
    # nothing here reads the stream, and keeping its records makes the test slow.
    monkeypatch.setattr(StreamShard, "add", lambda *_: None)
    _BackupOnce().install(monkeypatch)
    # As DynamoDB does (and the in-process engine, whose clients mock_aws would answer twice):
    # one request at a time, so that concurrent conditional writes cannot both win.
    original = botocore_stubber.process_request

    def atomic(request: Any) -> Any:
        with serial_lock:
            return original(request)

    monkeypatch.setattr(botocore_stubber, "process_request", atomic)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def dynamodb() -> DynamoDBClient:
    found: DynamoDBClient = boto3.client(
        "dynamodb", region_name=REGION, config=client_config(account_id_endpoint_mode="disabled")
    )
    return found


class Lambdas:
    """The Lambda functions moto's Step Functions call, answered in process."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answers: list[tuple[str, Any]] = []
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def invoke(self, parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
        del region, state_credentials
        name = str(parameters["FunctionName"]).rsplit(":", 1)[-1]
        payload = json.loads(parameters["Payload"])
        with self._lock:
            self.calls.append((name, payload))
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            answer: dict[str, Any] = {
                "StatusCode": 200,
                "Payload": json.loads(json.dumps(self.entries[name](payload))),
            }
        except Exception as exc:  # what Lambda answers for an unhandled exception
            error = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            answer = {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": error}
        finally:
            with self._lock:
                self.running -= 1
        with self._lock:
            self.answers.append((name, answer["Payload"]))
        return answer

    def of(self, role: str) -> list[dict[str, Any]]:
        return [p for n, p in self.calls if n == f"shop-migrate-{role}-{STAGE}"]

    def closed(self) -> list[str]:
        """What Prepare said each operation of segments did, in order."""
        return [
            a["closed"] for n, a in self.answers if n.startswith("shop-migrate-prepare") and a.get("closed")
        ]


@pytest.fixture
def lambdas(monkeypatch: pytest.MonkeyPatch) -> Lambdas:
    """Every Lambda call of moto's Step Functions (both task kinds go through this function)."""
    found = Lambdas()
    monkeypatch.setattr(lambda_eval_utils, "_invoke_lambda_function", found.invoke)
    return found


@pytest.fixture(scope="module")
def shop_items() -> list[dict[str, Any]]:
    """A v1 shop written by the v1 code once: customers (and their email guards), orders, a line each."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setattr(StreamShard, "add", lambda *_: None)
        _BackupOnce().install(patch)
        client = dynamodb()
        definition: Any = v1.to_create_table("seed")
        client.create_table(**definition)
        table = v1.connect("seed", client, cursor_secret=b"k" * 32)
        start = datetime(2026, 3, 1, tzinfo=UTC)
        for i in range(CUSTOMERS):
            customer = Customer(
                customer_id=f"c{i:03d}", email=f"u{i}@example.com", name=f"N{i % 7}", order_count=0
            )
            table.create(customer)
        for i in range(ORDERS):
            order = Order(
                order_id=f"o{i:03d}",
                customer_id=f"c{(i * 7) % CUSTOMERS:03d}",
                status="OPEN",
                placed_at=start + timedelta(hours=i),
                total=Decimal("1.5") * (i + 1),
            )
            table.place_order(order, lines=[OrderLine(order_id=order.order_id, line_no=0, sku="S", qty=1)])
        return scan_table(client, "seed")


def seed(client: DynamoDBClient, name: str, items: list[dict[str, Any]]) -> None:
    """A table as the v1 code created it, holding ``items``."""
    definition: Any = v1.to_create_table(name)
    client.create_table(**definition)
    for item in items:
        client.put_item(TableName=name, Item=item)


def contents(client: DynamoDBClient, name: str) -> list[dict[str, Any]]:
    """Every item but the bookkeeping, and the applied revisions without their time."""
    items = scan_table(client, name)
    data = [i for i in items if i[TYPE_ATTR]["S"] != MIGRATION_TYPE]
    books = [
        {k: v for k, v in i.items() if k != "applied_at"}
        for i in items
        if i[TYPE_ATTR]["S"] == MIGRATION_TYPE
    ]
    return sorted(data + books, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def start(
    lambdas: Lambdas, work: fanout.Fanout, template: dict[str, Any], request: dict[str, Any]
) -> dict[str, Any]:
    """Create the state machine from the template's definition, run it, wait for its end."""

    def finish(payload: dict[str, Any]) -> dict[str, Any]:  # finish_handler's choice
        return fanout.abort(payload, work) if "error" in payload else fanout.finish(payload, work)

    entries: dict[str, Entry] = {
        "prepare": lambda payload: fanout.prepare(payload, work),
        "segment": lambda payload: fanout.segment(payload, work),
        "finish": finish,
    }
    arns: dict[str, str] = {}
    for role, entry in entries.items():
        name = f"shop-migrate-{role}-{STAGE}"
        arns[f"{role.capitalize()}FunctionArn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        lambdas.entries.setdefault(name, entry)
    text = json.dumps(template["Resources"]["MigrateStateMachine"]["Properties"]["Definition"])
    for key, arn in arns.items():
        text = text.replace(f"${{{key}}}", arn)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name=f"shop-migrate-{STAGE}-{len(sfn.list_state_machines()['stateMachines'])}",
        definition=text,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/migrate",
    )
    run = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name="run-1", input=json.dumps(request)
    )
    deadline = time.monotonic() + 60
    while (found := sfn.describe_execution(executionArn=run["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end within a minute"
        time.sleep(0.05)
    return dict(found)


def test_the_fan_out_migrates_the_table_as_migrate_up_does(
    aws: None, lambdas: Lambdas, history: list[Revision], shop_items: list[dict[str, Any]]
) -> None:
    client = dynamodb()
    seed(client, "shop-fanout", shop_items)
    seed(client, "shop-runner", shop_items)
    target = history[2].revision  # v1 -> v3: three revisions, six item-level operations
    began = time.monotonic()
    work = fanout.Fanout(client, "shop-fanout", v3.design, history)
    ended = start(lambdas, work, render_migrate_stack(v3.design, segments=4, max_wcu=None), {"to": target})
    took = time.monotonic() - began
    assert ended["status"] == "SUCCEEDED", ended
    MigrationRunner(client, "shop-runner", v3.design, history, segments=1).up(to=target)
    assert contents(client, "shop-fanout") == contents(client, "shop-runner")
    report = verify(client, "shop-fanout", v3.design)
    assert report.problems == []
    assert report.items == CUSTOMERS + 2 * ORDERS  # and a guard per customer, not counted here
    books = Books(client, "shop-fanout", "reader")
    assert [a.revision for a in books.applied()] == [r.revision for r in history[:3]]
    assert books.state() is None
    assert books._get(LEASE_SK) is None  # given back
    calls = lambdas.of("segment")
    assert len(calls) == 6 * 4  # six item-level operations, four segments, a call each
    assert lambdas.peak <= 4
    print(f"fan-out: {len(shop_items)} items, 3 revisions, {len(calls)} segment calls, {took:.1f} s")
    # And back: {"direction": "down"} undoes the last revision once (the first call fixes the target).
    back = start(
        lambdas, work, render_migrate_stack(v3.design, segments=4, max_wcu=None), {"direction": "down"}
    )
    assert back["status"] == "SUCCEEDED", back
    assert [a.revision for a in books.applied()] == [r.revision for r in history[:2]]
    assert verify(client, "shop-fanout", v2.design).problems == []
    indexes = client.describe_table(TableName="shop-fanout")["Table"]["GlobalSecondaryIndexes"]
    assert sorted(g["IndexName"] for g in indexes) == ["GSI1", "GSI2", "GSI3"]


def test_a_segment_that_fails_once_is_retried_and_the_run_completes(
    aws: None, lambdas: Lambdas, history: list[Revision], shop_items: list[dict[str, Any]]
) -> None:
    client = dynamodb()
    seed(client, "shop-retry", shop_items)
    work = fanout.Fanout(client, "shop-retry", v2.design, history, page_size=40)
    failed: list[dict[str, Any]] = []

    def flaky(payload: dict[str, Any]) -> dict[str, Any]:
        answer = fanout.segment(payload, work, out_of_time=lambda: True)  # a page per call
        if not failed and payload["job"]["segment"] == 1 and payload["job"]["op"] == 1:
            failed.append(payload)
            raise ThrottledError("Scan was throttled on every attempt", hint="none: a test")  # the page stays
        return answer

    lambdas.entries[f"shop-migrate-segment-{STAGE}"] = flaky
    target = history[1].revision
    ended = start(lambdas, work, render_migrate_stack(v2.design, segments=2, max_wcu=None), {"to": target})
    assert ended["status"] == "SUCCEEDED", ended
    assert len(failed) == 1
    again = [p for p in lambdas.of("segment") if p["job"] == failed[0]["job"]]
    assert again[:2] == [failed[0], failed[0]]  # retried with the same input, resuming from the checkpoint
    # Exactly: each customer's GSI3 keys written once, the lost call's page included (its
    # checkpoint was saved; had it not been, the page's conditioned writes would find them done).
    fill = history[1].operations[1].describe()
    done = f"{fill}: {CUSTOMERS} item(s) read, {CUSTOMERS} write(s), {CUSTOMERS} WCU"
    assert next(line for line in lambdas.closed() if line.startswith(fill)).startswith(done)
    assert verify(client, "shop-retry", v2.design).problems == []


def test_the_budget_sets_the_maps_concurrency_and_each_workers_pace(
    aws: None, lambdas: Lambdas, history: list[Revision], shop_items: list[dict[str, Any]]
) -> None:
    client = dynamodb()
    seed(client, "shop-paced", shop_items)
    work = fanout.Fanout(client, "shop-paced", v2.design, history)
    template = render_migrate_stack(v2.design, segments=6, max_wcu=500, worker_wcu=200)
    segments = template["Resources"]["MigrateStateMachine"]["Properties"]["Definition"]["States"]["Segments"]
    assert segments["MaxConcurrency"] == map_concurrency(6, 500, 200) == 3
    assert segments["ItemSelector"]["max_wcu"] == worker_budget(500, 3) == pytest.approx(500 / 3)

    def slow(payload: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.05)  # the calls overlap, so that the peak shows the limit
        return fanout.segment(payload, work)

    lambdas.entries[f"shop-migrate-segment-{STAGE}"] = slow
    ended = start(lambdas, work, template, {"to": history[0].revision})
    assert ended["status"] == "SUCCEEDED", ended
    assert lambdas.peak == 3
    assert [p["max_wcu"] for p in lambdas.of("segment")] == [pytest.approx(500 / 3)] * len(
        lambdas.of("segment")
    )
    assert verify(client, "shop-paced", v1.design).problems == []


def test_a_segment_that_keeps_failing_stops_the_run_and_migrate_up_resumes_it(
    aws: None, lambdas: Lambdas, history: list[Revision], shop_items: list[dict[str, Any]]
) -> None:
    client = dynamodb()
    seed(client, "shop-broken", shop_items)
    work = fanout.Fanout(client, "shop-broken", v1.design, history)

    def broken(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["job"]["op"] == 4 and payload["job"]["segment"] == 0:  # filling the copies
            raise MigrationError("the copy path is gone", hint="none: a test")  # not transient
        return fanout.segment(payload, work)

    lambdas.entries[f"shop-migrate-segment-{STAGE}"] = broken
    first = history[0].revision
    ended = start(lambdas, work, render_migrate_stack(v1.design, segments=2, max_wcu=None), {"to": first})
    assert ended["status"] == "FAILED"
    # On AWS the map fails (no failure is tolerated); moto's map ignores ToleratedFailureCount
    # and succeeds, and Prepare then finds the segment's checkpoint unfinished: failed either way.
    assert ended["error"] in ("States.ExceedToleratedFailureThreshold", "MigrationError"), ended
    books = Books(client, "shop-broken", "reader")
    assert books._get(LEASE_SK) is None  # Abort gave the lease back at once
    running = books.state()
    assert running is not None  # the run stays recorded, its finished operations with it
    assert books.op_done(running.run, 3)
    assert not books.op_done(running.run, 4)
    assert len(lambdas.of("finish")) == 1  # Abort, not Finish
    MigrationRunner(client, "shop-broken", v1.design, history, segments=2).up(to=first)
    assert [a.revision for a in books.applied()] == [first]
    assert verify(client, "shop-broken", v1.design).problems == []


def test_prepare_waits_while_the_table_is_busy(
    aws: None, history: list[Revision], shop_items: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = dynamodb()
    seed(client, "shop-busy", shop_items)
    work = fanout.Fanout(client, "shop-busy", v2.design, history)
    applied = Books(client, "shop-busy", "x")
    MigrationRunner(client, "shop-busy", v2.design, history).up(to=history[0].revision)
    ask = {"owner": "run-2", "segments": 2, "request": {}, "previous": {"action": "start"}, "results": []}
    monkeypatch.setattr(fanout, "_busy", lambda *_: True)  # another UpdateTable is still running
    waiting = fanout.prepare(ask, work)
    assert (waiting["action"], waiting["op"], waiting["revision"]) == ("wait", 0, history[1].revision)
    assert "GSI3" not in str(client.describe_table(TableName="shop-busy")["Table"]["GlobalSecondaryIndexes"])
    monkeypatch.undo()
    going = fanout.prepare({**ask, "previous": waiting}, work)  # after the state machine's Wait
    assert (going["action"], going["op"], len(going["jobs"])) == ("segments", 1, 2)
    assert going["target"] == history[-1].revision  # fixed by the first call
    assert "GSI3" in str(client.describe_table(TableName="shop-busy")["Table"]["GlobalSecondaryIndexes"])
    assert applied.state() is not None


def test_the_lambda_handlers_build_their_work_from_the_environment(
    aws: None, history: list[Revision], shop_items: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = dynamodb()
    seed(client, "shop-lambda", shop_items)
    for name, value in (
        ("DYNAMODEL_APP", "access_patterns.shop_versions.v2:shop"),
        ("TABLE_NAME", "shop-lambda"),
        ("DYNAMODEL_MIGRATIONS", str(REPO / "migrations")),
    ):
        monkeypatch.setenv(name, value)

    class Context:  # what Lambda passes: a call that is out of time after its first page
        def get_remaining_time_in_millis(self) -> int:
            return fanout.TIME_MARGIN_MS - 1

    ask = {
        "owner": "run-3",
        "segments": 1,
        "request": {"to": history[0].revision},
        "previous": {"action": "start"},
    }
    step = fanout.prepare_handler({**ask, "results": []}, Context())
    assert step["action"] == "segments"
    (job,) = step["jobs"]
    report = fanout.segment_handler({"job": job, "owner": "run-3"}, Context())
    assert report["seen"] > 0
    assert fanout.finish_handler({"owner": "run-3", "error": {"Error": "X", "Cause": "a test"}}, None) == {
        "released": True
    }
    assert Books(client, "shop-lambda", "x")._get(LEASE_SK) is None
