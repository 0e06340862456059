"""Running one cell with wrk or the standard-library generator, rerun while the machine is noisy."""

from __future__ import annotations

import shutil
import subprocess
import time

from cells import Result, Target
from machine import CpuWatch
from pyload import python_load
from wrk import wrk_load


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
            "standard-library load generator (bench/pyload.py): separate processes, raw keep-alive sockets, "
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
