"""Load generator 1: wrk, with a Lua script that reports latencies and statuses as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile

from cells import Result, Target
from common import SOCKET_TIMEOUT

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
