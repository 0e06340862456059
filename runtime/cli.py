"""`python -m runtime [serve] [options]`: serve the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from generated.handler import DEFAULT_REVISION

from .app import parse_revision
from .auth import parse_user
from .server import EmbeddedServer


def _revision(text: str) -> str:
    try:
        parse_revision(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds >= 0: {text!r}")
    return value


def _user(text: str) -> tuple[str, str]:
    try:
        return parse_user(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number >= 1: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m runtime", description="Serve the ECLYPSE REST API emulator.")
    parser.add_argument("command", nargs="?", choices=["serve"], default="serve", help="what to do (default: serve)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default: 8080)")
    parser.add_argument(
        "--api-revision", type=_revision, default=DEFAULT_REVISION, help=f"API revision served (default: {DEFAULT_REVISION})"
    )
    parser.add_argument("--job-duration", type=_seconds, help="seconds a backup job takes from 0 to 100 %%")
    parser.add_argument("--clock", choices=["real", "manual"], default="real", help="manual: time moves only through the control API")
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    parser.add_argument("--idle-timeout", type=_seconds, default=15.0, help="close a connection idle this long (default: 15)")
    parser.add_argument(
        "--user",
        action="append",
        type=_user,
        default=[],
        metavar="NAME:PASSWORD",
        help="require HTTP Basic authentication with these credentials (repeatable)",
    )
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate (with --tls-key)")
    parser.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")
    parser.add_argument("--state", metavar="FILE", help="keep jobs in this SQLite file across restarts")
    parser.add_argument(
        "--max-jobs", type=_positive, default=1_000_000, help="evict the oldest finished jobs beyond this many (default: 1000000)"
    )
    parser.add_argument("--max-body", type=_positive, default=1 << 20, help="largest request body in bytes (default: 1 MiB)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        server = EmbeddedServer(
            args.host,
            args.port,
            api_revision=args.api_revision,
            job_duration=args.job_duration,
            clock=args.clock,
            quiet=args.quiet,
            users=dict(args.user),
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            state_file=args.state,
            max_jobs=args.max_jobs,
            idle_timeout=args.idle_timeout,
            max_body_size=args.max_body,
        )
    except ValueError as error:
        parser.error(str(error))
    try:
        server.start()
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"ECLYPSE emulator serving {server.url} (control API: {server.control_url})", flush=True)
    auth = f"Basic authentication for {len(args.user)} user(s)" if args.user else "authentication off: the API is open"
    state = f"jobs kept in {args.state}" if args.state else "jobs in memory"
    print(f"API revision {args.api_revision}, {args.clock} clock, {state}; {auth}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0
