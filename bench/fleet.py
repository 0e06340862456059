"""The fleet benchmark: `python bench/fleet.py [--quick]`.

For each fleet size (1,000 and 10,000 devices on consecutive loopback addresses, one port): the time
from starting `python -m runtime` to its last start-up line, its RSS per device, and its CPU while idle.
The same for 1,000 devices on the threads core (a server and its threads per device), for the ratios.
Then 2,000 devices each polled once a second for 60 s (GET /info on a kept-alive connection per device)
by an asyncio load client in this process: p50/p99 latency and errors. Writes bench/results/fleet.json
and fleet.md, and checks the issue's targets (start < 10 s and RSS < 1 GB at 10,000 devices; idle near
0 % CPU; 0 errors).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FIRST = ipaddress.IPv4Address("127.0.1.1")
PORT = 18443
REQUEST = b"GET /api/rest/v1/info HTTP/1.1\r\nHost: device\r\n\r\n"
TICK = os.sysconf("SC_CLK_TCK")


def status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def start_fleet(
    devices: int, core: str = "asyncio", options: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[str], float]:
    """The emulator serving `devices` devices (with more command-line `options`), and the seconds it took
    to say it serves them all."""
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "runtime", "--devices", str(devices), "--loopback-from", str(FIRST)]
        + ["--port", str(PORT), "--quiet", "--core", core, *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in process.stdout:
        if line.startswith("API revision"):
            return process, time.monotonic() - began
    raise SystemExit(f"the emulator stopped before serving {devices} devices (exit {process.wait()})")


def measure_idle(
    devices: int, idle_seconds: float, baseline: int = 0, core: str = "asyncio", options: tuple[str, ...] = ()
) -> dict[str, float]:
    """Start time, RSS (and what each device adds above `baseline`, the RSS of one device), CPU at rest."""
    process, started = start_fleet(devices, core, options)
    try:
        rss = status(process.pid, "VmRSS") * 1024
        threads = status(process.pid, "Threads")
        before = cpu_seconds(process.pid)
        time.sleep(idle_seconds)
        idle = (cpu_seconds(process.pid) - before) / idle_seconds * 100
    finally:
        process.terminate()
        process.wait()
    return {
        "devices": devices,
        "core": core,
        "start_s": round(started, 2),
        "rss_mb": round(rss / 2**20, 1),
        "rss_bytes": rss,
        "rss_per_device_kb": round((rss - baseline) / devices / 1024, 1),
        "threads": threads,
        "idle_cpu_percent": round(idle, 2),
    }


async def poll_device(
    host: str, seconds: float, offset: float, latencies: list[float], errors: list[str]
) -> None:
    """One kept-alive connection asking one device for /info once a second."""
    await asyncio.sleep(offset)
    try:
        reader, writer = await asyncio.open_connection(host, PORT)
    except OSError as error:
        errors.append(f"{host}: connect: {error}")
        return
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    next_poll = loop.time()
    try:
        while next_poll < end:
            await asyncio.sleep(max(0.0, next_poll - loop.time()))
            sent = time.perf_counter()
            writer.write(REQUEST)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(f"{host}: {head.split(b' ', 2)[1].decode()}")
            next_poll += 1.0
    except (OSError, asyncio.IncompleteReadError, StopIteration) as error:
        errors.append(f"{host}: {type(error).__name__}: {error}")
    finally:
        writer.close()


def measure_polling(devices: int, seconds: float) -> dict[str, float]:
    process, _ = start_fleet(devices)
    latencies: list[float] = []
    errors: list[str] = []

    async def run() -> None:
        hosts = [str(FIRST + index) for index in range(devices)]
        await asyncio.gather(
            *(
                poll_device(host, seconds, index / devices, latencies, errors)
                for index, host in enumerate(hosts)
            )
        )

    try:
        before = cpu_seconds(process.pid)
        began = time.monotonic()
        load_before = os.getloadavg()[0]
        asyncio.run(run())
        load = max(load_before, os.getloadavg()[0])
        server_cpu = (cpu_seconds(process.pid) - before) / (time.monotonic() - began) * 100
    finally:
        process.terminate()
        process.wait()
    ordered = sorted(latencies)
    return {
        "devices": devices,
        "seconds": seconds,
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "p50_ms": round(statistics.median(ordered) * 1000, 2) if ordered else None,
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2) if ordered else None,
        "server_cpu_percent": round(server_cpu, 1),
        "load_average": round(load, 1),
        "cpus": os.cpu_count(),
    }


def report(idle: list[dict], per_device: dict, polling: dict) -> str:
    lines = [
        "| devices | core | start | RSS | RSS per device (above one device's) | threads | idle CPU |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in [*idle, per_device]:
        lines.append(
            f"| {row['devices']:,} | {row['core']} | {row['start_s']} s | {row['rss_mb']} MB | {row['rss_per_device_kb']} KB "
            f"| {row['threads']} | {row['idle_cpu_percent']} % |"
        )
    same = next(row for row in idle if row["devices"] == per_device["devices"])
    lines += [
        "",
        f"At {same['devices']:,} devices, the one loop against a server per device (the threads core), in this "
        f"run: {per_device['threads'] / same['threads']:.0f}x fewer threads, "
        f"{per_device['rss_mb'] / same['rss_mb']:.1f}x less RSS, idle CPU {same['idle_cpu_percent']} % against "
        f"{per_device['idle_cpu_percent']} %.",
        "",
        f"{polling['devices']:,} devices each polled once a second for {polling['seconds']:g} s: "
        f"{polling['requests']:,} requests, p50 {polling['p50_ms']} ms, p99 {polling['p99_ms']} ms, "
        f"{polling['errors']} errors; the emulator used {polling['server_cpu_percent']} % of a core, the load "
        f"client runs in the benchmark's process; load average {polling['load_average']} on {polling['cpus']} cores.",
    ]
    largest = max(idle, key=lambda row: row["devices"])
    targets = [
        (
            f"{largest['devices']:,} devices start in under 10 s",
            largest["start_s"] < 10,
            f"{largest['start_s']} s",
        ),
        (
            f"{largest['devices']:,} devices stay under 1 GB RSS",
            largest["rss_mb"] < 1024,
            f"{largest['rss_mb']} MB",
        ),
        (
            "idle near 0 % CPU (under 1 %)",
            all(r["idle_cpu_percent"] < 1 for r in idle),
            ", ".join(f"{r['idle_cpu_percent']} %" for r in idle),
        ),
        ("0 errors while polling", polling["errors"] == 0, str(polling["errors"])),
    ]
    lines += ["", "| target | met | figure |", "|---|---|---|"]
    lines += [f"| {name} | {'yes' if met else 'no'} | {figure} |" for name, met, figure in targets]
    return "\n".join(lines) + "\n"


BACNET_PORT = 30000


def bacnet_report(devices: int = 1000, idle_seconds: float = 10.0) -> str:
    """1,000 devices at rest without and with BACnet/IP: start, RSS, idle CPU (issue 6/7's fleet figures)."""
    lines = ["| devices | BACnet/IP | start | RSS | idle CPU |", "|---:|---|---:|---:|---:|"]
    for options in ((), ("--bacnet", "--bacnet-port", str(BACNET_PORT))):
        row = measure_idle(devices, idle_seconds, options=options)
        lines.append(
            f"| {devices:,} | {'on' if options else 'off'} | {row['start_s']} s | {row['rss_mb']} MB "
            f"| {row['idle_cpu_percent']} % |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small fleets and a short poll, to try the script"
    )
    parser.add_argument(
        "--idle-only",
        action="store_true",
        help="only 10,000 devices of the default (living) building at rest: start, RSS, idle CPU",
    )
    parser.add_argument(
        "--bacnet",
        action="store_true",
        help="only 1,000 devices at rest, without and with BACnet/IP (--bacnet, UDP ports from BACNET_PORT)",
    )
    args = parser.parse_args()
    if args.idle_only:
        baseline = measure_idle(1, 0.1)["rss_bytes"]
        print(json.dumps(measure_idle(10000, 10.0, baseline), indent=2))
        return
    if args.bacnet:
        print(bacnet_report())
        return
    sizes, polled, seconds, idle_seconds = (
        ([100, 500], 200, 5.0, 2.0) if args.quick else ([1000, 10000], 2000, 60.0, 10.0)
    )
    baseline = measure_idle(1, 0.1)["rss_bytes"]
    idle = [measure_idle(devices, idle_seconds, baseline) for devices in sizes]
    per_device = measure_idle(sizes[0], idle_seconds, baseline, core="threads")
    polling = measure_polling(polled, seconds)
    text = report(idle, per_device, polling)
    print(text)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        document = {"idle": idle, "threads_core": per_device, "polling": polling}
        (RESULTS / "fleet.json").write_text(json.dumps(document, indent=2) + "\n")
        (RESULTS / "fleet.md").write_text(text)


if __name__ == "__main__":
    main()
