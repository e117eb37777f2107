"""A write-unit budget shared by a runner's threads (``--max-wcu``).

A token bucket: it holds at most one second of units and refills at ``units_per_second``;
:meth:`WriteBudget.take` waits until the units are there. Throttling that happens anyway
(other writers share the table) is retried with full-jitter backoff by the calls themselves
(:func:`dynamodel.runtime.retry.retry_throttled`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dynamodel.errors import MigrationError

__all__ = ["WriteBudget"]


@dataclass
class WriteBudget:
    """At most ``units_per_second`` write units per second, across threads.

    ``clock``/``sleep`` are injectable so that tests do not wait.
    """

    units_per_second: float
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    waited: float = 0.0

    def __post_init__(self) -> None:
        if not self.units_per_second > 0:
            msg = f"a write budget of {self.units_per_second} units per second lets nothing through."
            raise MigrationError(msg, hint="pass --max-wcu greater than 0 (or leave it out for no limit)")
        self._lock = threading.Lock()
        self._tokens = self.units_per_second
        self._at = self.clock()

    def take(self, units: int) -> None:
        """Wait until ``units`` write units fit the budget, then spend them."""
        while True:
            with self._lock:
                now = self.clock()
                self._tokens = min(
                    self.units_per_second, self._tokens + (now - self._at) * self.units_per_second
                )
                self._at = now
                # A write bigger than a second of budget goes through once the bucket is full.
                need = min(float(units), self.units_per_second)
                if self._tokens >= need:
                    self._tokens -= units
                    return
                wait = (need - self._tokens) / self.units_per_second
                self.waited += wait
            self.sleep(wait)
