"""`python -m runtime` as a user runs it: a subprocess, its output, its exit codes and signals."""

from __future__ import annotations

import fcntl
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 20.0  # seconds any step may take, generous for a loaded CI machine
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/api/rest/v1")
COMMAND = [sys.executable, "-m", "runtime"]


class Lines:
    """The lines of a child's output stream, read by a background thread, waited for with a deadline."""

    def __init__(self, stream) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)  # end of stream

    def next(self, timeout: float = DEADLINE) -> str | None:
        """The next line (None at the end of the stream); AssertionError if none comes in time."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s") from None

    def wait_for(self, pattern: str, timeout: float = DEADLINE) -> str:
        deadline = time.monotonic() + timeout
        while (line := self.next(max(0.0, deadline - time.monotonic()))) is not None:
            if pattern in line:
                return line
        raise AssertionError(f"the stream ended without a line containing {pattern!r}")

    def rest(self) -> str:
        """Everything up to the end of the stream (the process must be exiting)."""
        lines = []
        while (line := self.next()) is not None:
            lines.append(line)
        return "".join(lines)


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unread(fd: int) -> int:
    """How many bytes wait in a pipe."""
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, bytes(4)), sys.byteorder)


def drain(fd: int) -> None:
    """Read a pipe to its end."""
    while os.read(fd, 1 << 16):
        pass


@dataclass
class Emulator:
    process: subprocess.Popen
    stdout: Lines
    stderr: Lines
    first_line: str = ""
    url: str = ""

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=DEADLINE)


@pytest.fixture
def launch():
    """launch(*options) starts `python -m runtime` and waits for its first line; killed at teardown."""
    started: list[subprocess.Popen] = []

    def start(*options: str) -> Emulator:
        process = subprocess.Popen(
            [*COMMAND, *options], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started.append(process)
        emulator = Emulator(process, Lines(process.stdout), Lines(process.stderr))
        first = emulator.stdout.next()
        assert first is not None, emulator.stderr.rest()
        match = URL.search(first)
        assert match, f"no base URL in the first line: {first!r}"
        emulator.first_line, emulator.url = first, match.group(0)
        return emulator

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=DEADLINE)


def run(*options: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *options], cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE)


def test_serves_at_the_url_of_its_first_line(launch, http):
    emulator = launch("--port", "0", "--clock", "manual", "--quiet")
    status, _, body = http("GET", emulator.url + "/info")
    assert (status, json.loads(body)["apiRevision"]) == (200, "8.0")
    status, _, body = http(
        "POST", emulator.url + "/system/backup/create", {"Content-Type": "application/json"}, "{}"
    )
    job = emulator.url + "/system/backup/jobs/" + json.loads(body)["jobId"]
    origin = emulator.url.removesuffix("/api/rest/v1")
    assert http("POST", origin + "/_emulator/clock/advance", None, '{"seconds": 3600}')[0] == 200
    assert json.loads(http("GET", job)[2]) == {"progress": 100, "status": "OK"}
    assert emulator.stop() == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_it_cleanly(launch, http, signum):
    emulator = launch("--port", "0", "--clock", "manual", "--quiet")
    assert http("GET", emulator.url + "/info")[0] == 200
    started = time.monotonic()
    assert emulator.stop(signum) == 0
    assert time.monotonic() - started < 5
    assert "Traceback" not in emulator.stderr.rest()


def test_access_log_on_stderr_unless_quiet(launch, http):
    loud = launch("--port", "0")
    assert http("GET", loud.url + "/info")[0] == 200
    line = loud.stderr.wait_for("/api/rest/v1/info")
    assert "GET" in line and "200" in line
    quiet = launch("--port", "0", "--quiet")
    assert http("GET", quiet.url + "/info")[0] == 200
    assert quiet.stop() == 0
    assert "/api/rest/v1/info" not in quiet.stderr.rest()


def test_an_invalid_api_revision_exits_2_with_a_message():
    result = run("--port", "0", "--api-revision", "nonsense")
    assert result.returncode == 2
    assert "--api-revision" in result.stderr and "nonsense" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def run_on_a_taken_port() -> tuple[int, subprocess.CompletedProcess]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        return port, run("--port", str(port), "--quiet")


def test_a_port_in_use_exits_with_a_message_and_no_traceback():
    _, result = run_on_a_taken_port()
    assert result.returncode != 0
    assert "in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not URL.search(result.stdout)


def test_a_port_in_use_is_named_in_the_message():
    port, result = run_on_a_taken_port()
    assert f"127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signals_are_handled_as_soon_as_the_url_is_printed(launch, signum):
    """Hold the process right after its first line, by leaving its stdout pipe room for that line only.

    Regression: the handlers used to be installed after the second line, and a signal sent as soon
    as the emulator had answered its first request sometimes killed it (-15, or a KeyboardInterrupt).
    """
    options = ("--port", str(free_port()), "--clock", "manual", "--quiet")
    rehearsal = launch(*options)  # the first line's exact length, on that port
    rehearsal.process.kill()
    rehearsal.process.wait(timeout=DEADLINE)
    read_end, write_end = os.pipe()
    capacity = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
    os.write(write_end, b"x" * (capacity - len(rehearsal.first_line.encode())))
    process = subprocess.Popen([*COMMAND, *options], cwd=ROOT, stdout=write_end, stderr=subprocess.DEVNULL)
    os.close(write_end)
    reader = threading.Thread(target=drain, args=(read_end,))
    try:
        wait_until(lambda: unread(read_end) == capacity, "the first line")  # out; the next write blocks
        process.send_signal(signum)
        reader.start()
        assert process.wait(timeout=DEADLINE) == 0
    finally:
        process.kill()
        process.wait(timeout=DEADLINE)
        if reader.is_alive():
            reader.join(timeout=DEADLINE)
        os.close(read_end)


# --- Messages in the user's words (issue 8) --------------------------------------------------------


def one_line_usage_error(result: subprocess.CompletedProcess) -> str:
    """An argparse error: exit 2, the usage and one `error:` line, no traceback."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr and result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize("port", ["99999", "-1", "65536", "http"])
