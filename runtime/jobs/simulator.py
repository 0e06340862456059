"""The job simulator: the emulator's state (jobs and how they progress), apart from any protocol.

A job's progress is not stored: it follows from its start time, its scenario and the clock, so that
reading a job costs the same with ten jobs or a million and a manual clock moves every job at once.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol

from ..clock.clocks import Clock


@dataclass(frozen=True, slots=True)
class Scenario:
    """How a job unfolds: its duration, its final status (the spec's success status, or a failure), where
    it fails, whether it ever ends."""

    duration: float
    status: str
    fail_at: int | None = None
    never_finish: bool = False

    def __post_init__(self) -> None:
        # Checked here, for every source alike (control API, fleet file, Python): a value of the wrong type
        # would otherwise be served as it is (a status of 5, a progress of 50.5).
        if not (_is_number(self.duration) and math.isfinite(self.duration) and self.duration >= 0):
            raise ValueError(f"duration must be a finite number of seconds >= 0, not {self.duration!r}")
        if not (isinstance(self.status, str) and self.status):
            raise ValueError(f"status must be a non-empty string, not {self.status!r}")
        if self.fail_at is not None and not (
            isinstance(self.fail_at, int) and not isinstance(self.fail_at, bool) and 0 <= self.fail_at <= 100
        ):
            raise ValueError(f"fail_at must be a whole progress from 0 to 100, not {self.fail_at!r}")
        if not isinstance(self.never_finish, bool):
            raise ValueError(f"never_finish must be true or false, not {self.never_finish!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class JobState:
    """What a job shows at one instant."""

    progress: int
    status: str
    running: bool


@dataclass(slots=True)
class Job:
    id: str
    started: float
    scenario: Scenario
    data_types: tuple[str, ...] = ()
    cancelled_at: float | None = None
    type: str | None = None  # the job type the spec's job behaviour names (None: a backup job)


class StoreUnavailable(Exception):
    """A JobStore cannot make a change now (its file is locked by another process): nothing changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobStore(Protocol):
    """Where jobs are kept beyond memory (see store.py); every change goes through it, and a change it
    cannot make now raises StoreUnavailable."""

    def load(self) -> list[Job]: ...
    def add(self, job: Job) -> None: ...
    def cancel(self, job: Job) -> None: ...
    def update(self, job: Job) -> None: ...
    def remove(self, job_ids: Iterable[str]) -> None: ...
    def clear(self) -> None: ...


# How many jobs one creation looks at, at most, when the simulator is over its limit.
EVICTION_SCAN = 64


class JobSimulator:
    """Every job of one emulated device, safe to use from many threads.

    Beyond `max_jobs`, each creation evicts the oldest finished jobs, so memory stays bounded;
    running jobs are never evicted. Eviction is O(1) amortised: jobs are looked at from the oldest; one
    found running moves to a queue of its own, which each creation looks at once (its head goes to its
    tail while still running), so running jobs never stop the eviction of the finished ones behind them.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        default_duration: float,
        success_status: str,
        running_status: str,
        failure_status: str,
        cancelled_status: str,
        max_jobs: int = 1_000_000,
        store: JobStore | None = None,
    ) -> None:
        self.clock = clock
        self.default_scenario = Scenario(default_duration, success_status)
        self.success_status = success_status
        self.running_status = running_status
        self.failure_status = failure_status
        self.cancelled_status = cancelled_status
        self.max_jobs = max_jobs
        self.store = store
        self._jobs: dict[str, Job] = {}
        self._order: deque[str] = deque()  # ids, oldest first: eviction pops from the left in O(1)
        self._running: deque[str] = deque()  # ids found running when eviction looked at them
        self._lock = threading.Lock()
        for job in store.load() if store is not None else ():
            self._jobs[job.id] = job
            self._order.append(job.id)

    def create(
        self, scenario: Scenario | None = None, data_types: tuple[str, ...] = (), job_type: str | None = None
    ) -> Job:
        job = Job(
            str(uuid.uuid4()),
            self.clock.now(),
            scenario or self.default_scenario,
            tuple(data_types),
            type=job_type,
        )
        with self._lock:
            if self.store is not None:
                self.store.add(job)
            self._jobs[job.id] = job
            self._order.append(job.id)
            if len(self._jobs) > self.max_jobs:
                self._evict()
        return job

    def _evict(self) -> None:
        evicted, order, running, jobs = [], self._order, self._running, self._jobs
        for step in range(EVICTION_SCAN):
            if len(jobs) <= self.max_jobs:
                break
            if running and (step == 0 or not order):
                job_id = running.popleft()  # found running before: maybe finished by now
            elif order:
                job_id = order.popleft()
            else:
                break
            job = jobs.get(job_id)
            if job is None:
                continue
            if self.state(job).running:
                running.append(job_id)
                continue
            del jobs[job_id]
            evicted.append(job_id)
        if evicted and self.store is not None:
            try:
                self.store.remove(evicted)
            except StoreUnavailable:
                pass  # the rows stay in the file; the jobs are gone from memory, the creation stands

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id.lower())

    def jobs(self) -> Iterator[Job]:
        with self._lock:
            return iter(list(self._jobs.values()))

    def reset(self) -> int:
        """Forget every job; answers how many there were."""
        with self._lock:
            count = len(self._jobs)
            self._jobs.clear()
            self._order.clear()
            self._running.clear()
            if self.store is not None:
                self.store.clear()
        return count

    def cancel(self, job: Job) -> bool:
        """Stop a running job where it is; False when it is no longer running."""
        with self._lock:
            if not self.state(job).running:
                return False
            job.cancelled_at = self.clock.now()
            if self.store is not None:
                try:
                    self.store.cancel(job)
                except StoreUnavailable:
                    job.cancelled_at = None
                    raise
        return True

    def fail_running(self) -> int:
        """End every running job with the failure status, where it is now (a device reboot kills what
        was running); answers how many ended."""
        ended, jobs = 0, list(self.jobs())
        with self._lock:
            for job in jobs:
                state = self.state(job)
                if not state.running:
                    continue
                before = job.scenario
                job.scenario = Scenario(before.duration, self.failure_status, state.progress)
                if self.store is not None:
                    try:
                        self.store.update(job)
                    except StoreUnavailable:
                        job.scenario = before
                        raise
                ended += 1
        return ended

    def state(self, job: Job) -> JobState:
        """The job's progress and status now."""
        if job.cancelled_at is not None:
            return JobState(self._running_state(job, job.cancelled_at).progress, self.cancelled_status, False)
        return self._running_state(job, self.clock.now())

    def _running_state(self, job: Job, now: float) -> JobState:
        scenario = job.scenario
        elapsed = now - job.started
        if elapsed >= scenario.duration:
            progress = 100
        else:  # elapsed < duration: the ratio is below 100 and cannot overflow, however small duration is
            progress = max(0, int(elapsed * 100 / scenario.duration))
        if scenario.fail_at is not None and progress >= scenario.fail_at:
            failed = scenario.status if scenario.status != self.success_status else self.failure_status
            return JobState(scenario.fail_at, failed, False)
        if scenario.never_finish:
            return JobState(min(progress, 99), self.running_status, True)
        if progress >= 100:
            return JobState(100, scenario.status, False)
        return JobState(progress, self.running_status, True)
