"""Serving the emulator over HTTP(S): the threaded server and the embedded server for tests."""

from __future__ import annotations

import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..generated.handler import BASE_PATH, DeviceRequestHandler, Request, Response

from .app import Emulator
from .clock import Clock
from .control import PREFIX
from .evloop import EventLoopServer


def tls_context(cert_file: str | Path, key_file: str | Path) -> ssl.SSLContext:
    """A server context for TLS 1.2 and later; ValueError naming the file that cannot be used."""
    for path in (cert_file, key_file):
        if not Path(path).is_file():
            raise ValueError(f"TLS file not found or not a file: {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as error:
        raise ValueError(
            f"cannot load the TLS certificate {cert_file} with key {key_file}: {error}"
        ) from None
    return context


class EmulatorHTTPServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` without its traps: a real backlog, no tracebacks for hang-ups, TLS
    handshakes in the connection's thread rather than in the accepting one."""

    daemon_threads = True
    request_queue_size = 1024  # the default of 5 refuses connections under load
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        emulator: Emulator,
        *,
        idle_timeout: float = 15.0,
        request_timeout: float = 10.0,
        write_timeout: float = 10.0,
        max_body_size: int = 1 << 20,
        log_access: Callable[[str], None] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.emulator = emulator
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.write_timeout = write_timeout  # the handler's writes time out after this
        self.max_body_size = max_body_size
        self.log_access = log_access
        self.tls = tls
        # Open connections, with the deadline of the request each is reading (None: not reading).
        self._connections: dict[socket.socket, float | None] = {}
        self._closed = threading.Event()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, DeviceRequestHandler)
        threading.Thread(target=self._watchdog, name="eclypse-watchdog", daemon=True).start()

    def server_bind(self) -> None:
        # HTTPServer's own looks the host's name up (getfqdn), a DNS query for each of a fleet's addresses.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def request_begun(self, connection: socket.socket) -> None:
        self._connections[connection] = time.monotonic() + self.request_timeout

    def request_read(self, connection: socket.socket) -> None:
        if connection in self._connections:
            self._connections[connection] = None

    def _watchdog(self) -> None:
        """Cut off connections that take longer than request_timeout to send one request."""
        while not self._closed.wait(min(0.25, self.request_timeout / 4)):
            now = time.monotonic()
            for connection, deadline in list(self._connections.items()):
                if deadline is not None and now > deadline:
                    _hang_up(connection)

    def server_close(self) -> None:
        """Stop listening and hang up every open connection: nothing is served after stop()."""
        self._closed.set()
        super().server_close()
        for connection in list(self._connections):
            _hang_up(connection)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        if self.tls is not None:
            connection = self.tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return connection, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        self._connections[request] = time.monotonic() + self.request_timeout
        try:
            if isinstance(request, ssl.SSLSocket):
                request.settimeout(self.idle_timeout)  # a client that never finishes its handshake is dropped
                request.do_handshake()
            self._connections[request] = None
            super().finish_request(request, client_address)
        finally:
            self._connections.pop(request, None)

    def respond(self, request: Request) -> Response:
        return self.emulator.respond(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up, times out or fails its TLS handshake is no error of the server.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _hang_up(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading it
    except OSError:
        pass  # already gone


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def server_options(quiet: bool, **options: Any) -> dict[str, Any]:
    """The keyword arguments of a serving core: `options` (timeouts, sizes, TLS) and the access log."""
    return {**options, "log_access": None if quiet else stderr_log}


# The serving cores, by name: both answer with the same Emulator (the generated handler).
CORES: dict[str, type[EventLoopServer] | type[EmulatorHTTPServer]] = {
    "asyncio": EventLoopServer,
    "threads": EmulatorHTTPServer,
}


class DeviceAddress:
    """The URLs of a device served at `host`:`port` with `scheme`."""

    scheme: str
    host: str
    port: int

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The device API's base URL, e.g. http://127.0.0.1:8080/api/rest/v1."""
        return self.origin + BASE_PATH

    @property
    def control_url(self) -> str:
        return self.origin + PREFIX


class EmbeddedServer(DeviceAddress):
    """The emulator in a background thread of this process, for tests and scripts.

        with EmbeddedServer(port=0, clock="manual") as server:
            client = EclypseClient(server.url)
            job_id = server.create_job(duration=10)
            server.advance(5)

    The options are the CLI's: api_revision, job_duration, clock ("real", "manual" or a Clock), quiet,
    users ({name: password}: Basic authentication), tls_cert and tls_key (HTTPS), state_file (jobs and
    resources kept in SQLite), device_data (a device data file, or its mapping: initial resource values
    by device path), max_jobs, idle_timeout, request_timeout, write_timeout (abort a connection whose answers are not read
    for this long), max_body_size, faults (keyword dicts of add_fault), seed (of their
    random choices), usb_key (a USB key is inserted), device_time (the device's clock at start, ISO 8601;
    default: the host's time), and core: "asyncio" (the event-loop core, the default) or "threads" (http.server,
    a thread per connection).
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
        users: Mapping[str, str] | None = None,
        tls_cert: str | Path | None = None,
        tls_key: str | Path | None = None,
        state_file: str | Path | None = None,
        device_data: str | Path | Mapping[str, Any] | None = None,
        max_jobs: int = 1_000_000,
        idle_timeout: float = 15.0,
        request_timeout: float = 10.0,
        write_timeout: float = 10.0,
        max_body_size: int = 1 << 20,
        faults: Iterable[Mapping[str, Any]] = (),
        seed: int | None = None,
        core: str = "asyncio",
        usb_key: bool = False,
        device_time: str | None = None,
    ) -> None:
        if core not in CORES:
            raise ValueError(f"core must be one of {', '.join(CORES)}, not {core!r}")
        self.core = CORES[core]
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("HTTPS needs both tls_cert and tls_key")
        tls = tls_context(tls_cert, tls_key) if tls_cert is not None else None
        options = {"api_revision": api_revision} if api_revision is not None else {}
        self.emulator = Emulator(
            job_duration=job_duration,
            clock=clock,
            users=users,
            secure=tls is not None,
            state_file=state_file,
            device_data=device_data,
            max_jobs=max_jobs,
            seed=seed,
            usb_key=usb_key,
            device_time=device_time,
            **options,
        )
        for fault in faults:
            self.emulator.add_fault(**fault)
        self.host, self.port = host, port
        self.scheme = "https" if tls is not None else "http"
        self._server_options = server_options(
            quiet,
            idle_timeout=idle_timeout,
            request_timeout=request_timeout,
            write_timeout=write_timeout,
            max_body_size=max_body_size,
            tls=tls,
        )
        self._server: EmulatorHTTPServer | EventLoopServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmbeddedServer:
        self._server = self.core((self.host, self.port), self.emulator, **self._server_options)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="eclypse-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None
        self.emulator.close()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # The control operations, as on the control API.

    def create_job(self, **scenario: Any) -> str:
        """Start a job: duration, status ("OK" or a failure), fail_at, never_finish, data_types."""
        return self.emulator.create_job(**scenario)

    def job(self, job_id: str) -> dict[str, Any] | None:
        return self.emulator.job(job_id)

    def jobs(self) -> list[dict[str, Any]]:
        return self.emulator.jobs()

    def reset(self) -> int:
        """Forget every job, fault and journal entry, and restore every resource's seed."""
        return self.emulator.reset()

    def state(self, path: str) -> Any:
        """The stored value at a device path (e.g. "/protocols/bacnet/communication/network/mstp-ports/1"),
        as the device's JSON shows it; LookupError when no entity, collection or member is there."""
        return self.emulator.get_state(path)

    def set_state(self, path: str, value: Any) -> Any:
        """Replace the stored value at a device path with a JSON document (the device's keys; properties
        not given take the spec's defaults); ValueError when the device would refuse it."""
        return self.emulator.set_state(path, value)

    def restore_state(self, path: str) -> None:
        """Put a resource's seed back (the spec's defaults and the device data)."""
        self.emulator.restore_state(path)

    def advance(self, seconds: float) -> float:
        return self.emulator.advance(seconds)

    def set_usb_key(self, inserted: bool) -> None:
        """Insert or remove the emulated USB key (the backup target USB needs one)."""
        self.emulator.set_usb_key(inserted)

    def set_backup_compatibility(
        self, name: str, level: str, target: str = "device"
    ) -> dict[str, Any] | None:
        """Set a backup file's Compatibility (OK, WARNING_*, ERROR_*); None when there is no such file."""
        return self.emulator.set_backup_compatibility(name, level, target)

    def add_fault(self, **fault: Any) -> int:
        """Inject a fault: path (glob), method, latency, latency_max, error_rate, status, retry_after,
        drop_rate; answers its id."""
        return self.emulator.add_fault(**fault)

    def remove_fault(self, fault_id: int) -> bool:
        return self.emulator.remove_fault(fault_id)

    def clear_faults(self) -> None:
        self.emulator.clear_faults()

    def requests(self) -> list[dict[str, Any]]:
        """The journal of device-API requests, oldest first."""
        return self.emulator.requests()

    def clear_requests(self) -> None:
        self.emulator.clear_requests()
