"""`python -m generated.client`: the generated command-line client, run as a user runs it (a subprocess)
against embedded emulators."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from eclypse_emulator.runtime import EmbeddedServer

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN_JOB = "c83b7cd2-e5df-4dcc-9e9e-301927c76a30"


def client(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30.0, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """`python -m generated.client ARGS` reading `stdin`; stdout and stderr as bytes (a progress bar uses
    carriage returns)."""
    environment = {k: v for k, v in os.environ.items() if k != "ECLYPSE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "generated.client", *args],
        cwd=ROOT,
        env={**environment, **(env or {})},
        capture_output=True,
        timeout=timeout,
        input=stdin,
    )


def output(result: subprocess.CompletedProcess[bytes]) -> object:
    """The JSON a successful command printed."""
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    return json.loads(result.stdout)


def failed(result: subprocess.CompletedProcess[bytes]) -> str:
    """The message of a command that failed as it should: exit 1, nothing on stdout, no traceback."""
    stderr = result.stderr.decode()
    assert result.returncode == 1, (result.returncode, stderr)
    assert result.stdout == b""
    assert "Traceback" not in stderr, stderr
    assert stderr.strip(), "no message on stderr"
    return stderr


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


@pytest.fixture(scope="module")
def real_server() -> Iterator[EmbeddedServer]:
    """A real-clock emulator whose backup jobs take 1.5 s: for `watch`."""
    with EmbeddedServer(job_duration=1.5) as server:
        yield server


# --- One command per operation ---------------------------------------------------------------------


def test_create_backup_prints_the_job_id(server: EmbeddedServer) -> None:
    created = output(client("--url", server.url, "create-backup", "--data-types", "TIMEZONE"))
    assert list(created) == ["jobId"]
    assert str(uuid.UUID(created["jobId"])) == created["jobId"]
    assert [(job["jobId"], job["dataTypes"]) for job in server.jobs()] == [(created["jobId"], ["TIMEZONE"])]


def test_create_backup_with_several_data_types(server: EmbeddedServer) -> None:
    created = output(client("--url", server.url, "create-backup", "--data-types", "TIMEZONE", "WEATHER"))
    assert server.job(created["jobId"])["dataTypes"] == ["TIMEZONE", "WEATHER"]


def test_get_backup_job_follows_the_job(server: EmbeddedServer, job_duration: int) -> None:
    job_id = output(client("--url", server.url, "create-backup", "--data-types", "TIMEZONE"))["jobId"]
    assert output(client("--url", server.url, "get-backup-job", job_id)) == {
        "progress": 0,
        "status": "RUNNING",
    }
    server.advance(job_duration / 2)
    assert output(client("--url", server.url, "get-backup-job", job_id)) == {
        "progress": 50,
        "status": "RUNNING",
    }
    server.advance(job_duration)
    result = client("--url", server.url, "get-backup-job", job_id)
    assert output(result) == {"progress": 100, "status": "OK"}
    assert b"Deprecat" not in result.stderr  # the user asked for that resource: no warning noise


def test_get_job_shows_progress_and_type(server: EmbeddedServer, job_duration: int) -> None:
    job_id = server.create_job()
    server.advance(job_duration / 4)
    assert output(client("--url", server.url, "get-job", job_id)) == {
        "progress": 25,
        "type": "BACKUP",
        "state": "RUNNING",
    }


def test_get_info(server: EmbeddedServer) -> None:
    assert output(client("--url", server.url, "get-info"))["apiRevision"] == "8.0"


def test_select_asks_the_device_for_some_properties(server: EmbeddedServer, job_duration: int) -> None:
    job_id = server.create_job()
    server.advance(job_duration)
    assert (
        output(client("--url", server.url, "get-backup-job", job_id, "--select", "progress"))["progress"]
        == 100
    )
    assert output(client("--url", server.url, "get-info", "--select", "apiRevision")) == {
        "apiRevision": "8.0"
    }
    assert [entry["query"] for entry in server.requests()] == ["$select=progress", "$select=apiRevision"]


def test_select_of_an_unknown_property_fails(server: EmbeddedServer) -> None:
    message = failed(client("--url", server.url, "get-info", "--select", "nope"))
    assert "400" in message and "nope" in message


def test_cancel_job(server: EmbeddedServer) -> None:
    job_id = server.create_job(duration=100)
    result = client("--url", server.url, "cancel-job", job_id)
    assert result.returncode == 0, result.stderr
    assert server.job(job_id)["running"] is False
    assert "409" in failed(client("--url", server.url, "cancel-job", job_id))  # no longer running


# --- Errors ----------------------------------------------------------------------------------------


def test_an_unknown_job_exits_1_with_the_devices_error(server: EmbeddedServer) -> None:
    for command in ("get-job", "get-backup-job", "watch"):
        message = failed(client("--url", server.url, command, UNKNOWN_JOB))
        assert "404" in message and "JobNotFound" in message and UNKNOWN_JOB in message


def test_an_invalid_job_id_exits_1(server: EmbeddedServer) -> None:
    assert "400" in failed(client("--url", server.url, "get-job", "not-a-uuid"))


def test_an_unreachable_device_exits_1_naming_the_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/rest/v1"
    for command in (["get-info"], ["watch", UNKNOWN_JOB]):
        message = failed(client("--url", url, *command))
        assert url in message


def test_an_injected_error_exits_1(server: EmbeddedServer) -> None:
    server.add_fault(path="/info", error_rate=1.0, status=503)
    message = failed(client("--url", server.url, "get-info"))
    assert "503" in message and "InjectedFault" in message


def test_a_malformed_url_is_a_message_not_a_traceback() -> None:
    result = client("--url", "not a url", "get-info")
    stderr = result.stderr.decode()
    assert result.returncode in (1, 2)
    assert "Traceback" not in stderr, stderr
    assert "not a url" in stderr


def test_a_bad_option_is_a_usage_error() -> None:
    result = client("--url", "http://127.0.0.1:1/api/rest/v1", "--timeout", "soon", "get-info")
    assert result.returncode == 2
    assert b"--timeout" in result.stderr and b"Traceback" not in result.stderr


# --- Authentication and configuration ---------------------------------------------------------------


def test_user_sends_basic_credentials() -> None:
    with EmbeddedServer(clock="manual", users={"admin": "se:cret"}) as server:
        assert (
            output(client("--url", server.url, "--user", "admin:se:cret", "get-info"))["apiRevision"] == "8.0"
        )
        created = output(client("--url", server.url, "--user", "admin:se:cret", "create-backup"))
        assert server.job(created["jobId"]) is not None
        assert "401" in failed(client("--url", server.url, "get-info"))
        assert "401" in failed(client("--url", server.url, "--user", "admin:wrong", "get-info"))


def test_the_eclypse_url_variable_is_the_default_url(server: EmbeddedServer) -> None:
    assert output(client("get-info", env={"ECLYPSE_URL": server.url}))["apiRevision"] == "8.0"
    assert len(server.requests()) == 1
    unreachable = f"http://127.0.0.1:{closed_port()}/api/rest/v1"
    assert output(client("--url", server.url, "get-info", env={"ECLYPSE_URL": unreachable}))  # --url wins
    assert unreachable in failed(client("get-info", env={"ECLYPSE_URL": unreachable}))


def test_the_console_script_is_the_same_client(server: EmbeddedServer) -> None:
    script = shutil.which("eclypse", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the eclypse console script is not installed (pip install -e .)")
    # This checkout's code first on the path, whichever tree the script was installed from (editable).
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [script, "--url", server.url, "get-info"], capture_output=True, timeout=30, env=env
    )
    assert output(result)["apiRevision"] == "8.0"


# --- watch -----------------------------------------------------------------------------------------


def bars(stderr: bytes) -> list[str]:
    """The progress drawn: one line per change (stderr is not a terminal here)."""
    assert b"\r" not in stderr, stderr  # no carriage-return frames in a log
    return [line.strip() for line in stderr.decode().splitlines() if line.strip()]


def test_watch_draws_a_progress_bar_until_the_job_is_done(real_server: EmbeddedServer) -> None:
    job_id = real_server.create_job()
    result = client("--url", real_server.url, "watch", job_id, "--interval", "0.1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"progress": 100, "status": "OK"}
    drawn = bars(result.stderr)
    assert len(drawn) >= 2, drawn  # it redraws as the job progresses
    assert all("%" in bar for bar in drawn)
    assert "100%" in drawn[-1] and "OK" in drawn[-1]
    assert "100%" not in drawn[0]


def test_watch_exits_1_when_the_job_fails(real_server: EmbeddedServer) -> None:
    job_id = real_server.create_job(duration=0.5, status="FAILED")
    result = client("--url", real_server.url, "watch", job_id, "--interval", "0.1")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["status"] == "FAILED"
    assert "FAILED" in bars(result.stderr)[-1]
    assert b"Traceback" not in result.stderr


def test_watch_shows_where_a_job_failed(real_server: EmbeddedServer) -> None:
    job_id = real_server.create_job(duration=0.5, status="FAILED", fail_at=40)
    result = client("--url", real_server.url, "watch", job_id, "--interval", "0.1")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout) == {"progress": 40, "status": "FAILED"}
    assert "40%" in bars(result.stderr)[-1]


def test_watch_exits_1_for_a_cancelled_job(server: EmbeddedServer) -> None:
    job_id = server.create_job(duration=100)
    server.advance(30)
    client("--url", server.url, "cancel-job", job_id)
    result = client("--url", server.url, "watch", job_id, "--interval", "0.1")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout) == {"progress": 30, "status": "CANCELLED"}


def test_watch_of_a_finished_job_exits_at_once(server: EmbeddedServer, job_duration: int) -> None:
    job_id = server.create_job()
    server.advance(job_duration)
    result = client("--url", server.url, "watch", job_id, "--interval", "30", timeout=20)
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"progress": 100, "status": "OK"}


def test_watch_gives_up_after_wait_seconds(server: EmbeddedServer) -> None:
    job_id = server.create_job(never_finish=True)
    result = client("--url", server.url, "watch", job_id, "--interval", "0.1", "--wait", "0.3")
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr
    assert b"did not end" in result.stderr


def test_watch_timeout_message_is_on_its_own_line_and_accurate(server: EmbeddedServer) -> None:
    job_id = server.create_job(never_finish=True)
    result = client("--url", server.url, "watch", job_id, "--interval", "0.1", "--wait", "0.3")
    last_line = result.stderr.decode().replace("\r", "\n").strip().splitlines()[-1]
    assert last_line.startswith("error:"), last_line
    assert "cannot talk" not in last_line, last_line


def test_watch_writes_one_line_per_change_when_not_a_terminal(real_server: EmbeddedServer) -> None:
    job_id = real_server.create_job()
    result = client("--url", real_server.url, "watch", job_id, "--interval", "0.05")
    assert result.returncode == 0, result.stderr
    lines = bars(result.stderr)
    assert lines[-1] == "100% OK" and all(line.endswith("% RUNNING") for line in lines[:-1]), lines
    assert len(lines) == len(set(lines)), lines  # a poll that changed nothing writes nothing


def terminal_watch(*args: str, interrupt_after: float | None = None) -> tuple[int, str]:
    """`watch` with stderr on a pseudo-terminal: (exit status, what the terminal received)."""
    import pty
    import signal
    import time

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "generated.client", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=terminal,
        stdin=subprocess.DEVNULL,
    )
    os.close(terminal)
    received = b""
    deadline = time.monotonic() + 30
    interrupted = False
    while time.monotonic() < deadline:
        if interrupt_after is not None and not interrupted and received.count(b"%") >= 2:
            time.sleep(interrupt_after)
            process.send_signal(signal.SIGINT)
            interrupted = True
        try:
            import select

            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                chunk = os.read(controller, 4096)
                if not chunk:
                    break
                received += chunk
        except OSError:  # the terminal closed: the process is gone
            break
        if process.poll() is not None and not select.select([controller], [], [], 0.1)[0]:
            break
    process.wait(timeout=30)
    os.close(controller)
    return process.returncode, received.decode()


def screen(received: str) -> str:
    """The last line as a terminal shows it: each carriage return overwrites from the line's start."""
    line: list[str] = []
    for frame in (
        received.replace("\r\n", "\n").split("\n")[-2 if received.endswith("\n") else -1].split("\r")
    ):
        line[: len(frame)] = frame
    return "".join(line)


