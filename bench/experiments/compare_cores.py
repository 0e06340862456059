"""EXPERIMENT: the JSON GET against each serving core, with bench/run.py's load generators.

    python bench/experiments/compare_cores.py [--duration 3] [--rounds 3] [--loadgen auto|wrk|python]

Cores: each of `python -m runtime --core ...` (the product's: asyncio and threads, when it has the
option), the experimental cores of evloop_server.py (selectors, asyncio, selectors + worker pool), and
the reference http.server handler.
Each cell: GET /api/rest/v1/system/backup/jobs/{id} in JSON at 1, 16 and 64 keep-alive connections;
rounds alternate the servers, and the table shows the median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import run  # noqa: E402  (bench/run.py)


def product_cores() -> list[str]:
    """The serving cores `python -m runtime --core` offers (none when it has no such option)."""
    import re
    import subprocess

    help_text = subprocess.run(
        [run.PYTHON, "-m", "runtime", "--help"], cwd=run.ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    found = re.search(r"--core \{([^}]*)\}", help_text)
    return found.group(1).split(",") if found else []


CORES = {
    **(
        {
            f"product: python -m runtime --core {core}": run.emulator_argv(["--core", core])
            for core in product_cores()
        }
        or {"product: python -m runtime": run.emulator_argv()}
    ),
    "experiment: selectors, inline": [
        run.PYTHON,
        str(HERE / "evloop_server.py"),
        "--core",
        "selectors",
        "--exit-on-eof",
    ],
    "experiment: asyncio Protocol, inline": [
        run.PYTHON,
        str(HERE / "evloop_server.py"),
        "--core",
        "asyncio",
        "--exit-on-eof",
    ],
    "experiment: selectors + 4-thread pool": [
        run.PYTHON,
        str(HERE / "evloop_server.py"),
        "--core",
        "pool",
        "--exit-on-eof",
    ],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--processes", type=int)
    parser.add_argument("--connections", type=int, nargs="+", default=list(run.CONNECTIONS))
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    loadgen = run.LoadGenerator(args.loadgen, args.duration, args.wrk_threads, args.processes)
    run.progress(f"load generator: {loadgen.describe()}")

    servers: dict[str, run.ServerProcess] = {}
    targets: dict[str, run.Target] = {}
    try:
        for name, argv_ in CORES.items():
            server = run.ServerProcess(name, argv_).__enter__()
            servers[name] = server
            job_id = run.create_job(server)
            targets[name] = run.Target(
                server.host, server.port, "GET", f"{run.BASE_PATH}/system/backup/jobs/{job_id}"
            )
            status, body = run.http_request(server.host, server.port, "GET", targets[name].path)
            assert status == 200, (name, status, body)
        size = len(body)
        reference = run.ServerProcess("reference", run.reference_argv(size)).__enter__()
        servers["reference http.server (constant body)"] = reference
        targets["reference http.server (constant body)"] = run.Target(
            reference.host, reference.port, "GET", f"{run.BASE_PATH}/system/backup/jobs/x"
        )
        for name, target in targets.items():
            loadgen.once(target, 16, min(args.duration, 1.0))  # warm up
        cells: dict[tuple[str, int], list[run.Result]] = {}
        for round_ in range(args.rounds):
            for connections in args.connections:
                for name, target in targets.items():
                    run.progress(f"round {round_ + 1}: {name} at {connections} connection(s) ...")
                    result = loadgen.run(target, connections, (servers[name].process.pid,))
                    cells.setdefault((name, connections), []).append(result)
    finally:
        for server in servers.values():
            server.stop()

    print(
        f"Load generator: {loadgen.describe()}; {args.duration} s per cell, median of {args.rounds} round(s)\n"
    )
    print(
        "| core | conns | req/s | p50 ms | p99 ms | max ms | socket errors | non-2xx | server CPU µs/req | server CPU | other CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    merged = {}
    for connections in args.connections:
        for name in targets:
            cell = run.median_result(cells[(name, connections)])
            merged[f"{name} @ {connections}"] = vars(cell)
            print(
                f"| {name} | {connections} | {cell.rps:,.0f} | {run.fmt_ms(cell.p50_ms)} | {run.fmt_ms(cell.p99_ms)} | "
                f"{run.fmt_ms(cell.max_ms)} | {cell.socket_errors} | {cell.non_2xx} | {run.fmt_us(cell.server_us_per_request)} | "
                f"{run.fmt_cores(cell.server_cpu)} | "
                f"{run.fmt_cores(cell.other_cpu)} |"
            )
    if args.json:
        raw = {"machine": run.machine(), "loadgen": loadgen.describe(), "cells": merged,
               "rounds": {f"{k[0]} @ {k[1]}": [vars(r) for r in v] for k, v in cells.items()}}  # fmt: skip
        Path(args.json).write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
