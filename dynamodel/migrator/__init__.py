"""The migration runner: applies the revisions of ``migrations/`` to a live table.

Online (every write conditioned on the item read, so application writes are never
overwritten), resumable (checkpoints per operation and scan segment in the table), one
runner at a time (a lease item), paced (a write-unit budget, backoff on throttling). The
plan comes from :mod:`dynamodel.migrate` (pure); this package is the shell that talks to
DynamoDB.
"""

from dynamodel.migrator.runner import MigrationRunner, OpReport, RevisionReport, Status
from dynamodel.migrator.worker import SegmentJob, SegmentReport, Worker

__all__ = ["MigrationRunner", "OpReport", "RevisionReport", "SegmentJob", "SegmentReport", "Status", "Worker"]
