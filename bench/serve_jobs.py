"""Bench helper: the emulator holding N jobs created in-process, served until SIGTERM.

    python bench/serve_jobs.py --jobs 1000000

Creates the jobs through `EmbeddedServer.create_job` (the Python control API), then serves with the
same `EmbeddedServer` as `python -m runtime` (manual clock, no access log) and prints one line:

    bench helper serving http://127.0.0.1:PORT/api/rest/v1 job <id of the last job> jobs N rss_kb R

This is the benchmark's way to reach a million jobs without a million HTTP creates; it needs nothing
from the product beyond its public Python API.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from leash import wait_until_stopped  # noqa: E402
from eclypse_emulator.runtime import EmbeddedServer  # noqa: E402


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="jobs to create before serving (default 10)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--core", help="serving core (EmbeddedServer's core option); default: the runtime's own"
    )
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop by itself after this long")
    parser.add_argument(
        "--exit-on-eof", action="store_true", help="stop when stdin closes (the benchmark's leash)"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")

    options = {"core": args.core} if args.core else {}
    try:  # room for every job: a bound on the job count must not evict what the benchmark reads
        server = EmbeddedServer(
            args.host, 0, clock="manual", quiet=True, max_jobs=max(args.jobs, 1_000_000), **options
        )
    except TypeError:  # a runtime without the max_jobs option
        server = EmbeddedServer(args.host, 0, clock="manual", quiet=True, **options)
    last = ""
    for _ in range(args.jobs):  # bounded by --jobs
        last = server.create_job()
    server.start()
    print(f"bench helper serving {server.url} job {last} jobs {args.jobs} rss_kb {rss_kb()}", flush=True)

    wait_until_stopped(args.exit_on_eof, args.max_seconds)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