def test_a_port_out_of_range_is_a_one_line_error(port):
    line = one_line_usage_error(run("--port", port))
    assert "--port" in line and port in line and "65535" in line


def test_tls_needs_both_flags_named_as_on_the_command_line(tmp_path):
    line = one_line_usage_error(run("--port", "0", "--tls-cert", str(tmp_path / "cert.pem")))
    assert "--tls-cert" in line and "--tls-key" in line and "tls_cert" not in line


def test_devices_with_device_addresses_is_an_error():
    line = one_line_usage_error(run("--devices", "3", "--device-address", "127.0.0.1:0"))
    assert "--devices" in line and "--device-address" in line


def test_an_api_revision_above_the_specs_warns_naming_the_highest(launch):
    emulator = launch("--port", "0", "--quiet", "--api-revision", "99.0")
    assert emulator.stop() == 0
    warning = emulator.stderr.rest()
    assert "99.0" in warning and "8.0" in warning and "highest" in warning, warning
    quiet = launch("--port", "0", "--quiet", "--api-revision", "8.0")
    assert quiet.stop() == 0
    assert "warning" not in quiet.stderr.rest()


def test_advancing_a_real_clock_says_which_option_to_use(launch, http):
    emulator = launch("--port", "0", "--quiet")
    origin = emulator.url.removesuffix("/api/rest/v1")
    status, _, body = http("POST", origin + "/_emulator/clock/advance", None, '{"seconds": 1}')
    assert status == 409 and "--clock manual" in json.loads(body)["message"], body
    assert emulator.stop() == 0


def test_the_banner_of_a_fleet_names_each_state_file(launch, tmp_path):
    emulator = launch("--port", "0", "--quiet", "--devices", "3", "--state", str(tmp_path / "site.db"))
    banner = "".join(emulator.stdout.next() for _ in range(3))  # devices 2 and 3, then the summary
    assert emulator.stop() == 0
    for number in (1, 2, 3):
        assert str(tmp_path / f"site-{number}.db") in banner, banner
    assert f"{tmp_path / 'site.db'}," not in banner and f"{tmp_path / 'site.db'};" not in banner


def test_help_names_the_command_as_run_shows_defaults_and_documents_serve():
    help_ = run("--help").stdout
    assert help_.startswith("usage: python -m runtime ")
    words = " ".join(help_.split())  # argparse wraps at the terminal's width
    assert "--job-duration SECONDS seconds a backup job takes from 0 to 100 % (default: 5)" in words, help_
    assert "{serve} serve the emulator (the default, may be left out)" in words, help_
    as_package = subprocess.run(
        [sys.executable, "-m", "eclypse_emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert as_package.stdout.startswith("usage: python -m eclypse_emulator ")
    script = Path(sys.executable).parent / "eclypse-emulator"
    if script.exists():
        env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's code, wherever the script came from
        installed = subprocess.run(
            [str(script), "--help"], capture_output=True, text=True, timeout=DEADLINE, env=env
        )
        assert installed.stdout.startswith("usage: eclypse-emulator ")
