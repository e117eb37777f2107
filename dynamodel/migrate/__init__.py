"""Design evolution: the lock (the deployed design), and the operations that migrate a table.

Pure so far: :mod:`~dynamodel.migrate.lock` renders and reads ``dynamodel.lock.json``;
:mod:`~dynamodel.migrate.diff` compares the locked design with a new one and gives the
:mod:`~dynamodel.migrate.ops` (each with its ``reverse()``) that a runner will apply.
"""

from dynamodel.migrate.diff import diff_designs
from dynamodel.migrate.lock import LOCK_NAME, Lock, lock_changes, parse_lock, render_lock

__all__ = ["LOCK_NAME", "Lock", "diff_designs", "lock_changes", "parse_lock", "render_lock"]
