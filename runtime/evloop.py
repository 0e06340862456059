"""The event-loop serving core: HTTP/1.1 on asyncio, every connection in one thread.

The thread-per-connection http.server core spends its time switching threads under load (its p99
reaches hundreds of milliseconds at 64 connections on 2 cores). This core reads requests itself
(http11.py), answers them with the same `Emulator.answer` — the generated handler — and keeps an idle
connection for the price of a buffer. An injected latency waits on a timer, never in the loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import ssl
import threading
import time
from typing import Any, Callable

from ..generated import handler as api

from .app import Emulator
from .http11 import Parsed, RequestReader

logger = logging.getLogger("runtime")


class HttpProtocol(asyncio.Protocol):
    """One connection: requests answered in order; an idle timeout between requests, and a deadline
    from a request's first byte to its last, so that a client that dribbles is cut off (the server's
    sweep closes a connection past its deadline)."""

    def __init__(self, server: EventLoopServer) -> None:
        self.server = server
        self.reader = RequestReader(server.max_body_size)
        self.transport: asyncio.Transport | None = None
        self.peer = "-"
        self.deadline = time.monotonic() + server.idle_timeout  # the server's sweep closes it after this
        self.reading = False  # a request has begun arriving
        self.paused = False  # the transport's buffer is full
        self.holding = False  # an answer waits out an injected latency

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # asyncio sets TCP_NODELAY on TCP transports
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else "-"
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._process()

    def data_received(self, data: bytes) -> None:
        if not self.reading and not self.holding:
            self._request_begun()
        self.reader.feed(data)
        self._process()

    def _request_begun(self) -> None:
        self.reading = True
        self.deadline = time.monotonic() + self.server.request_timeout  # later bytes do not extend it

    def _process(self) -> None:
        transport = self.transport
        for _ in range(64):  # bounded per callback: a pipelining client cannot starve the others
            if self.paused or self.holding or transport.is_closing():
                return
            parsed, interim = self.reader.next()
            if interim:
                transport.write(interim)
            if parsed is None:
                if not self.reader.buffer:
                    self.reading = False
                    self.deadline = time.monotonic() + self.server.idle_timeout
                return
            self.reading = False
            self._answer(parsed)
            if self.reader.buffer and not self.holding:
                self._request_begun()  # the next request (pipelined) has begun arriving
        asyncio.get_running_loop().call_soon(self._process)

    def _answer(self, parsed: Parsed) -> None:
        if parsed.refusal is not None:
            self._send(parsed, parsed.refusal)
            return
        response, delay = self.server.emulator.answer(parsed.request)
        if delay:
            self.holding = True
            self.deadline = math.inf  # waiting on us, not on the client
            asyncio.get_running_loop().call_later(delay, self._send_held, parsed, response)
        else:
            self._send(parsed, response)

    def _send_held(self, parsed: Parsed, response: api.Response | None) -> None:
        self.holding = False
        self._send(parsed, response)
        if self.reader.buffer:
            self._request_begun()
        self._process()

    def _send(self, parsed: Parsed, response: api.Response | None) -> None:
        transport = self.transport
        if transport.is_closing():
            return
        if response is None:  # an injected fault: hang up without answering
            transport.abort()
            return
        head_only = parsed.request is not None and parsed.request.method == "HEAD"
        transport.write(api.response_bytes(response, head_only, parsed.close))
        if self.server.log_access is not None:
            self.server.log_access(
                f'{self.peer} "{parsed.request_line}" {response.status} {len(response.body)}'
            )
        if parsed.close:
            transport.close()


class EventLoopServer:
    """Serves an Emulator on an asyncio loop in the thread that calls serve_forever(); the same surface
    as the threaded server (server_address, serve_forever, shutdown, server_close)."""

    def __init__(
        self,
        address: tuple[str, int],
        emulator: Emulator,
        *,
        idle_timeout: float = 15.0,
        request_timeout: float = 10.0,
        max_body_size: int = 1 << 20,
        log_access: Callable[[str], None] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.emulator = emulator
        self.idle_timeout, self.request_timeout = idle_timeout, request_timeout
        self.max_body_size, self.log_access, self.tls = max_body_size, log_access, tls
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.create_server(address, family=family, backlog=1024)
        self.server_address = self.socket.getsockname()[:2]
        self.connections: set[HttpProtocol] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()
            self._stopped.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.get_running_loop().create_server(
            lambda: HttpProtocol(self),
            sock=self.socket,
            ssl=self.tls,
            ssl_handshake_timeout=min(self.idle_timeout, self.request_timeout) if self.tls else None,
        )
        sweeper = asyncio.create_task(self._sweep())
        await self._stop.wait()
        sweeper.cancel()
        server.close()
        for protocol in list(self.connections):  # nothing is served after stop()
            protocol.transport.abort()
        await server.wait_closed()

    async def _sweep(self) -> None:
        """Close the connections past their deadline (idle, or too slow to send a request): one
        periodic pass, cheaper than a timer re-armed on every request."""
        period = min(1.0, max(0.05, min(self.idle_timeout, self.request_timeout) / 4))
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for protocol in [p for p in self.connections if p.deadline < now]:
                protocol.transport.close()

    def shutdown(self) -> None:
        """Stop serve_forever (from another thread) and wait until it has."""
        while self._loop is None or self._stop is None:
            if self._stopped.wait(0.01):
                return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._stopped.wait()

    def server_close(self) -> None:
        self.socket.close()


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Clients that hang up or fail their TLS handshake are not news; anything else is a bug worth a line.
    if isinstance(context.get("exception"), (OSError, ssl.SSLError, asyncio.TimeoutError)):
        return
    logger.error("event loop: %s", context.get("message"), exc_info=context.get("exception"))
