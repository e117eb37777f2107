"""Exponential backoff with full jitter: how long to wait before each retry.

Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): before retry
``n`` (0-based) sleep a uniform random time in ``[0, min(cap, base * 2**n))``.
``sleep`` and ``rand`` are injectable so that tests never really sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dynamodel.errors import RequestError


@dataclass(frozen=True)
class Backoff:
    """How often and how long to wait between attempts.

    Attributes:
        base: the first retry's maximum delay, in seconds.
        cap: no delay exceeds this many seconds.
        attempts: total attempts, the first one included (>= 1).
        sleep: called with the delay; ``time.sleep`` by default.
        rand: returns a float in [0, 1); ``random.random`` by default.
    """

    base: float = 0.05
    cap: float = 2.0
    attempts: int = 8
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    rand: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            msg = f"Backoff(attempts={self.attempts}) would never call DynamoDB"
            raise RequestError(msg, hint="pass attempts >= 1 (1 means no retries)")
        if self.base < 0 or self.cap < 0:
            msg = f"Backoff(base={self.base}, cap={self.cap}) has a negative delay"
            raise RequestError(msg, hint="pass base >= 0 and cap >= 0 seconds")

    def delay(self, retry: int) -> float:
        """The (jittered) delay before retry number ``retry`` (0 for the first retry)."""
        ceiling = self.cap if retry >= 63 else min(self.cap, self.base * (2**retry))
        return self.rand() * ceiling

    def pause(self, retry: int) -> None:
        """Sleep before retry number ``retry``."""
        self.sleep(self.delay(retry))


DEFAULT_BACKOFF = Backoff()
