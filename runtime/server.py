"""Serving the emulator over HTTP: the threaded server and the embedded server for tests."""

from __future__ import annotations

import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any, Callable

from generated.handler import BASE_PATH, DeviceRequestHandler, Request, Response

from .app import Emulator
from .clock import Clock
from .control import PREFIX


class EmulatorHTTPServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` without its traps: a real backlog, no tracebacks for hang-ups."""

    daemon_threads = True
    request_queue_size = 1024  # the default of 5 refuses connections under load
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        emulator: Emulator,
        *,
        idle_timeout: float = 15.0,
        max_body_size: int = 1 << 20,
        log_access: Callable[[str], None] | None = None,
    ) -> None:
        self.emulator = emulator
        self.idle_timeout = idle_timeout
        self.max_body_size = max_body_size
        self.log_access = log_access
        super().__init__(address, DeviceRequestHandler)

    def respond(self, request: Request) -> Response:
        return self.emulator.respond(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up or times out is not an error of the server: say nothing.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class EmbeddedServer:
    """The emulator in a background thread of this process, for tests and scripts.

        with EmbeddedServer(port=0, clock="manual") as server:
            client = EclypseClient(server.url)
            job_id = server.create_job(duration=10)
            server.advance(5)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_revision: str | None = None,
        job_duration: float | None = None,
        clock: str | Clock = "real",
        quiet: bool = True,
        idle_timeout: float = 15.0,
        max_body_size: int = 1 << 20,
    ) -> None:
        options = {"api_revision": api_revision} if api_revision is not None else {}
        self.emulator = Emulator(job_duration=job_duration, clock=clock, **options)
        self.host, self.port = host, port
        self._server_options = dict(
            idle_timeout=idle_timeout, max_body_size=max_body_size, log_access=None if quiet else stderr_log
        )
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmbeddedServer:
        self._server = EmulatorHTTPServer((self.host, self.port), self.emulator, **self._server_options)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="eclypse-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The device API's base URL, e.g. http://127.0.0.1:8080/api/rest/v1."""
        return self.origin + BASE_PATH

    @property
    def control_url(self) -> str:
        return self.origin + PREFIX

    # The control operations, as on the control API.

    def create_job(self, **scenario: Any) -> str:
        """Start a job: duration, status ("OK" or a failure), fail_at, never_finish, data_types."""
        return self.emulator.create_job(**scenario)

    def job(self, job_id: str) -> dict[str, Any] | None:
        return self.emulator.job(job_id)

    def jobs(self) -> list[dict[str, Any]]:
        return self.emulator.jobs()

    def reset(self) -> int:
        return self.emulator.reset()

    def advance(self, seconds: float) -> float:
        return self.emulator.advance(seconds)
