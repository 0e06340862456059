"""The threads serving core: `http.server` with a thread per connection, without its traps."""

from __future__ import annotations

import selectors
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any, Callable, Iterable, Protocol

from ...generated.handler import DeviceRequestHandler
from ..core.wire import Receiving, Request, Response


class Host(Protocol):
    """What the threads core serves: an Emulator."""

    def respond(self, request: Request) -> Response | None: ...

    def streams(self, method: str, target: str) -> bool: ...

    def receive(self, request: Request) -> Receiving | tuple[Response | None, float]: ...


class EmulatorHTTPServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` without its traps: a real backlog, no tracebacks for hang-ups, TLS
    handshakes in the connection's thread rather than in the accepting one."""

    daemon_threads = True
    request_queue_size = 1024  # the default of 5 refuses connections under load
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        host: Host,
        *,
        idle_timeout: float = 15.0,
        request_timeout: float = 10.0,
        write_timeout: float = 10.0,
        max_body_size: int = 1 << 20,
        log_access: Callable[[str], None] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.write_timeout = write_timeout  # the handler's writes time out after this
        self.max_body_size = max_body_size
        self.log_access = log_access
        self.tls = tls
        # Open connections, with the deadline of the request each is reading (None: not reading).
        self._connections: dict[socket.socket, float | None] = {}
        self._closed = threading.Event()
        # Set while a connection may be reading a request: wakes the watchdog.
        self._reading = threading.Event()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, DeviceRequestHandler)
        threading.Thread(target=self._watchdog, name="eclypse-watchdog", daemon=True).start()

    def server_bind(self) -> None:
        # HTTPServer's own looks the host's name up (getfqdn), a DNS query for each of a fleet's addresses.
        socketserver.TCPServer.server_bind(self)
        host, self.server_port = self.server_address[:2]
        self.server_name = str(host)

    def request_begun(self, connection: socket.socket) -> None:
        self._connections[connection] = time.monotonic() + self.request_timeout
        self._reading.set()

    def request_read(self, connection: socket.socket) -> None:
        if connection in self._connections:
            self._connections[connection] = None

    def _watchdog(self) -> None:
        """Cut off connections that take longer than request_timeout to send one request. It sleeps while no
        connection is reading one: an idle server costs no wake-ups (a fleet has a thousand)."""
        while self._reading.wait() and not self._closed.wait(min(0.25, self.request_timeout / 4)):
            if not self._cut_late_connections():
                self._reading.clear()
                if self._cut_late_connections():  # one began between the scan and the clear
                    self._reading.set()

    def _cut_late_connections(self) -> bool:
        """Hang up the connections past their deadline; whether any connection is still reading."""
        now, reading = time.monotonic(), False
        for connection, deadline in list(self._connections.items()):
            if deadline is not None:
                reading = True
                if now > deadline:
                    _hang_up(connection)
        return reading

    def server_close(self) -> None:
        """Stop listening and hang up every open connection: nothing is served after stop()."""
        self._closed.set()
        self._reading.set()  # the watchdog wakes, sees the server closed and ends
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

    def respond(self, request: Request) -> Response | None:
        return self.host.respond(request)

    def streams(self, method: str, target: str) -> bool:
        return self.host.streams(method, target)

    def receive(self, request: Request) -> Receiving | tuple[Response | None, float]:
        return self.host.receive(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up, times out or fails its TLS handshake is no error of the server.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class AcceptHub:
    """One thread that accepts the connections of many threads-core servers (a fleet's devices): a
    blocking select over every listening socket, woken only by a connection or by `shutdown`. Each
    `serve_forever` of http.server polls twice a second, which a thousand devices turn into a busy core."""

    def __init__(self, servers: Iterable[EmulatorHTTPServer]) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake, self._waker = socket.socketpair()
        self._selector.register(self._wake, selectors.EVENT_READ, None)
        for server in servers:
            self._selector.register(server.socket, selectors.EVENT_READ, server)
        self._done = threading.Event()

    def serve_forever(self) -> None:
        try:
            while True:
                for key, _ in self._selector.select():
                    if key.data is None:
                        return
                    key.data._handle_request_noblock()  # accept, then a thread per connection
        finally:
            self._done.set()

    def shutdown(self) -> None:
        """Stop accepting, once serve_forever has returned; the servers stay open until closed."""
        self._waker.send(b"\0")
        self._done.wait()
        self._selector.close()
        self._wake.close()
        self._waker.close()


def _hang_up(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading it
    except OSError:
        pass  # already gone
