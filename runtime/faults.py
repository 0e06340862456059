"""Fault injection and the request journal: what a test asks of the emulator to see how a client copes,
and what it reads back to check what the client sent."""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from ..generated.handler import BASE_PATH, Request

from .camel import camel_keys

MAX_LATENCY = 3600.0  # seconds: a longer wait is a dropped connection, which drop_rate says better


@dataclass(frozen=True, slots=True)
class Fault:
    """A misbehaviour of the device API for the requests that match `path` (a glob below the base
    path, e.g. /system/backup/jobs/*) and `method` (None: any)."""

    path: str = "*"
    method: str | None = None
    latency: float = 0.0  # seconds added to each answer ...
    latency_max: float | None = None  # ... or a random delay from latency to latency_max
    error_rate: float = 0.0  # share of requests answered with `status`
    status: int = 503
    retry_after: int | None = None  # seconds, sent as Retry-After with injected errors
    drop_rate: float = 0.0  # share of requests whose connection is closed without an answer

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        latencies = (self.latency,) if self.latency_max is None else (self.latency, self.latency_max)
        if not all(0 <= x <= MAX_LATENCY for x in latencies) or max(latencies) != latencies[-1]:
            raise ValueError(
                f"latency must be from 0 to {MAX_LATENCY} s, and latency_max from latency to {MAX_LATENCY} s"
            )
        if not 400 <= self.status <= 599:
            raise ValueError("status must be an error status, 400 to 599")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must be >= 0")

    def matches(self, method: str, local_path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and fnmatch.fnmatchcase(
            local_path, self.path
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """What the faults make of one request."""

    delay: float = 0.0
    error: Fault | None = None
    drop: bool = False


class FaultInjector:
    """The active faults; random choices come from one seeded generator, so a run can be repeated."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: dict[int, Fault] = {}
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> int:
        with self._lock:
            fault_id = next(self._ids)
            self._faults[fault_id] = fault
        return fault_id

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault_document(fault_id, fault) for fault_id, fault in self._faults.items()]

    def decide(self, request: Request) -> Decision:
        if not self._faults:
            return Decision()
        path = request.target.partition("?")[0]
        local = path[len(BASE_PATH) :].rstrip("/") if path.startswith(BASE_PATH) else path
        delay, error, drop = 0.0, None, False
        with self._lock:
            for fault in self._faults.values():
                if not fault.matches(request.method, local):
                    continue
                high = fault.latency if fault.latency_max is None else fault.latency_max
                delay += self._random.uniform(fault.latency, high) if high > fault.latency else fault.latency
                drop = drop or (fault.drop_rate > 0 and self._random.random() < fault.drop_rate)
                if error is None and fault.error_rate > 0 and self._random.random() < fault.error_rate:
                    error = fault
        return Decision(delay, error, drop)


def fault_document(fault_id: int, fault: Fault) -> dict[str, Any]:
    """A fault as the control API shows it."""
    return {"id": fault_id, **camel_keys(asdict(fault))}


class RequestJournal:
    """The last requests of the device API, as sent, for tests to assert on."""

    def __init__(self, size: int = 1000, max_body: int = 64 * 1024) -> None:
        self._entries: deque[tuple[float, Request, int]] = deque(maxlen=size)
        self.max_body = max_body

    def record(self, request: Request, status: int) -> None:
        # Kept as it came (its body cut to max_body); made into documents only when read.
        if len(request.body) > self.max_body:
            request = Request(request.method, request.target, request.headers, request.body[: self.max_body])
        self._entries.append((time.time(), request, status))

    def entries(self) -> list[dict[str, Any]]:
        documents = []
        for when, request, status in list(self._entries):
            path, _, query = request.target.partition("?")
            documents.append(
                {
                    "time": when,
                    "method": request.method,
                    "path": path,
                    "query": query,
                    "headers": dict(request.headers.items()),
                    "body": request.body.decode("utf-8", "replace"),
                    "status": status,
                }
            )
        return documents

    def clear(self) -> None:
        self._entries.clear()
