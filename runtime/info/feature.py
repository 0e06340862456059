"""The device's information (/info): the API revision it serves; the rest is the spec's defaults and the
device data."""

from __future__ import annotations

from typing import Mapping

from ..device.feature import Device, Feature, Hook, HookCall, HookResult


class InfoFeature(Feature):
    def __init__(self, device: Device, options: None) -> None:
        self.api_revision = device.api_revision

    def hooks(self) -> Mapping[str, Hook]:
        return {"info": self.info}

    def info(self, call: HookCall) -> HookResult:
        # The links are the spec's defaults; the revision is the runtime's (--api-revision).
        return {"ApiRevision": self.api_revision}
