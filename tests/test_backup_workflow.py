"""The backup workflow as real clients walk it, over HTTP on both serving cores (the `server` fixture:
manual clock, 10-second jobs): create with the full body, find the file once the job ends OK (never before,
never for a failed or cancelled job), read its details, download its bytes, delete it."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest

from _support import BASE_PATH, FLEET_CLIENT_DATA_TYPES

JSON_BODY = {"Content-Type": "application/json"}
CREATE = "/system/backup/create"
FILES = "/system/backup/targets/device/files"
ALL_TYPES = FLEET_CLIENT_DATA_TYPES
# <fileName>_<the device's time in UTC, ISO 8601 basic format> (spec/emulator.yaml backup_timestamp_format)
NAME = re.compile(r"^(?P<file>.+)_(?P<stamp>\d{8}T\d{6}Z)$")


def full_body(file_name: str = "nightly", target: str = "Device", data_types=None) -> str:
    """The body a fleet client sends."""
    return json.dumps(
        {
            "target": target,
            "fileName": file_name,
            "dataTypes": ALL_TYPES if data_types is None else data_types,
            "envysionProjects": [],
        }
    )


def create(http, base: str, **body) -> str:
    status, _, answer = http("POST", base + CREATE, JSON_BODY, full_body(**body))
    assert status == 200, answer
    return json.loads(answer)["jobId"]


def names(http, base: str, target: str = "device") -> list[str]:
    status, headers, body = http("GET", f"{base}/system/backup/targets/{target}/files")
    assert status == 200 and headers["content-type"] == "application/json;charset=UTF-8", body
    document = json.loads(body)
    assert isinstance(document, list) and all("name" in item for item in document), document
    return [item["name"] for item in document]


def set_clock(http, base: str, iso: str) -> None:
    status, _, body = http("POST", base + "/system/date-time", JSON_BODY, json.dumps({"isoDateTime": iso}))
    assert status == 200, body


def error_code(answer) -> tuple[int, str]:
    status, _, body = answer
    return status, json.loads(body)["code"]


# --- creating ---------------------------------------------------------------------------------------------


def test_the_full_body_of_a_fleet_client_is_accepted(base, http):
    assert create(http, base)


def test_an_xml_body_with_every_field_is_accepted(base, http):
    body = (
        "<Backup><DataTypes><DataType>TIMEZONE</DataType></DataTypes><Target>Device</Target>"
        "<FileName>xml</FileName><EnvysionProjects /></Backup>"
    )
    status, _, answer = http("POST", base + CREATE, {"Content-Type": "application/xml"}, body)
    assert status == 200, answer


@pytest.mark.parametrize("file_name", ["a/b", "a\\b", "..", "up/../x", "x..y", "", "/abs"])
def test_a_file_name_that_would_leave_the_folder_is_a_400(base, http, file_name):
    answer = http("POST", base + CREATE, JSON_BODY, full_body(file_name))
    assert error_code(answer) == (400, "InvalidBody")
    assert "fileName" in json.loads(answer[2])["message"]


def test_an_unknown_data_type_or_target_is_a_400(base, http):
    assert error_code(http("POST", base + CREATE, JSON_BODY, full_body(data_types=["NOPE"])))[0] == 400
    assert error_code(http("POST", base + CREATE, JSON_BODY, full_body(target="Floppy")))[0] == 400


def test_the_usb_target_needs_an_inserted_key(base, http, server):
    assert error_code(http("POST", base + CREATE, JSON_BODY, full_body(target="USB"))) == (
        400,
        "UsbKeyAbsent",
    )
    assert error_code(http("GET", base + "/system/backup/targets/usb/files")) == (400, "UsbKeyAbsent")
    control = server.control_url + "/usb"
    status, _, body = http("POST", control, JSON_BODY, '{"inserted": true}')
    assert (status, json.loads(body)) == (200, {"inserted": True})
    create(http, base, target="USB", file_name="onkey")
    server.advance(10)
    assert [NAME.match(n)["file"] for n in names(http, base, "usb")] == ["onkey"]
    assert names(http, base) == []  # not on the device
    assert json.loads(http("GET", control)[2]) == {"inserted": True}
    server.set_usb_key(False)
    assert error_code(http("POST", base + CREATE, JSON_BODY, full_body(target="USB"))) == (
        400,
        "UsbKeyAbsent",
    )
    assert error_code(http("POST", control, JSON_BODY, '{"inserted": "yes"}'))[0] == 400


# --- when the file appears ------------------------------------------------------------------------------


def test_the_file_appears_when_the_job_ends_ok_and_not_before(base, http, server):
    job_id = create(http, base, file_name="daily")
    assert names(http, base) == []
    server.advance(9.95)  # 99 %
    assert json.loads(http("GET", f"{base}/jobs/{job_id}/")[2])["progress"] == 99
    assert names(http, base) == []
    server.advance(0.05)  # 100 %, OK
    assert json.loads(http("GET", f"{base}/system/backup/jobs/{job_id}")[2]) == {
        "progress": 100,
        "status": "OK",
    }
    (name,) = names(http, base)
    assert NAME.match(name)["file"] == "daily"


def test_a_failed_job_leaves_no_file(base, http, server):
    status, _, body = http(
        "POST",
        server.control_url + "/jobs",
        JSON_BODY,
        json.dumps({"fileName": "doomed", "status": "FAILED", "failAt": 50}),
    )
    assert status == 201, body
    server.create_job(file_name="doomed-too", status="FAILED")  # fails at 100 %
    server.advance(10)
    assert [job["status"] for job in server.jobs()] == ["FAILED", "FAILED"]
    assert names(http, base) == []


def test_a_cancelled_job_leaves_no_file(base, http, server):
    job_id = create(http, base, file_name="cancelled")
    server.advance(5)
    assert http("POST", f"{base}/jobs/{job_id}/cancel")[0] == 204
    server.advance(10)
    assert names(http, base) == []


def test_names_sort_chronologically_on_the_device_clock(base, http, server):
    set_clock(http, base, "2026-12-31T23:59:58Z")
    create(http, base)
    server.advance(10)  # the device's clock moves with the emulator's: 2027-01-01T00:00:08Z
    create(http, base)
    server.advance(10)
    listed = names(http, base)
    assert listed == ["nightly_20261231T235958Z", "nightly_20270101T000008Z"]
    assert max(listed) == listed[-1]  # what a client takes for the latest


def test_a_time_zone_does_not_change_the_names_order(base, http, server):
    set_clock(http, base, "2026-06-01T12:00:00Z")
    create(http, base, file_name="tz")
    server.advance(10)
    body = json.dumps({"timeZone": "Etc/GMT+12"})  # the local time goes back 12 hours
    assert http("POST", base + "/system/date-time", JSON_BODY, body)[0] == 200
    create(http, base, file_name="tz")
    server.advance(10)
    listed = names(http, base)
    assert listed == sorted(listed) and len(listed) == 2


# --- reading, downloading, deleting ---------------------------------------------------------------------


def finished(http, base: str, server, **body) -> str:
    """Create a backup, run its job to the end, and answer its file's name (the latest of its fileName)."""
    create(http, base, **body)
    server.advance(10)
    prefix = body.get("file_name", "nightly") + "_"
    return max(name for name in names(http, base) if name.startswith(prefix))


