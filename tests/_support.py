"""Helpers shared by the device-fidelity and security tests (auth, TLS, revisions, hostile input, state).

Everything here talks to the emulator the way a user does: over sockets, HTTP(S) or its CLI.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_PATH = "/api/rest/v1"
# The data types a fleet-administration client sends in a backup's body (DEVICE-FACTS.md).
FLEET_CLIENT_DATA_TYPES = [
    "TIMEZONE",
    "WEB_SERVER_CONFIGURATION",
    "WEATHER",
    "NETWORK_CONFIGURATION",
    "USER_MANAGEMENT",
    "MODULES_FIRMWARES",
    "CERTIFICATE",
    "HOSTNAME",
    "GFX",
    "BACNET_CONFIGURATION",
    "PERSISTENCY",
    "TRENDLOG",
    "OPENADR",
]


# --- HTTP(S) ---------------------------------------------------------------------------------------


@dataclass
class Answer:
    """One HTTP answer: status, headers (names lower-cased; every value of a repeated header kept) and body."""

    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


def basic(user: str, password: str) -> str:
    """The value of an Authorization header for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def connect(
    url: str, *, context: ssl.SSLContext | None = None, timeout: float = 10.0
) -> http.client.HTTPConnection:
    """A new connection to the origin of `url` (https needs `context`)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
) -> Answer:
    """One request on an open connection (kept alive)."""
    connection.request(method, target, body=body, headers=headers or {})
    response = connection.getresponse()
    collected: dict[str, list[str]] = {}
    for name, value in response.getheaders():
        collected.setdefault(name.lower(), []).append(value)
    return Answer(response.status, collected, response.read())


def call(
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    *,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """One request on a new connection to a full URL."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = connect(url, context=context)
    try:
        return exchange(connection, method, target, headers, body)
    finally:
        connection.close()


def parse_body(content_type: str | None, body: bytes) -> Any:
    """The body decoded as its Content-Type says (JSON, XML or text); raises when it is not that."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "application/json":
        return json.loads(body.decode("utf-8"))
    if media in ("application/xml", "text/xml"):
        return ET.fromstring(body)
    if media == "text/plain":
        return body.decode("utf-8")
    assert not body, f"a body without a known Content-Type ({content_type!r}): {body[:200]!r}"
    return None


def assert_error_body(answer: Answer, encoding: str = "json") -> None:
    """The answer carries the spec's error object (a code and a message) in `encoding`."""
    content_type = answer.header("content-type") or ""
    if encoding == "json":
        assert content_type.startswith("application/json"), content_type
        document = answer.json()
        assert document["code"] and document["message"], document
    else:
        assert content_type.startswith("application/xml"), content_type
        root = ET.fromstring(answer.body)
        assert root.tag == "Error"
        assert root.findtext("Code") and root.findtext("Message"), answer.body


# --- Raw sockets -----------------------------------------------------------------------------------


@dataclass
class RawAnswer:
    """What a server wrote back on a raw connection: a parsed status (None: nothing) and the rest."""

    status: int | None
    head: bytes = b""
    body: bytes = b""
    closed: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    assert version.startswith("HTTP/"), lines[0]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status), headers


