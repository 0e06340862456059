"""The device object's live properties, kept where the rest of the device keeps them (one source of truth):
its instance, location and description are /info/bacnet's; its local date, time and UTC offset the device
clock's (/system/date-time). A BACnet write of location or description changes /info/bacnet."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..device.resources import resolve
from ..device.store import StateStore
from .models import PointList

BACNET_INFO = "/info/bacnet"
# Device object property -> the /info/bacnet property holding it.
INFO_PROPERTIES = {"location": "Location", "description": "Description"}


class DeviceObject:
    """The DeviceLink of a device: reads and writes through its state store and clock."""

    def __init__(self, state: StateStore, local_time: Callable[[], Any]) -> None:
        self.state = state
        self.local_time = local_time  # the device clock's local datetime now
        self.resource = resolve(BACNET_INFO)

    def _info(self) -> Mapping[str, Any]:
        return self.resource.read(self.state.get) if self.resource is not None else {}

    def values(self) -> dict[str, Any]:
        info, now = self._info(), self.local_time()
        values: dict[str, Any] = {
            name: info[key] for name, key in INFO_PROPERTIES.items() if info.get(key) is not None
        }
        if info.get("DeviceInstance") is not None:
            values["instance"] = info["DeviceInstance"]
        offset = now.utcoffset()
        values.update(
            localDate=(now.year - 1900, now.month, now.day, now.isoweekday()),
            localTime=(now.hour, now.minute, now.second, now.microsecond // 10000),
            # BACnet's utcOffset: the minutes to add to local time for UTC.
            utcOffset=-int(offset.total_seconds() // 60) if offset is not None else 0,
        )
        return values

    def update(self, name: str, value: Any) -> bool:
        key = INFO_PROPERTIES.get(name)
        if key is None or self.resource is None:
            return False
        with self.state.lock:
            self.resource.write(self.state, {**self._info(), key: value})
        return True


def seed_bacnet_info(seeds: dict[str, Any], points: PointList) -> dict[str, Any]:
    """The device data seeds, with the point file's device instance, location and description as
    /info/bacnet's where the file gives them and the device data does not (a fleet device keeps its own)."""
    info = dict(seeds.get(BACNET_INFO) or {})
    if points.instance_given:
        info.setdefault("DeviceInstance", points.device.instance)
    for name, key in INFO_PROPERTIES.items():
        if points.device.values.get(name):
            info.setdefault(key, points.device.values[name])
    return {**seeds, BACNET_INFO: info} if info else seeds


def points_device_data(points: PointList, data: dict[str, Any], single: bool) -> dict[str, Any]:
    """A device's data with the point file's device instance where the data gives none: a single device's
    /info/bacnet takes the file's instance (before a fleet's generated identity could), while each device
    of a fleet keeps its own distinct one."""
    if not single or not points.instance_given:
        return data
    path = next((path for path in data if path.strip("/") == BACNET_INFO.strip("/")), BACNET_INFO)
    info = data.get(path) or {}
    if not isinstance(info, dict) or any(name.casefold() == "deviceinstance" for name in info):
        return data  # given (or not a mapping, for the seed check to refuse)
    return {**data, path: {**info, "deviceInstance": points.device.instance}}