def test_the_files_details(base, http, server):
    set_clock(http, base, "2026-04-19T12:11:29Z")
    name = finished(http, base, server, data_types=["TIMEZONE", "WEATHER"])
    status, _, body = http("GET", f"{base}{FILES}/{name}/")
    assert status == 200
    document = json.loads(body)
    assert document["compatibility"] == "OK"
    assert document["dataTypes"] == ["TIMEZONE", "WEATHER"]
    assert document["name"] == name and document["creationTime"] == "04/19/2026 12:11:29"
    download = http("GET", f"{base}/files/backup/{name}.ecybackup?encode=bin")[2]
    assert document["size"] == len(download)
    root = ET.fromstring(http("GET", f"{base}{FILES}/{name}?encode=xml")[2])
    assert root.tag == "File" and [e.text for e in root.find("DataTypes")] == ["TIMEZONE", "WEATHER"]
    assert error_code(http("GET", f"{base}{FILES}/nope_20260101T000000Z/"))[0] == 404


def test_the_list_in_xml(base, http, server):
    name = finished(http, base, server)
    root = ET.fromstring(http("GET", f"{base}{FILES}?encode=xml")[2])
    assert root.tag == "Files" and [f.findtext("Name") for f in root] == [name]


@pytest.mark.parametrize(
    "level",
    ["WARNING_MISSMATCH_MODELNAME", "WARNING_MISSMATCH_FIRMWARE_NEWER", "ERROR_MISSMATCH_FIPS_MODE", "OK"],
)
def test_compatibility_is_set_per_file_from_the_control_api(base, http, server, level):
    name = finished(http, base, server)
    other = finished(http, base, server, file_name="other")
    control = f"{server.control_url}/backups/device/{name}"
    status, _, body = http("POST", control, JSON_BODY, json.dumps({"compatibility": level}))
    assert (status, json.loads(body)["compatibility"]) == (200, level)
    assert json.loads(http("GET", f"{base}{FILES}/{name}/")[2])["compatibility"] == level
    assert json.loads(http("GET", f"{base}{FILES}/{other}/")[2])["compatibility"] == "OK"


def test_compatibility_refuses_unknown_levels_and_files(base, http, server):
    name = finished(http, base, server)
    control = f"{server.control_url}/backups/device/"
    assert http("POST", control + name, JSON_BODY, '{"compatibility": "FINE"}')[0] == 400
    assert http("POST", control + "nope", JSON_BODY, '{"compatibility": "OK"}')[0] == 404
    assert server.set_backup_compatibility(name, "ERROR_NULL_INPUT")["compatibility"] == "ERROR_NULL_INPUT"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/xml"])
