"""The event-loop serving core: HTTP/1.1 on asyncio, every connection in one thread.

The thread-per-connection http.server core spends its time switching threads under load (its p99
reaches hundreds of milliseconds at 64 connections on 2 cores). This core reads requests with the same
incremental reader as the threads core (runtime/core/http1.py), answers them with the same
`Emulator.answer` — the generated handler — and keeps an idle connection for the price of a buffer. An
injected latency waits on a timer, never in the loop.

One loop (a LoopHub) serves any number of listening addresses, each bound to its own host (an Emulator,
a device of a fleet): ten thousand devices cost ten thousand listening sockets and one sweep, no thread
or timer of their own.

A client that sends without reading is held back: reading pauses while the connection's unsent output is
above the transport's high-water mark, or while unanswered input is above INPUT_HIGH; a connection whose
output has not drained for `write_timeout` seconds is aborted.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import socket
import ssl
import threading
import time
from typing import Any, Callable, Protocol, cast

from ...generated import handler as api
from ..core.http1 import CONTINUE_BYTES, Continue, Refusal, RequestEvent, RequestReader
from ..core.wire import Request, Response, origin_form
from ..device.feature import LoopService

logger = logging.getLogger("runtime")

INPUT_HIGH = 64 * 1024  # unanswered (pipelined) input bytes beyond which reading pauses
# Threads for the answers that may block, made as needed and shared by every host of a loop, each host using
# at most WORKERS_PER_HOST at a time (one waiting on a lock, another answering its other clients).
WORKERS, WORKERS_PER_HOST = 16, 2
OUTPUT_HIGH = 64 * 1024  # the transport's write-buffer high-water mark
REQUESTS_PER_CALLBACK = 64  # a pipelining client cannot starve the others
BACKLOG = 1024
# What a host answers for a request it leaves unanswered (a hung device): the connection stays open.
SILENT: Any = object()


class HttpProtocol(asyncio.Protocol):
    """One connection: requests answered in order; an idle timeout between requests, and a deadline
    from a request's first byte to its last, so that a client that dribbles is cut off (the server's
    sweep closes a connection past its deadline)."""

    transport: asyncio.Transport  # from connection_made on, before any other call

    def __init__(self, listener: Listener) -> None:
        self.listener, self.server = listener, listener.hub
        self.reader = RequestReader(self.server.max_body_size)
        self.peer = "-"
        self.deadline = time.monotonic() + self.server.idle_timeout  # the server's sweep closes it after this
        self.unsent_since: float | None = None  # since when output waits unsent (the sweep's view)
        self.reading = False  # a request has begun arriving
        self.paused = False  # the transport's buffer is full
        self.holding = False  # an answer waits out an injected latency
        self.backlogged = False  # a complete request waits in the reader's buffer
        self.reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream's transport; asyncio sets TCP_NODELAY on TCP transports.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(high=OUTPUT_HIGH)
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else "-"
        self.server.connections.add(self)
        self.listener.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.listener.connections.discard(self)

    def pause_writing(self) -> None:
        self.paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self.paused = False
        self._process()

    def data_received(self, data: bytes) -> None:
        if not self.reading and not self.holding:
            self._request_begun()
        self.reader.feed(data)
        if self.backlogged or self.paused or self.holding:
            if len(self.reader.buffer) > INPUT_HIGH:
                self._pause_reading()
            return
        self._process()

    def _pause_reading(self) -> None:
        if not self.reading_paused and not self.transport.is_closing():
            self.reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.reading_paused and not self.transport.is_closing():
            self.reading_paused = False
            self.transport.resume_reading()

    def _request_begun(self) -> None:
        self.reading = True
        self.deadline = time.monotonic() + self.server.request_timeout  # later bytes do not extend it

    def _process(self) -> None:
        transport, reader = self.transport, self.reader
        self.backlogged = False
        for _ in range(REQUESTS_PER_CALLBACK):
            if self.paused or self.holding or transport.is_closing():
                self.backlogged = not transport.is_closing()
                return
            event = reader.next_event()
            if isinstance(event, Continue):
                transport.write(CONTINUE_BYTES)
                continue
            if event is None:
                if not reader.busy:
                    self.reading = False
                    self.deadline = time.monotonic() + self.server.idle_timeout
                self._resume_reading()
                return
            self.reading = False
            self._answer(event)
            if reader.busy and not self.holding:
                self._request_begun()  # the next request (pipelined) has begun arriving
        self.backlogged = True
        asyncio.get_running_loop().call_soon(self._process)

    def _answer(self, event: RequestEvent | Refusal) -> None:
        if isinstance(event, Refusal):
            self._send(event, api.error_response(event.key, **event.fields))
            return
        request = Request(event.method, origin_form(event.target), event.headers, event.body)
        host = self.listener.host
        if host.blocking:
            # An answer may wait on the state file (maybe on another process's lock), a GET too (reading
            # the backup files settles finished backups into files): in a worker thread.
            self.holding = True
            self.deadline = math.inf
            future = asyncio.ensure_future(self.server.in_worker(host, host.answer, request))
            future.add_done_callback(lambda done: self._answered(event, *done.result()))
            return
        response, delay = host.answer(request)
        self._answered(event, response, delay, held=False)

    def _answered(
        self, event: RequestEvent, response: Response | None, delay: float, held: bool = True
    ) -> None:
        if response is SILENT:  # a hung device: the connection stays open, unanswered, until it goes
            self.holding = True
            self.deadline = math.inf
            return
        if delay:
            self.holding = True
            self.deadline = math.inf  # waiting on us, not on the client
            asyncio.get_running_loop().call_later(delay, self._send_held, event, response)
        elif held:
            self._send_held(event, response)
        else:
            self._send(event, response)

    def _send_held(self, event: RequestEvent, response: Response | None) -> None:
        self.holding = False
        self._send(event, response)
        if self.reader.busy:
            self._request_begun()
        self._process()

    def _send(self, event: RequestEvent | Refusal, response: Response | None) -> None:
        transport = self.transport
        if transport.is_closing():
            return
        if response is None:  # an injected fault: hang up without answering
            transport.abort()
            return
        if isinstance(event, Refusal):
            close, head_only, keep_alive = True, False, False
        else:
            close, head_only, keep_alive = event.close, event.method == "HEAD", event.keep_alive
        transport.write(api.response_bytes(response, head_only, close, keep_alive))
        if self.server.log_access is not None:
            self.server.log_access(
                f'{self.peer} "{event.request_line}" {response.status} {len(response.body)}'
            )
        if close:
            if transport.can_write_eof():
                transport.write_eof()  # the FIN follows the answer at once
            transport.close()


class Host(Protocol):
    """What a listener serves: an Emulator, a device of a fleet, or the fleet's control API."""

    @property
    def blocking(self) -> bool: ...

    def answer(self, request: Request) -> tuple[Response | None, float]: ...


