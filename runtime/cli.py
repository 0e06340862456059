"""`python -m runtime [serve] [options]`: serve the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..generated import handler
from ..generated.handler import DEFAULT_REVISION

from .core.deviceapi import parse_revision
from .auth import parse_user
from .device_clock import parse_instant
from .faults import Fault
from .reload import PACKAGED_SPEC, ReloadError, SpecReloader, serve_spec
from .fleet import Fleet, raise_descriptor_limit
from .fleet_cli import add_fleet_arguments, address_argument, announce, check_fleet_arguments, device_configs
from .server import stderr_log


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


FAULT_KEYS = {field: kind for field, kind in Fault.__annotations__.items()}


def _fault(text: str) -> dict[str, Any]:
    """`path=/info,error_rate=0.5` -> the keyword arguments of Fault, checked by building one."""
    arguments: dict[str, Any] = {}
    for item in filter(None, text.split(",")):
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or key not in FAULT_KEYS:
            raise argparse.ArgumentTypeError(
                f"expected KEY=VALUE with KEY one of {', '.join(FAULT_KEYS)}: {item!r}"
            )
        kind = FAULT_KEYS[key]
        try:
            arguments[key] = int(value) if "int" in kind else float(value) if "float" in kind else value
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{key} needs a number, not {value!r}") from None
    try:
        Fault(**arguments)
    except (ValueError, OverflowError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return arguments


def _device_time(text: str) -> str:
    try:
        parse_instant(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number from 0 to 65535: {text!r}")
    return int(text)


def prog() -> str:
    """The name this was run as: `python -m runtime` (or `python -m eclypse_emulator`), or the console
    script's, `eclypse-emulator`."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if name and argv0 and Path(argv0).resolve() == Path(getattr(main, "__file__", "") or "/").resolve():
        return "python -m " + name.removesuffix(".__main__")
    return Path(argv0).name or "eclypse-emulator"


