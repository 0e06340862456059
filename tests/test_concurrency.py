"""Many threads creating and reading jobs at once over HTTP: no job lost, no 5xx."""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from _support import connect, exchange
from eclypse_emulator.runtime import EmbeddedServer

WRITERS, CREATES_EACH = 32, 100
READERS = 8
DEADLINE = 60.0  # seconds for the whole run; it takes a few


@pytest.fixture
def server():
    with EmbeddedServer(port=0, clock="manual", job_duration=10) as server:
        yield server


class Worker:
    """One thread's own keep-alive connection, reconnecting if the server closed it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.base = urlsplit(url).path
        self.connection: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: bytes | None = None):
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = connect(self.url, timeout=30)
            try:
                headers = {"Content-Type": "application/json"} if body is not None else {}
                return exchange(self.connection, method, self.base + path, headers, body)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def test_concurrent_creates_and_reads_lose_nothing(server):
    deadline = time.monotonic() + DEADLINE
    start = threading.Barrier(WRITERS + READERS)
    writing = threading.Event()
    statuses: list[int] = []
    statuses_lock = threading.Lock()
    recent: list[str] = []  # ids created so far, for the readers (list.append is atomic)

    def note(status: int) -> None:
        with statuses_lock:
            statuses.append(status)

    def write() -> list[str]:
        worker, ids = Worker(server.url), []
        start.wait(timeout=DEADLINE)
        try:
            for _ in range(CREATES_EACH):
                assert time.monotonic() < deadline, "the creates took too long"
                answer = worker.send("POST", "/system/backup/create", b'{"DataTypes": ["TIMEZONE"]}')
                note(answer.status)
                if answer.status == 200:
                    ids.append(answer.json()["jobId"])
                    recent.append(ids[-1])
                    # Read the job just created, as a client polling it would.
                    note(worker.send("GET", f"/jobs/{ids[-1]}/").status)
        finally:
            worker.close()
        return ids

    def read() -> int:
        worker, reads = Worker(server.url), 0
        start.wait(timeout=DEADLINE)
        try:
            while writing.is_set() and time.monotonic() < deadline:
                for job_id in recent[-3:]:
                    note(worker.send("GET", f"/system/backup/jobs/{job_id}").status)
                note(worker.send("GET", "/info").status)
                reads += 1
        finally:
            worker.close()
        return reads

    writing.set()
    with ThreadPoolExecutor(WRITERS + READERS) as pool:
        readers = [pool.submit(read) for _ in range(READERS)]
        writers = [pool.submit(write) for _ in range(WRITERS)]
        created = [job_id for future in writers for job_id in future.result(timeout=DEADLINE)]
        writing.clear()
        reads = sum(future.result(timeout=DEADLINE) for future in readers)

    assert [s for s in statuses if s >= 500] == []
    assert set(statuses) == {200}, f"unexpected statuses: {sorted(set(statuses))}"
    assert len(created) == WRITERS * CREATES_EACH
    assert len(set(created)) == len(created), "two creates answered the same id"
    assert reads > 0, "the readers never ran alongside the writers"
    assert len(server.jobs()) == len(created)
    assert {job["jobId"] for job in server.jobs()} == set(created)

    # Every created id is found over HTTP afterwards, through both resources.
    checker = Worker(server.url)
    try:
        for job_id in created:
            assert checker.send("GET", f"/system/backup/jobs/{job_id}/").status == 200
        for job_id in created[:: len(created) // 50]:
            assert checker.send("GET", f"/jobs/{job_id}/").status == 200
    finally:
        checker.close()


def test_concurrent_cancels_of_one_job_succeed_exactly_once(server):
    """Cancelling is a check-then-act: under threads, one cancel wins and the others conflict."""
    job_ids = [server.create_job() for _ in range(20)]
    threads_per_job = 8

    def cancel(job_id: str, barrier: threading.Barrier) -> int:
        worker = Worker(server.url)
        try:
            barrier.wait(timeout=30)
            return worker.send("POST", f"/jobs/{job_id}/cancel").status
        finally:
            worker.close()

    with ThreadPoolExecutor(threads_per_job) as pool:
        for job_id in job_ids:
            barrier = threading.Barrier(threads_per_job)
            results = list(pool.map(lambda _: cancel(job_id, barrier), range(threads_per_job)))
            assert sorted(results) == [204] + [409] * (threads_per_job - 1), results
    assert all(server.job(job_id)["status"] == "CANCELLED" for job_id in job_ids)


def test_concurrent_resets_and_creates_keep_the_simulator_consistent(server):
    """Creates racing with resets: whatever survives is fully there (listed and readable)."""
    stop = time.monotonic() + 1.5

    def create() -> None:
        worker = Worker(server.url)
        try:
            while time.monotonic() < stop:
                assert worker.send("POST", "/system/backup/create", b"{}").status == 200
        finally:
            worker.close()

    def reset() -> None:
        while time.monotonic() < stop:
            server.reset()
            time.sleep(0.01)

    with ThreadPoolExecutor(5) as pool:
        futures = [pool.submit(create) for _ in range(4)] + [pool.submit(reset)]
        for future in futures:
            future.result(timeout=30)
    checker = Worker(server.url)
    try:
        for job in server.jobs():
            assert checker.send("GET", f"/system/backup/jobs/{job['jobId']}").status == 200
    finally:
        checker.close()
