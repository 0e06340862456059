"""Generated identities: each device of a fleet gets a distinct name, serial number, MAC address and
BACnet device instance, derived from its index in the whole fleet (so that shards never collide) and the
seed (so that a run can be repeated). Values a fleet file gives are kept; only the missing ones are made.

The values go into the device data, under the device paths of /info/device and /info/bacnet, by the
JSON names the device shows; /info/network shows the MAC address of /info/device (one Ethernet port).
"""

from __future__ import annotations

import copy
import functools
import math
import random
from typing import Any, Mapping

from ..generated import handler as api

from .state import resolve

DEVICE_PATH = "/info/device"
BACNET_PATH = "/info/bacnet"
NETWORK_PATH = "/info/network"
BACNET_INSTANCES = 4_194_303  # instances 0 to 4194302; 4194303 means "not configured"
SERIALS = 10**9
MACS = 1 << 32  # below a locally administered prefix, 02:EC


@functools.lru_cache(maxsize=None)
def _permutation(seed: int, salt: str, modulus: int) -> tuple[int, int]:
    """(offset, step) of a bijection of 0..modulus-1, step coprime with modulus."""
    generator = random.Random(f"{seed}:{salt}")
    offset, step = generator.randrange(modulus), generator.randrange(1, modulus)
    while math.gcd(step, modulus) != 1:
        step += 1
    return offset, step


def _spread(index: int, seed: int, salt: str, modulus: int) -> int:
    """Distinct indices below `modulus` give distinct values, which do not look consecutive."""
    offset, step = _permutation(seed, salt, modulus)
    return (offset + index * step) % modulus


def generated(index: int, seed: int | None) -> dict[str, dict[str, Any]]:
    """The identity of the device at `index` of the whole fleet."""
    choice = api.CHOICES["fleet_identity"]  # spec/emulator.yaml
    seeded = 0 if seed is None else seed
    mac = _spread(index, seeded, "mac", MACS).to_bytes(4, "big")
    first = choice["first_device_instance"]
    if seed is not None:
        first = _permutation(seed, "bacnet", BACNET_INSTANCES)[0]
    return {
        DEVICE_PATH: {
            "hostname": choice["hostname"].format(number=index + 1),
            "serialNumber": f"{_spread(index, seeded, 'serial', SERIALS):09d}",
            "macAddress": ":".join([choice["mac_prefix"], *(f"{byte:02X}" for byte in mac)]),
        },
        BACNET_PATH: {"deviceInstance": (first + index) % BACNET_INSTANCES},
    }


def _spec_path(path: Any) -> Any:
    """An entity's or collection's path as the spec writes it (`/info/device/` is `/info/device`), so
    that two spellings of one path merge; anything else as it is, for the seed check to name."""
    resource = resolve(path) if isinstance(path, str) else None
    return path if resource is None or resource.member is not None else resource.path


def overlay(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    """Device data `upper` over `lower`: an object's properties over the other's (names matched
    case-insensitively, as the device reads them), any other value instead."""
    data = {_spec_path(path): value for path, value in copy.deepcopy(dict(lower)).items()}
    for path, given in upper.items():
        path = _spec_path(path)
        below = data.get(path)
        if isinstance(below, dict) and isinstance(given, dict):
            names = {str(name).casefold() for name in given}
            given = {**{k: v for k, v in below.items() if str(k).casefold() not in names}, **given}
        data[path] = given
    return data


def with_identity(device_data: Mapping[str, Any], index: int, seed: int | None) -> dict[str, Any]:
    """`device_data` with the generated identity filling what it does not give, where the spec being
    served has the identity's resources (a spec of other resources gets none)."""
    if "fleet_identity" not in api.CHOICES:  # a spec without the choice: no identity is generated
        return overlay({}, device_data)
    identity = {path: values for path, values in generated(index, seed).items() if resolve(path) is not None}
    data = overlay(identity, device_data)
    device, network = data.get(DEVICE_PATH), data.get(NETWORK_PATH, {})
    if isinstance(device, dict) and isinstance(network, dict) and resolve(NETWORK_PATH) is not None:
        mac = next((value for name, value in device.items() if str(name).casefold() == "macaddress"), None)
        if mac is not None and "macaddress" not in {str(name).casefold() for name in network}:
            data[NETWORK_PATH] = {**network, "macAddress": mac}  # what is not a mapping, seeds refuse
    return data