def highest_revision() -> str:
    """The highest API revision the spec knows: its default, or a resource's from-revision."""
    known = [parse_revision(DEFAULT_REVISION), *(route.revision for route in handler.ROUTES)]
    return "%d.%d" % max(known)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number >= 1: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog(),
        description="Serve the ECLYPSE REST API emulator until SIGINT or SIGTERM.",
        epilog="The command `serve` may be left out: it is the only one, and the default.",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=["serve"],
        default="serve",
        help="serve the emulator (the default, may be left out)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8080, help="port to listen on; 0 picks a free one (default: 8080)"
    )
    parser.add_argument(
        "--api-revision",
        type=_revision,
        default=DEFAULT_REVISION,
        help=f"API revision served (default: {DEFAULT_REVISION})",
    )
    parser.add_argument(
        "--job-duration",
        type=_seconds,
        metavar="SECONDS",
        help=f"seconds a backup job takes from 0 to 100 %% (default: {handler.CHOICES['default_job_duration']:g})",
    )
    parser.add_argument(
        "--clock",
        choices=["real", "manual"],
        default="real",
        help="manual: time moves only through the control API (default: real)",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    parser.add_argument(
        "--idle-timeout", type=_seconds, default=15.0, help="close a connection idle this long (default: 15)"
    )
    parser.add_argument(
        "--request-timeout",
        type=_seconds,
        default=10.0,
        help="cut off a client that takes longer to send a request (default: 10)",
    )
    parser.add_argument(
        "--write-timeout",
        type=_seconds,
        default=10.0,
        help="abort a connection whose answers the client has not read for this long (default: 10)",
    )
    parser.add_argument(
        "--user",
        action="append",
        type=_user,
        default=[],
        metavar="NAME:PASSWORD",
        help="require HTTP Basic authentication with these credentials (repeatable)",
    )
    parser.add_argument(
        "--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate (with --tls-key)"
    )
    parser.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep the device's state (resources and jobs) in this SQLite file across restarts",
    )
    parser.add_argument(
        "--device-data",
        metavar="FILE",
        help="initial resource values: a YAML or JSON mapping of device paths to values (see the README)",
    )
    parser.add_argument(
        "--max-jobs",
        type=_positive,
        default=1_000_000,
        help="evict the oldest finished jobs beyond this many (default: 1000000)",
    )
    parser.add_argument(
        "--max-body", type=_positive, default=1 << 20, help="largest request body in bytes (default: 1 MiB)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        type=_fault,
        default=[],
        metavar="KEY=VALUE,...",
        help="inject a fault into the device API (repeatable), e.g. "
        "path=/system/backup/jobs/*,error_rate=0.2,status=503,retry_after=2 or latency=0.05,latency_max=0.2 "
        "or drop_rate=0.1; keys: " + ", ".join(FAULT_KEYS),
    )
    parser.add_argument(
        "--usb-key",
        action="store_true",
        help="start with a USB key inserted (the backup target USB needs one)",
    )
    parser.add_argument(
        "--device-time",
        type=_device_time,
        metavar="ISO8601",
        help="the device's clock at start, e.g. 2026-12-01T10:00:00Z (default: the host's time); "
        "the host's clock is never changed",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="seed of the faults' random choices and of the devices' generated identities, for repeatable runs",
    )
    parser.add_argument(
        "--core",
        choices=["asyncio", "threads"],
        default="asyncio",
        help="serving core: asyncio (an event loop, the default) or threads (http.server, a thread per connection)",
    )
    parser.add_argument(
        "--spec",
        type=Path,
        metavar="DIR",
        help="serve the API of this spec folder (needs the codegen extras; generated into a cache folder); "
        "default: the packaged spec",
    )
    parser.add_argument(
        "--reload",
        action="store_true",
        help="watch the spec, regenerate and serve the new API without a restart",
    )
    parser.add_argument(
        "--devices",
        type=_positive,
        default=1,
        metavar="N",
        help="serve a fleet of N controllers, each with its own state, on consecutive ports from --port "
        "(any free ports with --port 0), all on one event loop (asyncio core) or a server each (threads "
        "core); --state FILE becomes FILE-1, FILE-2, ...",
    )
    parser.add_argument(
        "--device-address",
        action="append",
        type=address_argument,
        default=[],
        metavar="HOST:PORT",
        help="serve one controller at each of these addresses (repeatable), instead of --host/--port/--devices",
    )
    add_fleet_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_fleet_arguments(parser, args)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("HTTPS needs both --tls-cert FILE and --tls-key FILE")
    spec_dir, reloader = args.spec or PACKAGED_SPEC, None
    try:
        if args.spec is not None:
            serve_spec(spec_dir)
        if args.reload:
            reloader = SpecReloader(
                lambda: [d.emulator.api_reloaded() for d in fleet.devices], log=stderr_log, spec_dir=spec_dir
            )
    except ReloadError as error:
        print(f"error: cannot serve the spec {spec_dir}: {error}", file=sys.stderr)
        return 2
    if parse_revision(args.api_revision) > parse_revision(highest_revision()):
        print(
            f"warning: --api-revision {args.api_revision} is above the highest revision the spec knows, "
            f"{highest_revision()}: it serves the same resources as {highest_revision()}",
            file=sys.stderr,
            flush=True,
        )
    try:
        configs, total = device_configs(args)
        fleet = Fleet(
            configs,
            clock=args.clock,
            core=args.core,
            quiet=args.quiet,
            idle_timeout=args.idle_timeout,
            request_timeout=args.request_timeout,
            write_timeout=args.write_timeout,
            max_body_size=args.max_body,
            max_jobs=args.max_jobs,
            seed=args.seed,
            faults=args.fault,
            control_address=args.fleet_control,
        )
    except ValueError as error:
        parser.error(str(error))
    shortage = raise_descriptor_limit(len(configs))
    if shortage is not None:
        print(f"error: {shortage}", file=sys.stderr)
        return 1
    try:
        fleet.start()
    except OSError as error:
        failed = fleet.failed
        where = f"{failed.host}:{failed.port}" if failed else "%s:%d" % args.fleet_control
        print(f"error: cannot listen on {where}: {error.strerror or error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before the URL is printed: a caller may signal at once
        signal.signal(signum, lambda *_: stop.set())
    announce(fleet, args, total)
    # What start-up made (the spec's routes and codecs, the modules) lives as long as the process: kept out
    # of the collector's full passes, whose cost would otherwise grow with the size of the spec.
    gc.freeze()
    if reloader is not None:
        reloader.start()
    stop.wait()
    if reloader is not None:
        reloader.stop()
    fleet.stop()
    return 0
