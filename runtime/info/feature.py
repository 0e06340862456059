"""The device's information (/info): the API revision it serves, the device's uptime; the rest is the
spec's defaults and the device data. The web server's host name (/system/web-server) is the one
/info/device shows, kept there."""

from __future__ import annotations

import re
from typing import Mapping

from ...generated import handler as api
from ..core.deviceapi import parse_revision
from ..device.feature import Device, Feature, Hook, HookCall, HookResult
from ..device.resources import Resource, resolve
from ..device.store import StateStore
from ..reboot.feature import RebootFeature

# RFC 1123: letters, digits and hyphens, 1 to 63, neither first nor last a hyphen.
HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# The DeviceInfo property (spec/info.yaml) that /system/web-server's Hostname sets and shows.
DEVICE_HOST_NAME = "HostName"


class InfoFeature(Feature):
    def __init__(self, device: Device, options: None) -> None:
        self.api_revision = device.api_revision
        self.state: StateStore = device.state
        self.revision = parse_revision(device.api_revision)
        self.reboots = device.feature(RebootFeature)

    def hooks(self) -> Mapping[str, Hook]:
        return {
            "info": self.info,
            "device_uptime": self.device_uptime,
            "web_server": self.web_server,
            "set_web_server": self.set_web_server,
        }

    def info(self, call: HookCall) -> HookResult:
        # The links are the spec's defaults; the revision is the runtime's (--api-revision).
        return {"ApiRevision": self.api_revision}

    def device_uptime(self, call: HookCall) -> HookResult:
        # /info/device is stored (the device data, the host name); its uptime is the device clock's.
        return {"Uptime": self.reboots.uptime()}

    def _device_info(self) -> Resource:
        found = resolve("/info/device", self.revision)
        assert found is not None, "the spec serves /info/device"
        return found

    def web_server(self, call: HookCall | None = None) -> HookResult:
        return {"Hostname": self._device_info().read(self.state.get)[DEVICE_HOST_NAME]}

    def set_web_server(self, call: HookCall) -> HookResult:
        body = call.body or {}
        if "Hostname" in body:
            if not HOST_NAME.fullmatch(body["Hostname"]):
                reason = (
                    "hostname must be 1 to 63 letters, digits and hyphens, not starting or ending with one"
                )
                raise api.ApiError("invalid_body", object="WebServer", reason=reason)
            resource = self._device_info()
            with self.state.lock:
                resource.write(
                    self.state, {**resource.read(self.state.get), DEVICE_HOST_NAME: body["Hostname"]}
                )
        return self.web_server()
