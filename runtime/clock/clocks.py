"""Where the simulator's time comes from: the wall clock, or a manual clock that tests advance."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since some fixed origin."""
        ...


class RealClock:
    """Wall-clock time, so that jobs kept in a state file go on across restarts; with a `rate` other than
    1, time since the clock was made runs that many times faster (soak tests: --clock-rate)."""

    def __init__(self, rate: float = 1.0) -> None:
        self.rate = rate
        self.origin = time.time()

    def now(self) -> float:
        if self.rate == 1.0:
            return time.time()
        return self.origin + (time.time() - self.origin) * self.rate


MAX_TIME = 1e12  # seconds, some 30,000 years: far enough, and far from float overflow


class ManualClock:
    """Time that moves only when told to: tests run jobs to any point without sleeping."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            now = self._now + seconds
            if not (seconds >= 0 and now <= MAX_TIME):
                raise ValueError(f"a clock moves forward, and not beyond {MAX_TIME:g} s")
            self._now = now
            return now
