"""The emulator served in a background thread of this process, for tests and scripts: `EmbeddedServer`."""

from __future__ import annotations

import functools
import sys
import threading
from typing import TYPE_CHECKING, Any

from ...generated.handler import BASE_PATH
from ..control.emulator import PREFIX
from ..core.options import share_out
from ..device.emulator import Emulator, operations, option_kinds
from ..device.events import REBOOT
from ..reboot.feature import RebootFeature
from .evloop import EventLoopServer, LoopHub
from .options import ServingOptions
from .threads import EmulatorHTTPServer
from .tls import TlsOptions, tls_context


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def server_options(quiet: bool, **options: Any) -> dict[str, Any]:
    """The keyword arguments of a serving core: `options` (timeouts, sizes, TLS) and the access log."""
    return {**options, "log_access": None if quiet else stderr_log}


# A reboot's own answer goes out before the device goes down: real seconds it is given.
ANSWER_GRACE = 0.1
# How often a device that is down looks at its clock (a manual clock moves without telling).
DOWN_POLL = 0.02

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

    The options are the command line's, by their names in Python: those of serving (core: "asyncio", the
    event-loop core and the default, or "threads", http.server with a thread per connection;
    idle_timeout, request_timeout, write_timeout: abort a connection whose answers are not read for this
    long; max_body_size), of TLS (tls_cert and tls_key: HTTPS), of the device (api_revision, state_file:
    jobs and resources kept in SQLite, device_data: a device data file or its mapping of initial values
    by device path, seed: of the random choices) and of its features (clock: "real", "manual" or a Clock;
    device_time: the device's clock at start, ISO 8601; job_duration, max_jobs, users: {name: password}
    for Basic authentication, faults: keyword dicts of add_fault, usb_key: a USB key is inserted).
    `quiet` (default True): no access log. The control operations are methods, as on the control API.
    """

    if TYPE_CHECKING:  # the control operations, made from the device's declarations below the class

        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True, **options: Any) -> None:
        serving, tls_files, *device_shares = share_out([ServingOptions, TlsOptions, *option_kinds()], options)
        device = {name: value for share in device_shares for name, value in share.items()}
        self.serving, tls_options = ServingOptions(**serving), TlsOptions(**tls_files)
        if self.serving.core not in CORES:
            raise ValueError(f"core must be one of {', '.join(CORES)}, not {self.serving.core!r}")
        if (tls_options.tls_cert is None) != (tls_options.tls_key is None):
            raise ValueError("HTTPS needs both tls_cert and tls_key")
        cert, key = tls_options.tls_cert, tls_options.tls_key
        tls = tls_context(cert, key) if cert is not None and key is not None else None
        self.emulator = Emulator(secure=tls is not None, **device)
        self.host, self.port = host, port
        self.scheme = "https" if tls is not None else "http"
        self._server_options = server_options(quiet, **self.serving.limits(), tls=tls)
        self._server: EmulatorHTTPServer | EventLoopServer | None = None
        self._thread: threading.Thread | None = None
        # What the device serves besides HTTP (BACnet/IP) has a loop of its own, whichever the core: it
        # lives from start to stop, through the reboots that stop and start the HTTP server.
        self._services: LoopHub | None = None
        self._lock = threading.Lock()  # serving starts and stops under it (a reboot does both)
        self._stopped = threading.Event()
        self.emulator.events.subscribe(REBOOT, self._rebooting)

    def start(self) -> EmbeddedServer:
        with self._lock:
            self._stopped.clear()
            self._serve_services()
            try:
                self._serve()
            except BaseException:
                self._halt_services()
                raise
        return self

    def _serve_services(self) -> None:
        services = self.emulator.services()
        if not services:
            return
        hub = LoopHub()
        try:
            for service in services:
                hub.attach(service, self.host)
        except BaseException:
            hub.server_close()
            raise
        self._services = hub
        threading.Thread(target=hub.serve_forever, name="eclypse-services", daemon=True).start()
        hub.wait_serving()

    def _halt_services(self) -> None:
        if self._services is not None:
            self._services.shutdown()
            self._services.server_close()
            self._services = None

    def _serve(self) -> None:
        core = CORES[self.serving.core]
        self._server = core((self.host, self.port), self.emulator, **self._server_options)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="eclypse-emulator", daemon=True
        )
        self._thread.start()

    def _halt(self) -> None:
        """Stop listening and hang up every connection."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            self._halt()
            self._halt_services()
        self.emulator.close()

    def _rebooting(self, **_: Any) -> None:
        threading.Thread(target=self._reboot, name="eclypse-reboot", daemon=True).start()

    def _reboot(self) -> None:
        """The socket part of a reboot: down (connections dropped and refused) until the device's clock
        passes the reboot's end, then listening again at the same address."""
        reboot = self.emulator.feature(RebootFeature)
        if self._stopped.wait(ANSWER_GRACE):
            return
        with self._lock:
            if self._stopped.is_set():
                return
            self._halt()
        while reboot.phase() == "down" and not self._stopped.wait(DOWN_POLL):
            pass
        with self._lock:
            if not self._stopped.is_set() and self._server is None:
                self._serve()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def state(self, path: str) -> Any:
        """The stored value at a device path (e.g. "/protocols/bacnet/communication/network/mstp-ports/1"),
        as the device's JSON shows it; LookupError when no entity, collection or member is there."""
        return self.emulator.get_state(path)


def _offer(name: str, method: Any) -> None:
    """EmbeddedServer.<name>: the emulator's control operation, with its signature and its docstring."""

    @functools.wraps(method)
    def offered(self: EmbeddedServer, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.emulator, name)(*args, **kwargs)

    setattr(EmbeddedServer, name, offered)


for _kind, _operation in operations():
    _offer(_operation.function, getattr(Emulator if _kind is None else _kind, _operation.function))
