"""EXPERIMENT (not product code): event-loop serving cores around `runtime.app.Emulator.respond`.

    python bench/experiments/evloop_server.py --core selectors|asyncio|pool [--workers 4] [--jobs N]

Each core parses the request line and headers itself, builds `generated.handler.Request`, asks
`Emulator.respond(request)` for the answer and writes `generated.handler.response_bytes(response)` in
one send. The answer logic is the product's, unchanged; only the way connections are multiplexed differs
from `runtime.server.EmulatorHTTPServer` (one thread per connection):

- `selectors`: one thread, one epoll loop; every ready connection's complete requests are answered
  inline (respond is pure CPU and takes tens of microseconds: there is nothing to overlap).
- `asyncio`: the same on asyncio's loop, with a Protocol (no streams: they cost more per request).
- `pool`: the selectors loop parses, a small ThreadPoolExecutor calls `respond`, the loop writes; the
  design the issue names ("selectors and a small worker pool"), measured to see what the hand-offs cost.

HTTP/1.1 keep-alive and pipelining, HTTP/1.0 close, `Connection: close`, HEAD, Content-Length bodies,
`Expect: 100-continue`, limits (8 KiB request line -> 414, 64 KiB of headers -> 431, body size -> 413),
idle timeout. Not done (it is an experiment): chunked request bodies (answered 400), TLS, access log.

Prints `experimental <core> serving http://HOST:PORT/api/rest/v1` first, then serves until SIGTERM,
SIGINT (or stdin closing, with --exit-on-eof).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import selectors
import signal
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eclypse_emulator.generated.handler import BASE_PATH, Request, Response, error_response, response_bytes  # noqa: E402
from eclypse_emulator.runtime.app import Emulator  # noqa: E402

MAX_LINE = 8 * 1024
MAX_HEAD = 64 * 1024
MAX_BODY = 1 << 20
IDLE_TIMEOUT = 15.0
METHOD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_")


class Headers(dict):
    """Header fields by lower-cased name (repeated fields joined by ", "), read case-insensitively
    like http.server's message object: `get`, `[]`, `in` and `get_all`."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())

    def get_all(self, name: str, default: Any = None) -> list[str] | Any:
        key = name.lower()
        found = [value for field, value in self.fields if field.lower() == key]
        return found or default


class Parsed:
    """One request read from a connection's buffer."""

    __slots__ = ("request", "close", "head_only", "error")

    def __init__(self, request: Request | None, close: bool, head_only: bool, error: Response | None = None):
        self.request, self.close, self.head_only, self.error = request, close, head_only, error


def refuse(key: str, **fields: Any) -> Parsed:
    return Parsed(None, True, False, error_response(key, **fields))  # the default media type: JSON


def parse_one(buffer: bytearray, max_body: int = MAX_BODY) -> tuple[Parsed | None, int, bool]:
    """(the first request in `buffer` or None when incomplete, bytes it takes, whether to send 100 Continue)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        first = buffer.find(b"\r\n")
        if (first < 0 and len(buffer) > MAX_LINE) or first > MAX_LINE:
            return refuse("uri_too_long"), len(buffer), False
        if len(buffer) > MAX_HEAD:
            return refuse("headers_too_large"), len(buffer), False
        return None, 0, False
    if end > MAX_HEAD:
        return refuse("headers_too_large"), len(buffer), False
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    while lines and not lines[0]:  # robustness (RFC 9112 2.2): empty lines before a request line
        lines.pop(0)
    if not lines:
        return None, end + 4, False
    if len(lines[0]) > MAX_LINE:
        return refuse("uri_too_long"), len(buffer), False
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0] or not set(parts[0]) <= METHOD_CHARS or not parts[1]:
        return (
            refuse("bad_request", reason="the request line is not METHOD TARGET VERSION"),
            len(buffer),
            False,
        )
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        return refuse("bad_request", reason=f"unsupported protocol version {version}"), len(buffer), False
    headers = Headers()
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            return refuse("bad_request", reason="a header line is malformed"), len(buffer), False
        value = value.strip()
        headers.fields.append((name, value))
        key = name.lower()
        previous = dict.get(headers, key)
        dict.__setitem__(headers, key, value if previous is None else f"{previous}, {value}")
    connection = (headers.get("Connection") or "").lower()
    close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        return (
            refuse("bad_request", reason="chunked request bodies are not supported by this core"),
            len(buffer),
            False,
        )
    lengths = {value.strip() for value in headers.get_all("Content-Length", ())}
    length = 0
    if lengths:
        text = lengths.pop()
        if lengths or not (text.isdigit() and text.isascii()):
            return (
                refuse("bad_request", reason="the Content-Length is not one non-negative integer"),
                len(buffer),
                False,
            )
        length = int(text)
        if length > max_body:
            return refuse("body_too_large", limit=max_body), len(buffer), False
    total = end + 4 + length
    if len(buffer) < total:
        expect = (headers.get("Expect") or "").lower() == "100-continue"
        return None, 0, expect
    body = bytes(buffer[end + 4 : total])
    return Parsed(Request(method, target, headers, body), close, method == "HEAD"), total, False


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class HttpConnection:
    """A connection's parsing state, independent of how bytes arrive and leave."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.continued = False
        self.closing = False
        self.last_active = time.monotonic()

    def feed(self, data: bytes) -> None:
        self.buffer += data
        self.last_active = time.monotonic()

    def next_request(self) -> tuple[Parsed | None, bytes]:
        """The next complete request (None: wait for more bytes), and bytes to send first (100 Continue)."""
        if self.closing:
            return None, b""
        parsed, used, expect = parse_one(self.buffer)
        if parsed is None:
            del self.buffer[:used]
            if expect and not self.continued:
                self.continued = True
                return None, CONTINUE
            return None, b""
        del self.buffer[:used]
        self.continued = False
        if parsed.close:
            self.closing = True
        return parsed, b""


