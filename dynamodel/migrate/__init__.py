"""Design evolution: the lock (the deployed design) and, from it, migrations.

Pure parts only so far: :mod:`dynamodel.migrate.lock` renders and reads ``dynamodel.lock.json``.
"""

from dynamodel.migrate.lock import LOCK_NAME, Lock, lock_changes, parse_lock, render_lock

__all__ = ["LOCK_NAME", "Lock", "lock_changes", "parse_lock", "render_lock"]
