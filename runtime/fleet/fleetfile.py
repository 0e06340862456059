"""The fleet file (`--fleet FILE`): the devices of a site, one entry each, in YAML or in CSV.

YAML: `devices:` a list of entries, and `defaults:` an entry whose values every device takes unless its
own entry says otherwise:

    defaults:
      users: {admin: secret}          # or a list: ["admin:secret", ...]
      jobs: {duration: 30}            # the default job scenario: duration, status, fail_at, never_finish
    devices:
      - address: 127.0.1.1:443        # HOST:PORT, or HOST (on --port); none: the generated address
        api_revision: "7.0"
        tls_cert: certs/ahu1.pem      # relative to the fleet file's folder
        tls_key: certs/ahu1.key
        device_data:                  # initial values by device path (below /api/rest/v1)
          /info/device: {name: AHU-1}
          /info/bacnet: {deviceInstance: 100050, location: Mechanical room}
        schedule:                     # device faults on the device's clock, seconds after the start
          - {at: 60, fault: offline}
          - {at: 90, fault: reboot, seconds: 30}
          - {at: 120, fault: point, object: "analogInput,5", values: {reliability: no-sensor}}

CSV: `address,username,password` rows (a header row with these names is optional); rows that repeat an
address add a user to that device.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..core.options import Option, fleet_options
from .fleet import device_option_kinds
from ..core.miniyaml import YamlError, loads

CSV_HEADER = ["address", "username", "password"]


class FleetFileError(ValueError):
    pass


def read_fleet(path: Path, options: dict[str, Option] | None = None) -> list[dict[str, Any]]:
    """The entries of a fleet file, defaults applied, checked for shape; FleetFileError naming the
    file and the device or line. `options`: the device options an entry may give, by key, besides its
    address and its schedule (by default those of every device of a fleet)."""
    if options is None:
        options = fleet_options(device_option_kinds())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FleetFileError(f"cannot read the fleet file {path}: {error}") from None
    entries = _read_csv(text, path) if path.suffix.lower() == ".csv" else _read_yaml(text, path, options)
    if not entries:
        raise FleetFileError(f"{path}: the fleet file lists no device")
    folder = path.parent
    for number, entry in enumerate(entries):
        _check(entry, f"{path}: device {number}", folder, options)
    return entries


def _read_yaml(text: str, path: Path, options: dict[str, Option]) -> list[dict[str, Any]]:
    try:
        document = loads(text)
    except YamlError as error:
        raise FleetFileError(f"{path}: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("devices"), list):
        raise FleetFileError(f"{path}: expected a mapping with `devices:`, a list of devices")
    unknown = set(document) - {"defaults", "devices"}
    if unknown:
        raise FleetFileError(
            f"{path}: unknown section(s) {', '.join(sorted(unknown))} (known: defaults, devices)"
        )
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise FleetFileError(f"{path}: `defaults:` must be a mapping")
    _check(defaults, f"{path}: defaults", path.parent, options, resolve=False)
    entries = []
    for number, entry in enumerate(document["devices"]):
        if not isinstance(entry, dict):
            raise FleetFileError(f"{path}: device {number} must be a mapping of {', '.join(fields(options))}")
        entries.append({**defaults, **entry})
    return entries


def _read_csv(text: str, path: Path) -> list[dict[str, Any]]:
    by_address: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and [c.lower() for c in cells] == CSV_HEADER):
            continue
        if len(cells) != 3 or not cells[0]:
            raise FleetFileError(f"{path}: line {number}: expected address,username,password")
        address, user, password = cells
        entry = by_address.setdefault(address, {"address": address, "users": {}})
        if user:
            entry["users"][user] = password
    return list(by_address.values())


def fields(options: dict[str, Option]) -> list[str]:
    """What a device entry may give."""
    return ["address", *options, "schedule"]


def _check(
    entry: dict[str, Any], where: str, folder: Path, options: dict[str, Option], resolve: bool = True
) -> None:
    """Fail on what a device entry cannot mean; read each option as it declares (users a mapping, paths
    made absolute)."""
    known = fields(options)
    unknown = set(entry) - set(known)
    if unknown:
        raise FleetFileError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))} (known: {', '.join(known)})"
        )
    if entry.get("address") is not None:
        if not isinstance(entry["address"], (str, int, float)):
            raise FleetFileError(f"{where}: address must be a string")
        entry["address"] = str(entry["address"])
    for name, how in options.items():
        if entry.get(name) is None:
            continue
        try:
            value = how.read(entry[name]) if how.read is not None else entry[name]
        except ValueError as error:
            raise FleetFileError(f"{where}: {error}") from None
        entry[name] = str(folder / value) if how.path and resolve else value
    schedule = entry.get("schedule") or []
    if not isinstance(schedule, list) or not all(
        isinstance(event, dict) and set(event) <= {"at", "fault", "seconds", "object", "values"}
        for event in schedule
    ):
        raise FleetFileError(
            f"{where}: schedule must be a list of {{at: SECONDS, fault: NAME, seconds: N}} "
            "or {at: SECONDS, fault: point, object: TYPE,INSTANCE, values: {PROPERTY: VALUE}}"
        )


def shard(total: int, spec: tuple[int, int]) -> range:
    """The indices the K-th of N shards serves (K from 0): contiguous blocks, as even as can be."""
    k, n = spec
    return range(k * total // n, (k + 1) * total // n)
