"""The controller's program: Project.gfx?encode=bin is a zip whose Main.xml names the project, read here
as the fleet client reads it (zipfile, then ElementTree: the root's Project, its Props, Name and
LastModifDate); the file is in the /files tree, its bytes the same on every download."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest

from _support import call
from test_points_files import FACTS_EXAMPLE
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.fleet.fleet import DeviceConfig, Fleet
from eclypse_emulator.runtime.points.pointfile import PointFileError
from eclypse_emulator.runtime.points.pointlists import load

PROJECT = "/files/common/localDevice/project/Project.gfx"
# The facts' EDE example, and a set point: a value object the program declares.
EDE = FACTS_EXAMPLE + "Building03Room15Setpoint;10;Setpoint;2;7;Room set point;21;;;Y;Y;;;;62;S1\n"


def project_props(archive: bytes) -> dict[str, str]:
    """Name and LastModifDate, found as the fleet client finds them."""
    main = zipfile.ZipFile(io.BytesIO(archive)).open("Main.xml")
    root = ET.parse(io.BytesIO(main.read())).getroot()
    found = {}
    for project in root:
        if project.tag == "Project":
            for props in project:
                if props.tag == "Props":
                    found.update({prop.tag: prop.text for prop in props})
    return found


def download(url: str) -> bytes:
    answer = call("GET", url + PROJECT + "?encode=bin", {"Accept": "*/*"})
    assert answer.status == 200 and answer.header("content-type") == "application/octet-stream"
    return answer.body


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_the_program_names_the_controller_and_is_in_the_file_tree(core):
    data = {"/info/device": {"controllerName": "AHU-1"}}
    with EmbeddedServer(port=0, core=core, device_data=data) as device:
        archive = download(device.url)
        assert project_props(archive) == {"Name": "AHU-1", "LastModifDate": "01/01/2026 00:00:00"}
        assert download(device.url) == archive, "the same bytes on every download"
        # From the root of the tree down to the file, by the links each folder gives.
        href = "/files"
        for name in ("common", "localDevice", "project"):
            folder = call("GET", device.url + href.removeprefix("/api/rest/v1")).json()
            href = next(f["path"]["href"] for f in folder["fileFolders"] if f["path"]["name"] == name)
        listed = call("GET", device.url + href.removeprefix("/api/rest/v1")).json()
        [entry] = listed["files"]
        assert entry["path"] == {"href": "/api/rest/v1" + PROJECT, "name": "Project.gfx"}
        assert entry["size"] == len(archive)
        metadata = call("GET", device.url + PROJECT).json()
        assert metadata == {
            "fileName": "Project.gfx",
            "size": len(archive),
            "modified": "01/01/2026 00:00:00",
        }
        xml = ET.fromstring(call("GET", device.url + PROJECT + "?encode=xml").body)
        assert xml.findtext("FileName") == "Project.gfx" and xml.findtext("Size") == str(len(archive))
        backups = call("GET", device.url + "/files").json()["fileFolders"]
        assert [f["path"]["name"] for f in backups] == ["backup", "common"]


def test_an_ede_project_keeps_its_free_text_timestamp(tmp_path):
    points = tmp_path / "plant_EDE.csv"
    points.write_text(EDE, encoding="latin-1")
    with EmbeddedServer(port=0, points=str(points)) as device:
        archive = download(device.url)
        assert project_props(archive) == {"Name": "EDEexample", "LastModifDate": "19. Dez 05"}
        main = ET.fromstring(zipfile.ZipFile(io.BytesIO(archive)).read("Main.xml"))
        [value] = main.findall("BacnetAnalogValueResource")
        assert (value.findtext("NAME"), value.findtext("IDX"), value.findtext("DefaultValue")) == (
            "Setpoint",
            "7",
            "21.0",
        )


def test_a_point_list_project_dated_by_its_last_change(tmp_path):
    points = tmp_path / "points.json"
    project = {"name": "Tower B", "lastChange": "2026-11-20T09:30:00"}
    points.write_text(json.dumps({"project": project, "objects": []}))
    with EmbeddedServer(port=0, points=str(points)) as device:
        archive = download(device.url)
        assert project_props(archive) == {"Name": "Tower B", "LastModifDate": "11/20/2026 09:30:00"}
        assert zipfile.ZipFile(io.BytesIO(archive)).getinfo("Main.xml").date_time == (2026, 11, 20, 9, 30, 0)
        assert call("GET", device.url + PROJECT).json()["modified"] == "11/20/2026 09:30:00"


def test_each_device_of_a_fleet_names_its_own_program():
    configs = [DeviceConfig(index) for index in range(2)]
    with Fleet(configs) as fleet:
        names = [project_props(download(device.url))["Name"] for device in fleet.devices]
        hosts = [
            call("GET", device.url + "/info/device").json()["controllerName"] for device in fleet.devices
        ]
        assert names == hosts and len(set(names)) == 2


@pytest.mark.parametrize(
    "project, message",
    [
        ('"Tower B"', "project is {name: TEXT, lastChange: TEXT}"),
        ('{"name": "B", "lastChange": 5}', "lastChange"),
    ],
)
def test_a_bad_project_in_a_point_list_names_the_file(tmp_path, project, message):
    points = tmp_path / "points.json"
    points.write_text('{"objects": [],\n "project": ' + project + "}")
    with pytest.raises(PointFileError, match=message) as error:
        load(points)
    assert str(error.value).startswith(f"{points}:2:")
