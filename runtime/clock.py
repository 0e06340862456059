"""Where the simulator's time comes from: the wall clock, or a manual clock that tests advance."""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since some fixed origin."""
        ...


class RealClock:
    """Wall-clock time, so that jobs kept in a state file go on across restarts."""

    manual = False

    def now(self) -> float:
        return time.time()


class ManualClock:
    """Time that moves only when told to: tests run jobs to any point without sleeping."""

    manual = True

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError("a clock moves forward by a finite number of seconds")
        with self._lock:
            self._now += seconds
            return self._now
