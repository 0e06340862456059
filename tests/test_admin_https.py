"""The administration items over HTTPS with --user, on both serving cores: users who log in (Basic and the
session cookie) as soon as they are created, new passwords at once, deleted users refused; the settings a
POST changes (and an invalid one changes nothing); the reboot sequence; each fleet device rebooting alone;
and a --state device killed mid-reboot (SIGKILL) coming back with its users and settings."""

from __future__ import annotations

import base64
import json
import signal
import ssl
import time

import pytest

from _support import Answer, Cli, basic, call, make_certificate
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.fleet.fleet import DeviceConfig, Fleet
from test_reboot import refused, wait_refused

UNVERIFIED = ssl.create_default_context()
UNVERIFIED.check_hostname, UNVERIFIED.verify_mode = False, ssl.CERT_NONE
ADMIN = {"Authorization": basic("admin", "secret")}
JSON = {"Content-Type": "application/json"}
USERS = "/user-management-v2/users"
COLD_START = "/protocols/bacnet/local/management/coldStart"
SETTINGS = {
    "/system/web-server": {"hostname": "plant-room-7"},
    "/protocols/bacnet/communication/network/ip-ports/1": {"enabled": False, "networkNumber": 7},
    "/protocols/bacnet/communication/network/mstp-ports/1": {"enabled": True, "macAddress": 12},
    "/system/network/adapters/wireless/primary": {"enabled": True, "mode": "hotspot"},
    "/system/network/adapters/wired/primary": {"addressing": "static"},
    "/system/date-time": {"autoTime": True},
}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=["asyncio", "threads"], scope="module")
def server(request, certificate):
    cert, key = certificate
    options = dict(clock="manual", reboot_seconds=5, starting_seconds=2, users={"admin": "secret"})
    with EmbeddedServer(port=0, core=request.param, tls_cert=cert, tls_key=key, **options) as running:
        yield running


@pytest.fixture
def device(server):
    server.reset()  # the --user admin alone, the settings as at start, the device up
    return server


def https(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, body: object = None
) -> Answer:
    data = None if body is None else json.dumps(body)
    return call(
        method, url, {**(headers or {}), **(JSON if body is not None else {})}, data, context=UNVERIFIED
    )


def user_body(name: str, password: str, **more: object) -> dict[str, object]:
    encoded = base64.b64encode(password.encode()).decode()
    return {"username": name, "password": encoded, "passwordReset": False, "welcomePage": "", **more}


def status_of(url: str, headers: dict[str, str]) -> int:
    return https(url + "/info/device", headers=headers).status


def test_users_log_in_at_once_change_passwords_at_once_and_are_refused_once_deleted(device):
    url = device.url
    created = https(url + USERS, "POST", ADMIN, user_body("bob", "first", roles=["operator"]))
    assert created.status == 200
    user = created.json()["id"]
    login = https(url + "/info/device", headers={"Authorization": basic("bob", "first")})
    assert login.status == 200
    cookie = {"Cookie": login.header("set-cookie")}  # sent back whole, as a client does
    assert "Secure" in cookie["Cookie"] and status_of(url, cookie) == 200

    assert https(f"{url}{USERS}/{user}", "POST", ADMIN, user_body("bob", "second")).status == 200
    assert status_of(url, {"Authorization": basic("bob", "second")}) == 200
    assert status_of(url, {"Authorization": basic("bob", "first")}) == 401

    assert https(f"{url}{USERS}/{user}", "DELETE", ADMIN).status == 204
    assert status_of(url, {"Authorization": basic("bob", "second")}) == 401
    assert status_of(url, cookie) == 401, "a deleted user's session ends with it"