def test_the_download_is_a_zip_archive_whatever_accept_says(base, http, server, accept):
    name = finished(http, base, server, data_types=["TIMEZONE", "GFX"])
    headers = {"Accept": accept} if accept else {}
    status, answer_headers, body = http("GET", f"{base}/files/backup/{name}.ecybackup?encode=bin", headers)
    assert status == 200 and answer_headers["content-type"] == "application/octet-stream"
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["name"] == name and manifest["fileName"] == "nightly"
    assert manifest["dataTypes"] == ["TIMEZONE", "GFX"]
    device = json.loads(http("GET", base + "/info/device")[2])
    del device["uptime"]  # live, not the identity a backup records
    assert manifest["device"] == device and manifest["created"]
    assert {"TIMEZONE.json", "GFX.json"} <= set(archive.namelist())
    assert http("GET", f"{base}/files/backup/{name}.ecybackup?encode=bin")[2] == body  # the same bytes


def test_unknown_files_are_404_and_bin_is_refused_elsewhere(base, http, server):
    assert error_code(http("GET", f"{base}/files/backup/nope.ecybackup?encode=bin"))[0] == 404
    assert error_code(http("GET", f"{base}/files/backup/nope.ecybackup"))[0] == 404
    assert error_code(http("GET", f"{base}/files/backup/license.xml"))[0] == 404
    assert error_code(http("GET", f"{base}/files/licenses"))[0] == 404
    assert error_code(http("GET", f"{base}/info?encode=bin")) == (400, "InvalidQueryOption")
    name = finished(http, base, server)
    assert error_code(http("GET", f"{base}/files/backup/{name}.ecybackup/size?encode=bin"))[0] == 400


def test_the_file_tree_as_its_page_shows_it(base, http, server):
    set_clock(http, base, "2026-04-20T12:47:19Z")
    name = finished(http, base, server)
    root = json.loads(http("GET", base + "/files")[2])
    assert root["nbFilesDir"] == 2 and root["files"] == []
    assert root["fileFolders"] == [
        {"path": {"href": BASE_PATH + "/files/backup", "name": "backup"}},
        {"path": {"href": BASE_PATH + "/files/common", "name": "common"}},  # the controller's program
    ]
    status, _, body = http("GET", base + "/files/backup")
    folder = json.loads(body)
    assert list(folder) == ["files", "directoryName", "fileFolders", "nbFilesDir"]
    assert (folder["directoryName"], folder["nbFilesDir"], folder["fileFolders"]) == ("backup", 1, [])
    (entry,) = folder["files"]
    href = f"{BASE_PATH}/files/backup/{name}.ecybackup"
    assert entry["path"] == {"href": href, "name": f"{name}.ecybackup"}
    assert entry["modified"] == "04/20/2026 12:47:19"
    metadata = json.loads(http("GET", base[: -len(BASE_PATH)] + href)[2])
    assert list(metadata) == ["fileName", "size", "modified"]
    assert metadata == {"fileName": f"{name}.ecybackup", "size": entry["size"], "modified": entry["modified"]}
    xml = ET.fromstring(http("GET", base + "/files/backup?encode=xml")[2])
    assert xml.tag == "Folder" and xml.findtext("File/Path/Href") is None
    assert xml.find("Files/File/Path/Href").text == href


def test_a_deleted_file_is_gone(base, http, server):
    name = finished(http, base, server)
    kept = finished(http, base, server, file_name="kept")
    assert http("DELETE", f"{base}{FILES}/{name}/")[0] == 204
    assert names(http, base) == [kept]
    assert error_code(http("GET", f"{base}/files/backup/{name}.ecybackup?encode=bin"))[0] == 404
    assert error_code(http("DELETE", f"{base}{FILES}/{name}"))[0] == 404


def test_reset_forgets_the_files(base, http, server):
    finished(http, base, server)
    server.reset()
    assert names(http, base) == []


def test_pending_backups_are_bounded(monkeypatch):
    from eclypse_emulator.runtime.backups import backups
    from eclypse_emulator.runtime.device.emulator import Emulator

    monkeypatch.setattr(backups, "MAX_PENDING", 8)
    emulator = Emulator(clock="manual", job_duration=10)
    for number in range(20):
        emulator.backups.create({"FileName": f"b{number}"})
    assert 4 <= len(emulator.state.paths(backups.PENDING_PREFIX)) <= 8
    emulator.advance(10)
    kept = [f["FileName"] for f in emulator.backups.files("device")]
    assert kept == [f"b{n}" for n in range(20 - len(kept), 20)], "the newest are kept, in order"
    assert emulator.state.paths(backups.PENDING_PREFIX) == [], "settled backups are pending no more"
