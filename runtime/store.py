"""Keeping jobs in an SQLite file, so that a restart (even after SIGKILL) loses none.

Each change is committed before the request that made it is answered. WAL mode with synchronous=NORMAL
survives a killed process (the data is in the operating system's hands); only a power cut could lose
the last commits.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Iterable

from .simulator import Job, Scenario

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


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(SCHEMA)
        except sqlite3.Error as error:
            raise ValueError(f"cannot use {path} as a state file: {error}") from None
        self._lock = threading.Lock()
        self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()[0]

    def load(self) -> list[Job]:
        """Every stored job, oldest first."""
        rows = self._db.execute(
            "SELECT id, started, duration, status, fail_at, never_finish, data_types, cancelled_at FROM jobs ORDER BY seq"
        )
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

    def add(self, job: Job) -> None:
        s = job.scenario
        with self._lock:
            self._seq += 1
            self._db.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    job.started,
                    s.duration,
                    s.status,
                    s.fail_at,
                    int(s.never_finish),
                    json.dumps(job.data_types),
                    job.cancelled_at,
                    self._seq,
                ),
            )

    def cancel(self, job: Job) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET cancelled_at = ? WHERE id = ?", (job.cancelled_at, job.id))

    def remove(self, job_ids: Iterable[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM jobs WHERE id = ?", ((i,) for i in job_ids))

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs")

    def close(self) -> None:
        with self._lock:
            self._db.close()
