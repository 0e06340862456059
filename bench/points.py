"""Benchmark of the BACnet points (issue 3/7): a supervisory system polling 100 devices x 500 points, every point
once a second, through read-property-multiple batches of 100 references.

    python bench/points.py            # about a minute: in-process CPU, the HTTP fleet run (10 s), memory
    python bench/points.py --quick    # a smoke run (2 s of HTTP load)

Prints a markdown report on stdout. Figures:
- in-process: server CPU per reference of `Emulator.respond` (no sockets) for JSON, XML and `property all`
  batches, beside the seed GET of a backup job;
- HTTP, one connection: one device answering requests back to back, the seed GET beside the RPM batches
  (server CPU per request and per reference, from /proc/PID/stat);
- HTTP: `python -m runtime --devices N --points FILE` (one process, one core at most: one GIL), loaded by
  paced load processes; reads/s, server CPU per reference (from /proc/PID/stat), latency p50/p99;
- memory: bytes per point for a device of 5,000 points, and for a fleet of 100 x 500 sharing one point list.
Every server is started here on 127.0.0.1 and stopped here; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OBJECTS = "/api/rest/v1/protocols/bacnet/local/objects"
HEADERS = {"Content-Type": "application/json"}


def point_file(points: int, directory: Path) -> Path:
    """A point list of `points` analog values (the default building's kind of setpoint)."""
    objects = [
        {
            "type": "analogValue",
            "instance": i,
            "units": "degreesCelsius",
            "relinquishDefault": 20 + i % 7 / 10,
        }
        for i in range(1, points + 1)
    ]
    path = directory / f"points_{points}.json"
    path.write_text(json.dumps({"objects": objects}))
    return path


def rpm_body(first: int, count: int, prop: str = "presentValue") -> bytes:
    references = [
        {"type": "analogValue", "instance": i, "property": prop} for i in range(first, first + count)
    ]
    return json.dumps({"encode": "text", "propertyReferences": references}).encode()


# In-process


def in_process(batch: int, rounds: int) -> list[tuple[str, float, float]]:
    """(case, µs of CPU per request, µs per reference) of Emulator.respond."""
    sys.path.insert(0, str(ROOT))
    from runtime import Emulator
    from runtime.core.wire import Request

    with tempfile.TemporaryDirectory() as folder:
        emulator = Emulator(clock="manual", points=point_file(500, Path(folder)))
    job = emulator.create_job(duration=10)
    path = OBJECTS + "/read-property-multiple"
    every = json.dumps(
        {
            "propertyReferences": [
                {"type": "analogValue", "instance": i, "property": "all"} for i in range(1, 5)
            ]
        }
    ).encode()
    cases = [
        ("RPM JSON, presentValue", Request("POST", path, HEADERS, rpm_body(1, batch)), batch),
        (
            "RPM XML answer, presentValue",
            Request("POST", path + "?encode=xml", HEADERS, rpm_body(1, batch)),
            batch,
        ),
        ("RPM JSON, property all (4 objects)", Request("POST", path, HEADERS, every), None),
        (
            "seed GET of a backup job (JSON)",
            Request("GET", f"/api/rest/v1/system/backup/jobs/{job}", {}, b""),
            1,
        ),
    ]
    results = []
    for name, request, references in cases:
        answer = emulator.respond(request)
        assert answer.status == 200, (name, answer.body[:200])
        if references is None:
            references = len(json.loads(answer.body))
        start = time.process_time()
        for _ in range(rounds):
            emulator.respond(request)
        per_request = (time.process_time() - start) / rounds * 1e6
        results.append((f"{name} ({references} refs)", per_request, per_request / references))
    emulator.close()
    return results


# Over HTTP


def free_ports(count: int) -> int:
    """The first of `count` consecutive ports free on 127.0.0.1."""
    for base in range(20000, 60000, count + 7):
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free port range")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_worker(
    ports: list[int], points: int, batch: int, duration: float, queue: multiprocessing.Queue
) -> None:
    """Poll each device's points once a second in batches, paced; report the latencies."""
    connections = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=10) for port in ports}
    bodies = [rpm_body(first, batch) for first in range(1, points + 1, batch)]
    latencies, errors, references = [], 0, 0
    start, began = time.monotonic(), time.time()
    requests = [(port, body) for port in ports for body in bodies]
    interval = 1.0 / len(requests)  # every request once a second, spread evenly
    index = 0
    while True:
        due = start + index * interval
        now = time.monotonic()
        if due - start >= duration:
            break
        if due > now:
            time.sleep(due - now)
        port, body = requests[index % len(requests)]
        sent = time.monotonic()
        connection = connections[port]
        connection.request("POST", OBJECTS + "/read-property-multiple", body, HEADERS)
        response = connection.getresponse()
        data = response.read()
        latencies.append(time.monotonic() - sent)
        if response.status != 200:
            errors += 1
        references += batch
        index += 1
    queue.put((latencies, errors, references, began, time.time()))


