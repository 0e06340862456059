"""The whole backup workflow the way a fleet-administration script drives it: `urllib` only, HTTPS with a
self-signed certificate, Basic authentication, on both serving cores. Probe the root, create with the full
body, follow the job, list the files, take the lexicographically latest, download it, unzip it."""

from __future__ import annotations

import base64
import io
import json
import ssl
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from _support import FLEET_CLIENT_DATA_TYPES, Cli, make_certificate
from eclypse_emulator.runtime import EmbeddedServer

USER, PASSWORD = "admin", "s3cret"
DATA_TYPES = FLEET_CLIENT_DATA_TYPES


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


class FleetScript:
    """What the public client does, in urllib: Basic credentials on every request, certificate not checked."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # a controller's self-signed certificate
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def send(self, method: str, path: str, body: dict | None = None, accept: str = "application/json"):
        headers = {**self.headers, "Accept": accept}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
            return response.status, response.headers, response.read()

    def json(self, method: str, path: str, body: dict | None = None):
        status, headers, data = self.send(method, path, body)
        assert 200 <= status < 300 and headers["Content-Type"] == "application/json;charset=UTF-8"
        return json.loads(data)

    def back_up(self, name: str, follow) -> bytes:
        status, _, _ = self.send("GET", "")  # "is this API v1?": any 2xx
        assert 200 <= status < 300
        model = self.json("GET", "/info/device")["modelName"].split()[0]
        assert model.startswith("ECY")
        body = {"target": "Device", "fileName": name, "dataTypes": DATA_TYPES, "envysionProjects": []}
        job_id = self.json("POST", "/system/backup/create", body)["jobId"]
        while True:
            job = self.json("GET", f"/system/backup/jobs/{job_id}")
            if job["progress"] >= 100 or job["status"] not in ("RUNNING",):
                break
            follow()
        assert job["status"] == "OK", job
        files = self.json("GET", "/system/backup/targets/device/files")
        latest = max(item["name"] for item in files)
        assert latest.startswith(name + "_")
        status, headers, data = self.send("GET", f"/files/backup/{latest}.ecybackup?encode=bin", accept="*/*")
        assert status == 200 and headers["Content-Type"] == "application/octet-stream"
        return data


def unzip(data: bytes, name: str) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["fileName"] == name and manifest["dataTypes"] == DATA_TYPES
    assert {f"{data_type}.json" for data_type in DATA_TYPES} <= set(archive.namelist())
    return manifest


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_a_fleet_script_backs_up_over_https_with_basic_auth(certificate, core):
    cert, key = certificate
    with EmbeddedServer(
        port=0, clock="manual", job_duration=10, users={USER: PASSWORD}, tls_cert=cert, tls_key=key, core=core
    ) as server:
        script = FleetScript(server.url)
        first = unzip(script.back_up("weekly", lambda: server.advance(2)), "weekly")
        server.advance(60)
        second = unzip(script.back_up("weekly", lambda: server.advance(2)), "weekly")
        assert second["name"] > first["name"]  # the newest is the lexicographic maximum
        assert second["device"]["modelName"] == first["device"]["modelName"]


def test_a_fleet_script_against_the_command_line_server(certificate):
    """The same workflow against `python -m runtime --user ... --tls-cert ...` on the real clock."""
    cert, key = certificate
    with Cli(
        "--port", "0", "--quiet", "--user", f"{USER}:{PASSWORD}", "--tls-cert", str(cert), "--tls-key", str(key),
        "--job-duration", "0.3", "--core", "threads", "--device-time", "2030-01-02T03:04:05Z",
    ) as cli:  # fmt: skip
        script = FleetScript(cli.url())
        manifest = unzip(script.back_up("cli", lambda: time.sleep(0.1)), "cli")
        assert manifest["name"].startswith("cli_20300102T0304")  # the device's clock, not the host's


def test_the_usb_key_option_makes_the_usb_target_usable(certificate):
    cert, key = certificate
    with Cli(
        "--port", "0", "--quiet", "--user", f"{USER}:{PASSWORD}", "--tls-cert", str(cert), "--tls-key", str(key),
        "--usb-key", "--job-duration", "0",
    ) as cli:  # fmt: skip
        script = FleetScript(cli.url())
        body = {"target": "USB", "fileName": "key", "dataTypes": ["TIMEZONE"], "envysionProjects": []}
        assert script.json("POST", "/system/backup/create", body)["jobId"]
        assert [f["name"][:4] for f in script.json("GET", "/system/backup/targets/usb/files")] == ["key_"]
