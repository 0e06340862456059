"""Servers in their own processes: the emulator, the reference, the many-jobs helper; one-off requests."""

from __future__ import annotations

import http.client
import json
import os
import shlex
import subprocess
import tempfile
import time

from common import BENCH, PYTHON, ROOT, URL_PATTERN


class ServerProcess:
    """A server in a subprocess whose first stdout line names its base URL; stopped on exit."""

    def __init__(
        self, name: str, argv: list[str], ready_timeout: float = 180.0, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.env = None if env is None else {**os.environ, **env}
        self.argv = argv
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.first_line = ""
        self.host = ""
        self.port = 0
        self.base_url = ""
        self._stdout = tempfile.TemporaryFile()
        self._stderr = tempfile.TemporaryFile()

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=self._stdout, stderr=self._stderr, env=self.env
        )
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:  # bounded in time
            self._stdout.seek(0)
            text = self._stdout.read().decode("utf-8", "replace")
            if "\n" in text:
                self.first_line = text.split("\n", 1)[0]
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        match = URL_PATTERN.search(self.first_line)
        if not match:
            self.stop()
            raise RuntimeError(
                f"{self.name}: no URL on the first stdout line {self.first_line!r}; {self.stderr()}"
            )
        scheme, authority, _ = match.groups()
        if scheme != "http":
            raise RuntimeError(f"{self.name}: only plain HTTP is benchmarked, got {match.group(0)}")
        host, _, port = authority.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        check_loopback(self.host)
        self.base_url = match.group(0)
        return self

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-2000:]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            process.stdin.close()
        except OSError:
            pass
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def check_loopback(host: str) -> None:
    """Refuse to send load anywhere but this machine's loopback."""
    if host == "localhost" or host == "::1" or host.startswith("127."):
        return
    raise RuntimeError(f"refusing to benchmark {host}: only loopback addresses (127.0.0.0/8, ::1)")


def emulator_argv(extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """`python -m runtime` as the benchmark serves it; `extra` are more CLI options (e.g. --core threads)."""
    return [
        PYTHON,
        "-m",
        "runtime",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--quiet",
        "--clock",
        "manual",
        *extra,
    ]


def shown(argv: list[str]) -> str:
    """A command line as a user would type it: `python` for this interpreter, paths relative to the repo."""
    words = ["python" if word == PYTHON else word for word in argv]
    return " ".join(shlex.quote(w.replace(str(ROOT) + os.sep, "")) for w in words)


def reference_argv(body_size: int) -> list[str]:
    return [PYTHON, str(BENCH / "reference_server.py"), "--body-size", str(body_size), "--exit-on-eof"]


def helper_argv(jobs: int, core: str | None = None) -> list[str]:
    return [
        PYTHON,
        str(BENCH / "serve_jobs.py"),
        "--jobs",
        str(jobs),
        "--exit-on-eof",
        *(["--core", core] if core else []),
    ]


def http_request(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    check_loopback(host)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def create_job(server: ServerProcess) -> str:
    """A job made through the control API (POST /_emulator/jobs); with the manual clock it stays at 0 %."""
    status, body = http_request(
        server.host, server.port, "POST", "/_emulator/jobs", b"{}", {"Content-Type": "application/json"}
    )
    if status not in (200, 201):
        raise RuntimeError(f"POST /_emulator/jobs answered {status}: {body[:200]!r}")
    return json.loads(body)["jobId"]
