"""The fleet's part of the command line: where the devices listen (ports, loopback addresses, a fleet
file), which share of the fleet this process serves (--shard), and the start-up lines."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path
from typing import Any

from ...generated import handler as api
from ..building.scenario import PointEvent
from ..control.fleet import PREFIX as FLEET_PREFIX
from ..core.options import declared, fleet_options, from_arguments
from ..device.devicedata import device_seeds, read_document
from .fleet import DeviceConfig, Fleet, ScheduledFault, device_option_kinds, state_file
from .fleetfile import read_fleet, shard
from ..points.device_object import points_device_data
from ..points.pointlists import load as load_points
from .identity import BACNET_INSTANCES, overlay

POINT = "point"  # a schedule's point event (runtime/building/scenario.py), not a device fault


def add_fleet_arguments(parser: argparse.ArgumentParser) -> None:
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
        "fault schedule; see docs/fleets.md",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="serve the K-th (from 0) of N contiguous blocks of the fleet, e.g. a StatefulSet pod's ordinal",
    )
    parser.add_argument(
        "--fleet-control",
        type=address_argument,
        metavar="HOST:PORT",
        help="serve the fleet control API here (device faults: offline, hang, reboot, online; the journal "
        "of every device); asyncio core only",
    )


def check_fleet_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A usage error (exit 2) for ways of placing devices that exclude each other."""
    if args.device_address and (args.devices != 1 or args.loopback_from is not None):
        parser.error(
            "--device-address excludes --devices and --loopback-from: it serves one device at each address"
        )
    if args.fleet is not None and (args.devices != 1 or args.device_address):
        parser.error("--fleet excludes --devices and --device-address: the fleet file lists the devices")


def host_argument(text: str) -> str:
    """A host name or address: printable ASCII without spaces (a NUL would reach the socket layer)."""
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(f"not a host name or address: {text!r}")
    return text


def address_argument(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:PORT` for IPv6) -> (host, port)."""
    host, colon, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host_argument(host), int(port)


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
        return address_argument(text)
    except argparse.ArgumentTypeError:
        if ":" in text.strip("[]") and not text.startswith("["):
            raise ValueError(f"not HOST or HOST:PORT: {text!r}") from None
    try:
        return host_argument(text.strip("[]")), port
    except argparse.ArgumentTypeError as error:
        raise ValueError(str(error)) from None


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
    # What the command line gives every device; a fleet file's entry over it.
    given = {
        name: value for kind in device_option_kinds() for name, value in from_arguments(kind, args).items()
    }
    merges = {name: how.merge for name, how in fleet_options(device_option_kinds()).items()}
    spreads = {
        field.name: how.spread
        for kind in device_option_kinds()
        for field, how in declared(kind)
        if how.spread is not None
    }
    given.update({name: None for name in merges if name not in given})  # a fleet file's alone
    base_data: dict[str, Any] = {}  # --device-data: every device's, under its fleet-file entry's
    if args.device_data is not None:
        base_data = read_document(Path(args.device_data))  # read once
        device_seeds(base_data, where=f"device data file {args.device_data}")  # checked once, naming the file
    configs = []
    for index in indices:
        entry = entries[index]
        where = f"{args.fleet}: device {index}" if args.fleet else f"device {index}"
        try:
            host, port = (
                _entry_address(entry["address"], args.port)
                if entry.get("address")
                else _generated_address(args, index)
            )
            if port > 65535:
                raise ValueError(f"port {port} is beyond 65535: start lower (--port)")
            events = entry.get("schedule") or ()
            schedule = tuple(
                ScheduledFault(event.get("at", 0), event.get("fault", ""), event.get("seconds", 0))
                for event in events
                if event.get("fault") != POINT
            )
            point_events = tuple(
                PointEvent(event.get("at", 0), event.get("object", ""), event.get("values") or {})
                for event in events
                if event.get("fault") == POINT
            )
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        options = {
            name: merges[name](value, entry.get(name)) if name in merges else value
            for name, value in given.items()
        }
        for name, spread in spreads.items():
            if entry.get(name) is None and options.get(name) is not None:
                options[name] = spread(options[name], index)
        options["device_data"] = overlay(base_data, entry.get("device_data") or {})
        if total == 1 and options.get("points") is not None:  # before the generated identity: see there
            options["device_data"] = points_device_data(
                load_points(options["points"]), options["device_data"], single=True
            )
        options["state_file"] = state_file(args.state_file, index, total)
        options["point_events"] = point_events
        configs.append(DeviceConfig(index, host, port, schedule, **options))
    return configs, total


def announce(fleet: Fleet, args: argparse.Namespace, total: int) -> None:
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
        f"Basic authentication for {len(args.users)} user(s)"
        if args.users
        else "authentication off: the API is open"
    )
    files = [device.config.state_file for device in listed]
    state = f"state kept in {', '.join(files)}" if args.state_file else "state in memory"
    revision = args.api_revision or api.DEFAULT_REVISION
    print(f"API revision {revision}, {args.clock} clock, {state}; {auth}", flush=True)
