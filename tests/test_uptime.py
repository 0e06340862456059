"""/info/device's uptime (the emulator's choice of place): seconds on the emulator's clock since the device
last started, 0 again after a reboot, in JSON and XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from _support import call
from eclypse_emulator.runtime import EmbeddedServer
from test_reboot import wait_answering, wait_refused

JSON = {"Content-Type": "application/json"}


def uptime(url: str) -> int:
    return call("GET", url + "/info/device").json()["uptime"]


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_uptime_counts_on_the_device_clock_and_restarts_at_a_reboot(core):
    with EmbeddedServer(port=0, core=core, clock="manual", reboot_seconds=30, starting_seconds=5) as device:
        assert uptime(device.url) == 0
        device.advance(3600)
        assert uptime(device.url) == 3600
        xml = ET.fromstring(call("GET", device.url + "/info/device?encode=xml").body)
        assert xml.findtext("Uptime") == "3600"
        assert (
            call("POST", device.url + "/protocols/bacnet/local/management/warmStart", JSON, "{}").status
            == 204
        )
        wait_refused(device.host, device.port)
        device.advance(35)  # refused for 30 s, then 503 for 5 s: the system has run since the refusals ended
        assert wait_answering(device.url) == 200
        assert uptime(device.url) == 5
        device.advance(10.5)
        assert uptime(device.url) == 15
        # A reset during a reboot: the device is up at once, and counts from then (it counted 0 until the
        # cancelled reboot's end).
        call("POST", device.url + "/protocols/bacnet/local/management/coldStart", JSON, "{}")
        wait_refused(device.host, device.port)
        device.reset()
        device.advance(2)
        assert wait_answering(device.url) == 200
        assert uptime(device.url) == 2


def test_uptime_is_no_setting_the_device_data_can_fix():
    with EmbeddedServer(port=0, clock="manual", device_data={"/info/device": {"uptime": 99}}) as device:
        device.advance(2)
        assert uptime(device.url) == 2