def raw_exchange(address: tuple[str, int], data: bytes | Iterable[bytes], timeout: float = 10.0) -> RawAnswer:
    """Send `data` (or each piece of it) on a new TCP connection and read the first answer.

    Stops at the end of the first response (by its Content-Length), when the server closes, or at
    the deadline (an AssertionError: the server neither answered nor closed).
    """
    deadline = time.monotonic() + timeout
    with socket.create_connection(address, timeout=timeout) as sock:
        try:
            for piece in [data] if isinstance(data, bytes) else data:
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused early: what it wrote before closing is still readable
        received = b""
        while True:
            if b"\r\n\r\n" in received and received.startswith(b"HTTP/"):
                head, _, body = received.partition(b"\r\n\r\n")
                status, headers = _parse_head(head)
                length = int(headers.get("content-length", "0"))
                if 100 <= status < 200:  # an interim answer (100 Continue): the final one follows
                    received = body
                    continue
                if len(body) >= length:
                    return RawAnswer(status, head, body[:length], False, headers)
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no complete answer and no close within {timeout} s: {received[:300]!r}"
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            except TimeoutError:
                raise AssertionError(
                    f"no complete answer and no close within {timeout} s: {received[:300]!r}"
                ) from None
            if not chunk:
                if not received.startswith(b"HTTP/"):
                    return RawAnswer(None, body=received, closed=True)  # no HTTP answer (maybe a TLS alert)
                head, _, body = received.partition(b"\r\n\r\n")
                status, headers = _parse_head(head)
                return RawAnswer(status, head, body, True, headers)
            received += chunk


def wait_closed(sock: socket.socket, deadline: float) -> bool:
    """True when the peer closes `sock` (after whatever it writes first) by `deadline`; checks at least once."""
    while True:
        ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            if sock.recv(65536) == b"":
                return True
        except (ConnectionResetError, TimeoutError):
            return True


# --- TLS -------------------------------------------------------------------------------------------


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made with openssl as the README shows."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: cannot make a self-signed certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


# --- The CLI ---------------------------------------------------------------------------------------


class Cli:
    """`python -m runtime ...` in a subprocess, with its stdout read line by line within deadlines."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runtime", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
        )
        self._buffer = b""

    def readline(self, timeout: float = 20.0) -> str:
        """The next stdout line; AssertionError when none comes within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        stdout = self.process.stdout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no line on stdout within {timeout} s from {self.args}"
            ready, _, _ = select.select([stdout], [], [], remaining)
            if ready:
                chunk = os.read(stdout.fileno(), 4096)
                if not chunk:
                    raise AssertionError(
                        f"stdout closed; exit {self.process.wait(5)}; stderr: {self.stderr()}"
                    )
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def url(self, timeout: float = 20.0) -> str:
        """The base URL on the first stdout line."""
        line = self.readline(timeout)
        for word in line.split():
            if "/api/rest/v1" in word:
                return word.rstrip(".,;)")
        raise AssertionError(f"no base URL on the first line: {line!r}")

    def wait(self, timeout: float = 20.0) -> int:
        return self.process.wait(timeout)

    def stderr(self) -> str:
        return self.process.stderr.read().decode(errors="replace") if self.process.poll() is not None else ""

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait_for_handlers(self, *signums: int, timeout: float = 10.0) -> None:
        """Wait until the process catches `signums` (Linux: SigCgt in /proc/PID/status); elsewhere, return."""
        status = Path(f"/proc/{self.process.pid}/status")
        if not status.exists():
            return
        wanted = sum(1 << (signum - 1) for signum in signums)
        deadline = time.monotonic() + timeout
        while True:
            caught = next(
                int(line.split()[1], 16)
                for line in status.read_text().splitlines()
                if line.startswith("SigCgt:")
            )
            if caught & wanted == wanted:
                return
            assert (
                time.monotonic() < deadline
            ), f"the process did not install handlers for {signums} in {timeout} s"
            time.sleep(0.01)

    def stop(self) -> None:
        """Kill the process if it still runs, and release its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process.stdout.close()
        self.process.stderr.close()

    def __enter__(self) -> Cli:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_cli(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    """`python -m runtime ...` that is expected to end by itself (e.g. a bad option)."""
    return subprocess.run(
        [sys.executable, "-m", "runtime", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


__all__ = [
    "Answer",
    "BASE_PATH",
    "Cli",
    "RawAnswer",
    "ROOT",
    "assert_error_body",
    "basic",
    "call",
    "connect",
    "exchange",
    "make_certificate",
    "parse_body",
    "raw_exchange",
    "run_cli",
    "signal",
    "wait_closed",
]
