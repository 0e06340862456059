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
import json
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bigspec import RESOURCES, write_big_spec
from cells import Result, Target
from common import BASE_PATH, CONNECTIONS, CREATE_BODY, VARIANTS, progress
from load import LoadGenerator
from machine import CLOCK_TICKS, CpuWatch, machine, machine_busy_ticks, product_commit
from memory import codegen_times, memory_point
from report import draw_png, report
from servers import ServerProcess, create_job, emulator_argv, helper_argv, http_request, reference_argv, shown


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
    if not args.skip_routing:
        results["routing"] = routing(loadgen, args)
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


def routing(loadgen: LoadGenerator, args: argparse.Namespace) -> dict[str, Any]:
    """The seed GET (JSON, 16 connections) from a server of the real spec and from one of a spec with 1,000
    resources (bench/bigspec.py), each round alternating the two: the router's cost must not grow."""
    out: dict[str, Any] = {"rounds": []}
    with tempfile.TemporaryDirectory() as folder:
        out["resources"] = RESOURCES
        out["added"] = write_big_spec(Path(folder) / "spec")
        progress(f"routing: generating and serving a spec of {RESOURCES:,} resources (about a minute) ...")
        big_argv = emulator_argv([*args.emulator_extra, "--spec", str(Path(folder) / "spec")])
        cache = {"XDG_CACHE_HOME": str(Path(folder) / "cache")}
        with (
            ServerProcess("real spec", emulator_argv(args.emulator_extra)) as real,
            ServerProcess(f"{RESOURCES} resources", big_argv, ready_timeout=600, env=cache) as big,
        ):
            targets, pids = {}, {}
            for label, server in (("real", real), ("big", big)):
                path = f"{BASE_PATH}/system/backup/jobs/{create_job(server)}"
                targets[label] = Target(server.host, server.port, "GET", path)
                pids[label] = (server.process.pid,)
                status, _ = http_request(server.host, server.port, "GET", path)
                if status != 200:
                    raise RuntimeError(f"routing: GET on the {label} server answered {status}")
                loadgen.once(targets[label], 16, min(args.duration, 1.0))  # warm up
            for round_ in range(args.scaling_rounds):
                for label in ("real", "big"):
                    progress(f"routing round {round_ + 1}: GET with the {label} spec ...")
                    result = loadgen.run(targets[label], 16, pids[label])
                    out["rounds"].append({"spec": label, **vars(result)})
    for label in ("real", "big"):
        rounds = [r for r in out["rounds"] if r["spec"] == label]
        out[label + "_rps"] = statistics.median(r["rps"] for r in rounds)
        out[label + "_us"] = statistics.median(r["server_us_per_request"] or 0 for r in rounds)
    return out


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
    parser.add_argument("--skip-routing", action="store_true", help="skip the 1,000-resource spec figure")
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
