"""The device API over `http.server`: a request handler that reads with `http1.RequestReader`.

Requests are read by the event-loop core's reader: http.server's own request-line and header parsing
(`parse_request`, `parse_headers`) is never called. The generated handler subclasses it with its
`api` (a `deviceapi.DeviceApi`, for the errors of a refused request) and `writer` (a `wire.ResponseWriter`).
Its server provides `respond(request)` (None means: close the connection without answering),
`idle_timeout`, `write_timeout`, `max_body_size`, `log_access` (a callable taking one line, or None), and
`request_begun(connection)` / `request_read(connection)`, between which reading a request has a deadline.
"""

from __future__ import annotations

import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Protocol, cast

from .deviceapi import DeviceApi
from .http1 import (
    CONTINUE_BYTES,
    LINGER_BYTES,
    LINGER_SECONDS,
    BodyEnd,
    BodyPart,
    Continue,
    Refusal,
    RequestEvent,
    RequestReader,
)
from .wire import Receiving, Request, Response, ResponseWriter, origin_form

READ_SIZE = 65536


class Serving(Protocol):
    """What the handler's server provides (runtime/serving/threads.py `EmulatorHTTPServer`)."""

    idle_timeout: float
    write_timeout: float
    max_body_size: int
    log_access: Callable[[str], None] | None

    def respond(self, request: Request) -> Response | None: ...

    def streams(self, method: str, target: str) -> bool:
        """Whether the request's body is streamed to `receive`'s Receiving rather than gathered."""
        ...

    def receive(self, request: Request) -> Receiving | tuple[Response | None, float]:
        """What takes a streamed body, or (the answer, its delay) refusing it at once (None: hang up)."""
        ...

    def request_begun(self, connection: socket.socket) -> None: ...

    def request_read(self, connection: socket.socket) -> None: ...


class DeviceRequestHandler(BaseHTTPRequestHandler):
    """Serves an API over `http.server`, one buffer per response, errors in JSON or XML."""

    api: DeviceApi
    writer: ResponseWriter
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        self.serving = cast(Serving, self.server)
        super().setup()
        # An idle or dribbling connection must not hold its thread forever.
        self.connection.settimeout(self.serving.idle_timeout)
        self.reader = RequestReader(self.serving.max_body_size, self.serving.streams)
        self.command, self.path, self.requestline, self.request_version = "", "", "-", "HTTP/1.1"

    def handle_one_request(self) -> None:
        event = self.next_event()
        if event is None or isinstance(event, (BodyPart, BodyEnd)):  # hung up, idle or too slow
            self.close_connection = True  # (a body's part comes only while `receive` reads one)
            return
        self.requestline = event.request_line
        if isinstance(event, Refusal):
            self.command = ""
            self.refuse(event.key, **event.fields)
            return
        self.command, self.path, self.request_version = event.method, event.target, event.version
        self.headers = event.headers  # type: ignore[assignment]  # http.server types it a Message; this reads alike
        self.close_connection = event.close
        if event.streamed:
            self.receive(event)
            return
        response = self.serving.respond(
            Request(event.method, origin_form(event.target), event.headers, event.body)
        )
        if response is None:  # the server chose to hang up without answering
            self.close_connection = True
            return
        self.send(response, event.keep_alive)

    def receive(self, event: RequestEvent) -> None:
        """A streamed body: each part to the server's Receiving as it is read, then its answer."""
        opened = self.serving.receive(Request(event.method, origin_form(event.target), event.headers, b""))
        if isinstance(opened, tuple):  # refused at once: the body is not read, the connection ends
            response, delay = opened
            self.close_connection = True
            if delay:
                time.sleep(delay)
            if response is not None:
                self.send(response)
                self.linger()
            return
        if event.expects_continue:
            self.wfile.write(CONTINUE_BYTES)
        while True:
            part = self.next_event()
            if isinstance(part, BodyPart):
                refused = opened.write(part.data)
                if refused is not None:
                    self.close_connection = True
                    self.send(refused)
                    self.linger()
                    return
            elif isinstance(part, BodyEnd):
                self.send(opened.finish(), event.keep_alive)
                return
            else:  # the client hung up or was too slow, or the chunked framing is broken
                opened.abort()
                self.close_connection = True
                if isinstance(part, Refusal):
                    self.refuse(part.key, **part.fields)
                return

    def linger(self) -> None:
        """After refusing a streamed body before its end: the answer's FIN, then what the client still
        sends is read and dropped (LINGER_BYTES, for LINGER_SECONDS at most), so that closing does not
        reset the connection before the client has read its answer."""
        deadline, left = time.monotonic() + LINGER_SECONDS, LINGER_BYTES
        try:
            if not isinstance(self.connection, ssl.SSLSocket):
                self.connection.shutdown(socket.SHUT_WR)
            while left > 0 and (remaining := deadline - time.monotonic()) > 0:
                self.connection.settimeout(remaining)
                data = self.rfile.read1(min(left, READ_SIZE))
                if not data:
                    return
                left -= len(data)
        except OSError:
            pass  # gone, or too slow: closed all the same

    def next_event(self) -> RequestEvent | BodyPart | BodyEnd | Refusal | None:
        """The next request, part of a streamed body, or refusal from the connection, None if there is
        none. The first byte is awaited under the idle timeout; from then on the server's watchdog gives
        the request (or each part of a streamed body) a deadline."""
        reader, rfile = self.reader, self.rfile
        try:
            if not reader.busy:
                data = rfile.read1(READ_SIZE)
                if not data:
                    return None
                reader.feed(data)
            self.serving.request_begun(self.connection)
            while True:
                event = reader.next_event()
                if isinstance(event, Continue):
                    self.wfile.write(CONTINUE_BYTES)
                    continue
                if event is not None or reader.failed:
                    return event
                data = rfile.read1(READ_SIZE)
                if not data:
                    return None
                reader.feed(data)
        except OSError:  # a timeout, a reset, or the watchdog's hang-up
            return None
        finally:
            self.serving.request_read(self.connection)

    def refuse(self, key: str, **fields: Any) -> None:
        """Answer an error about the request's framing and close: what follows cannot be trusted."""
        self.close_connection = True
        self.send(self.api.error_response(key, **fields))

    def send(self, response: Response, keep_alive: bool = False) -> None:
        data = self.writer.bytes(response, self.command == "HEAD", self.close_connection, keep_alive)
        try:
            # A client that does not read its answers is dropped after the server's write timeout.
            self.connection.settimeout(self.serving.write_timeout)
            self.wfile.write(data)
            self.connection.settimeout(self.serving.idle_timeout)
        except OSError:
            self.close_connection = True  # the client hung up: there is no one to tell
        if self.serving.log_access is not None:
            line = f'{self.address_string()} "{self.requestline}" {response.status} {len(response.body)}'
            self.serving.log_access(line)

    def parse_request(self) -> bool:
        raise NotImplementedError("requests are read by http1.RequestReader")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.refuse("bad_request", reason=(message or "unreadable").rstrip("."))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # access lines go through the server's log_access; timeouts and hang-ups are not news
