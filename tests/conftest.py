"""Shared fixtures: one embedded emulator per test module, reset before each test, and a tiny HTTP helper."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from eclypse_emulator.runtime import EmbeddedServer

JOB_DURATION = 10  # seconds a backup job takes on the shared server


def request(
    method: str, url: str, headers: dict[str, str] | None = None, body: bytes | str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection: (status, headers with lower-cased names, body)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# Both serving cores answer every test that uses `server`: the event loop (the default) and http.server.
CORES = ["asyncio", "threads"]


@pytest.fixture(scope="module", params=CORES)
def core(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def module_server(core: str):
    with EmbeddedServer(port=0, clock="manual", job_duration=JOB_DURATION, core=core) as server:
        yield server


@pytest.fixture
def server(module_server: EmbeddedServer) -> EmbeddedServer:
    """The module's emulator (manual clock, 10-second jobs), with every job forgotten."""
    module_server.reset()
    return module_server


@pytest.fixture
def job_duration() -> int:
    """Seconds a backup job takes on `server` unless its scenario says otherwise."""
    return JOB_DURATION


@pytest.fixture
def base(server: EmbeddedServer) -> str:
    """The device API's base URL, e.g. http://127.0.0.1:PORT/api/rest/v1."""
    return server.url


@pytest.fixture(name="http")
def http_fixture():
    """`http(method, url, headers=None, body=None)` -> (status, headers lower-cased, body bytes)."""
    return request
