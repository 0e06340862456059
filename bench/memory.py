"""Memory per job (a fresh process), the answer's cost without sockets, and codegen's wall time."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from common import PYTHON, ROOT

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
