"""Fault injection and the request journal: what a test asks of the emulator to see how a client copes,
and what it reads back to check what the client sent."""

from __future__ import annotations

import base64
import fnmatch
import itertools
import random
import re
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from ...generated.handler import BASE_PATH
from ..core.wire import Request
from ..core.http1 import Headers

from ..core.camel import camel_keys

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


NO_FAULT = Decision()


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
            return NO_FAULT
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


REDACTED = "[redacted]"
TRUNCATED = "...[truncated]"
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})


def redact(name: str, value: str) -> str:
    """A header's value fit to show any user of the control API: credentials keep their scheme (and a
    Basic user name), cookies their names; every secret is replaced by [redacted]."""
    key = name.lower()
    if key in CREDENTIAL_HEADERS:
        scheme, _, credentials = value.strip().partition(" ")
        if scheme.lower() == "basic":
            try:
                user = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                return f"{scheme} {REDACTED}"
            return f"{scheme} {user}:{REDACTED}"
        return f"{scheme} {REDACTED}" if credentials else REDACTED
    if key == "cookie":
        return "; ".join(
            f"{pair.partition('=')[0].strip()}={REDACTED}" for pair in value.split(";") if pair.strip()
        )
    if key == "set-cookie":
        first, separator, attributes = value.partition(";")
        return f"{first.partition('=')[0].strip()}={REDACTED}{separator}{attributes}"
    return value


# What a body that mentions a password is kept as: the user API's bodies carry one (in base64), and the
# journal keeps no secret.
REDACTED_BODY = b"(redacted: the body holds a password)"


def redact_body(body: bytes) -> bytes:
    # bytes.lower folds ASCII only, as a case-insensitive bytes pattern would, and runs in C; a body without
    # a w (most are) is passed at the cost of two byte searches, without a lowered copy.
    if b"w" not in body and b"W" not in body:
        return body
    return REDACTED_BODY if b"password" in body.lower() else body


class RequestJournal:
    """The last requests of the device API, as sent, for tests to assert on: at most `size` entries and
    `max_bytes` bytes; a header value beyond `max_value` bytes, a target beyond `max_value` and a body
    beyond `max_body` are cut (the entry says `truncated`); credentials, cookies and bodies that mention a
    password are redacted."""

    def __init__(
        self, size: int = 1000, max_body: int = 64 * 1024, max_value: int = 4096, max_bytes: int = 8 << 20
    ) -> None:
        # (time, method, target, headers, body, truncated, status, bytes), oldest first.
        self._entries: deque[tuple[float, str, str, dict[str, str], bytes, bool, int, int]] = deque()
        self.size, self.max_body, self.max_value, self.max_bytes = size, max_body, max_value, max_bytes
        self._bytes = 0
        self._lock = threading.Lock()
        # The last header block recorded, and what it was recorded as: a client polling sends the same
        # block again (the request reader shares it), which is redacted and cut once.
        self._last: tuple[Any, dict[str, str], int, bool] = (None, {}, 0, False)

    def _headers(self, request_headers: Any) -> tuple[dict[str, str], int, bool]:
        """The headers as kept (redacted and cut), what they cost in bytes, and whether any was cut."""
        last = self._last
        if last[0] is request_headers:
            return last[1], last[2], last[3]
        truncated = False
        headers: dict[str, str] = {}
        cost = 0
        for name, value in list(request_headers.items())[:200]:
            name, value = name[: self.max_value], redact(name, value)
            if len(value) > self.max_value:
                value, truncated = value[: self.max_value] + TRUNCATED, True
            headers[name] = value
            cost += len(name) + len(value)
        if isinstance(request_headers, Headers):  # read-only once made; a plain dict may change
            self._last = (request_headers, headers, cost, truncated)
        return headers, cost, truncated

    def record(self, request: Request, status: int) -> None:
        # Redacted and cut as it comes in, so that neither secrets nor large values are kept.
        headers, cost, truncated = self._headers(request.headers)
        cost += 200
        target, body = request.target, redact_body(request.body)
        if len(target) > self.max_value:
            target, truncated = target[: self.max_value] + TRUNCATED, True
        if len(body) > self.max_body:
            body, truncated = body[: self.max_body], True
        cost += len(target) + len(body) + len(request.method)
        entry = (time.time(), request.method[:100], target, headers, body, truncated, status, cost)
        with self._lock:
            entries = self._entries
            entries.append(entry)
            self._bytes += cost
            if len(entries) > self.size or self._bytes > self.max_bytes:
                while len(entries) > self.size or (self._bytes > self.max_bytes and len(entries) > 1):
                    self._bytes -= entries.popleft()[-1]

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        documents = []
        for when, method, target, headers, body, truncated, status, _ in entries:
            path, _, query = target.partition("?")
            documents.append(
                {
                    "time": when,
                    "method": method,
                    "path": path,
                    "query": query,
                    "headers": dict(headers),
                    "body": body.decode("utf-8", "replace"),
                    "status": status,
                    "truncated": truncated,
                }
            )
        return documents

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
