"""pytest fixtures for code that talks to an ECLYPSE controller (registered as the `eclypse` plugin).

    def test_backup_completes(eclypse):
        job_id = eclypse.client.create_backup(["TIMEZONE"]).job_id
        eclypse.advance(60)
        assert eclypse.client.get_job(job_id).state == "OK"

`eclypse_server` is one EmbeddedServer with a manual clock for the whole session; `eclypse` resets it
before each test and hands over a ready client. Settings (pytest.ini / pyproject): eclypse_api_revision,
eclypse_job_duration.

It lives apart from eclypse_emulator, which imports the standard library only: pytest loads this package
on every run of every project where it is installed, so it imports nothing of the emulator until one of
its fixtures is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from eclypse_emulator.generated.client import EclypseClient
    from eclypse_emulator.runtime import EmbeddedServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("eclypse_api_revision", "API revision the eclypse fixtures serve", default="")
    parser.addini("eclypse_job_duration", "seconds a backup job takes in the eclypse fixtures", default="")


@dataclass
class Eclypse:
    """What a test gets: the running emulator, a client of it, and its manual clock."""

    server: EmbeddedServer
    client: EclypseClient

    @property
    def url(self) -> str:
        return self.server.url

    def advance(self, seconds: float) -> float:
        """Move the emulator's clock forward: jobs progress without the test sleeping."""
        return self.server.advance(seconds)

    def sleep(self, seconds: float) -> None:
        """A `sleep` for client.wait_for_job that advances the clock instead of waiting."""
        self.server.advance(seconds)

    def state(self, path: str) -> Any:
        """A resource's stored value, as the device's JSON shows it (see EmbeddedServer.state)."""
        return self.server.state(path)

    def set_state(self, path: str, value: Any) -> Any:
        """Put the device in the state a test needs, in one line (see EmbeddedServer.set_state):
        `eclypse.set_state("/protocols/bacnet/communication/network/mstp-ports/1", {"enabled": True})`."""
        return self.server.set_state(path, value)


@pytest.fixture(scope="session")
def eclypse_server(pytestconfig: pytest.Config) -> Iterator[EmbeddedServer]:
    """One emulator for the whole session, with a manual clock (time moves only by `advance`).

    The ini settings eclypse_api_revision and eclypse_job_duration configure it."""
    from eclypse_emulator import EmbeddedServer

    revision = pytestconfig.getini("eclypse_api_revision") or None
    duration = pytestconfig.getini("eclypse_job_duration")
    with EmbeddedServer(
        port=0, clock="manual", api_revision=revision, job_duration=float(duration) if duration else None
    ) as server:
        yield server


@pytest.fixture
def eclypse(eclypse_server: EmbeddedServer) -> Iterator[Eclypse]:
    """The session's emulator, reset before the test, with a ready client: `eclypse.client`,
    `eclypse.url`, `eclypse.advance(seconds)`, `eclypse.sleep` (for the client's wait methods), and
    `eclypse.state(path)` / `eclypse.set_state(path, value)` (a resource's stored value)."""
    from eclypse_emulator.generated.client import EclypseClient

    eclypse_server.reset()
    with EclypseClient(eclypse_server.url) as client:
        yield Eclypse(eclypse_server, client)
