"""Where one device's state is kept: its resources (entities, collections) and its jobs.

`StateStore` holds every resource value by device path, in memory, optionally written through to an
SQLite file (`--state FILE`), as are the jobs (`JobSimulator(store=...)`): one file per device, holding
both, so that a restart (even after SIGKILL) loses no acknowledged change of any kind.

Each change is committed before the request that made it is answered. WAL mode with synchronous=NORMAL
survives a killed process (the data is in the operating system's hands); only a power cut could lose
the last commits. Reading never touches the file: every value is loaded at start-up, so a GET never
blocks.

A file that is no state file (corrupt, or another schema) is a ValueError naming it; a file of the
previous version (jobs only, schema 0) is migrated on open. While another process holds the file's write
lock, a change waits at most BUSY_TIMEOUT seconds, then raises StoreUnavailable (the request answers 503
with Retry-After); the event-loop core makes its changes in a worker thread, so no other client waits
meanwhile.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..jobs.simulator import Job, Scenario, StoreUnavailable

# The schema's version, in the file's user_version. 0 was the previous version's: jobs only, no type.
SCHEMA_VERSION = 1
JOBS_V0 = (
    "id TEXT PRIMARY KEY",
    "started REAL NOT NULL",
    "duration REAL NOT NULL",
    "status TEXT NOT NULL",
    "fail_at INTEGER",
    "never_finish INTEGER NOT NULL",
    "data_types TEXT NOT NULL",
    "cancelled_at REAL",
    "seq INTEGER NOT NULL",
)
JOB_TYPE = "type TEXT"  # the job type the spec's job behaviour names (NULL: a backup job)
RESOURCES = "CREATE TABLE resources (path TEXT PRIMARY KEY, value TEXT NOT NULL)"
# Version 0 -> 1: what a file of the previous version needs.
MIGRATION = (f"ALTER TABLE jobs ADD COLUMN {JOB_TYPE}", RESOURCES)
COLUMNS = tuple(column.split()[0] for column in (*JOBS_V0, JOB_TYPE))
BUSY_TIMEOUT = 1.0  # seconds a change waits for another process's write lock
RETRY_AFTER = 1  # seconds, for a client refused because the file is locked


class SqliteStore:
    """One device's state file: its jobs (the simulator's JobStore) and its resource values."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._open()
            self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()[0]
        except sqlite3.Error as error:
            raise ValueError(f"cannot use {path} as a state file: {error}") from None
        self._lock = threading.Lock()

    def _open(self) -> None:
        """Create the schema in a new file, migrate a file of the previous version, refuse any other."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"cannot use {self.path} as a state file: a newer version of the emulator wrote it "
                f"(schema {version}; this version reads schemas up to {SCHEMA_VERSION})"
            )
        steps: tuple[str, ...]
        if not tables:
            steps = (f"CREATE TABLE jobs ({', '.join((*JOBS_V0, JOB_TYPE))})", RESOURCES)
        elif version == 0 and tables == {"jobs"} and self._columns() == COLUMNS[:-1]:
            steps = MIGRATION
        else:
            steps = ()
        if steps:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for step in steps:
                    self._db.execute(step)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
        elif self._columns() != COLUMNS or "resources" not in tables:
            raise ValueError(
                f"cannot use {self.path} as a state file: it holds other tables or columns "
                f"({', '.join(sorted(tables))}; jobs: {', '.join(self._columns())})"
            )

    def _columns(self) -> tuple[str, ...]:
        return tuple(row[1] for row in self._db.execute("PRAGMA table_info(jobs)"))

    def _read(self, what: str, reading: Callable[[], Any]) -> Any:
        try:
            return reading()
        except (sqlite3.Error, ValueError, TypeError) as error:
            raise ValueError(f"cannot read the {what} of the state file {self.path}: {error}") from None

    def load(self) -> list[Job]:
        """Every stored job, oldest first; ValueError naming the file if it cannot be read."""
        rows = self._read(
            "jobs",
            lambda: self._db.execute(
                "SELECT id, started, duration, status, fail_at, never_finish, data_types, cancelled_at, type "
                "FROM jobs ORDER BY seq"
            ).fetchall(),
        )
        return self._read(
            "jobs",
            lambda: [
                Job(
                    id_,
                    started,
                    Scenario(duration, status, fail_at, bool(never)),
                    tuple(json.loads(types)),
                    cancelled,
                    type_,
                )
                for id_, started, duration, status, fail_at, never, types, cancelled, type_ in rows
            ],
        )

    def load_values(self) -> dict[str, str]:
        """Every stored resource value (JSON text) by device path."""
        rows = self._read(
            "resources",
            lambda: self._db.execute("SELECT path, value FROM resources ORDER BY rowid").fetchall(),
        )
        for path, value in rows:
            self._read(f"resource {path}", lambda: json.loads(value))
        return dict(rows)

    def _write(self, sql: str, parameters: Any = (), many: bool = False) -> None:
        try:
            with self._lock:
                (self._db.executemany if many else self._db.execute)(sql, parameters)
        except sqlite3.OperationalError as error:  # locked (busy), or the disk failing
            raise StoreUnavailable(f"the state file {self.path} is unavailable ({error})") from None

    # Jobs (simulator.JobStore)

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
            job.type,
        )
        self._write(f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", row)

    def cancel(self, job: Job) -> None:
        self._write("UPDATE jobs SET cancelled_at = ? WHERE id = ?", (job.cancelled_at, job.id))

    def update(self, job: Job) -> None:
        """A job's new scenario (a reboot failed it where it was)."""
        s = job.scenario
        self._write(
            "UPDATE jobs SET duration = ?, status = ?, fail_at = ?, never_finish = ? WHERE id = ?",
            (s.duration, s.status, s.fail_at, int(s.never_finish), job.id),
        )

    def remove(self, job_ids: Iterable[str]) -> None:
        self._write("DELETE FROM jobs WHERE id = ?", [(i,) for i in job_ids], many=True)

    def clear(self) -> None:
        self._write("DELETE FROM jobs")

    # Resources (StateStore)

    def put_value(self, path: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO resources (path, value) VALUES (?, ?)", (path, value))

    def forget_value(self, path: str) -> None:
        self._write("DELETE FROM resources WHERE path = ?", (path,))

    def change_values(self, puts: dict[str, str], forgets: list[str]) -> None:
        """Several values put and forgotten in one transaction: all or none."""
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO resources (path, value) VALUES (?, ?)", puts.items()
                    )
                    self._db.executemany("DELETE FROM resources WHERE path = ?", [(p,) for p in forgets])
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
        except sqlite3.OperationalError as error:  # locked (busy), or the disk failing
            raise StoreUnavailable(f"the state file {self.path} is unavailable ({error})") from None

    def clear_values(self) -> None:
        self._write("DELETE FROM resources")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def normal_path(path: str) -> str:
    """A device path as a state key: one leading slash, no trailing one (`/a/b/` and `a/b` are `/a/b`)."""
    return "/" + path.strip("/")


