"""The device's navigation as a client walks it: the API root, /info and the resources it links, and the
headers a real device sends on every answer. Over real HTTP on both serving cores (the `server` fixture)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from _support import BASE_PATH

EXPIRES = "Thu, 01 Jan 1970 00:00:00 GMT"
INFO_LINKS = {
    "device": "/info/device",
    "bacnet": "/info/bacnet",
    "extensionManagement": "/info/extension-management",
    "supportedServices": "/info/supported-services",
    "network": "/info/network",
}


def origin(base: str) -> str:
    return base[: -len(BASE_PATH)]


@pytest.mark.parametrize("suffix", ["", "/"])
def test_the_root_answers_200_with_links_that_resolve(base, http, suffix):
    status, headers, body = http("GET", base + suffix)
    assert status == 200 and headers["content-type"] == "application/json;charset=UTF-8"
    links = json.loads(body)
    assert set(links) >= {"info", "files", "backupFiles", "dateTime"}
    for name, link in links.items():
        assert link["name"] == name and link["href"].startswith(BASE_PATH + "/")
        assert http("GET", origin(base) + link["href"])[0] == 200, link


def test_the_root_in_xml(base, http):
    root = ET.fromstring(http("GET", base + "?encode=xml")[2])
    assert root.tag == "Services"
    assert root.find("Info/Href").text == BASE_PATH + "/info"


def test_info_has_the_vendors_links_and_revision_in_the_examples_json_order(base, http):
    body = http("GET", base + "/info")[2]
    document = json.loads(body)
    assert list(document) == [
        "device",
        "apiRevision",
        "bacnet",
        "extensionManagement",
        "supportedServices",
        "network",
    ]
    assert document["apiRevision"] == "8.0"
    for name, path in INFO_LINKS.items():
        assert document[name] == {"href": BASE_PATH + path, "name": name}
    assert b'"href":"\\/api\\/rest\\/v1\\/info\\/device"' in body  # compact, `/` escaped as the device writes


def test_info_in_xml_follows_the_examples_order_then_alphabetical(base, http):
    root = ET.fromstring(http("GET", base + "/info?encode=xml")[2])
    assert [child.tag for child in root] == [
        "ApiRevision",
        "Bacnet",
        "Device",
        "ExtensionManagement",
        "Network",
        "SupportedServices",
    ]
    assert root.findtext("Device/Href") == BASE_PATH + "/info/device"
    assert root.findtext("Device/Name") == "device"


def test_every_info_link_resolves_in_json_and_xml(base, http):
    document = json.loads(http("GET", base + "/info")[2])
    for name in INFO_LINKS:
        href = document[name]["href"]
        assert http("GET", origin(base) + href)[0] == 200, href
        status, headers, body = http("GET", origin(base) + href + "?encode=xml")
        assert status == 200 and headers["content-type"].startswith("application/xml")
        ET.fromstring(body)


def test_the_device_identity_has_what_a_fleet_client_reads(base, http):
    device = json.loads(http("GET", base + "/info/device")[2])
    assert device["modelName"].split()[0] == "ECY-S1000"
    parts = device["softwareVersion"].split(".")
    assert len(parts) == 4 and all(part.isdigit() for part in parts)
    assert {"hostName", "controllerName", "hostId", "serialNumber", "macAddress"} <= set(device)


def test_bacnet_info_as_its_page_shows_it(base, http):
    document = json.loads(http("GET", base + "/info/bacnet")[2])
    assert set(document) == {"deviceInstance", "location", "description"}
    assert isinstance(document["deviceInstance"], int)
    root = ET.fromstring(http("GET", base + "/info/bacnet?encode=xml")[2])
    assert [child.tag for child in root] == ["DeviceInstance", "Location", "Description"]


def test_the_camel_case_form_of_a_kebab_segment_answers_too(base, http):
    assert http("GET", base + "/info/supportedServices")[0] == 200
    assert http("GET", base + "/info/extensionManagement")[0] == 200


def test_the_api_revision_value_keeps_working(base, http):
    status, headers, body = http("GET", base + "/info/apirevision/$value")
    assert (status, body) == (200, b"8.0")
    assert json.loads(http("GET", base + "/info?$select=apirevision")[2]) == {"apiRevision": "8.0"}


def test_identity_values_come_from_the_device_data():
    from eclypse_emulator.runtime.device.emulator import Emulator
    from eclypse_emulator.generated.handler import Request, handle

    emulator = Emulator(device_data={"/info/device": {"Hostname": "ahu-7", "SerialNumber": "S-7"}})
    response = handle(Request("GET", BASE_PATH + "/info/device", {}), emulator)
    document = json.loads(response.body)
    assert (document["hostName"], document["serialNumber"]) == ("ahu-7", "S-7")
    assert document["modelName"]  # the others keep their defaults


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", ""),
        ("GET", "/info"),
        ("GET", "/info?encode=xml"),
        ("GET", "/info/apirevision/$value"),
        ("GET", "/no/such/resource"),
        ("DELETE", "/info"),
    ],
)
def test_every_answer_carries_the_devices_headers(base, http, method, path):
    status, headers, _ = http(method, base + path)
    assert headers["expires"] == EXPIRES, (status, headers)
    assert headers["server"] == "ECLYPSE-Emulator"
    if headers["content-type"].startswith("application/json"):
        assert headers["content-type"] == "application/json;charset=UTF-8"
