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

from ...generated import handler as api

from ..device.resources import resolve

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
    hostname = choice["hostname"].format(number=index + 1)
    mac_address = ":".join([choice["mac_prefix"], *(f"{byte:02X}" for byte in mac)])
    return {
        DEVICE_PATH: {
            "hostname": hostname,
            "serialNumber": f"{_spread(index, seeded, 'serial', SERIALS):09d}",
            "macAddress": mac_address,
        },
        BACNET_PATH: {"deviceInstance": (first + index) % BACNET_INSTANCES},
    }


def _state_key(path: Any) -> Any:
    """The state store's key of an entity's or collection's path (`/info/device/` is `/info/device`);
    anything else as it is, for the seed check to name."""
    resource = resolve(path) if isinstance(path, str) else None
    return path if resource is None or resource.member is not None else resource.path


def _names(values: Mapping[Any, Any]) -> set[str]:
    """Property names as the device matches them: case-insensitively."""
    return {str(name).casefold() for name in values}


def overlay(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    """Device data `upper` over `lower`: an object's properties over the other's (names matched
    case-insensitively), any other value instead. A path of `upper` merges with `lower`'s spelling of it
    (and keeps that spelling); a path given twice in one of them stays twice, for the seed check to refuse."""
    data = copy.deepcopy(dict(lower))
    spelling = {_state_key(path): path for path in data}  # lower's spelling, by state key
    for path, given in upper.items():
        below_path = spelling.pop(_state_key(path), None)  # popped: a second spelling in upper stays apart
        if below_path is None:
            data[path] = given
            continue
        below = data[below_path]
        if isinstance(below, dict) and isinstance(given, dict):
            names = _names(given)
            given = {**{k: v for k, v in below.items() if str(k).casefold() not in names}, **given}
        data[below_path] = given
    return data


def _with_derived_names(device: Mapping[str, Any]) -> dict[str, Any]:
    """The emulator's choice: a controller's name is its host name, its host id its MAC address's digits,
    whether generated or given by the fleet file, unless the fleet file gives them too."""
    given = {str(name).casefold(): value for name, value in device.items()}
    derived = {}
    if "controllername" not in given and isinstance(given.get("hostname"), str):
        derived["controllerName"] = given["hostname"]
    if "hostid" not in given and isinstance(given.get("macaddress"), str):
        derived["hostId"] = given["macaddress"].replace(":", "")
    return {**device, **derived}


def with_identity(device_data: Mapping[str, Any], index: int, seed: int | None) -> dict[str, Any]:
    """`device_data` with the generated identity filling what it does not give, where the spec being
    served has the identity's resources (a spec of other resources gets none)."""
    if "fleet_identity" not in api.CHOICES:  # a spec without the choice: no identity is generated
        return overlay({}, device_data)
    identity = {path: values for path, values in generated(index, seed).items() if resolve(path) is not None}
    data = overlay(identity, device_data)
    if isinstance(data.get(DEVICE_PATH), dict):
        data[DEVICE_PATH] = _with_derived_names(data[DEVICE_PATH])
    if resolve(NETWORK_PATH) is None:
        return data
    network_path = next((path for path in data if _state_key(path) == NETWORK_PATH), NETWORK_PATH)
    device, network = data.get(DEVICE_PATH), data.get(network_path, {})
    if isinstance(device, dict) and isinstance(network, dict) and "macaddress" not in _names(network):
        mac = next((value for name, value in device.items() if str(name).casefold() == "macaddress"), None)
        if mac is not None:  # what is not a mapping, or not an address, the seed check refuses
            data[network_path] = {**network, "macAddress": mac}
    return data