def one_connection(points: int, batch: int, duration: float) -> list[tuple[str, float, int]]:
    """(case, server CPU µs per request, references per request) of one device answering one client's
    requests back to back: the seed GET beside the RPM batches, measured in the same run."""
    with tempfile.TemporaryDirectory() as folder:
        path = point_file(points, Path(folder))
        port = free_ports(1)
        server = subprocess.Popen(
            [sys.executable, "-m", "runtime", "--port", str(port), "--points", str(path), "--quiet"]
            + ["--clock", "manual"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            server.stdout.readline()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            # A job of the control API, not a backup: a backup not yet ended makes the device answer in a
            # worker thread (reading the backups may settle it), which is not what is measured here.
            connection.request("POST", "/_emulator/jobs", b'{"duration": 10}', HEADERS)
            job = json.loads(connection.getresponse().read())["jobId"]
            rpm = OBJECTS + "/read-property-multiple"
            every = [{"type": "analogValue", "instance": i, "property": "all"} for i in range(1, 5)]
            cases = [
                ("seed GET of a backup job (JSON)", "GET", f"/api/rest/v1/system/backup/jobs/{job}", None, 1),
                ("RPM JSON, presentValue", "POST", rpm, rpm_body(1, batch), batch),
                ("RPM XML answer, presentValue", "POST", rpm + "?encode=xml", rpm_body(1, batch), batch),
                (
                    "RPM JSON, property all (4 objects)",
                    "POST",
                    rpm,
                    json.dumps({"propertyReferences": every}).encode(),
                    76,
                ),
            ]
            results = []
            for name, method, target, body, references in cases:
                count, cpu_before, end = 0, cpu_seconds(server.pid), time.monotonic() + duration
                while time.monotonic() < end:
                    connection.request(method, target, body, HEADERS if body else {})
                    answer = connection.getresponse()
                    answer.read()
                    assert answer.status == 200, (name, answer.status)
                    count += 1
                results.append((name, (cpu_seconds(server.pid) - cpu_before) / count * 1e6, references))
            return results
        finally:
            server.terminate()
            server.wait(10)


def over_http(devices: int, points: int, batch: int, duration: float, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = point_file(points, Path(folder))
        base = free_ports(devices)
        argv = [sys.executable, "-m", "runtime", "--devices", str(devices), "--port", str(base)]
        server = subprocess.Popen(
            [*argv, "--points", str(path), "--quiet", "--clock", "manual"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            server.stdout.readline()  # the first device's URL: the fleet listens
            time.sleep(0.5)
            ports = list(range(base, base + devices))
            queue: multiprocessing.Queue = multiprocessing.Queue()
            shares = [ports[i::workers] for i in range(workers)]
            processes = [
                multiprocessing.Process(target=load_worker, args=(share, points, batch, duration, queue))
                for share in shares
            ]
            cpu_before = cpu_seconds(server.pid)
            for process in processes:
                process.start()
            results = [queue.get(timeout=duration + 120) for _ in processes]
            cpu = cpu_seconds(server.pid) - cpu_before
            # The load's span, from the first request sent to the last answer (process start-up aside).
            wall = max(result[4] for result in results) - min(result[3] for result in results)
            for process in processes:
                process.join(10)
        finally:
            server.terminate()
            server.wait(10)
    latencies = sorted(latency for result in results for latency in result[0])
    references = sum(result[2] for result in results)
    return {
        "requests": len(latencies),
        "errors": sum(result[1] for result in results),
        "reads_per_second": references / wall,
        "cpu_us_per_reference": cpu / references * 1e6,
        "server_cores": cpu / wall,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


# Memory


MEMORY_PROBE = """
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, {root!r})
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
from runtime import Emulator
from runtime.points.pointlists import load
points, devices, path = {points}, {devices}, {path!r}
Emulator(clock="manual").close()  # the modules and the spec, before measuring
before = rss()
shared = load(path)
emulators = [Emulator(clock="manual", points=shared) for _ in range(devices)]
print(json.dumps({{"bytes": rss() - before}}))
"""


def memory(points: int, devices: int) -> float:
    """Bytes per point of `devices` emulators sharing one list of `points` (RSS, emulators included)."""
    with tempfile.TemporaryDirectory() as folder:
        path = point_file(points, Path(folder))
        code = MEMORY_PROBE.format(root=str(ROOT), points=points, devices=devices, path=str(path))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return json.loads(done.stdout)["bytes"] / (points * devices)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--points", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of HTTP load")
    parser.add_argument("--workers", type=int, default=4, help="load processes")
    parser.add_argument("--quick", action="store_true", help="2 s of load, fewer in-process rounds")
    args = parser.parse_args()
    duration = 2.0 if args.quick else args.duration
    print(
        f"# Points benchmark\n\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start\n"
    )
    print(
        "## In-process (Emulator.respond, no sockets)\n\n| case | CPU µs/request | CPU µs/reference |\n|---|---|---|"
    )
    for name, per_request, per_reference in in_process(args.batch, 100 if args.quick else 1000):
        print(f"| {name} | {per_request:.0f} | {per_reference:.2f} |")
    print(
        "\n## HTTP, one connection, requests back to back (server CPU)\n\n"
        "| case | µs/request | µs/reference | × seed GET per reference |\n|---|---|---|---|"
    )
    sequential = one_connection(args.points, args.batch, duration / 2)
    seed = sequential[0][1]
    for name, per_request, references in sequential:
        print(
            f"| {name} ({references} refs) | {per_request:.0f} | {per_request / references:.2f} | {per_request / references / seed:.2f} |"
        )
    figures = over_http(args.devices, args.points, args.batch, duration, args.workers)
    print(
        f"\n## HTTP: {args.devices} devices x {args.points} points, every point once a second, "
        f"RPM batches of {args.batch}\n\n| reads/s | server CPU µs/reference | server cores | p50 ms | p99 ms "
        f"| requests | errors |\n|---|---|---|---|---|---|---|\n"
        f"| {figures['reads_per_second']:.0f} | {figures['cpu_us_per_reference']:.2f} | "
        f"{figures['server_cores']:.2f} | {figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} | "
        f"{figures['requests']} | {figures['errors']} |"
    )
    print("\n## Memory (RSS)\n\n| setup | bytes per point |\n|---|---|")
    print(f"| one device of 5,000 points | {memory(5000, 1):.0f} |")
    print(
        f"| {args.devices} devices x {args.points} points, one shared list | {memory(args.points, args.devices):.0f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
