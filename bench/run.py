#!/usr/bin/env python3
"""The emulator's benchmark: one run, one machine, one markdown table.

    python bench/run.py                 # the full run (about 2-3 minutes on 2 cores)
    python bench/run.py --quick         # a smoke run (about 30 s): 0.5 s per cell, 10,000 jobs
    python bench/run.py --json out.json --png out.png

Measures, against the emulator served in a separate process (`python -m runtime --port 0 --quiet
--clock manual`):
- throughput and latency (p50, p99) of GET /system/backup/jobs/{id} in JSON, XML (?encode=xml),
  with $select=progress and /progress/$value, at 1, 16 and 64 keep-alive connections;
- the same GET against a reference: the fastest honest http.server handler answering a constant body
  of the JSON answer's size (bench/reference_server.py), and the emulator's figures as a ratio to it;
- creates per second (POST /system/backup/create);
- RSS after 100,000 and 1,000,000 jobs, and GET latency with 1,000,000 jobs against 10
  (bench/serve_jobs.py: jobs created in-process, served by EmbeddedServer);
- `python -m codegen` wall time (into a temporary --out folder).

The load comes from wrk when it is on PATH (`apt-get install wrk`), otherwise from the load generator
below: separate processes (not threads: they would share one GIL), each holding keep-alive sockets and
sending pre-built request bytes, one request in flight per connection. Standard library only; all
traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import array
import http.client
import json
import math
import multiprocessing
import os
import platform
import re
import selectors
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
BASE_PATH = "/api/rest/v1"
URL_PATTERN = re.compile(r"(https?)://([^\s/]+)(/api/rest/v1)")
CONNECTIONS = (1, 16, 64)
VARIANTS = (  # (name, path template relative to BASE_PATH)
    ("JSON", "/system/backup/jobs/{id}"),
    ("XML", "/system/backup/jobs/{id}?encode=xml"),
    ("$select", "/system/backup/jobs/{id}?$select=progress"),
    ("$value", "/system/backup/jobs/{id}/progress/$value"),
)
CREATE_BODY = b'{"dataTypes": []}'
MAX_REQUESTS_PER_CELL = 50_000_000  # a bound on every load loop besides its duration
SOCKET_TIMEOUT = 5.0  # a response slower than this counts as a socket error (timeout)


# ---------------------------------------------------------------------------------------------------
# The machine


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    memory_mb = None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory_mb = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "nproc": usable,
        "cpu_model": model,
        "memory_mb": memory_mb,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_executable": PYTHON,
        "platform": platform.platform(),
    }


# ---------------------------------------------------------------------------------------------------
# Servers in their own processes


class ServerProcess:
    """A server in a subprocess whose first stdout line names its base URL; stopped on exit."""

    def __init__(self, name: str, argv: list[str], ready_timeout: float = 180.0) -> None:
        self.name = name
        self.argv = argv
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.first_line = ""
        self.host = ""
        self.port = 0
        self.base_url = ""
        self._stdout = tempfile.TemporaryFile()
        self._stderr = tempfile.TemporaryFile()

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=self._stdout, stderr=self._stderr
        )
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:  # bounded in time
            self._stdout.seek(0)
            text = self._stdout.read().decode("utf-8", "replace")
            if "\n" in text:
                self.first_line = text.split("\n", 1)[0]
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        match = URL_PATTERN.search(self.first_line)
        if not match:
            self.stop()
            raise RuntimeError(
                f"{self.name}: no URL on the first stdout line {self.first_line!r}; {self.stderr()}"
            )
        scheme, authority, _ = match.groups()
        if scheme != "http":
            raise RuntimeError(f"{self.name}: only plain HTTP is benchmarked, got {match.group(0)}")
        host, _, port = authority.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        check_loopback(self.host)
        self.base_url = match.group(0)
        return self

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-2000:]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            process.stdin.close()
        except OSError:
            pass
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def check_loopback(host: str) -> None:
    """Refuse to send load anywhere but this machine's loopback."""
    if host == "localhost" or host == "::1" or host.startswith("127."):
        return
    raise RuntimeError(f"refusing to benchmark {host}: only loopback addresses (127.0.0.0/8, ::1)")


