"""`python -m runtime --reload`: a spec change is served without a restart, without losing jobs or
connections; a broken spec keeps the last good API serving until it is fixed.

Everything runs in a copy of the project, so the real spec/ and generated/ are never touched.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 60.0  # seconds a reload may take (codegen runs black) on a loaded machine
URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/api/rest/v1)")

MODEL = """\
      - name: Model
        type: string
        description: The controller's model.
        methods: [GET]
        json_key: model
        xml_element: Model
        order: {json: 7, xml: 7}
        default: %s
        example: RELOADED-1
"""
AFTER = '        example: "8.0"\n'  # the last line of Info's ApiRevision property (spec/info.yaml)


class Lines:
    """A stream's lines, read by a background thread."""

    def __init__(self, stream: Any) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self.queue.put(line)
        self.queue.put(None)

    def wait_for(self, text: str, timeout: float = DEADLINE) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} within {timeout} s; seen: {self.seen}") from None
            if line is None:
                raise AssertionError(f"the stream ended without {text!r}; seen: {self.seen}")
            self.seen.append(line)
            if text in line:
                return line


def copy_project(destination: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("eclypse_emulator", "spec", "codegen", "generated", "runtime"):
        shutil.copytree(ROOT / folder, destination / folder, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def served(project: Path) -> Iterator[tuple[subprocess.Popen, Lines, Lines, str]]:
    """`python -m runtime --port 0 --reload --quiet` in the copy; (process, stdout, stderr, base URL)."""
    env = {**os.environ, "PYTHONPATH": str(project), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "runtime", "--port", "0", "--reload", "--quiet", "--clock", "manual"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = Lines(process.stdout), Lines(process.stderr)
        line = stdout.wait_for("/api/rest/v1", timeout=20)
        yield process, stdout, stderr, URL.search(line).group(0)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        process.stdout.close()
        process.stderr.close()


class Connection:
    """One keep-alive connection, kept for the whole test: a reload must not break it."""

    def __init__(self, url: str) -> None:
        match = URL.search(url)
        self.base = match.group(2)
        self.http = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=10)
        self.socket: Any = None

    def send(self, method: str, path: str, body: str | None = None) -> tuple[int, str, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.http.request(
            method, path if path.startswith("/_") else self.base + path, body=body, headers=headers
        )
        response = self.http.getresponse()
        data = response.read()
        assert not response.will_close, "the server closed the keep-alive connection"
        if self.socket is None:
            self.socket = self.http.sock
        assert self.http.sock is self.socket, "the connection was reopened"
        return response.status, response.getheader("Content-Type") or "", data

    def json(self, path: str) -> Any:
        status, _, data = self.send("GET", path)
        assert status == 200, (path, status, data)
        return json.loads(data)

    def close(self) -> None:
        self.http.close()


def poll(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


def test_a_spec_change_is_served_without_losing_jobs_or_connections(project: Path, served) -> None:
    process, stdout, stderr, url = served
    objects = project / "spec" / "info.yaml"
    original = objects.read_text(encoding="utf-8")
    assert original.count(AFTER) == 1
    connection = Connection(url)
    try:
        status, _, body = connection.send("POST", "/system/backup/create", '{"dataTypes": ["TIMEZONE"]}')
        assert status == 200
        job_id = json.loads(body)["jobId"]
        assert connection.json("/info")["apiRevision"] == "8.0"

        # A new property of Info: served from the next request on, on the same connection.
        objects.write_text(original.replace(AFTER, AFTER + MODEL % "RELOADED-1"), encoding="utf-8")
        poll(lambda: connection.json("/info").get("model") == "RELOADED-1", "GET /info to show the model")
        assert connection.json("/info?$select=apiRevision,model") == {
            "apiRevision": "8.0",
            "model": "RELOADED-1",
        }
        status, content_type, body = connection.send("GET", "/info?encode=xml")
        assert status == 200 and content_type.startswith("application/xml")
        assert re.search(rb"</SupportedServices>\s*<Model>RELOADED-1</Model>\s*</Info>", body), body
        status, _, body = connection.send("GET", "/info/model/$value")
        assert (status, body) == (200, b"RELOADED-1")
        openapi = connection.json("/_emulator/openapi.json")
        assert "model" in json.dumps(openapi)

        # The job created before the reload is still there, and still progresses.
        connection.send("POST", "/_emulator/clock/advance", '{"seconds": 60}')
        assert connection.json(f"/system/backup/jobs/{job_id}") == {"progress": 100, "status": "OK"}
        assert [job["jobId"] for job in connection.json("/_emulator/jobs")["jobs"]] == [job_id]

        # A broken spec: the last good API keeps serving, and stderr says why the reload failed.
        objects.write_text(original + "\n  Broken: [not closed\n", encoding="utf-8")
        failure = stderr.wait_for("reload failed")
        assert "info.yaml" in failure, failure
        assert connection.json("/info?$select=apiRevision,model") == {
            "apiRevision": "8.0",
            "model": "RELOADED-1",
        }
        assert connection.json(f"/jobs/{job_id}/")["progress"] == 100
        # Valid YAML, but not a valid spec: the same.
        bad_type = (MODEL % "RELOADED-2").replace("type: string", "type: strng")
        objects.write_text(original.replace(AFTER, AFTER + bad_type), encoding="utf-8")
        failure = stderr.wait_for("reload failed")
        assert "info.yaml" in failure and "strng" in failure, failure
        assert connection.json("/info?$select=apiRevision,model") == {
            "apiRevision": "8.0",
            "model": "RELOADED-1",
        }

        # Fixed, with another change: reloading resumes.
        objects.write_text(original.replace(AFTER, AFTER + MODEL % "RELOADED-2"), encoding="utf-8")
        poll(lambda: connection.json("/info").get("model") == "RELOADED-2", "the fixed spec to be served")
        assert connection.json(f"/system/backup/jobs/{job_id}") == {"progress": 100, "status": "OK"}

        # A new default of a resource the device data seeds (the generated identity fills /info/device):
        # the seed keeps its own values, and the new spec's defaults fill the rest.
        identity = connection.json("/info/device")
        fixed = original.replace(AFTER, AFTER + MODEL % "RELOADED-2")
        assert fixed.count("default: ECY-S1000 ECLYPSE}") == 1
        objects.write_text(
            fixed.replace("default: ECY-S1000 ECLYPSE}", "default: ECY-RELOADED}"), encoding="utf-8"
        )
        poll(lambda: connection.json("/info/device")["modelName"] == "ECY-RELOADED", "the new default")
        assert connection.json("/info/device") == {**identity, "modelName": "ECY-RELOADED"}
        assert process.poll() is None
    finally:
        connection.close()
    assert (ROOT / "spec" / "info.yaml").read_text(encoding="utf-8").count(
        "RELOADED-"
    ) == 0  # the real spec is untouched


def test_the_copy_serves_its_own_generated_code(project: Path) -> None:
    """The reload test means something only if the served code is the copy's, not the installed one."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import generated, runtime; print(generated.__file__); print(runtime.__file__)",
        ],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    for line in result.stdout.split():
        assert Path(line).resolve().is_relative_to(project.resolve()), line
