"""EXPERIMENT: where a server's CPU goes under load: user and system time, and context switches, per request.

    python bench/experiments/switches.py [--seconds 2] [--connections 1 16 64]

Serves the JSON GET from `python -m runtime --core threads`, `--core asyncio` (when the runtime has the
option) and the reference http.server handler, loads each with wrk (needed here) and samples the
server's /proc counters in the middle of the run (all threads: /proc/PID/task/*/status), so that the
threads of thread-per-connection servers are counted while they live.
"""

from __future__ import annotations

import argparse
import glob
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import run  # noqa: E402  (bench/run.py)
from compare_cores import product_cores  # noqa: E402


def counters(pid: int) -> tuple[int, int, int, int]:
    """(user ticks, system ticks, voluntary switches, involuntary switches) of a process, all threads."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    voluntary = involuntary = 0
    for path in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(path, encoding="ascii") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches"):
                        voluntary += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        involuntary += int(line.split()[1])
        except OSError:
            pass  # a thread that ended meanwhile
    return int(fields[11]), int(fields[12]), voluntary, involuntary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="sampling window inside each 4 s+ wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("this experiment needs wrk (apt-get install wrk)")
    servers = {f"--core {core}": run.emulator_argv(["--core", core]) for core in product_cores()}
    servers = servers or {"python -m runtime": run.emulator_argv()}
    servers["reference"] = run.reference_argv(36)
    print(
        "| server | conns | req/s | user µs/req | system µs/req | voluntary switches/req | involuntary/req |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for connections in args.connections:
        for name, argv_ in servers.items():
            with run.ServerProcess(name, argv_) as server:
                job_id = run.create_job(server) if name != "reference" else "x"
                url = f"http://{server.host}:{server.port}{run.BASE_PATH}/system/backup/jobs/{job_id}"
                seconds = int(args.seconds + 2.5)
                wrk = subprocess.Popen(
                    ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                time.sleep(1.0)
                before, started = counters(server.process.pid), time.monotonic()
                time.sleep(args.seconds)
                after, window = counters(server.process.pid), time.monotonic() - started
                output = wrk.communicate(timeout=seconds + 60)[0]
            rps = float(
                next(line for line in output.splitlines() if line.startswith("Requests/sec")).split()[1]
            )
            answered = rps * window
            user, system, voluntary, involuntary = (b - a for a, b in zip(before, after))
            print(
                f"| {name} | {connections} | {rps:,.0f} | {user / run.CLOCK_TICKS / answered * 1e6:.0f} | "
                f"{system / run.CLOCK_TICKS / answered * 1e6:.0f} | {voluntary / answered:.2f} | {involuntary / answered:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
