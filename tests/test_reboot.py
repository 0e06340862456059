"""coldStart and warmStart: the device answers, then reboots (connections dropped and refused for
--reboot-seconds of its clock, then 503 with Retry-After for --starting-seconds), running jobs fail,
sessions end; alone in a fleet, and on the manual clock, which still moves while the device is down."""

from __future__ import annotations

import socket
import time

import pytest

from _support import Cli, basic, call, run_cli
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.device.events import REBOOT
from eclypse_emulator.runtime.fleet.fleet import DeviceConfig, Fleet
from eclypse_emulator.runtime.fleet.fleetfile import read_fleet

MANAGEMENT = "/protocols/bacnet/local/management/"
JSON = {"Content-Type": "application/json"}


def refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # accepted into the backlog of a socket closing now
        return False
    return False


def wait_refused(host: str, port: int, timeout: float = 5.0) -> None:
    """The device goes down once its answer is out (and, on the threads core, its accept loop stops)."""
    deadline = time.monotonic() + timeout
    while not refused(host, port):
        assert time.monotonic() < deadline, "the device still accepts connections"
        time.sleep(0.02)


def wait_answering(url: str, timeout: float = 5.0) -> int:
    """The status of the first answer once the device listens again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call("GET", url + "/info").status
        except OSError:
            assert time.monotonic() < deadline, "the device did not come back"
            time.sleep(0.02)


@pytest.mark.parametrize("core", ["asyncio", "threads"])
@pytest.mark.parametrize("kind", ["coldStart", "warmStart"])
def test_a_restart_refuses_then_answers_503_then_is_back(core, kind):
    options = dict(core=core, clock="manual", reboot_seconds=30, starting_seconds=10, job_duration=10)
    with EmbeddedServer(port=0, users={"admin": "secret"}, **options) as device:
        kinds: list[str] = []
        device.emulator.events.subscribe(REBOOT, lambda kind: kinds.append(kind))
        admin = {"Authorization": basic("admin", "secret")}
        login = call("GET", device.url + "/info", admin)
        cookie = {"Cookie": login.header("set-cookie")}
        job = call("POST", device.url + "/system/backup/create", {**admin, **JSON}, '{"dataTypes": []}')
        job_id = job.json()["jobId"]
        device.advance(3)

        answer = call("POST", device.url + MANAGEMENT + kind, {**admin, **JSON}, "{}")
        assert answer.status == 204
        assert kinds == ["cold" if kind == "coldStart" else "warm"]  # for the features that act on it
        wait_refused(device.host, device.port)
        device.advance(29)
        assert refused(device.host, device.port)
        device.advance(1)  # the manual clock moved while the device was down
        starting = wait_answering(device.url)
        assert starting == 503
        answer = call("GET", device.url + "/info")
        assert answer.header("retry-after") == "10" and answer.json()["code"] == "Unavailable"
        device.advance(10)
        assert call("GET", device.url + "/info", cookie).status == 401, "sessions are forgotten"
        assert call("GET", device.url + "/info", admin).status == 200
        job = call("GET", f"{device.url}/jobs/{job_id}/", admin).json()
        assert (job["state"], job["progress"]) == ("FAILED", 30), "the running job failed"


def test_a_reboot_of_zero_seconds_drops_connections_and_comes_back():
    with EmbeddedServer(port=0, reboot_seconds=0) as device:
        assert call("POST", device.url + MANAGEMENT + "coldStart", JSON, "{}").status == 204
        time.sleep(0.2)
        assert wait_answering(device.url) == 200


def test_a_device_of_a_fleet_reboots_alone():
    configs = [DeviceConfig(index, reboot_seconds=5) for index in range(2)]
    with Fleet(configs, clock="manual") as fleet:
        rebooting, other = fleet.devices
        assert call("POST", rebooting.url + MANAGEMENT + "coldStart", JSON, "{}").status == 204
        wait_refused(rebooting.host, rebooting.port)
        assert rebooting.condition == "rebooting"
        assert call("GET", other.url + "/info").status == 200
        fleet.advance(5)
        assert wait_answering(rebooting.url) == 200


@pytest.mark.parametrize("value", ["-1", "nan", "1e9", "soon"])
def test_bad_reboot_seconds_are_refused_at_start(value):
    result = run_cli("--reboot-seconds", value)
    assert result.returncode == 2 and "--reboot-seconds" in result.stderr


def test_the_fleet_file_gives_each_device_its_reboot_times(tmp_path):
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(
        "devices:\n  - {reboot_seconds: 2, starting_seconds: 1}\n  - {reboot_seconds: -1}\n"
    )
    with pytest.raises(ValueError, match="device 1: not a number of seconds"):
        read_fleet(fleet_file)
    fleet_file.write_text("devices:\n  - {reboot_seconds: 2, starting_seconds: 1}\n")
    [entry] = read_fleet(fleet_file)
    assert (entry["reboot_seconds"], entry["starting_seconds"]) == (2.0, 1.0)


def test_the_command_line_device_reboots_on_the_real_clock():
    with Cli("--port", "0", "--reboot-seconds", "0.5", "--starting-seconds", "0.5", "--quiet") as cli:
        url = cli.url()
        host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
        assert call("POST", url + MANAGEMENT + "coldStart", JSON, "{}").status == 204
        wait_refused(host, int(port))
        assert wait_answering(url) in (503, 200)
        deadline = time.monotonic() + 5
        while call("GET", url + "/info").status != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
