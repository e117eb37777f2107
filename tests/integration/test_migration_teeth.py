"""The migration tests have teeth: each planted runner bug makes a runner test fail.

Every test plants one realistic bug (monkeypatched for the test only) and runs the runner test
built to catch it on a fresh table: an unconditioned fill overwrites keys the application just
changed; a checkpoint saved before its page's writes makes a resumed runner skip items; a lease
renewed without its owner check lets a runner that lost it keep recording progress.

Engine assumed: moto in process (``InProcessEngine``).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import test_migrate_runner as runner_tests

from dynamodel.compile import Condition
from dynamodel.migrate import steps
from dynamodel.migrator.bookkeeping import Books, Checkpoint
from dynamodel.migrator.worker import SegmentJob, SegmentReport, Worker
from dynamodel.testing.inprocess import InProcessEngine, new_stage

pytestmark = pytest.mark.integration


def unconditioned_fill(mp: pytest.MonkeyPatch) -> None:
    """The runner's item writes are sent without checking the item is still the one it read."""
    always = Condition("attribute_exists(#pk) OR attribute_not_exists(#pk)", {"#pk": "PK"}, {})
    mp.setattr(steps, "_unchanged", lambda item: always)


def checkpoint_before_writes(mp: pytest.MonkeyPatch) -> None:
    """A page's checkpoint is saved as soon as the page is read, before its items are written."""
    run_segment, call = Worker.run_segment, Worker._call

    def remember(self: Worker, job: SegmentJob) -> SegmentReport:
        self.__dict__["job"] = job
        return run_segment(self, job)

    def early(self: Worker, operation: str, request: Any) -> Any:
        result = call(self, operation, request)
        job = self.__dict__.get("job")
        if operation == "Scan" and job is not None and not self.dry_run:
            cp = self.books.checkpoint(job.run, job.op_index, job.segment)
            last = result.get("LastEvaluatedKey")
            done = Checkpoint(last, last is None, cp.seen, cp.written, cp.units)
            self.books.save_checkpoint(job.run, job.op_index, job.segment, done)
        return result

    mp.setattr(Worker, "run_segment", remember)
    mp.setattr(Worker, "_call", early)


def unchecked_lease(mp: pytest.MonkeyPatch) -> None:
    """The lease is renewed with every checkpoint, but nobody checks it is still this runner's."""

    def renewal(self: Books) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"PK": {"S": "_MIGRATION#"}, "SK": {"S": "LEASE#"}},
                "UpdateExpression": "SET #exp = :exp",
                "ExpressionAttributeNames": {"#exp": "expires"},
                "ExpressionAttributeValues": {":exp": {"N": "0"}},
            }
        }

    mp.setattr(Books, "_renewal", renewal)


def _fails(test: Any, *args: Any) -> str:
    """Run one of the runner's tests on a fresh table of its own; what it failed with."""
    client = InProcessEngine().client()
    table = f"club-{new_stage()}"
    client.create_table(**runner_tests.V1.to_create_table(table))
    with pytest.raises((AssertionError, pytest.fail.Exception)) as info:
        test(client, table, *args)
    return str(info.value)


def test_an_unconditioned_fill_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    unconditioned_fill(monkeypatch)
    # The application moved two members just before the runner's writes: the runner, sending
    # keys rendered from what it had read, put them back in their old city's partition.
    failure = _fails(runner_tests.test_an_application_write_between_scan_and_fill_is_never_overwritten)
    assert "conflicts" in failure or "in_moved" in failure, failure


def test_a_checkpoint_saved_before_its_writes_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint_before_writes(monkeypatch)
    # Killed between a page's early checkpoint and its writes, the runner that resumes skips them.
    resumed = runner_tests.test_a_runner_killed_anywhere_is_resumed_by_another_once_its_lease_expires
    failures = []
    for calls in range(20, 100, 9):
        with contextlib.suppress(pytest.fail.Exception):
            failures.append(_fails(resumed, calls))
    assert failures, "no crash point found the skipped items"
    assert any("lacks its" in f for f in failures), failures  # verify: the skipped items lack the keys


def test_a_lease_that_is_not_checked_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    unchecked_lease(monkeypatch)
    failure = _fails(runner_tests.test_a_runner_that_lost_its_lease_records_nothing)
    assert "DID NOT RAISE" in failure, failure
