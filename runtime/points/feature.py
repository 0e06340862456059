"""The points feature: the device's BACnet objects behind the local-objects resources, their control
operations (a point forced without BACnet's rules) and the --points option."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..clock.feature import ClockFeature
from ..core.options import option
from ..device.events import REBOOT, RESET
from ..device.feature import Device, Feature, Hook, HookCall, HookResult, Operation, not_found, whole_number
from ..device.store import normal_path
from .control import point_document, set_point
from .device_object import BACNET_INFO, DeviceObject, seed_bacnet_info
from .errors import BacnetError
from .hooks import PointHooks
from .models import ObjectDatabase, PointList
from .pointlists import point_list

HOOKS = (
    "bacnet_objects",
    "bacnet_objects_of_type",
    "bacnet_object",
    "bacnet_properties",
    "bacnet_property",
    "write_bacnet_property",
    "read_property_multiple",
    "write_property_multiple",
)


@dataclass(frozen=True)
class PointsOptions:
    points: str | Path | PointList | None = option(
        flag="--points",
        metavar="FILE",
        help="the device's BACnet points: an EDE .csv or a JSON/YAML point list (default: a built-in building)",
        fleet=True,
        path=True,
    )


class PointsFeature(Feature, PointHooks):
    """`points`: the object database of one device, over the point list it shares with the devices that
    load the same file; its changes are kept in the device's state store, and a reset forgets them."""

    reading_hooks = frozenset({"read_property_multiple"})  # a supervisory system polls with the same bodies
    options = PointsOptions
    operations = (
        Operation(
            "GET",
            "/points/{type_name}/{instance}",
            "point",
            parameters={"instance": whole_number},
            shows=lambda _, document: document,
            missing=not_found,
        ),
        Operation(
            "PUT",
            "/points/{type_name}/{instance}",
            "set_point",
            parameters={"instance": whole_number},
            document=True,
            what="point",
            shows=lambda _, document: document,
            missing=not_found,
        ),
    )

    def __init__(self, device: Device, options: PointsOptions) -> None:
        self.point_list = point_list(options.points)
        # The point list's device instance, location and description are /info/bacnet's where the device
        # data gives none (one source of truth: the device object reads them there).
        given = device.state.seeds.get(normal_path(BACNET_INFO))
        seeds = seed_bacnet_info({BACNET_INFO: json.loads(given)} if given else {}, self.point_list)
        if BACNET_INFO in seeds:
            device.state.seeds[normal_path(BACNET_INFO)] = json.dumps(seeds[BACNET_INFO])
        local_time = device.feature(ClockFeature).device_clock.local
        self.objects = ObjectDatabase(self.point_list, DeviceObject(device.state, local_time), device.state)
        device.events.subscribe(RESET, self.objects.reset)
        # A cold start clears the priority arrays, a warm start keeps them (the emulator's reading of
        # BACnet's ReinitializeDevice: a cold start is a power cycle, and commands live in volatile memory).
        device.events.subscribe(REBOOT, self._rebooted)

    def _rebooted(self, kind: str) -> None:
        if kind == "cold":
            self.objects.relinquish_all()

    def hooks(self) -> Mapping[str, Hook]:
        return {name: self._hook(getattr(self, name)) for name in HOOKS}

    @staticmethod
    def _hook(method: Callable[..., HookResult]) -> Hook:
        """A PointHooks method (keyword arguments by parameter name) as a hook taking a HookCall."""

        def hook(call: HookCall) -> HookResult:
            return method(body=call.body, binary=call.binary, **call.parameters)

        return hook

    # Control operations

    def point(self, type_name: str, instance: int) -> dict[str, Any] | None:
        """A BACnet object, every property in its text form (None: no such object)."""
        try:
            return point_document(self.objects, type_name, instance)
        except BacnetError:  # the one error of finding an object: object: unknown-object
            return None

    def set_point(self, type_name: str, instance: int, value: Mapping[str, Any]) -> dict[str, Any] | None:
        """Force a point's values without BACnet's write rules: physicalValue (a sensor), reliability,
        outOfService, eventState or any stored property; all or nothing (ValueError saying why; None: no
        such object)."""
        if not isinstance(value, Mapping):
            raise ValueError("a point's values are a JSON object")
        try:
            return set_point(self.objects, type_name, instance, value)
        except BacnetError as error:
            if error.error_code == "unknown-object":
                return None
            raise ValueError(f"{error.text}: {error.reason}") from None
