"""The spec's `choices`: what the emulator decides where the device's behaviour is unknown."""

from __future__ import annotations

import re
from typing import Any

from ..loader import LocatedList
from .checker import Checker, unique
from .spec import Object, Resource

# The choices every spec makes, and the type of each.
CHOICES: dict[str, type | tuple[type, ...]] = {
    "running_status": str,
    "failure_status": str,
    "cancelled_status": str,
    "backup_job_type": str,
    "default_job_duration": (int, float),
    "error_object": str,
    "deprecation_date": int,
    "backup_timestamp_format": str,
}
# The client CLI's commands that chain operations (optional choices), and the steps each names.
COMMANDS = {
    "backup_command": ("create", "list", "download"),
    "user_command": ("list", "create", "set", "delete"),
    "reboot_command": ("cold", "warm"),
}
MAC_PREFIX = re.compile(r"[0-9A-F]{2}:[0-9A-F]{2}")
BACNET_INSTANCES = 4194303  # device instances are 0 to 4194302 (4194303 means "none")


def read_choices(root: Checker, objects: dict[str, Object], resources: list[Resource]) -> dict[str, Any]:
    """Every choice, the optional ones with their defaults (None or absent where a feature is off)."""
    choices = root.child("choices")
    choices.only(set(CHOICES) | set(COMMANDS) | {"state_properties", "fleet_identity", "admin_role"})
    values = {key: choices.get(key, kind) for key, kind in CHOICES.items()}
    # The properties that tell how a job ended, in order of preference (optional; default: Status).
    values["state_properties"] = choices.get("state_properties", list, ["Status"])
    if not all(isinstance(name, str) for name in values["state_properties"]):
        raise choices.fail("state_properties", "expected a list of property names")
    # The role that may manage the device's users (optional; the runtime's users feature reads it).
    values["admin_role"] = choices.get("admin_role", str, None)
    by_operation = {r.operation: r for r in resources}
    for command in COMMANDS:
        values[command] = read_command(choices, command, by_operation)
    if values["backup_command"] is not None and not by_operation[values["backup_command"]["download"]].binary:
        raise choices.child("backup_command").fail(
            "download", "the download operation must be a binary resource"
        )
    if "fleet_identity" in choices.node:
        values["fleet_identity"] = read_fleet_identity(choices.child("fleet_identity"))
    error_object = objects.get(values["error_object"])
    if error_object is None or {p.name for p in error_object.properties} != {"Code", "Message"}:
        raise choices.fail(
            "error_object", "must name an object of objects with the properties Code and Message"
        )
    return values


def read_command(choices: Checker, name: str, by_operation: dict[str, Resource]) -> dict[str, str] | None:
    """The operations a client CLI command chains (optional), by step: `backup_command` creates, lists and
    downloads; `user_command` lists, creates, sets and deletes users; `reboot_command` starts cold or warm."""
    if name not in choices.node:
        return None
    command = choices.child(name)
    command.only(set(COMMANDS[name]))
    steps = {key: command.get(key, str) for key in COMMANDS[name]}
    for key, operation in steps.items():
        if operation not in by_operation:
            raise command.fail(key, f"no operation {operation!r}")
    return steps


def read_fleet_identity(identity: Checker) -> dict[str, Any]:
    """A fleet device's generated identity (optional; without it a fleet generates none)."""
    identity.only({"hostname", "mac_prefix", "first_device_instance"})
    values = {
        "hostname": identity.get("hostname", str),
        "mac_prefix": identity.get("mac_prefix", str),
        "first_device_instance": identity.get("first_device_instance", int),
    }
    try:
        values["hostname"].format(number=1)
    except (KeyError, IndexError, ValueError) as error:
        raise identity.fail("hostname", f"a format of {{number}} only ({error})") from None
    if not MAC_PREFIX.fullmatch(values["mac_prefix"]):
        raise identity.fail("mac_prefix", "two bytes in upper-case hex, e.g. 02:EC")
    if not 0 <= values["first_device_instance"] < BACNET_INSTANCES:
        raise identity.fail("first_device_instance", "a BACnet device instance, 0 to 4194302")
    return values


def read_page_differences(root: Checker) -> dict[str, str]:
    """The differences from the vendor's pages the spec accepts, each with its reason (optional section)."""
    if "page_differences" not in root.node:
        return {}
    listed = root.child("page_differences", LocatedList)
    accepted = {}
    for index in range(len(listed.node)):
        item = listed.child(index)
        item.only({"difference", "reason"})
        accepted[item.get("difference", str)] = item.get("reason", str)
    unique(listed, [(i, item["difference"]) for i, item in enumerate(listed.node)], "difference")
    return accepted