def test_watch_on_a_terminal_clears_the_line_between_frames(real_server: EmbeddedServer) -> None:
    job_id = real_server.create_job(duration=0.5, status="FAILED", fail_at=40)
    status, received = terminal_watch("--url", real_server.url, "watch", job_id, "--interval", "0.05")
    assert status == 1, received
    assert "\r" in received  # a bar redrawn in place
    shown = screen(received)
    assert shown.rstrip().endswith("40% FAILED"), repr(shown)  # not `40% FAILEDG` (from RUNNING)
    job_id = real_server.create_job(duration=0.3)
    status, received = terminal_watch("--url", real_server.url, "watch", job_id, "--interval", "0.05")
    assert status == 0 and screen(received).rstrip().endswith("100% OK"), repr(received)


def test_watch_ctrl_c_exits_130_without_a_traceback(real_server: EmbeddedServer) -> None:
    job_id = real_server.create_job(never_finish=True)
    status, received = terminal_watch(
        "--url", real_server.url, "watch", job_id, "--interval", "0.05", interrupt_after=0.1
    )
    assert status == 130, received
    assert "Traceback" not in received and "KeyboardInterrupt" not in received, received


def test_the_cli_prints_the_devices_own_names(server: EmbeddedServer) -> None:
    job_id = output(client("--url", server.url, "create-backup"))["jobId"]
    server.advance(1)
    assert output(client("--url", server.url, "get-job", job_id)) == {
        "progress": 10,
        "type": "BACKUP",
        "state": "RUNNING",
    }
    assert output(client("--url", server.url, "get-info"))["apiRevision"] == "8.0"


def test_the_clients_help_calls_itself_by_the_name_it_was_run_as() -> None:
    assert client("--help").stdout.decode().startswith("usage: python -m generated.client ")
    script = shutil.which("eclypse", path=str(Path(sys.executable).parent))
    if script is not None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        result = subprocess.run([script, "--help"], capture_output=True, timeout=30, env=env)
        assert result.stdout.decode().startswith("usage: eclypse ")
