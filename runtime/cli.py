"""`python -m runtime [serve] [options]`: serve the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..generated import handler
from ..generated.handler import DEFAULT_REVISION

from .app import parse_revision
from .auth import parse_user
from .faults import Fault
from .reload import PACKAGED_SPEC, ReloadError, SpecReloader, serve_spec
from .fleet import DeviceConfig, Fleet, ScheduledFault, raise_descriptor_limit, state_file
from .fleetfile import read_fleet, shard
from .identity import BACNET_INSTANCES, with_identity
from .fleet_control import PREFIX as FLEET_PREFIX
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
        help="manual: time moves only through the control API",
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
    parser.add_argument("--state", metavar="FILE", help="keep jobs in this SQLite file across restarts")
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
    parser.add_argument("--seed", type=int, help="seed of the faults' random choices, for repeatable runs")
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
        type=_address,
        default=[],
        metavar="HOST:PORT",
        help="serve one controller at each of these addresses (repeatable), instead of --host/--port/--devices",
    )
    parser.add_argument(
        "--loopback-from",
        type=_ipv4,
        metavar="ADDRESS",
        help="serve the --devices on consecutive loopback addresses from this one (e.g. 127.0.1.1), all on "
        "--port: one controller per IP at the standard port (Linux routes all of 127.0.0.0/8 to loopback)",
    )
    parser.add_argument(
        "--fleet",
        type=Path,
        metavar="FILE",
        help="serve the devices this fleet file lists (YAML, or CSV rows address,username,password): "
        "per device its address, users, API revision, TLS certificate, job defaults, device data, "
        "fault schedule; see the README",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="serve the K-th (from 0) of N contiguous blocks of the fleet, e.g. a StatefulSet pod's ordinal",
    )
    parser.add_argument(
        "--fleet-control",
        type=_address,
        metavar="HOST:PORT",
        help="serve the fleet control API here (device faults: offline, hang, reboot, online; the journal "
        "of every device); asyncio core only",
    )
    return parser


def _address(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:PORT` for IPv6) -> (host, port)."""
    host, colon, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _ipv4(text: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IPv4 address: {text!r}") from None


def check_loopback(first: ipaddress.IPv4Address, count: int) -> None:
    """ValueError when `count` consecutive addresses from `first` leave 127.0.0.0/8 (the block Linux
    routes to the loopback interface)."""
    last = int(first) + count - 1
    if not (first in LOOPBACK and last <= int(LOOPBACK.broadcast_address) - 1):
        raise ValueError(
            f"--loopback-from {first} with {count} devices leaves 127.0.0.0/8 (the last would be "
            f"{ipaddress.IPv4Address(min(last, (1 << 32) - 1))}): start lower, or serve fewer devices"
        )


LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
# Beyond this many devices the start-up lines name the first and the last device, not each one.
LISTED_DEVICES = 100


def _shard(text: str) -> tuple[int, int]:
    k, slash, n = text.partition("/")
    if not (slash and k.isdigit() and n.isdigit() and int(k) < int(n)):
        raise argparse.ArgumentTypeError(
            f"expected K/N with 0 <= K < N (K from 0, as pod ordinals): {text!r}"
        )
    return int(k), int(n)


def _generated_address(args: argparse.Namespace, index: int) -> tuple[str, int]:
    """Where the device of this index (in the whole fleet) listens when nothing names its address."""
    if args.loopback_from is not None:
        return str(args.loopback_from + index), args.port
    return args.host, args.port + index if args.port else 0


def _entry_address(text: str, port: int) -> tuple[str, int]:
    try:
        return _address(text)
    except argparse.ArgumentTypeError:
        if ":" in text.strip("[]") and not text.startswith("["):
            raise ValueError(f"not HOST or HOST:PORT: {text!r}") from None
        return text.strip("[]"), port


def device_configs(args: argparse.Namespace) -> tuple[list[DeviceConfig], int]:
    """The devices this process serves (its shard of the fleet), each with its fleet-file entry over
    the options of the command line, and its identity filled in; and how many the whole fleet has."""
    if args.fleet is not None:
        entries = read_fleet(args.fleet)
    elif args.device_address:
        entries = [{"address": "%s:%d" % address} for address in args.device_address]
    else:
        entries = [{}] * args.devices
    total = len(entries)
    indices = shard(total, args.shard) if args.shard else range(total)
    if total > BACNET_INSTANCES:
        raise ValueError(f"a fleet has at most {BACNET_INSTANCES} devices (BACnet device instances)")
    if args.loopback_from is not None:
        check_loopback(args.loopback_from, total)  # the whole fleet, all shards
    configs = []
    for index in indices:
        entry = entries[index]
        where = f"{args.fleet}: device {index}" if args.fleet else f"device {index}"
        host, port = (
            _entry_address(entry["address"], args.port)
            if entry.get("address")
            else _generated_address(args, index)
        )
        if port > 65535:
            raise ValueError(f"{where}: port {port} is beyond 65535: start lower (--port)")
        try:
            schedule = tuple(
                ScheduledFault(event.get("at", 0), event.get("fault", ""), event.get("seconds", 0))
                for event in entry.get("schedule") or ()
            )
            revision = entry.get("api_revision") or args.api_revision
            parse_revision(revision)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        jobs = {} if args.job_duration is None else {"duration": args.job_duration}
        configs.append(
            DeviceConfig(
                index,
                host,
                port,
                users=entry.get("users") or dict(args.user),
                api_revision=revision,
                tls_cert=entry.get("tls_cert") or args.tls_cert,
                tls_key=entry.get("tls_key") or args.tls_key,
                jobs={**jobs, **(entry.get("jobs") or {})},
                device_data=with_identity(entry.get("device_data") or {}, index, args.seed),
                schedule=schedule,
                state_file=state_file(args.state, index, total),
            )
        )
    return configs, total


def _announce(fleet: Fleet, args: argparse.Namespace, total: int) -> None:
    """The start-up lines: where each device listens (the first and the last of a large fleet), each
    numbered in the whole fleet."""
    devices, count = fleet.devices, len(fleet.devices)
    listed = devices if count <= LISTED_DEVICES else [devices[0], devices[-1]]
    for device in listed:
        name = f" device {device.index + 1}/{total}" if total > 1 else ""
        print(f"ECLYPSE emulator{name} serving {device.url} (control API: {device.control_url})", flush=True)
        if device is devices[0] and len(listed) < count:
            print(f"... {count - 2} more devices ...", flush=True)
    if fleet.control_url is not None:
        print(f"fleet control API: {fleet.control_url}{FLEET_PREFIX}", flush=True)
    auth = (
        f"Basic authentication for {len(args.user)} user(s)"
        if args.user
        else "authentication off: the API is open"
    )
    files = [device.config.state_file for device in listed]
    state = f"jobs kept in {', '.join(files)}" if args.state else "jobs in memory"
    print(f"API revision {args.api_revision}, {args.clock} clock, {state}; {auth}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.device_address and (args.devices != 1 or args.loopback_from is not None):
        parser.error(
            "--device-address excludes --devices and --loopback-from: it serves one device at each address"
        )
    if args.fleet is not None and (args.devices != 1 or args.device_address):
        parser.error("--fleet excludes --devices and --device-address: the fleet file lists the devices")
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
    _announce(fleet, args, total)
    if reloader is not None:
        reloader.start()
    stop.wait()
    if reloader is not None:
        reloader.stop()
    fleet.stop()
    return 0
