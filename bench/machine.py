"""The machine the benchmark runs on, and the CPU time processes use (from /proc)."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from typing import Any

from common import PYTHON, ROOT


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