def emulator_argv(extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """`python -m runtime` as the benchmark serves it; `extra` are more CLI options (e.g. --core threads)."""
    return [
        PYTHON,
        "-m",
        "runtime",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--quiet",
        "--clock",
        "manual",
        *extra,
    ]


def shown(argv: list[str]) -> str:
    """A command line as a user would type it: `python` for this interpreter, paths relative to the repo."""
    words = ["python" if word == PYTHON else word for word in argv]
    return " ".join(shlex.quote(w.replace(str(ROOT) + os.sep, "")) for w in words)


def product_commit() -> str | None:
    """The commit of the code under test, and whether the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "runtime", "generated", "spec", "codegen"],
            cwd=ROOT, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def reference_argv(body_size: int) -> list[str]:
    return [PYTHON, str(BENCH / "reference_server.py"), "--body-size", str(body_size), "--exit-on-eof"]


def helper_argv(jobs: int, core: str | None = None) -> list[str]:
    return [
        PYTHON,
        str(BENCH / "serve_jobs.py"),
        "--jobs",
        str(jobs),
        "--exit-on-eof",
        *(["--core", core] if core else []),
    ]


def http_request(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    check_loopback(host)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def create_job(server: ServerProcess) -> str:
    """A job made through the control API (POST /_emulator/jobs); with the manual clock it stays at 0 %."""
    status, body = http_request(
        server.host, server.port, "POST", "/_emulator/jobs", b"{}", {"Content-Type": "application/json"}
    )
    if status not in (200, 201):
        raise RuntimeError(f"POST /_emulator/jobs answered {status}: {body[:200]!r}")
    return json.loads(body)["jobId"]


# ---------------------------------------------------------------------------------------------------
# What a cell sends


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    method: str
    path: str  # absolute, e.g. /api/rest/v1/system/backup/jobs/<id>
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def raw(self) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body

    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


@dataclass
class Result:
    tool: str
    connections: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    socket_errors: int
    non_2xx: int
    notes: list[str] = field(default_factory=list)
    server_cpu: float | None = None  # cores the server process(es) used during the cell
    loadgen_cpu: float | None = None  # cores the load generator used
    other_cpu: float | None = None  # cores used by anything else on the machine (noise)
    server_us_per_request: float | None = None  # server CPU time per answered request: noise-resistant
    attempts: int = 1


# ---------------------------------------------------------------------------------------------------
# Load generator 1: wrk

WRK_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\": %d, \"duration_us\": %d, \"connect\": %d, \"read\": %d, \"write\": %d, " ..
    "\"status\": %d, \"timeout\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"max_us\": %.1f}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
"""


def lua_string(data: bytes) -> str:
    return '"' + "".join(f"\\{byte:03d}" for byte in data) + '"'


def wrk_load(target: Target, connections: int, duration: float, threads: int) -> Result:
    seconds = max(1, round(duration))  # wrk takes whole seconds
    script = [f"wrk.method = {lua_string(target.method.encode())}"]
    if target.body:
        script.append(f"wrk.body = {lua_string(target.body)}")
    for name, value in target.headers:
        script.append(f"wrk.headers[{lua_string(name.encode())}] = {lua_string(value.encode())}")
    script.append(WRK_DONE)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write("\n".join(script))
    try:
        argv = [
            "wrk", f"-t{max(1, min(threads, connections))}", f"-c{connections}", f"-d{seconds}s",
            f"--timeout={int(SOCKET_TIMEOUT)}s", "-s", lua.name, target.url(),
        ]  # fmt: skip
        run = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(lua.name)
    line = next((x for x in run.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if run.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({run.returncode}): {run.stdout[-500:]} {run.stderr[-500:]}")
    data = json.loads(line[len("WRKJSON ") :])
    elapsed = data["duration_us"] / 1e6
    notes = [] if seconds == duration else [f"wrk ran {seconds} s (whole seconds only)"]
    return Result(
        tool="wrk",
        connections=connections,
        duration_s=elapsed,
        requests=data["requests"],
        rps=data["requests"] / elapsed if elapsed else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        non_2xx=data["status"],  # wrk counts statuses >= 400 here
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------------
# Load generator 2: the standard library, in separate processes


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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy_ticks() -> int | None:
    """CPU ticks the whole machine has spent busy (all CPUs), from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal


def process_ticks(pid: int) -> int:
    """CPU ticks (user + system, all threads) of a live process, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return 0


def own_ticks() -> float:
    """CPU ticks of this process and of its finished children (wrk, the load-generating processes)."""
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += (usage.ru_utime + usage.ru_stime) * CLOCK_TICKS
    return total


class CpuWatch:
    """Who used the CPUs during a cell: the servers, the load generator, and everything else."""

    def __init__(self, server_pids: tuple[int, ...]) -> None:
        self.server_pids = server_pids

    def __enter__(self) -> CpuWatch:
        self.wall = time.monotonic()
        self.busy = machine_busy_ticks()
        self.servers = sum(process_ticks(pid) for pid in self.server_pids)
        self.own = own_ticks()
        return self

    def __exit__(self, *exc_info: object) -> None:
        wall = max(1e-9, time.monotonic() - self.wall)
        busy = machine_busy_ticks()
        servers = sum(process_ticks(pid) for pid in self.server_pids) - self.servers
        own = own_ticks() - self.own
        self.server_seconds = servers / CLOCK_TICKS
        self.server_cores = servers / CLOCK_TICKS / wall
        self.loadgen_cores = own / CLOCK_TICKS / wall
        self.other_cores = None
        if busy is not None and self.busy is not None:
            self.other_cores = max(0.0, (busy - self.busy - servers - own) / CLOCK_TICKS / wall)


class LoadGenerator:
    def __init__(
        self,
        choice: str,
        duration: float,
        wrk_threads: int,
        processes: int | None,
        noise_threshold: float = 0.25,
        noise_retries: int = 2,
    ) -> None:
        self.noise_threshold = noise_threshold
        self.noise_retries = noise_retries
        wrk = shutil.which("wrk")
        if choice == "wrk" and wrk is None:
            raise SystemExit("--loadgen wrk: wrk is not on PATH (apt-get install wrk)")
        self.kind = "wrk" if (choice == "wrk" or (choice == "auto" and wrk)) else "python"
        self.duration = duration
        self.wrk_threads = wrk_threads
        self.processes = processes
        self.version = ""
        if self.kind == "wrk":
            probe = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=30)
            self.version = (
                (probe.stdout + probe.stderr).strip().splitlines()[0]
                if (probe.stdout + probe.stderr)
                else "wrk"
            )

    def describe(self) -> str:
        if self.kind == "wrk":
            return f"wrk ({self.version}), {self.wrk_threads} thread(s), latency from its histogram via a Lua done()"
        return (
            "standard-library load generator (bench/run.py): separate processes, raw keep-alive sockets, "
            f"up to {self.processes or 'one per core'} process(es) per cell"
        )

    def once(self, target: Target, connections: int, duration: float | None = None) -> Result:
        duration = self.duration if duration is None else duration
        if self.kind == "wrk":
            return wrk_load(target, connections, duration, self.wrk_threads)
        return python_load(target, connections, duration, self.processes)

    def run(
        self,
        target: Target,
        connections: int,
        server_pids: tuple[int, ...] = (),
        duration: float | None = None,
    ) -> Result:
        """One cell; run again (at most noise_retries times) while other processes took more than
        noise_threshold cores, keeping the quietest attempt."""
        best: Result | None = None
        for attempt in range(1 + max(0, self.noise_retries)):
            with CpuWatch(server_pids) as watch:
                result = self.once(target, connections, duration)
            result.server_cpu, result.loadgen_cpu, result.other_cpu = (
                watch.server_cores,
                watch.loadgen_cores,
                watch.other_cores,
            )
            result.attempts = attempt + 1
            if result.requests and server_pids:
                result.server_us_per_request = watch.server_seconds / result.requests * 1e6
            if best is None or (result.other_cpu or 0.0) < (best.other_cpu or 0.0):
                best = result
            if result.other_cpu is None or result.other_cpu <= self.noise_threshold:
                break
            time.sleep(1.0)  # let the other load pass
        best.attempts = attempt + 1
        return best


# ---------------------------------------------------------------------------------------------------
# Memory, codegen

MEMORY_CODE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])

def status(field):
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1

from eclypse_emulator import runtime
jobs = int(sys.argv[2])
try:  # room for every job, should the runtime bound the job count
    emulator = runtime.Emulator(clock="manual", max_jobs=max(jobs, 1_000_000))
except TypeError:
    emulator = runtime.Emulator(clock="manual")
base = status("VmRSS")
started = time.perf_counter()
create = emulator.create_job
for _ in range(jobs):
    create()
elapsed = time.perf_counter() - started
rss, hwm = status("VmRSS"), status("VmHWM")

# The answer's cost, without sockets: Emulator.respond for 1,000 jobs picked at random among all of them
# (with many jobs they are not in the CPU caches), best of 5 rounds of 20,000 calls.
import random
from eclypse_emulator.generated.handler import BASE_PATH, Request
ids = [job.id for job in emulator.simulator.jobs()] if jobs <= 10_000 else None
if ids is None:
    ids = []
    for index, job in enumerate(emulator.simulator.jobs()):  # bounded by the job count
        if index % (jobs // 1000) == 0:
            ids.append(job.id)
random.seed(1)
random.shuffle(ids)
requests = [Request("GET", f"{BASE_PATH}/system/backup/jobs/{job_id}", {}) for job_id in ids[:1000]]
respond = emulator.respond
best = float("inf")
for _ in range(5):
    t0 = time.perf_counter()
    for i in range(20_000):
        respond(requests[i % len(requests)])
    best = min(best, (time.perf_counter() - t0) / 20_000)
assert respond(requests[0]).status == 200
hot = float("inf")  # one job over and over: in the caches whatever the job count
for _ in range(5):
    t0 = time.perf_counter()
    for i in range(20_000):
        respond(requests[0])
    hot = min(hot, (time.perf_counter() - t0) / 20_000)
print(json.dumps({"jobs": jobs, "rss_kb": rss, "hwm_kb": hwm, "base_rss_kb": base, "create_s": elapsed,
                  "respond_us": best * 1e6, "respond_hot_us": hot * 1e6}))
"""


def memory_point(jobs: int) -> dict[str, Any]:
    run = subprocess.run(
        [PYTHON, "-c", MEMORY_CODE, str(ROOT), str(jobs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if run.returncode != 0:
        raise RuntimeError(f"memory run for {jobs} jobs failed: {run.stderr[-1000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def codegen_times(runs: int) -> dict[str, Any]:
    times: list[float] = []
    identical = None
    with tempfile.TemporaryDirectory(prefix="bench-codegen-") as out:
        for _ in range(runs):
            started = time.perf_counter()
            run = subprocess.run(
                [PYTHON, "-m", "codegen", "--out", out], cwd=ROOT, capture_output=True, text=True, timeout=300
            )
            times.append(time.perf_counter() - started)
            if run.returncode != 0:
                return {
                    "error": (run.stderr or run.stdout).strip().splitlines()[-1:] or ["failed"],
                    "runs": times,
                }
        written = sorted(p.name for p in Path(out).iterdir() if p.is_file())
        identical = all(
            (ROOT / "generated" / name).is_file()
            and (ROOT / "generated" / name).read_bytes() == (Path(out) / name).read_bytes()
            for name in written
        )
    return {"runs": times, "median_s": statistics.median(times), "min_s": min(times), "identical": identical}


# ---------------------------------------------------------------------------------------------------
# The run


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def background_load(seconds: float = 1.0) -> float | None:
    """Cores busy on the machine over a short idle sample, before the benchmark starts anything."""
    before = machine_busy_ticks()
    time.sleep(seconds)
    after = machine_busy_ticks()
    return None if before is None or after is None else (after - before) / CLOCK_TICKS / seconds


def median_result(results: list[Result]) -> Result:
    """Several rounds of one cell as one: medians of the rates and latencies, sums of the errors."""
    if len(results) == 1:
        return results[0]
    merged = Result(**vars(results[0]))
    for name in (
        "rps",
        "p50_ms",
        "p99_ms",
        "mean_ms",
        "server_cpu",
        "loadgen_cpu",
        "other_cpu",
        "server_us_per_request",
    ):
        values = [getattr(r, name) for r in results if getattr(r, name) is not None]
        setattr(merged, name, statistics.median(values) if values else None)
    merged.max_ms = max(r.max_ms for r in results)
    for name in ("requests", "socket_errors", "non_2xx", "attempts"):
        setattr(merged, name, sum(getattr(r, name) for r in results))
    merged.duration_s = sum(r.duration_s for r in results)
    merged.notes = sorted({n for r in results for n in r.notes} | {f"median of {len(results)} rounds"})
    return merged


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    loadgen = LoadGenerator(
        args.loadgen,
        args.duration,
        args.wrk_threads,
        args.processes,
        args.noise_threshold,
        args.noise_retries,
    )
    results: dict[str, Any] = {
        "machine": machine(),
        "loadgen": loadgen.describe(),
        "loadgen_kind": loadgen.kind,
        "duration_per_cell_s": args.duration,
        "rounds": args.rounds,
        "quick": args.quick,
        "command": " ".join(["python", "bench/run.py", *sys.argv[1:]]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "noise_threshold_cores": args.noise_threshold,
        "emulator_command": shown(emulator_argv(args.emulator_extra)),
        "commit": product_commit(),
        "cells": [],
    }
    progress(f"load generator: {results['loadgen']}")
    results["background_cores_before"] = background_load()

    if not args.skip_codegen:
        progress("codegen: python -m codegen --out <tmp> ...")
        with CpuWatch(()) as watch:
            results["codegen"] = codegen_times(args.codegen_runs)
        results["codegen"]["other_cpu"] = watch.other_cores

    if not args.skip_memory:
        results["memory"] = []
        for jobs in args.memory_jobs:
            progress(f"memory: {jobs:,} jobs ...")
            results["memory"].append(memory_point(jobs))

    if not args.skip_http:
        with ServerProcess("emulator", emulator_argv(args.emulator_extra)) as emulator:
            job_id = create_job(emulator)
            status, json_body = http_request(
                emulator.host, emulator.port, "GET", f"{BASE_PATH}/system/backup/jobs/{job_id}"
            )
            if status != 200:
                raise RuntimeError(f"GET job answered {status}")
            results["emulator_first_line"] = emulator.first_line
            results["json_body_size"] = len(json_body)
            with ServerProcess("reference", reference_argv(len(json_body))) as reference:
                pids = {"reference": (reference.process.pid,)}
                targets = {
                    "reference": Target(
                        reference.host, reference.port, "GET", f"{BASE_PATH}/system/backup/jobs/{job_id}"
                    )
                }
                for name, path in VARIANTS:
                    targets[name] = Target(
                        emulator.host, emulator.port, "GET", BASE_PATH + path.format(id=job_id)
                    )
                    pids[name] = (emulator.process.pid,)
                for name, target in targets.items():  # check every answer once, and warm up
                    status, body = http_request(target.host, target.port, "GET", target.path)
                    if status != 200:
                        raise RuntimeError(f"{name}: GET {target.path} answered {status}: {body[:200]!r}")
                    loadgen.once(target, 16, min(args.duration, 1.0))
                rounds: dict[tuple[str, int], list[Result]] = {}
                for round_ in range(args.rounds):
                    for connections in CONNECTIONS:
                        for name in targets:
                            progress(
                                f"round {round_ + 1}/{args.rounds}: GET {name} at {connections} connection(s) ..."
                            )
                            result = loadgen.run(targets[name], connections, pids[name])
                            rounds.setdefault((name, connections), []).append(result)
                for connections in CONNECTIONS:
                    for name in targets:
                        results["cells"].append(
                            {"target": name, **vars(median_result(rounds[(name, connections)]))}
                        )
            create = Target(
                emulator.host, emulator.port, "POST", f"{BASE_PATH}/system/backup/create", CREATE_BODY,
                (("Content-Type", "application/json"),),
            )  # fmt: skip
            status, body = http_request(
                create.host, create.port, "POST", create.path, create.body, dict(create.headers)
            )
            if status != 200:
                raise RuntimeError(f"POST create answered {status}: {body[:200]!r}")
            results["creates"] = []
            for connections in (1, 16):
                progress(f"POST create at {connections} connection(s) ...")
                results["creates"].append(vars(loadgen.run(create, connections, (emulator.process.pid,))))

    if not args.skip_scaling:
        results["scaling"] = scaling(loadgen, args)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    return results


def scaling(loadgen: LoadGenerator, args: argparse.Namespace) -> dict[str, Any]:
    """GET latency (1 connection, JSON) with many jobs against few, each round alternating the two."""
    few, many = 10, args.scaling_jobs
    progress(f"scaling: starting a server holding {many:,} jobs and one holding {few} ...")
    out: dict[str, Any] = {"few": few, "many": many, "rounds": []}
    with (
        ServerProcess(f"{many} jobs", helper_argv(many, args.core), ready_timeout=900) as big,
        ServerProcess(f"{few} jobs", helper_argv(few, args.core)) as small,
    ):
        out["rss_kb"], targets, pids = {}, {}, {}
        for label, server in (("few", small), ("many", big)):
            fields = server.first_line.split()
            out["rss_kb"][label] = int(fields[fields.index("rss_kb") + 1])
            job_id = fields[fields.index("job") + 1]
            targets[label] = Target(
                server.host, server.port, "GET", f"{BASE_PATH}/system/backup/jobs/{job_id}"
            )
            pids[label] = (server.process.pid,)
            status, _ = http_request(server.host, server.port, "GET", targets[label].path)
            if status != 200:
                raise RuntimeError(f"scaling: GET on the {label} server answered {status}")
            loadgen.once(targets[label], 1, min(args.duration, 1.0))  # warm up
        for round_ in range(args.scaling_rounds):
            for label in ("few", "many"):
                progress(f"scaling round {round_ + 1}: GET with {out[label]:,} jobs ...")
                result = loadgen.run(targets[label], 1, pids[label])
                out["rounds"].append({"jobs": out[label], **vars(result)})
    for label in ("few", "many"):
        rounds = [r for r in out["rounds"] if r["jobs"] == out[label]]
        out[label + "_p50_ms"] = statistics.median(r["p50_ms"] for r in rounds)
        out[label + "_p99_ms"] = statistics.median(r["p99_ms"] for r in rounds)
        out[label + "_rps"] = statistics.median(r["rps"] for r in rounds)
    return out


# ---------------------------------------------------------------------------------------------------
# The report


def fmt_ms(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def fmt_us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def fmt_cores(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.2f}×"


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "## Benchmark",
        "",
        f"- Command: `{results['command']}`",
        f"- Machine: {m['nproc']} CPU(s), {m['cpu_model']}, {m['memory_mb']} MB; "
        f"{m['python_implementation']} {m['python']}; {m['platform']}",
        f"- Load generator: {results['loadgen']}",
        f"- Code under test: commit {results.get('commit') or 'unknown'}",
        f"- {results['duration_per_cell_s']} s per cell; emulator: `{results['emulator_command']}` "
        "(a separate process); reference: bench/reference_server.py (ThreadingHTTPServer, HTTP/1.1 keep-alive, "
        f"TCP_NODELAY, backlog 1024, no logging, one write of a constant {results.get('json_body_size', '?')}-byte body)",
        f"- {results['started']}; machine busy before the run: {fmt_cores(results.get('background_cores_before'))} "
        f"core(s); a cell during which other processes used more than {results['noise_threshold_cores']} core "
        "is run again (twice at most), the quietest attempt kept",
        "",
    ]
    cells = results.get("cells", [])
    if cells:
        lines += [
            "### GET /api/rest/v1/system/backup/jobs/{id}",
            "",
            "| answer | conns | req/s | × ref | p50 ms | p99 ms | p50 × ref | p99 × ref | socket errors | non-2xx "
            "| server CPU µs/req | server CPU | other CPU |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for connections in CONNECTIONS:
            ref = next(
                (c for c in cells if c["target"] == "reference" and c["connections"] == connections), None
            )
            for cell in (c for c in cells if c["connections"] == connections):
                is_ref = cell["target"] == "reference"
                name = "reference (constant body)" if is_ref else cell["target"]
                r_rps = "1.00×" if is_ref else fmt_ratio(ratio(cell["rps"], ref["rps"]) if ref else None)
                r_p50 = (
                    "1.00×" if is_ref else fmt_ratio(ratio(cell["p50_ms"], ref["p50_ms"]) if ref else None)
                )
                r_p99 = (
                    "1.00×" if is_ref else fmt_ratio(ratio(cell["p99_ms"], ref["p99_ms"]) if ref else None)
                )
                lines.append(
                    f"| {name} | {connections} | {cell['rps']:,.0f} | {r_rps} | {fmt_ms(cell['p50_ms'])} | "
                    f"{fmt_ms(cell['p99_ms'])} | {r_p50} | {r_p99} | {cell['socket_errors']} | {cell['non_2xx']} | "
                    f"{fmt_us(cell.get('server_us_per_request'))} | {fmt_cores(cell.get('server_cpu'))} | "
                    f"{fmt_cores(cell.get('other_cpu'))} |"
                )
        lines += [
            "",
            "Server CPU µs/req: CPU time (user + system, all threads) the server process spent per answered "
            "request, the figure least disturbed by other load. The other two CPU columns are in cores (of the "
            f"machine's {m['nproc']}): the server process, and every process that is neither the server nor the "
            "load generator (noise).",
            "",
        ]
    other = ["### Other figures", "", "| measure | value |", "|---|---|"]
    for create in results.get("creates", []):
        other.append(
            f"| creates/s, POST /system/backup/create, {create['connections']} conn(s) | {create['rps']:,.0f} "
            f"(p50 {fmt_ms(create['p50_ms'])} ms, p99 {fmt_ms(create['p99_ms'])} ms, "
            f"errors {create['socket_errors']}, non-2xx {create['non_2xx']}) |"
        )
    for point in results.get("memory", []):
        if point["jobs"] < 1000:
            continue
        per_job = (point["rss_kb"] - point["base_rss_kb"]) * 1024 / point["jobs"]
        other.append(
            f"| RSS after {point['jobs']:,} jobs (in-process `Emulator.create_job`) | {point['rss_kb'] / 1024:,.1f} MB "
            f"({per_job:,.0f} B/job over the {point['base_rss_kb'] / 1024:.1f} MB start; "
            f"{point['jobs'] / point['create_s']:,.0f} creates/s in-process) |"
        )
    for point in results.get("memory", []):
        if "respond_us" in point:
            other.append(
                f"| `Emulator.respond` in-process (GET JSON), {point['jobs']:,} jobs "
                f"| {point['respond_us']:.2f} µs/request over up to 1,000 of its jobs at random, "
                f"{point['respond_hot_us']:.2f} µs/request on one job (best of 5 × 20,000) |"
            )
    scale = results.get("scaling")
    if scale:
        for label in ("few", "many"):
            other.append(
                f"| GET JSON, 1 conn, {scale[label]:,} jobs | p50 {fmt_ms(scale[label + '_p50_ms'])} ms, "
                f"p99 {fmt_ms(scale[label + '_p99_ms'])} ms, {scale[label + '_rps']:,.0f} req/s "
                f"(server RSS {scale['rss_kb'][label] / 1024:,.1f} MB) |"
            )
        other.append(
            f"| latency with {scale['many']:,} jobs / with {scale['few']} | "
            f"p50 {fmt_ratio(ratio(scale['many_p50_ms'], scale['few_p50_ms']))}, "
            f"p99 {fmt_ratio(ratio(scale['many_p99_ms'], scale['few_p99_ms']))} "
            f"(median of {len(scale['rounds']) // 2} alternating round(s)) |"
        )
    code = results.get("codegen")
    if code:
        if "error" in code:
            other.append(f"| `python -m codegen` wall time | failed: {' '.join(code['error'])} |")
        else:
            other.append(
                f"| `python -m codegen` wall time | {code['median_s']:.2f} s median of {len(code['runs'])} "
                f"(min {code['min_s']:.2f} s; output identical to generated/: {'yes' if code['identical'] else 'no'}; "
                f"other processes used {fmt_cores(code.get('other_cpu'))} core(s) meanwhile) |"
            )
    if len(other) > 4:
        lines += other + [""]
    lines += targets_table(results)
    notes = sorted({n for c in cells + results.get("creates", []) for n in c.get("notes", [])})
    if notes:
        lines += ["Notes: " + "; ".join(notes), ""]
    return "\n".join(lines)


def targets_table(results: dict[str, Any]) -> list[str]:
    rows = []
    cells = results.get("cells", [])

    def cell(target: str, connections: int) -> dict[str, Any] | None:
        return next((c for c in cells if c["target"] == target and c["connections"] == connections), None)

    json16, ref16 = cell("JSON", 16), cell("reference", 16)
    if json16 and ref16:
        r = json16["rps"] / ref16["rps"]
        rows.append(("JSON GET throughput at 16 conns ≥ 0.9× reference", f"{r:.2f}×", r >= 0.9))
    json64, ref64 = cell("JSON", 64), cell("reference", 64)
    if json64 and ref64:
        clean = json64["socket_errors"] == 0 and json64["non_2xx"] == 0
        rows.append(
            (
                "64 conns: no socket errors, no non-2xx",
                f"{json64['socket_errors']} errors, {json64['non_2xx']} non-2xx",
                clean,
            )
        )
        rows.append(
            (
                "64 conns: p99 ≤ reference's",
                f"{fmt_ms(json64['p99_ms'])} ms vs {fmt_ms(ref64['p99_ms'])} ms",
                json64["p99_ms"] <= ref64["p99_ms"],
            )
        )
        rows.append(
            ("64 conns: p99 < 20 ms (stretch)", f"{fmt_ms(json64['p99_ms'])} ms", json64["p99_ms"] < 20)
        )
    million = next((p for p in results.get("memory", []) if p["jobs"] == 1_000_000), None)
    if million:
        rows.append(
            (
                "1,000,000 jobs < 300 MB RSS",
                f"{million['rss_kb'] / 1024:,.1f} MB",
                million["rss_kb"] < 300 * 1024,
            )
        )
    scale = results.get("scaling")
    if scale:
        r = scale["many_p50_ms"] / scale["few_p50_ms"]
        rows.append(
            (f"GET p50 with {scale['many']:,} jobs within 10% of with {scale['few']}", f"{r:.2f}×", r <= 1.10)
        )
    code = results.get("codegen")
    if code and "error" not in code:
        rows.append(("regeneration < 2 s", f"{code['median_s']:.2f} s", code["median_s"] < 2))
    if not rows:
        return []
    out = ["### Targets (issue 4)", "", "| target | measured | met |", "|---|---|---|"]
    out += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in rows]
    return out + [""]


def draw_png(results: dict[str, Any], path: str) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "no PNG: matplotlib is not importable (pip install matplotlib)"
    cells = results.get("cells", [])
    if not cells:
        return "no PNG: no HTTP cells were measured"
    names = ["reference", *[v[0] for v in VARIANTS]]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8))
    width = 0.8 / len(names)
    for index, name in enumerate(names):
        xs = [i + (index - (len(names) - 1) / 2) * width for i in range(len(CONNECTIONS))]
        row = [
            next((c for c in cells if c["target"] == name and c["connections"] == n), None)
            for n in CONNECTIONS
        ]
        top.bar(xs, [c["rps"] if c else 0 for c in row], width, label=name)
        bottom.bar(xs, [c["p99_ms"] if c else 0 for c in row], width, label=name)
    for axis, title in ((top, "throughput (req/s)"), (bottom, "p99 latency (ms, log scale)")):
        axis.set_xticks(range(len(CONNECTIONS)), [f"{n} conn{'s' if n > 1 else ''}" for n in CONNECTIONS])
        axis.set_title(f"GET backup job: {title}")
        axis.legend(fontsize="small")
    bottom.set_yscale("log")
    m = results["machine"]
    figure.suptitle(
        f"{m['nproc']} CPU {m['cpu_model']}, Python {m['python']}, {results['loadgen_kind']}", fontsize=9
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return f"chart written to {path}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark the ECLYPSE emulator against a reference http.server.",
    )
    parser.add_argument("--duration", type=float, help="seconds per cell (default 3, 0.5 with --quick)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke mode: 0.5 s per cell, 10,000 jobs, 1 codegen run"
    )
    parser.add_argument(
        "--loadgen", choices=["auto", "wrk", "python"], default="auto", help="auto: wrk when on PATH"
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (default 1: the cores go to the server)"
    )
    parser.add_argument(
        "--processes", type=int, help="processes of the Python load generator (default: one per core)"
    )
    parser.add_argument("--json", metavar="FILE", help="write the raw results as JSON")
    parser.add_argument("--png", metavar="FILE", help="draw a chart (needs matplotlib)")
    parser.add_argument(
        "--core", help="serving core of the emulator (python -m runtime --core NAME); default: its own"
    )
    parser.add_argument(
        "--emulator-args", default="", help='more options for python -m runtime, e.g. "--api-revision 7.0"'
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the GET cells, report medians (default 1)"
    )
    parser.add_argument(
        "--noise-threshold",
        type=float,
        default=0.25,
        help="cores other processes may use before a cell is rerun",
    )
    parser.add_argument(
        "--noise-retries", type=int, default=2, help="reruns of a noisy cell, the quietest kept"
    )
    parser.add_argument("--skip-codegen", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 0.5 if args.quick else 3.0
    if not 0 < args.duration <= 600:
        parser.error("--duration must be in (0, 600] seconds")
    args.emulator_extra = (["--core", args.core] if args.core else []) + shlex.split(args.emulator_args)
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be from 1 to 20")
    args.noise_retries = max(0, min(args.noise_retries, 10))
    args.memory_jobs = [10, 10_000] if args.quick else [10, 100_000, 1_000_000]
    args.scaling_jobs = 10_000 if args.quick else 1_000_000
    args.scaling_rounds = 1 if args.quick else 3
    args.codegen_runs = 1 if args.quick else 3
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run_all(args)
    print(report(results), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        progress(f"raw results written to {args.json}")
    if args.png:
        progress(draw_png(results, args.png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