def test_settings_change_what_the_device_shows_and_invalid_ones_change_nothing(device):
    url = device.url
    for path, change in SETTINGS.items():
        assert https(url + path, "POST", {}, change).status == 401, "no credentials, no change"
        answer = https(url + path, "POST", ADMIN, change)
        assert answer.status == 200, (path, answer.body)
        shown = https(url + path, headers=ADMIN).json()
        assert {key: shown[key] for key in change} == change
    assert https(url + "/info/device", headers=ADMIN).json()["hostName"] == "plant-room-7"
    for path, bad in [
        ("/system/web-server", {"hostname": "-bad-"}),
        ("/system/network/adapters/wireless/primary", {"enabled": True, "mode": "bridge"}),
        ("/protocols/bacnet/communication/network/ip-ports/1", {"enabled": True, "networkNumber": 0}),
        ("/system/date-time", {"autoTime": "yes"}),
    ]:
        before = https(url + path, headers=ADMIN).json()
        answer = https(url + path, "POST", ADMIN, bad)
        assert answer.status == 400 and answer.json()["code"], (path, answer.body)
        after = https(url + path, headers=ADMIN).json()
        for moving in ("time", "isoDateTime"):  # the clock's own
            before.pop(moving, None), after.pop(moving, None)
        assert after == before, path


def wait_status(url: str, headers: dict[str, str], timeout: float = 5.0) -> Answer:
    """The first answer once the device listens again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return https(url + "/info/device", headers=headers)
        except OSError:
            assert time.monotonic() < deadline, "the device did not come back"
            time.sleep(0.02)


def test_the_reboot_sequence(device):
    login = https(device.url + "/info/device", headers=ADMIN)
    cookie = {"Cookie": login.header("set-cookie")}
    assert https(device.url + COLD_START, "POST", cookie, {}).status == 204
    wait_refused(device.host, device.port)
    device.advance(4.5)
    assert refused(device.host, device.port)
    device.advance(0.5)
    starting = wait_status(device.url, ADMIN)
    assert (starting.status, starting.header("retry-after")) == (503, "2")
    device.advance(2)
    assert status_of(device.url, cookie) == 401, "sessions are forgotten"
    assert status_of(device.url, ADMIN) == 200


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_each_device_of_a_secure_fleet_reboots_alone(certificate, core):
    cert, key = certificate
    configs = [DeviceConfig(index, reboot_seconds=5) for index in range(3)]
    options = dict(clock="manual", core=core, users={"admin": "secret"}, tls_cert=cert, tls_key=key)
    with Fleet(configs, **options) as fleet:
        first, second, third = fleet.devices
        assert https(second.url + COLD_START, "POST", ADMIN, {}).status == 204
        time.sleep(0.2)  # the answer goes out before the device goes down
        assert second.condition == "rebooting"
        with pytest.raises(OSError):  # refused (asyncio), or hung up (threads: its socket stays open)
            status_of(second.url, ADMIN)
        assert [status_of(d.url, ADMIN) for d in (first, third)] == [200, 200]
        names = [
            https(d.url + "/system/web-server", headers=ADMIN).json()["hostname"] for d in (first, third)
        ]
        assert len(set(names)) == 2, "each device keeps its own settings"
        fleet.advance(5)
        assert wait_status(second.url, ADMIN).status == 200


def test_a_device_killed_while_rebooting_comes_back_with_its_users_and_settings(certificate, tmp_path):
    cert, key = certificate
    state = tmp_path / "device.db"
    options = ["--port", "0", "--state", str(state), "--user", "admin:secret", "--quiet"]
    options += ["--tls-cert", str(cert), "--tls-key", str(key), "--reboot-seconds", "600"]
    with Cli(*options) as cli:
        url = cli.url()
        assert https(url + USERS, "POST", ADMIN, user_body("dora", "kept")).status == 200
        for path, change in SETTINGS.items():
            assert https(url + path, "POST", ADMIN, change).status == 200
        assert https(url + COLD_START, "POST", ADMIN, {}).status == 204
        host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
        wait_refused(host, int(port))  # down for ten minutes: killed meanwhile
        cli.signal(signal.SIGKILL)
        cli.wait()
    with Cli(*options) as cli:
        url = cli.url()
        assert status_of(url, {"Authorization": basic("dora", "kept")}) == 200, "back at once, users kept"
        for path, change in SETTINGS.items():
            shown = https(url + path, headers=ADMIN).json()
            assert {key: shown[key] for key in change} == change, path
        assert https(url + "/info/device", headers=ADMIN).json()["hostName"] == "plant-room-7"