class StateStore:
    """Every entity and collection of one device, by device path (see `normal_path`).

    Values are JSON data. `get` answers a fresh copy, so a change is made only by `put` (which a state
    file, when there is one, has committed when it returns); `forget` restores the seed; `reset` every
    seed. A path never put answers its seed: `seed()` (the spec's defaults), with the device data for the
    path on top (an object's properties over the defaults, any other value instead). Hold `lock` around a
    get ... put that must not interleave with another's. `changed(path)` hears of each path a change made
    (the device's CHANGED event).
    """

    def __init__(
        self,
        seeds: Mapping[str, Any] | None = None,
        file: SqliteStore | None = None,
        changed: Callable[[str], None] = lambda path: None,
    ) -> None:
        self.seeds = {normal_path(path): json.dumps(value) for path, value in (seeds or {}).items()}
        self.file = file
        self.changed = changed
        self.lock = threading.RLock()
        self._values: dict[str, str] = file.load_values() if file is not None else {}

    def get(self, path: str, seed: Callable[[], Any]) -> Any:
        stored = self._values.get(normal_path(path))
        return self.seed(path, seed) if stored is None else json.loads(stored)

    def seed(self, path: str, seed: Callable[[], Any]) -> Any:
        """What `path` holds until a value is put (or after it is forgotten)."""
        value, given = seed(), self.seeds.get(normal_path(path))
        if given is None:
            return value
        given = json.loads(given)
        return {**value, **given} if isinstance(value, dict) and isinstance(given, dict) else given

    def put(self, path: str, value: Any) -> None:
        path, text = normal_path(path), json.dumps(value, allow_nan=False)
        if self.file is not None:
            self.file.put_value(path, text)
        self._values[path] = text
        self.changed(path)

    def change(self, puts: Mapping[str, Any], forgets: Iterable[str]) -> None:
        """`put` each of `puts` and `forget` each of `forgets`, as one change (one transaction of a state file)."""
        texts = {normal_path(path): json.dumps(value, allow_nan=False) for path, value in puts.items()}
        gone = [normal_path(path) for path in forgets]
        if self.file is not None:
            self.file.change_values(texts, gone)
        for path in gone:
            self._values.pop(path, None)
        self._values.update(texts)
        for path in [*gone, *texts]:
            self.changed(path)

    def holds(self, path: str) -> bool:
        """Whether a value was put at `path` (its seed aside)."""
        return normal_path(path) in self._values

    def paths(self, prefix: str) -> list[str]:
        """The paths below `prefix` that hold a value put (seeds aside), oldest first."""
        prefix = normal_path(prefix) + "/"
        return [path for path in self._values if path.startswith(prefix)]

    def forget(self, path: str) -> None:
        path = normal_path(path)
        if self.file is not None:
            self.file.forget_value(path)
        self._values.pop(path, None)
        self.changed(path)

    def reset(self) -> None:
        with self.lock:
            if self.file is not None:
                self.file.clear_values()
            self._values.clear()
