"""Where a request's time goes, in-process and without sockets: timings per stage, then cProfile.

    python bench/profile_request.py [--requests 100000] [--top 25] [--variant json|xml|select|value]

Stages, each timed without the profiler (microseconds per request, best of 5):
- `generated.handler.handle(Request(...), emulator)`: the generated device API alone;
- `Emulator.respond` + `response_bytes`: what any serving core would call;
- the full `http.server` path: `DeviceRequestHandler` reading N pipelined requests from an in-memory
  "socket" and writing the answers to a sink (request line and header parsing included);
- the same for the benchmark's reference handler (bench/reference_server.py), for scale;
- the product's event-loop core (runtime.serving.evloop.HttpProtocol, when present): each request arriving in
  its own `data_received`, answers written to a fake transport (timers and parsing included).
Then cProfile of `handle()` and of both full paths, sorted by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from eclypse_emulator.generated.handler import (
    BASE_PATH,
    DeviceRequestHandler,
    Request,
    handle,
    response_bytes,
)  # noqa: E402
from eclypse_emulator.runtime import Emulator  # noqa: E402
from eclypse_emulator.runtime.serving.threads import EmulatorHTTPServer  # noqa: E402

import reference_server  # noqa: E402

VARIANTS = {
    "json": "/system/backup/jobs/{id}",
    "xml": "/system/backup/jobs/{id}?encode=xml",
    "select": "/system/backup/jobs/{id}?$select=progress",
    "value": "/system/backup/jobs/{id}/progress/$value",
}


class FakeSocket:
    """Enough of a socket for StreamRequestHandler: reads from bytes, counts what is written."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.written = 0
        self.writes = 0

    def settimeout(self, timeout: float | None) -> None:
        pass

    def setsockopt(self, *args: object) -> None:
        pass

    def makefile(self, mode: str, buffering: int = -1) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self.data))

    def sendall(self, data: bytes) -> None:
        self.written += len(data)
        self.writes += 1

    def shutdown(self, how: int) -> None:
        pass

    def close(self) -> None:
        pass


def raw_requests(path: str, count: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n".encode() * count


def serve_pipelined(handler_class: type, server: object, data: bytes) -> FakeSocket:
    sock = FakeSocket(data)
    handler_class(sock, ("127.0.0.1", 50000), server)  # setup, handle (until EOF), finish
    return sock


class FakeTransport:
    """Enough of an asyncio transport for runtime.serving.evloop.HttpProtocol: counts what is written."""

    def __init__(self) -> None:
        self.written = 0
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)
        self.writes += 1

    def is_closing(self) -> bool:
        return False

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def can_write_eof(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 50000) if name == "peername" else default

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def serve_evloop(emulator: Emulator, one_request: bytes, count: int) -> FakeTransport:
    """The product's event-loop core (runtime.serving.evloop.HttpProtocol) answering `count` requests, each
    arriving in its own data_received as on a keep-alive connection, written to a fake transport."""
    import asyncio
    from types import SimpleNamespace

    from eclypse_emulator.runtime.serving.evloop import HttpProtocol

    server = SimpleNamespace(
        emulator=emulator, max_body_size=1 << 20, idle_timeout=15.0, request_timeout=10.0,
        write_timeout=10.0, connections=set(), log_access=None,
    )  # fmt: skip
    transport = FakeTransport()

    async def run() -> None:
        protocol = HttpProtocol(server)
        protocol.connection_made(transport)
        for index in range(count):
            protocol.data_received(one_request)
            if index % 64 == 63:
                await asyncio.sleep(0)  # let the loop drop cancelled timers, as it would between reads
        protocol.connection_lost(None)

    asyncio.run(run())
    return transport


def best_of(runs: int, function, count: int) -> float:
    """Microseconds per call, the best of `runs` (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best / count * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="json")
    parser.add_argument("--no-profile", action="store_true", help="timings only")
    args = parser.parse_args(argv)
    n = args.requests

    emulator = Emulator(clock="manual")
    job_id = emulator.create_job()
    path = BASE_PATH + VARIANTS[args.variant].format(id=job_id)
    headers = {"Host": "127.0.0.1:8080"}  # what http.server would hand over, as a plain mapping here
    request = Request("GET", path, headers, b"")
    answer = handle(request, emulator)
    assert answer.status == 200, answer
    server = EmulatorHTTPServer(("127.0.0.1", 0), emulator)  # bound, never served: the handler's host
    reference = reference_server.ReferenceServer(("127.0.0.1", 0), reference_server.make_handler(b"x" * 200))
    pipelined = raw_requests(path, n // 10)

    def run_handle() -> None:
        for _ in range(n):
            handle(request, emulator)

    def run_respond() -> None:
        for _ in range(n):
            response_bytes(emulator.respond(request))

    def run_http() -> None:
        sock = serve_pipelined(DeviceRequestHandler, server, pipelined)
        assert sock.writes == n // 10, sock.writes

    def run_reference() -> None:
        serve_pipelined(reference.RequestHandlerClass, reference, pipelined)

    one_request = raw_requests(path, 1)
    try:
        import eclypse_emulator.runtime.serving.evloop  # noqa: F401
    except ImportError:
        run_evloop = None
    else:

        def run_evloop() -> None:
            transport = serve_evloop(emulator, one_request, n // 10)
            assert transport.writes == n // 10, transport.writes

    print(f"# {args.variant}: GET {path}  ({n:,} calls; http.server paths {n // 10:,} pipelined requests)")
    print(f"handle()                          {best_of(5, run_handle, n):7.2f} µs/request")
    print(f"Emulator.respond + response_bytes {best_of(5, run_respond, n):7.2f} µs/request")
    print(f"full http.server path (emulator)  {best_of(5, run_http, n // 10):7.2f} µs/request")
    print(f"full http.server path (reference) {best_of(5, run_reference, n // 10):7.2f} µs/request")
    if run_evloop is not None:
        print(
            f"full event-loop path (runtime.serving.evloop, fake transport) {best_of(5, run_evloop, n // 10):7.2f} µs/request"
        )
    if not args.no_profile:
        paths = [("handle()", run_handle), ("full http.server path", run_http)]
        if run_evloop is not None:
            paths.append(("full event-loop path (runtime.serving.evloop)", run_evloop))
        for title, function in paths:
            profile = cProfile.Profile()
            profile.runcall(function)
            print(f"\n## cProfile: {title}, sorted by own time")
            stats = pstats.Stats(profile, stream=sys.stdout)
            stats.strip_dirs().sort_stats("tottime").print_stats(args.top)
    server.server_close()
    reference.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
