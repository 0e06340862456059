"""Keeping jobs in an SQLite file, so that a restart (even after SIGKILL) loses none.

Each change is committed before the request that made it is answered. WAL mode with synchronous=NORMAL
survives a killed process (the data is in the operating system's hands); only a power cut could lose
the last commits.

A file that is no state file (corrupt, or another schema) is a ValueError naming it. While another
process holds the file's write lock, a change waits at most BUSY_TIMEOUT seconds, then raises
StoreUnavailable (the request answers 503 with Retry-After); the event-loop core makes its changes in a
worker thread, so no other client waits meanwhile.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable

from .simulator import Job, Scenario, StoreUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    started REAL NOT NULL,
    duration REAL NOT NULL,
    status TEXT NOT NULL,
    fail_at INTEGER,
    never_finish INTEGER NOT NULL,
    data_types TEXT NOT NULL,
    cancelled_at REAL,
    seq INTEGER NOT NULL
)
"""
COLUMNS = (
    "id",
    "started",
    "duration",
    "status",
    "fail_at",
    "never_finish",
    "data_types",
    "cancelled_at",
    "seq",
)
BUSY_TIMEOUT = 1.0  # seconds a change waits for another process's write lock
RETRY_AFTER = 1  # seconds, for a client refused because the file is locked


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(SCHEMA)
            columns = tuple(row[1] for row in self._db.execute("PRAGMA table_info(jobs)"))
            if columns != COLUMNS:
                raise ValueError(
                    f"cannot use {path} as a state file: its jobs table has other columns ({', '.join(columns)})"
                )
            self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()[0]
        except sqlite3.Error as error:
            raise ValueError(f"cannot use {path} as a state file: {error}") from None
        self._lock = threading.Lock()

    def load(self) -> list[Job]:
        """Every stored job, oldest first; ValueError naming the file if it cannot be read."""
        try:
            rows = self._db.execute(
                "SELECT id, started, duration, status, fail_at, never_finish, data_types, cancelled_at FROM jobs ORDER BY seq"
            ).fetchall()
            return [
                Job(
                    id_,
                    started,
                    Scenario(duration, status, fail_at, bool(never)),
                    tuple(json.loads(types)),
                    cancelled,
                )
                for id_, started, duration, status, fail_at, never, types, cancelled in rows
            ]
        except (sqlite3.Error, ValueError, TypeError) as error:
            raise ValueError(f"cannot read the state file {self.path}: {error}") from None

    def _write(self, sql: str, parameters: Any = (), many: bool = False) -> None:
        try:
            with self._lock:
                (self._db.executemany if many else self._db.execute)(sql, parameters)
        except sqlite3.OperationalError as error:  # locked (busy), or the disk failing
            raise StoreUnavailable(f"the state file {self.path} is unavailable ({error})") from None

    def add(self, job: Job) -> None:
        s = job.scenario
        with self._lock:
            self._seq += 1
            seq = self._seq
        row = (
            job.id,
            job.started,
            s.duration,
            s.status,
            s.fail_at,
            int(s.never_finish),
            json.dumps(job.data_types),
            job.cancelled_at,
            seq,
        )
        self._write("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    def cancel(self, job: Job) -> None:
        self._write("UPDATE jobs SET cancelled_at = ? WHERE id = ?", (job.cancelled_at, job.id))

    def remove(self, job_ids: Iterable[str]) -> None:
        self._write("DELETE FROM jobs WHERE id = ?", [(i,) for i in job_ids], many=True)

    def clear(self) -> None:
        self._write("DELETE FROM jobs")

    def close(self) -> None:
        with self._lock:
            self._db.close()
