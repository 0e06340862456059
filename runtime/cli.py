"""`python -m runtime [serve] [options]`: serve the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from pathlib import Path

from ..generated import handler
from .core.deviceapi import parse_revision
from .core.options import add_arguments, from_arguments, positive
from .fleet.cli import (
    add_fleet_arguments,
    address_argument,
    announce,
    check_fleet_arguments,
    device_configs,
    host_argument,
)
from .fleet.fleet import Fleet, device_option_kinds, raise_descriptor_limit
from .reload import PACKAGED_SPEC, ReloadError, SpecReloader, serve_spec
from .serving.embedded import stderr_log
from .serving.options import ServingOptions


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
    known = [parse_revision(handler.DEFAULT_REVISION), *(route.revision for route in handler.ROUTES)]
    return "%d.%d" % max(known)


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
    parser.add_argument(
        "--host", default="127.0.0.1", type=host_argument, help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=8080, help="port to listen on; 0 picks a free one (default: 8080)"
    )
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    # Each option as its feature declares it (runtime/core/options.py): the device's, its features', TLS.
    for kind in [ServingOptions, *device_option_kinds()]:
        add_arguments(parser, kind)
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


def _positive(text: str) -> int:
    try:
        return positive(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def reloaded(fleet: Fleet) -> None:
    """Every device takes up the regenerated handler."""
    for device in fleet.devices:
        device.emulator.api_reloaded()


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
            reloader = SpecReloader(lambda: reloaded(fleet), log=stderr_log, spec_dir=spec_dir)
    except ReloadError as error:
        print(f"error: cannot serve the spec {spec_dir}: {error}", file=sys.stderr)
        return 2
    revision = args.api_revision or handler.DEFAULT_REVISION
    if parse_revision(revision) > parse_revision(highest_revision()):
        print(
            f"warning: --api-revision {revision} is above the highest revision the spec knows, "
            f"{highest_revision()}: it serves the same resources as {highest_revision()}",
            file=sys.stderr,
            flush=True,
        )
    try:
        configs, total = device_configs(args)
    except ValueError as error:
        parser.error(str(error))
    # Before any device is built: a fleet too large for the open-files limit fails at once.
    shortage = raise_descriptor_limit(len(configs))
    if shortage is not None:
        print(f"error: {shortage}", file=sys.stderr)
        return 1
    try:
        serving = ServingOptions(**from_arguments(ServingOptions, args))
        fleet = Fleet(
            configs,
            clock=args.clock,
            core=serving.core,
            quiet=args.quiet,
            control_address=args.fleet_control,
            **serving.limits(),
        )
    except ValueError as error:
        parser.error(str(error))
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