def listening_socket(address: tuple[str, int]) -> socket.socket:
    """A socket listening on `address` (SO_REUSEADDR: a device taken offline can listen there again)."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    return socket.create_server(address, family=family, backlog=BACKLOG)


class Listener:
    """One listening address on a hub's loop, bound to the host that answers it. It listens from its
    construction (so that port 0 is resolved and a taken address fails early) until close(); open()
    listens again at the same address."""

    def __init__(self, hub: LoopHub, address: tuple[str, int], host: Host, tls: ssl.SSLContext | None = None):
        self.hub, self.host, self.tls = hub, host, tls
        self.socket: socket.socket | None = listening_socket(address)
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self.connections: set[HttpProtocol] = set()
        self._server: asyncio.base_events.Server | None = None
        self._opening: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        return self.socket is not None

    async def serve(self) -> None:
        """Accept connections on the loop (on the loop's thread)."""
        if self.socket is None:
            self.socket = listening_socket(self.server_address)
        hub = self.hub
        self._server = await asyncio.get_running_loop().create_server(
            lambda: HttpProtocol(self),
            sock=self.socket,
            backlog=BACKLOG,  # create_server listens again on the socket, with 100 unless told
            ssl=self.tls,
            ssl_handshake_timeout=min(hub.idle_timeout, hub.request_timeout) if self.tls else None,
        )

    def reopen(self) -> None:
        """Listen again at the same address (on the loop's thread): the socket accepts into its backlog at
        once, the loop serves it from its next turn."""
        self.socket = listening_socket(self.server_address)
        self._opening = asyncio.get_running_loop().create_task(self.serve())

    def drop_connections(self) -> None:
        for protocol in list(self.connections):
            protocol.transport.abort()

    def close(self) -> None:
        """Stop listening (connections to the address are refused) and drop every connection."""
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        if self._server is not None:
            self._server.close()  # closes the socket
            self._server = None
        elif self.socket is not None:
            self.socket.close()
        self.socket = None
        self.drop_connections()


class LoopHub:
    """One asyncio loop, in the thread that calls serve_forever(), serving any number of listeners: one
    shared sweep closes the connections past their deadline, however many addresses there are."""

    def __init__(
        self,
        *,
        idle_timeout: float = 15.0,
        request_timeout: float = 10.0,
        write_timeout: float = 10.0,
        max_body_size: int = 1 << 20,
        log_access: Callable[[str], None] | None = None,
    ) -> None:
        self.idle_timeout, self.request_timeout, self.write_timeout = (
            idle_timeout,
            request_timeout,
            write_timeout,
        )
        self.max_body_size, self.log_access = max_body_size, log_access
        self.listeners: list[Listener] = []
        self.services: list[LoopService] = []
        self.connections: set[HttpProtocol] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._lanes: dict[Host, asyncio.Semaphore] = {}  # one per host that used the workers (in_worker)
        self._stop: asyncio.Event | None = None
        self._serving = threading.Event()
        self._stopped = threading.Event()

    def listen(self, address: tuple[str, int], host: Host, tls: ssl.SSLContext | None = None) -> Listener:
        """A new listener, served from serve_forever() on (call before it)."""
        listener = Listener(self, address, host, tls)
        self.listeners.append(listener)
        return listener

    def attach(self, service: LoopService, host: str) -> None:
        """Serve `service` (a device's BACnet/IP port) on the loop too: it binds its address on `host` now
        (OSError: taken), serves from serve_forever() on and closes when the loop stops."""
        service.bind(host)
        self.services.append(service)

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
        for listener in self.listeners:
            await listener.serve()
        for service in self.services:
            await service.start()
        sweeper = asyncio.create_task(self._sweep())
        self._serving.set()
        await self._stop.wait()
        sweeper.cancel()
        for listener in self.listeners:  # nothing is served after stop()
            listener.close()
        for service in self.services:
            service.close()

    def wait_serving(self, timeout: float | None = None) -> bool:
        """Wait until every listener accepts connections; False if the loop stopped first."""
        while not self._serving.wait(0.01 if timeout is None else min(0.01, timeout)):
            if self._stopped.is_set():
                return False
        return True

    async def _sweep(self) -> None:
        """Close the connections past their deadline (idle, or too slow to send a request): one
        periodic pass, cheaper than a timer re-armed on every request."""
        period = min(1.0, max(0.05, min(self.idle_timeout, self.request_timeout, self.write_timeout) / 4))
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for protocol in list(self.connections):
                transport = protocol.transport
                if transport.get_write_buffer_size():  # output the client does not read
                    if protocol.unsent_since is None:
                        protocol.unsent_since = now
                    elif now - protocol.unsent_since > self.write_timeout:
                        transport.abort()  # close() would wait for the unread output
                        continue
                else:
                    protocol.unsent_since = None
                if protocol.deadline < now:
                    transport.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the loop is not serving")
        return self._loop

    def call(self, function: Callable[[], Any]) -> Any:
        """Run `function` on the loop's thread and answer its result (at once when called there)."""
        loop = self._loop
        if loop is None or not self._serving.is_set() or self._stopped.is_set():
            raise RuntimeError("the loop is not serving")
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            return function()

        async def run() -> Any:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), loop).result()

    def executor(self) -> concurrent.futures.ThreadPoolExecutor:
        """The worker threads that answer the requests that may block (created on first use)."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                WORKERS, thread_name_prefix="eclypse-blocking"
            )
        return self._executor

    async def in_worker(self, host: Host, function: Callable[..., Any], *arguments: Any) -> Any:
        """`function(*arguments)` in a worker thread, at most WORKERS_PER_HOST at a time for each host: a
        device whose answers take long (a state file locked by another process, thousands of backups to
        settle) holds a few workers, never the whole pool the other devices of a fleet share."""
        lane = self._lanes.get(host)
        if lane is None:
            lane = self._lanes[host] = asyncio.Semaphore(WORKERS_PER_HOST)
        async with lane:
            return await asyncio.get_running_loop().run_in_executor(self.executor(), function, *arguments)

    def shutdown(self) -> None:
        """Stop serve_forever (from another thread) and wait until it has."""
        while self._loop is None or self._stop is None:
            if self._stopped.wait(0.01):
                return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._stopped.wait()

    def server_close(self) -> None:
        for listener in self.listeners:
            if listener.socket is not None:
                listener.socket.close()
        for service in self.services:  # a hub that never served: what they bound
            service.close()
        if self._executor is not None:
            self._executor.shutdown(wait=True)


class EventLoopServer(LoopHub):
    """Serves one host (an Emulator) on its own loop: the same surface as the threaded server
    (server_address, serve_forever, shutdown, server_close)."""

    def __init__(
        self,
        address: tuple[str, int],
        host: Host,
        *,
        tls: ssl.SSLContext | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.server_address = self.listen(address, host, tls).server_address


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Clients that hang up or fail their TLS handshake are not news; anything else is a bug worth a line.
    if isinstance(context.get("exception"), (OSError, ssl.SSLError, asyncio.TimeoutError)):
        return
    logger.error("event loop: %s", context.get("message"), exc_info=context.get("exception"))