def answer(emulator: Emulator, parsed: Parsed) -> bytes:
    if parsed.error is not None:
        return response_bytes(parsed.error, False, True)
    response = emulator.respond(parsed.request)
    if response is None:  # an injected fault: the product hangs up; here, an empty 500 and close
        parsed.close = True
        return response_bytes(Response(500), False, True)
    return response_bytes(response, parsed.head_only, parsed.close)


# ---------------------------------------------------------------------------------------------------
# Core 1 and 3: selectors (inline, or with a worker pool)


class SelectorServer:
    def __init__(self, emulator: Emulator, host: str, port: int, workers: int = 0) -> None:
        self.emulator = emulator
        self.listener = socket.create_server((host, port), backlog=1024, reuse_port=False)
        self.listener.setblocking(False)
        self.address = self.listener.getsockname()[:2]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.connections: dict[socket.socket, tuple[HttpConnection, bytearray]] = {}
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="respond") if workers else None
        self.busy: set[socket.socket] = set()  # a request of theirs is with the pool
        self.done: collections.deque[tuple[socket.socket, bytes]] = collections.deque()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")
        self.running = True

    def stop(self) -> None:
        self.running = False
        try:
            self.wake_w.send(b"x")
        except OSError:
            pass

    def serve_forever(self) -> None:
        next_sweep = time.monotonic() + 1.0
        while self.running:
            for key, mask in self.selector.select(timeout=1.0):
                if key.data is None:
                    self.accept()
                elif key.data == "wake":
                    self.drain_wakeups()
                else:
                    sock = key.fileobj
                    if mask & selectors.EVENT_WRITE:
                        self.flush(sock)
                    if mask & selectors.EVENT_READ and sock in self.connections:
                        self.read(sock)
            now = time.monotonic()
            if now >= next_sweep:
                next_sweep = now + 1.0
                for sock, (conn, _) in list(self.connections.items()):
                    if now - conn.last_active > IDLE_TIMEOUT and sock not in self.busy:
                        self.close(sock)
        for sock in list(self.connections):
            self.close(sock)
        self.selector.close()
        self.listener.close()
        if self.pool is not None:
            self.pool.shutdown(wait=False)

    def accept(self) -> None:
        for _ in range(128):  # bounded: the rest wait for the next round
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections[sock] = (HttpConnection(), bytearray())
            self.selector.register(sock, selectors.EVENT_READ, "conn")

    def read(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.close(sock)
            return
        conn, _ = self.connections[sock]
        conn.feed(data)
        self.process(sock)

    def process(self, sock: socket.socket) -> None:
        """Answer the connection's complete requests, in order, while its output is not backed up."""
        conn, out = self.connections[sock]
        for _ in range(64):  # bounded per round: a pipelining client cannot starve the others
            if out or sock in self.busy:
                return
            parsed, first = conn.next_request()
            if first:
                self.send(sock, first)
            if parsed is None:
                if conn.closing and not out:
                    self.close(sock)
                return
            if self.pool is None or parsed.error is not None:
                self.send(sock, answer(self.emulator, parsed))
            else:
                self.busy.add(sock)
                self.pool.submit(self.work, sock, parsed)
                return
        if conn.buffer and sock in self.connections:
            self.done.append((sock, b""))  # more to do: come back after the others
            try:
                self.wake_w.send(b"p")
            except BlockingIOError:
                pass

    def work(self, sock: socket.socket, parsed: Parsed) -> None:
        data = answer(self.emulator, parsed)
        self.done.append((sock, data))
        try:
            self.wake_w.send(b"d")
        except BlockingIOError:
            pass  # already a wake-up pending

    def drain_wakeups(self) -> None:
        try:
            while self.wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        for _ in range(len(self.done)):
            sock, data = self.done.popleft()
            if sock not in self.connections:
                continue
            if data:
                self.busy.discard(sock)
                self.send(sock, data)
            if sock in self.connections:
                self.process(sock)

    def send(self, sock: socket.socket, data: bytes) -> None:
        conn, out = self.connections[sock]
        if not out:
            try:
                sent = sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.close(sock)
                return
            data = data[sent:]
            if not data:
                if conn.closing and not conn.buffer:
                    self.close(sock)
                return
        out += data
        self.selector.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, "conn")

    def flush(self, sock: socket.socket) -> None:
        conn, out = self.connections[sock]
        try:
            sent = sock.send(out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close(sock)
            return
        del out[:sent]
        if not out:
            self.selector.modify(sock, selectors.EVENT_READ, "conn")
            if conn.closing:
                self.close(sock)
            else:
                self.process(sock)

    def close(self, sock: socket.socket) -> None:
        if self.connections.pop(sock, None) is None:
            return
        self.busy.discard(sock)
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()


# ---------------------------------------------------------------------------------------------------
# Core 2: asyncio with a Protocol


class EmulatorProtocol(asyncio.Protocol):
    def __init__(self, emulator: Emulator, connections: set[EmulatorProtocol]) -> None:
        self.emulator = emulator
        self.conn = HttpConnection()
        self.transport: asyncio.Transport | None = None
        self.connections = connections
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # asyncio sets TCP_NODELAY on TCP transports
        self.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.process()

    def data_received(self, data: bytes) -> None:
        self.conn.feed(data)
        self.process()

    def process(self) -> None:
        transport = self.transport
        for _ in range(64):  # bounded per callback; more data or resume_writing brings us back
            if self.paused or transport.is_closing():
                return
            parsed, first = self.conn.next_request()
            if first:
                transport.write(first)
            if parsed is None:
                if self.conn.closing:
                    transport.close()
                return
            transport.write(answer(self.emulator, parsed))
            if parsed.close:
                transport.close()
                return
        asyncio.get_running_loop().call_soon(self.process)


async def serve_asyncio(
    emulator: Emulator, host: str, port: int, ready: Callable[[tuple[str, int]], None], stop: asyncio.Event
) -> None:
    connections: set[EmulatorProtocol] = set()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: EmulatorProtocol(emulator, connections), host, port, backlog=1024
    )
    ready(server.sockets[0].getsockname()[:2])

    async def sweep() -> None:
        while not stop.is_set():
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for protocol in list(connections):
                if now - protocol.conn.last_active > IDLE_TIMEOUT:
                    protocol.transport.close()

    sweeper = asyncio.create_task(sweep())
    await stop.wait()
    sweeper.cancel()
    server.close()
    await server.wait_closed()


# ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--core", choices=["selectors", "asyncio", "pool"], default="selectors")
    parser.add_argument("--workers", type=int, default=4, help="pool threads for --core pool (default 4)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=0, help="jobs to create in-process before serving")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop by itself after this long")
    parser.add_argument(
        "--exit-on-eof", action="store_true", help="stop when stdin closes (the benchmark's leash)"
    )
    args = parser.parse_args(argv)

    emulator = Emulator(clock="manual")
    last = ""
    for _ in range(args.jobs):
        last = emulator.create_job()

    def announce(address: tuple[str, int]) -> None:
        host, port = address
        extra = f" job {last}" if last else ""
        print(f"experimental {args.core} serving http://{host}:{port}{BASE_PATH}{extra}", flush=True)

    def watch_stdin(on_stop: Callable[[], None]) -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        on_stop()

    if args.core == "asyncio":

        async def run() -> None:
            loop = asyncio.get_running_loop()
            stop = asyncio.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            if args.exit_on_eof:
                threading.Thread(
                    target=watch_stdin, args=(lambda: loop.call_soon_threadsafe(stop.set),), daemon=True
                ).start()
            loop.call_later(args.max_seconds, stop.set)
            await serve_asyncio(emulator, args.host, args.port, announce, stop)

        asyncio.run(run())
        return 0

    server = SelectorServer(
        emulator, args.host, args.port, workers=args.workers if args.core == "pool" else 0
    )
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: server.stop())
    if args.exit_on_eof:
        threading.Thread(target=watch_stdin, args=(server.stop,), daemon=True).start()
    timer = threading.Timer(args.max_seconds, server.stop)
    timer.daemon = True
    timer.start()
    announce(server.address)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
