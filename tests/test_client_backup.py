"""The generated client and its CLI for the backup workflow, the navigation and the device's clock, against
the embedded emulator on both serving cores."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from eclypse_emulator.generated.client import EclypseClient, EclypseError
from eclypse_emulator.generated.models import BackupFile, BackupFileEntry, DateTime

from test_cli_client import client as cli, failed, output


@pytest.fixture
def client(server):
    with EclypseClient(server.url) as client:
        yield client


def finished_backup(client: EclypseClient, server, file_name: str = "nightly") -> str:
    job_id = client.create_backup(
        ["TIMEZONE"], target="Device", file_name=file_name, envysion_projects=[]
    ).job_id
    server.advance(10)
    assert client.get_job(job_id).state == "OK"
    return max(f.name for f in client.list_backup_files("device"))


def test_list_get_download_and_delete_a_backup(client, server, tmp_path: Path):
    assert client.list_backup_files("device") == []
    name = finished_backup(client, server)
    assert client.list_backup_files("device") == [BackupFileEntry(name=name)]
    details = client.get_backup_file("device", name)
    assert isinstance(details, BackupFile)
    assert (details.compatibility, details.data_types, details.name) == ("OK", ["TIMEZONE"], name)
    written = client.download_backup(name, tmp_path / "backup.zip")
    assert written == details.size == (tmp_path / "backup.zip").stat().st_size
    assert json.loads(zipfile.ZipFile(tmp_path / "backup.zip").read("manifest.json"))["name"] == name
    assert client.get_backup(name).file_name == name + ".ecybackup"
    assert client.get_backup_folder().nb_files_dir == 1
    client.delete_backup_file("device", name)
    assert client.list_backup_files("device") == []
    with pytest.raises(EclypseError) as raised:
        client.download_backup(name, tmp_path / "gone.zip")
    assert raised.value.status == 404 and not (tmp_path / "gone.zip").exists()


def test_the_usb_target_without_a_key_is_an_error(client):
    with pytest.raises(EclypseError) as raised:
        client.create_backup(["TIMEZONE"], target="USB", file_name="x")
    assert (raised.value.status, raised.value.code) == (400, "UsbKeyAbsent")


def test_navigation_and_identity(client):
    assert client.get_service_root().info == {"href": "/api/rest/v1/info", "name": "info"}
    assert client.get_info().device["href"] == "/api/rest/v1/info/device"
    device = client.get_device_info()
    assert device.model_name.startswith("ECY-S1000") and len(device.software_version.split(".")) == 4
    assert client.get_bacnet_info().device_instance >= 0


def test_get_and_set_the_date_time(client):
    shown = client.set_date_time(iso_date_time="2026-12-01T10:00:00-05:00", time_zone="America/New_York")
    assert shown == DateTime(
        time="10:00:00",
        date="12-01-2026",
        time_zone="America/New_York",
        iso_date_time="2026-12-01T10:00:00-05:00",
        auto_time=False,
    )
    assert client.set_date_time(time_zone="Europe/Paris").time == "16:00:00"
    assert client.get_date_time().time_zone == "Europe/Paris"


def test_the_cli_backup_command_creates_follows_and_downloads(server, tmp_path: Path):
    # The job takes 10 s on the manual clock: advance it from another thread while the CLI polls.
    import threading

    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.05):
            server.advance(1)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        target = tmp_path / "saved.zip"
        result = cli(
            "--url", server.url, "backup", "--file-name", "cli", "--output", str(target), "--interval", "0.05"
        )  # fmt: skip
    finally:
        stop.set()
        ticker.join()
    document = output(result)
    assert document["name"].startswith("cli_") and document["path"] == str(target)
    assert document["size"] == target.stat().st_size
    archive = zipfile.ZipFile(io.BytesIO(target.read_bytes()))
    assert len(json.loads(archive.read("manifest.json"))["dataTypes"]) == 13  # every data type by default
    assert b"100% OK" in result.stderr  # the progress, one line per change off a terminal


def test_the_cli_backup_command_fails_when_the_job_fails(server):
    server.add_fault(path="/system/backup/create", error_rate=1.0, status=503)
    assert "503" in failed(cli("--url", server.url, "backup"))


def test_the_cli_lists_and_downloads(server, tmp_path: Path):
    with EclypseClient(server.url) as client:
        name = finished_backup(client, server)
    assert output(cli("--url", server.url, "list-backup-files", "device")) == [{"name": name}]
    target = tmp_path / "file.zip"
    assert output(cli("--url", server.url, "download-backup", name, str(target))) == target.stat().st_size
    assert (
        output(cli("--url", server.url, "set-date-time", "--time-zone", "Asia/Tokyo"))["timeZone"]
        == "Asia/Tokyo"
    )
