"""The migration property test has teeth: each planted runner bug makes it fail.

Every test plants one realistic bug (monkeypatched for the test only) and runs the migration
machine of one edit with a fixed seed (``derandomize``), without shrinking (only the failure
matters here; the migration property test shrinks its own). The lease bug shows in the runner
test built for it: the machine runs one runner at a time.

Engine assumed: moto in process (``InProcessEngine``).
"""

from __future__ import annotations

from typing import Any

import pytest
import test_migrate_runner as runner_tests
from hypothesis import Phase
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test
from test_migration_machine import machine_for

from dynamodel.compile import Condition
from dynamodel.migrate import steps
from dynamodel.migrator.bookkeeping import Books, Checkpoint
from dynamodel.migrator.worker import SegmentJob, SegmentReport, Worker
from dynamodel.testing import machine_settings
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


def _machine_fails(name: str) -> str:
    settings = machine_settings(
        max_examples=12, stateful_step_count=40, derandomize=True, phases=[Phase.generate], database=None
    )
    with pytest.raises((AssertionError, Flaky)) as info:
        run_state_machine_as_test(machine_for(name), settings=settings)
    return str(info.value)


def test_an_unconditioned_fill_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    unconditioned_fill(monkeypatch)
    # A key rendered from a value that had changed: read back wrong, or parsed against the item.
    failure = _machine_fails("tickets")
    assert "items differ" in failure or "key says" in failure, failure


def test_a_checkpoint_saved_before_its_writes_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint_before_writes(monkeypatch)
    assert "lacks its" in _machine_fails("shop")  # items the resumed runner skipped


def test_a_lease_that_is_not_checked_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    unchecked_lease(monkeypatch)
    client = InProcessEngine().client()
    table = f"club-{new_stage()}"
    client.create_table(**runner_tests.V1.to_create_table(table))
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        runner_tests.test_a_runner_that_lost_its_lease_records_nothing(client, table)
