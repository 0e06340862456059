"""Load generator 2: the standard library, in separate processes (threads would share one GIL)."""

from __future__ import annotations

import array
import math
import multiprocessing
import os
import selectors
import socket
import time
from typing import Any

from cells import Result, Target
from common import MAX_REQUESTS_PER_CELL, SOCKET_TIMEOUT
from servers import check_loopback


def parse_response(buffer: bytes | bytearray) -> tuple[int, int] | None:
    """(bytes the first complete response takes, its status), None when incomplete; (-1, 0) unframeable."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    try:
        status = int(head[9:12])
    except ValueError:
        return -1, 0
    start = head.find(b"\r\ncontent-length:")
    if start < 0:
        return -1, status  # not framed by Content-Length: cannot go on with this connection
    stop = head.find(b"\r\n", start + 2)
    try:
        length = int(head[start + 17 : stop if stop >= 0 else len(head)])
    except ValueError:
        return -1, status
    total = end + 4 + length
    return (total, status) if len(buffer) >= total else None


def _connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=SOCKET_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _one_connection(
    sock: socket.socket, request: bytes, deadline: int, latencies: array.array
) -> tuple[int, int, bool]:
    """One blocking keep-alive connection until the deadline: (requests, non-2xx, broken)."""
    perf = time.perf_counter_ns
    buffer = bytearray()
    count = non_2xx = 0
    while count < MAX_REQUESTS_PER_CELL:
        sent = perf()
        if sent >= deadline:
            return count, non_2xx, False
        sock.sendall(request)
        while True:
            parsed = parse_response(buffer)
            if parsed is not None:
                break
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the server closed the connection")
            buffer += chunk
        done = perf()
        total, status = parsed
        if total < 0:
            return count, non_2xx, True
        del buffer[:total]
        if done <= deadline:
            latencies.append(done - sent)
            count += 1
            if not 200 <= status < 300:
                non_2xx += 1
    return count, non_2xx, False


def _worker(
    host: str, port: int, request: bytes, connections: int, duration: float, barrier: Any, queue: Any
) -> None:
    """One load-generating process: `connections` keep-alive sockets, one request in flight on each."""
    latencies = array.array("q")
    count = non_2xx = errors = 0
    reconnects_left = 100 * connections
    sockets: list[socket.socket] = []
    for _ in range(connections):
        try:
            sockets.append(_connect(host, port))
        except OSError:
            errors += 1
    try:
        barrier.wait(timeout=60)
    except Exception:  # a broken barrier: the parent gave up
        queue.put({"error": "barrier broken"})
        return
    perf = time.perf_counter_ns
    started = perf()
    deadline = started + int(duration * 1e9)

    if connections == 1:  # the simplest and fastest loop: blocking I/O on one socket
        while sockets and perf() < deadline:  # bounded: reconnects_left and the deadline
            try:
                done, bad, broken = _one_connection(sockets[0], request, deadline, latencies)
                count += done
                non_2xx += bad
                if not broken:
                    break
                errors += 1
            except OSError:
                errors += 1
            sockets[0].close()
            sockets.clear()
            if reconnects_left > 0:
                reconnects_left -= 1
                try:
                    sockets.append(_connect(host, port))
                except OSError:
                    errors += 1
    else:
        selector = selectors.DefaultSelector()
        states: dict[int, list[Any]] = {}  # fileno -> [socket, buffer, sent]

        def start(sock: socket.socket) -> None:
            sock.setblocking(False)
            state = [sock, bytearray(), perf()]
            states[sock.fileno()] = state
            selector.register(sock, selectors.EVENT_READ, state)
            sock.send(request)  # a few dozen bytes into an empty socket buffer: all go

        def replace(state: list[Any]) -> None:
            nonlocal errors, reconnects_left
            errors += 1
            sock = state[0]
            states.pop(sock.fileno(), None)
            try:
                selector.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
            while reconnects_left > 0 and perf() < deadline:
                reconnects_left -= 1
                try:
                    start(_connect(host, port))
                    return
                except OSError:
                    errors += 1

        for sock in sockets:
            try:
                start(sock)
            except OSError:
                errors += 1
        next_check = started
        while states and count < MAX_REQUESTS_PER_CELL:
            now = perf()
            if now >= deadline:
                break
            events = selector.select(timeout=min((deadline - now) / 1e9, 0.25))
            if now >= next_check:  # a connection waiting too long is a timeout, events or not
                next_check = now + 250_000_000
                for state in [s for s in states.values() if now - s[2] > SOCKET_TIMEOUT * 1e9]:
                    replace(state)
            for key, _ in events:
                state = key.data
                sock, buffer = state[0], state[1]
                try:
                    chunk = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    replace(state)
                    continue
                if not chunk:
                    replace(state)
                    continue
                buffer += chunk
                parsed = parse_response(buffer)
                if parsed is None:
                    continue
                total, status = parsed
                if total < 0:
                    replace(state)
                    continue
                done = perf()
                del buffer[:total]
                if done <= deadline:
                    latencies.append(done - state[2])
                    count += 1
                    if not 200 <= status < 300:
                        non_2xx += 1
                    state[2] = done
                    try:
                        sock.send(request)
                    except OSError:
                        replace(state)
        selector.close()
    elapsed = min(perf(), deadline) - started
    for sock in sockets:
        sock.close()
    for state in list(states.values()) if connections > 1 else []:
        state[0].close()
    queue.put(
        {
            "count": count,
            "non_2xx": non_2xx,
            "errors": errors,
            "elapsed_ns": elapsed,
            "latencies": latencies.tobytes(),
        }
    )


def percentile(sorted_values: list[int] | array.array, q: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def python_load(target: Target, connections: int, duration: float, processes: int | None = None) -> Result:
    check_loopback(target.host)
    processes = max(1, min(connections, processes or default_processes(connections)))
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    barrier = context.Barrier(processes + 1)
    queue = context.Queue()
    request = target.raw()
    workers = [
        context.Process(
            target=_worker,
            args=(target.host, target.port, request, share, duration, barrier, queue),
            daemon=True,
        )
        for share in shares
    ]
    for worker in workers:
        worker.start()
    results = []
    try:
        barrier.wait(timeout=60)
        for _ in workers:
            results.append(queue.get(timeout=duration + 60))
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=5)
    failed = [r for r in results if "error" in r]
    if failed:
        raise RuntimeError(f"load generator failed: {failed}")
    latencies = array.array("q")
    for r in results:
        latencies.frombytes(r["latencies"])
    ordered = sorted(latencies)
    count = sum(r["count"] for r in results)
    elapsed = max(r["elapsed_ns"] for r in results) / 1e9
    return Result(
        tool=f"python ({processes} process{'es' if processes > 1 else ''})",
        connections=connections,
        duration_s=elapsed,
        requests=count,
        rps=count / elapsed if elapsed else 0.0,
        p50_ms=percentile(ordered, 50) / 1e6,
        p99_ms=percentile(ordered, 99) / 1e6,
        mean_ms=(sum(ordered) / len(ordered) / 1e6) if ordered else float("nan"),
        max_ms=(ordered[-1] / 1e6) if ordered else float("nan"),
        socket_errors=sum(r["errors"] for r in results),
        non_2xx=sum(r["non_2xx"] for r in results),
    )


def default_processes(connections: int) -> int:
    # The server under test is one GIL-bound process; on a small machine more client processes only
    # take cores from it. One process per core, at most, and never more than the connections.
    return max(1, min(connections, (os.cpu_count() or 1)))
