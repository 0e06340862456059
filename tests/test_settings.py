"""The settings a fleet administrator changes: the web server's host name (which /info/device then shows),
the BACnet/IP and MS/TP ports, the network adapters and the clock's autoTime; invalid values change nothing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from _support import assert_error_body, call
from eclypse_emulator.runtime import EmbeddedServer

JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "application/xml", "Accept": "application/xml"}
WIRELESS = "/system/network/adapters/wireless/primary"
IP_PORT = "/protocols/bacnet/communication/network/ip-ports/1"
MSTP_PORT = "/protocols/bacnet/communication/network/mstp-ports/1"


@pytest.fixture(params=["asyncio", "threads"], scope="module")
def server(request):
    with EmbeddedServer(port=0, core=request.param) as running:
        yield running


@pytest.fixture
def device(server):
    server.reset()
    return server


def post(device: EmbeddedServer, path: str, body: dict) -> dict:
    answer = call("POST", device.url + path, JSON, json.dumps(body))
    assert answer.status == 200, answer.body
    return answer.json()


def test_the_host_name_set_on_the_web_server_is_the_one_the_device_reports(device):
    assert post(device, "/system/web-server", {"hostname": "ECLYPSE-LOBBY"}) == {"hostname": "ECLYPSE-LOBBY"}
    assert call("GET", device.url + "/system/web-server").json() == {"hostname": "ECLYPSE-LOBBY"}
    assert call("GET", device.url + "/info/device").json()["hostName"] == "ECLYPSE-LOBBY"
    answer = call(
        "POST", device.url + "/system/web-server", XML, "<WebServer><Hostname>roof</Hostname></WebServer>"
    )
    assert ET.fromstring(answer.body).findtext("Hostname") == "roof"


@pytest.mark.parametrize("name", ["-lead", "trail-", "under_score", "x" * 64, "", "dot.ted"])
def test_an_invalid_host_name_is_refused_and_changes_nothing(device, name):
    before = call("GET", device.url + "/info/device").json()["hostName"]
    answer = call("POST", device.url + "/system/web-server", JSON, json.dumps({"hostname": name}))
    assert answer.status == 400
    assert_error_body(answer)
    assert call("GET", device.url + "/info/device").json()["hostName"] == before


def test_a_wireless_adapter_becomes_a_hotspot_as_the_client_asks(device):
    changed = post(device, WIRELESS, {"enabled": True, "mode": "hotspot"})
    assert changed["enabled"] is True and changed["mode"] == "hotspot"
    shown = ET.fromstring(call("GET", device.url + WIRELESS, {"Accept": "application/xml"}).body)
    assert (shown.findtext("Enabled"), shown.findtext("Mode")) == ("true", "hotspot")
    assert (
        post(device, "/system/network/adapters/wired/primary", {"addressing": "static"})["addressing"]
        == "static"
    )


@pytest.mark.parametrize(
    "path, body",
    [
        (WIRELESS, {"mode": "mesh"}),
        (WIRELESS, {"enabled": "yes"}),
        (WIRELESS, {"enabled": True, "addressing": "bootp"}),  # one bad value: the good one is not applied
        (IP_PORT, {"enabled": False, "bacnetIpUdpPort": 70000}),
        (MSTP_PORT, {"enabled": True, "macAddress": 128}),
        ("/system/date-time", {"autoTime": "on"}),
    ],
)
def test_invalid_settings_are_400_and_change_nothing(device, path, body):
    before = call("GET", device.url + path).json()
    answer = call("POST", device.url + path, JSON, json.dumps(body))
    assert answer.status == 400, answer.body
    assert_error_body(answer)
    after = call("GET", device.url + path).json()
    after.pop("time", None), before.pop("time", None), after.pop("isoDateTime", None), before.pop(
        "isoDateTime", None
    )
    assert after == before


def test_ports_and_auto_time_keep_what_a_post_sets(device):
    assert post(device, IP_PORT, {"enabled": False})["enabled"] is False
    assert call("GET", device.url + IP_PORT).json()["bacnetIpUdpPort"] == 47808
    assert post(device, MSTP_PORT, {"enabled": True})["enabled"] is True
    changed = post(device, "/system/date-time", {"timeZone": "Europe/Paris", "autoTime": True})
    assert changed["autoTime"] is True and changed["timeZone"] == "Europe/Paris"
    assert call("GET", device.url + "/system/date-time").json()["autoTime"] is True
