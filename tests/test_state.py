"""--state FILE: jobs survive restarts (even SIGKILL) in SQLite; signals stop cleanly; bounded job count."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time

import pytest

from _support import Answer, Cli, call, connect, exchange, run_cli
from eclypse_emulator.generated.handler import CHOICES, Request
from eclypse_emulator.runtime import EmbeddedServer, Emulator


class Device:
    """`python -m runtime --state FILE` in a subprocess, and the requests the tests make to it."""

    def __init__(self, state_file, *extra: str) -> None:
        self.cli = Cli("--port", "0", "--quiet", "--state", str(state_file), *extra)
        self.url = self.cli.url()
        self.control = self.url.replace("/api/rest/v1", "/_emulator")

    def create_backup(self) -> str:
        answer = call(
            "POST",
            self.url + "/system/backup/create",
            {"Content-Type": "application/json"},
            b'{"DataTypes": ["WEATHER"]}',
        )
        assert answer.status == 200, answer.body
        return answer.json()["jobId"]

    def create_job(self, **scenario) -> str:
        answer = call(
            "POST", self.control + "/jobs", {"Content-Type": "application/json"}, json.dumps(scenario)
        )
        assert answer.status == 201, answer.body
        return answer.json()["jobId"]

    def cancel(self, job_id: str) -> Answer:
        return call("POST", f"{self.url}/jobs/{job_id}/cancel")

    def backup_job(self, job_id: str) -> Answer:
        return call("GET", f"{self.url}/system/backup/jobs/{job_id}/")

    def jobs(self) -> dict[str, dict]:
        answer = call("GET", self.control + "/jobs")
        assert answer.status == 200
        return {job["jobId"]: job for job in answer.json()["jobs"]}

    def kill(self) -> int:
        self.cli.signal(signal.SIGKILL)
        code = self.cli.wait()
        self.cli.stop()
        return code

    def stop(self, signum: int) -> tuple[int, str]:
        """Send `signum` once the process handles it; answers the exit code and what it wrote on stderr.

        (Waiting for the handlers avoids a start-up race: see test_cli.py::test_signals_are_handled_as_soon_as_the_url_is_printed.)
        """
        self.cli.wait_for_handlers(signal.SIGTERM, signal.SIGINT)
        self.cli.signal(signum)
        code = self.cli.wait()
        stderr = self.cli.stderr()
        self.cli.stop()
        return code, stderr


@pytest.fixture
def state_file(tmp_path):
    return tmp_path / "state.sqlite"


@pytest.fixture
def devices():
    """Starts Devices and makes sure none outlives the test."""
    started: list[Device] = []

    def start(state_file, *extra: str) -> Device:
        started.append(Device(state_file, *extra))
        return started[-1]

    yield start
    for device in started:
        device.cli.stop()


def test_jobs_survive_sigkill(devices, state_file):
    device = devices(state_file)
    backup = device.create_backup()
    never = device.create_job(neverFinish=True)
    failing = device.create_job(duration=3600, failAt=80, status="DISK_FULL")
    cancelled = device.create_job(duration=3600)
    assert device.cancel(cancelled).status == 204
    frozen = device.backup_job(cancelled).json()
    before = device.jobs()
    assert device.kill() == -signal.SIGKILL

    device = devices(state_file)
    after = device.jobs()
    assert list(after) == [backup, never, failing, cancelled], "same ids, in creation order"
    for job_id in after:
        assert after[job_id]["scenario"] == pytest.approx(before[job_id]["scenario"])
        assert after[job_id]["dataTypes"] == before[job_id]["dataTypes"]
        assert after[job_id]["startedAt"] == pytest.approx(before[job_id]["startedAt"])
    assert after[backup]["dataTypes"] == ["WEATHER"]
    assert after[never]["running"] is True and after[never]["status"] == CHOICES["running_status"]
    assert device.backup_job(cancelled).json() == frozen
    assert frozen["status"] == CHOICES["cancelled_status"]
    assert device.cancel(cancelled).status == 409, "still cancelled: a second cancel conflicts"
    assert call("GET", f"{device.url}/jobs/{never}/").status == 200


def test_a_cancel_made_after_a_restart_is_kept_too(devices, state_file):
    device = devices(state_file)
    job_id = device.create_job(neverFinish=True)
    assert device.kill() == -signal.SIGKILL
    device = devices(state_file)
    assert device.cancel(job_id).status == 204
    assert device.kill() == -signal.SIGKILL
    device = devices(state_file)
    assert device.backup_job(job_id).json()["status"] == CHOICES["cancelled_status"]


def test_reset_empties_the_state_across_restarts(devices, state_file):
    device = devices(state_file)
    for _ in range(3):
        device.create_backup()
    reset = call("POST", device.control + "/reset")
    assert reset.status == 200 and reset.json()["removedJobs"] == 3
    survivor = device.create_backup()
    assert device.kill() == -signal.SIGKILL
    device = devices(state_file)
    assert list(device.jobs()) == [survivor]


def test_without_state_a_restart_forgets():
    with Cli("--port", "0", "--quiet") as cli:
        url = cli.url()
        assert (
            call("POST", url + "/system/backup/create", {"Content-Type": "application/json"}, b"{}").status
            == 200
        )
    with Cli("--port", "0", "--quiet") as cli:
        assert call("GET", cli.url().replace("/api/rest/v1", "/_emulator") + "/jobs").json() == {"jobs": []}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signals_stop_cleanly_and_keep_the_jobs(devices, state_file, signum):
    device = devices(state_file)
    job_id = device.create_backup()
    code, stderr = device.stop(signum)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    device = devices(state_file)
    assert list(device.jobs()) == [job_id]


def test_the_start_up_lines_name_the_state_file(state_file):
    with Cli("--port", "0", "--quiet", "--state", str(state_file)) as cli:
        cli.readline()
        assert str(state_file) in cli.readline()


@pytest.mark.parametrize("kind", ["directory", "missing-parent", "not-sqlite"])
def test_a_bad_state_path_is_a_clear_error(tmp_path, kind):
    path = {
        "directory": tmp_path,
        "missing-parent": tmp_path / "no" / "such" / "dir" / "state.sqlite",
        "not-sqlite": tmp_path / "text.txt",
    }[kind]
    if kind == "not-sqlite":
        path.write_text("this is not a database, " * 100)
    result = run_cli("--port", "0", "--state", str(path))
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr
    assert "state" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# The columns of a job row in every version of the state file.
V0_COLUMNS = "id, started, duration, status, fail_at, never_finish, data_types, cancelled_at, seq"


@pytest.mark.parametrize("kind", ["corrupt", "other-schema", "bad-row", "bad-resource"])
def test_a_corrupt_or_foreign_state_file_is_a_clear_error(tmp_path, kind):
    path = tmp_path / "state.sqlite"
    if kind == "corrupt":  # a real database, its pages overwritten: "database disk image is malformed"
        Emulator(state_file=path, clock="manual").close()
        database = sqlite3.connect(path)
        database.executemany(
            f"INSERT INTO jobs ({V0_COLUMNS}) VALUES (?, 0, 1, 'OK', NULL, 0, '[]', NULL, ?)",
            [(f"id{i}" * 50, i) for i in range(500)],
        )
        database.commit()
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        database.close()
        data = bytearray(path.read_bytes())
        data[4096 + 100 : 4096 * 4] = b"\xff" * (4096 * 3 - 100)
        path.write_bytes(bytes(data))
    elif kind == "other-schema":  # "no such column: seq"
        database = sqlite3.connect(path)
        database.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, started REAL)")
        database.close()
    else:
        Emulator(state_file=path, clock="manual").close()
        database = sqlite3.connect(path)
        database.execute(
            f"INSERT INTO jobs ({V0_COLUMNS}) VALUES ('x', 0, -5, 'OK', NULL, 0, 'not json', NULL, 1)"
            if kind == "bad-row"
            else "INSERT INTO resources VALUES ('/info', '{not json')"
        )
        database.commit()
        database.close()
    result = run_cli("--port", "0", "--state", str(path))
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_a_locked_state_file_answers_503_with_retry_after(tmp_path, core, monkeypatch):
    from eclypse_emulator.runtime.device import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT", 3.0)
    path = tmp_path / "state.sqlite"
    with EmbeddedServer(port=0, clock="manual", state_file=path, core=core) as server:
        create = server.url + "/system/backup/create"
        assert call("POST", create, {"Content-Type": "application/json"}, "{}").status == 200
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            answers = []
            creating = threading.Thread(
                target=lambda: answers.append(
                    call("POST", create, {"Content-Type": "application/json"}, "{}")
                )
            )
            creating.start()
            time.sleep(0.3)
            assert call("GET", server.url + "/info").status == 200  # another client is answered meanwhile
            if core == "asyncio":
                assert creating.is_alive(), "the create did not wait for the lock"
            creating.join(10)
        finally:
            other.execute("ROLLBACK")
            other.close()
        [refused] = answers
        assert refused.status == 503, refused.body
        assert refused.header("Retry-After") == "1"
        assert refused.json()["code"] == "Unavailable"
        assert len(server.jobs()) == 1  # the refused create made no job
        assert call("POST", create, {"Content-Type": "application/json"}, "{}").status == 200


def test_a_bad_state_path_is_a_value_error_for_embedded_use(tmp_path):
    with pytest.raises(ValueError, match=str(tmp_path)):
        EmbeddedServer(port=0, state_file=tmp_path)


# --- Eviction beyond max_jobs ----------------------------------------------------------------------


def emulator_with(max_jobs: int, **options) -> Emulator:
    return Emulator(clock="manual", job_duration=10, max_jobs=max_jobs, **options)


def present(emulator: Emulator, job_ids: list[str]) -> list[bool]:
    """Whether each job is still there, as the device API says (200) or not (404)."""
    statuses = [
        emulator.respond(Request("GET", f"/api/rest/v1/system/backup/jobs/{job_id}", {})).status
        for job_id in job_ids
    ]
    assert set(statuses) <= {200, 404}, statuses
    return [status == 200 for status in statuses]


def test_the_oldest_finished_jobs_are_evicted_beyond_max_jobs():
    emulator = emulator_with(5)
    old = [emulator.create_job() for _ in range(5)]
    emulator.advance(10)  # all finished
    new = [emulator.create_job() for _ in range(3)]
    assert present(emulator, old) == [False, False, False, True, True]
    assert present(emulator, new) == [True, True, True]
    assert len(emulator.jobs()) == 5


def test_running_jobs_are_never_evicted():
    emulator = emulator_with(5)
    running = [emulator.create_job(never_finish=True) for _ in range(5)]
    emulator.advance(1000)
    more = [emulator.create_job() for _ in range(3)]
    assert all(present(emulator, running + more))
    assert len(emulator.jobs()) == 8


def test_finished_jobs_go_before_running_ones():
    emulator = emulator_with(3)
    running = emulator.create_job(never_finish=True)
    finished = [emulator.create_job(duration=0) for _ in range(2)]
    newest = emulator.create_job(duration=0)
    assert present(emulator, [running, *finished, newest]) == [True, False, True, True]


def test_a_long_job_that_finished_is_evicted_in_its_turn():
    emulator = emulator_with(3)
    long = emulator.create_job(duration=10)
    b, c = emulator.create_job(duration=0), emulator.create_job(duration=0)
    d = emulator.create_job(duration=0)
    assert present(emulator, [long, b, c, d]) == [True, False, True, True]
    emulator.advance(10)  # now `long` is the oldest finished job
    e = emulator.create_job(duration=0)
    assert present(emulator, [long, c, d, e]) == [False, True, True, True]


def test_evicted_jobs_stay_gone_after_a_restart(tmp_path):
    state = tmp_path / "state.sqlite"
    emulator = emulator_with(2, state_file=state)
    jobs = [emulator.create_job(duration=0) for _ in range(4)]
    emulator.close()
    restarted = emulator_with(2, state_file=state)
    try:
        assert present(restarted, jobs) == [False, False, True, True]
        assert [job["jobId"] for job in restarted.jobs()] == jobs[2:]
    finally:
        restarted.close()


def test_never_finishing_jobs_at_the_head_do_not_stop_eviction():
    """64 jobs that never finish, then 20,000 that finish at once, with max_jobs 100: the finished ones
    are evicted (not 20,064 kept), and each creation looks at a bounded number of jobs."""
    emulator = emulator_with(100)
    forever = [emulator.create_job(never_finish=True) for _ in range(64)]
    simulator = emulator.simulator
    looked_at = 0
    state = simulator.state

    def counting_state(job):
        nonlocal looked_at
        looked_at += 1
        return state(job)

    simulator.state = counting_state
    for _ in range(20_000):
        emulator.create_job(duration=0)
    assert len(simulator._jobs) <= 101
    assert looked_at <= 3 * 20_000
    assert all(present(emulator, forever))


def test_max_jobs_must_be_positive():
    with pytest.raises(ValueError):
        Emulator(max_jobs=0)


def test_cli_max_jobs_evicts_over_http(devices, state_file):
    device = devices(state_file, "--max-jobs", "2")
    jobs = [device.create_job(duration=0) for _ in range(4)]
    assert [device.backup_job(job_id).status for job_id in jobs] == [404, 404, 200, 200]


# --- A stopped embedded server ---------------------------------------------------------------------


def test_a_stopped_server_answers_no_5xx_on_a_kept_alive_connection(tmp_path, capfd):
    server = EmbeddedServer(port=0, clock="manual", state_file=tmp_path / "state.sqlite").start()
    connection = connect(server.url)
    try:
        assert exchange(connection, "GET", "/api/rest/v1/info").status == 200
        server.stop()
        try:
            answer = exchange(
                connection,
                "POST",
                "/api/rest/v1/system/backup/create",
                {"Content-Type": "application/json"},
                b"{}",
            )
        except OSError:
            answer = None  # the connection was closed with the server: right
        assert answer is None or answer.status < 500, answer.body
        assert "Traceback" not in capfd.readouterr().err
    finally:
        connection.close()
