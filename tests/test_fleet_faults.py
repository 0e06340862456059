"""A device fails as a whole: offline (refused at the socket), hung (accepts, never answers), rebooting
(drops its connections, fails its running jobs, refuses connections, then 503 while starting, on its manual
clock) and back online;
from Python, from the fleet control API and from a schedule; the fleet's journal names the device."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path
from typing import Iterator

import pytest

from _support import Cli, call, connect, exchange, run_cli
from eclypse_emulator.runtime import Emulator
from eclypse_emulator.runtime.fleet.fleet import DeviceConfig, Fleet, ScheduledFault

JSON_BODY = {"Content-Type": "application/json"}
PORT = "/protocols/bacnet/communication/network/mstp-ports/1/"


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    configs = [DeviceConfig(index, jobs={"duration": 10}, starting_seconds=20) for index in range(3)]
    with Fleet(configs, clock="manual", control_address=("127.0.0.1", 0)) as fleet:
        yield fleet


def refused(device) -> bool:
    try:
        socket.create_connection((device.host, device.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def backup(url: str) -> str:
    answer = call("POST", url + "/system/backup/create", JSON_BODY, '{"dataTypes": ["TIMEZONE"]}')
    assert answer.status == 200, answer.body
    return answer.json()["jobId"]


def test_an_offline_device_refuses_connections_and_comes_back_with_its_state(fleet: Fleet) -> None:
    device, other = fleet.devices[1], fleet.devices[2]
    job_id = backup(device.url)
    fleet.offline(1)
    assert refused(device)
    assert call("GET", other.url + "/info").status == 200
    fleet.online(1)
    assert not refused(device)
    assert call("GET", f"{device.url}/jobs/{job_id}/").status == 200


def test_a_hung_device_accepts_and_never_answers(fleet: Fleet) -> None:
    device = fleet.devices[0]
    fleet.hang(0)
    with socket.create_connection((device.host, device.port), timeout=5) as hung:
        hung.sendall(b"GET /api/rest/v1/info HTTP/1.1\r\nHost: device\r\n\r\n")
        hung.settimeout(0.3)
        with pytest.raises(TimeoutError):
            hung.recv(100)
        assert fleet.requests(0)[-1]["status"] == 0  # the journal: received, not answered
        fleet.online(0)
        hung.settimeout(5)
        try:
            assert hung.recv(100) == b""  # back online, it drops what it left unanswered
        except ConnectionResetError:
            pass
    assert call("GET", device.url + "/info").status == 200


def test_a_reboot_drops_connections_refuses_then_answers_503_while_starting_and_keeps_what_was_settled(
    fleet: Fleet,
) -> None:
    device = fleet.devices[0]
    finished = backup(device.url)
    fleet.advance(10)
    running = backup(device.url)
    fleet.advance(3)
    assert call("POST", device.url + PORT, JSON_BODY, '{"baudRate": 76800}').status == 200
    kept_alive = connect(device.url)
    assert exchange(kept_alive, "GET", "/api/rest/v1/info").status == 200

    fleet.reboot(0, seconds=30)
    with pytest.raises((ConnectionError, OSError)):  # http.client: RemoteDisconnected or a reset
        exchange(kept_alive, "GET", "/api/rest/v1/info")
    kept_alive.close()
    assert refused(device) and fleet.devices[0].condition == "rebooting"
    assert call("GET", fleet.devices[1].url + "/info").status == 200  # the others go on
    fleet.advance(29.5)
    assert refused(device)
    fleet.advance(0.5)  # down time over: listening again, answering 503 while its services start
    booting = call("GET", device.url + "/info")
    assert booting.status == 503 and booting.header("retry-after") == "20"
    assert booting.json()["code"] == "Unavailable"
    fleet.advance(19.5)
    assert call("GET", device.url + "/info").header("retry-after") == "1"
    fleet.advance(0.5)

    assert call("GET", device.url + "/info").status == 200
    assert call("GET", f"{device.url}/system/backup/jobs/{finished}").json() == {
        "progress": 100,
        "status": "OK",
    }
    assert call("GET", f"{device.url}/system/backup/jobs/{running}").json() == {
        "progress": 30,
        "status": "FAILED",
    }
    assert call("GET", device.url + PORT).json()["baudRate"] == 76800
    statuses = [entry["status"] for entry in fleet.requests(0)]
    assert statuses.count(503) == 2


def test_the_fleet_control_api_fails_devices_and_its_journal_names_who_answered(fleet: Fleet) -> None:
    control = fleet.control_url + "/_fleet"
    listing = call("GET", control + "/devices").json()
    assert listing["total"] == 3
    assert [(d["index"], d["condition"]) for d in listing["devices"]] == [
        (0, "online"),
        (1, "online"),
        (2, "online"),
    ]
    call("GET", fleet.devices[2].url + "/info")

    answer = call("POST", control + "/devices/2/offline")
    assert answer.status == 200 and answer.json()["condition"] == "offline"
    assert refused(fleet.devices[2])  # its own /_emulator/ too: the whole address is gone
    assert call("GET", control + "/devices/2").json()["condition"] == "offline"
    assert call("POST", control + "/devices/2/online").json()["condition"] == "online"
    assert call("POST", control + "/devices/1/hang").json()["condition"] == "hung"
    assert (
        call("POST", control + "/devices/1/reboot", JSON_BODY, '{"seconds": 5}').json()["condition"]
        == "rebooting"
    )
    assert refused(fleet.devices[1])
    advance = call("POST", control + "/clock/advance", JSON_BODY, json.dumps({"seconds": 5}))
    assert advance.status == 200 and advance.json() == {"now": 5}  # the clock moves while it is down
    assert call("GET", control + "/devices/1").json()["condition"] == "booting"
    assert call("GET", fleet.devices[1].url + "/info").status == 503
    call("POST", control + "/clock/advance", JSON_BODY, json.dumps({"seconds": 20}))
    assert call("GET", fleet.devices[1].url + "/info").status == 200

    journal = call("GET", control + "/requests").json()["requests"]
    assert [(e["device"], e["path"], e["status"]) for e in journal] == [
        (2, "/api/rest/v1/info", 200),
        (1, "/api/rest/v1/info", 503),
        (1, "/api/rest/v1/info", 200),
    ]
    assert journal[0]["address"] == f"127.0.0.1:{fleet.devices[2].port}"
    assert [e["device"] for e in call("GET", control + "/requests?device=1").json()["requests"]] == [1, 1]
    assert call("DELETE", control + "/requests").status == 204
    assert call("GET", control + "/requests").json() == {"requests": []}


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("POST", "/devices/1/reboot", "", 400),
        ("POST", "/devices/1/reboot", '{"seconds": -1}', 400),
        ("POST", "/devices/9/offline", "", 404),
        ("POST", "/devices/1/explode", "", 404),
        ("DELETE", "/devices", "", 405),
        ("GET", "/devices?limit=x", "", 400),
        ("GET", "/requests?device=7", "", 404),
        # Numbers no fleet has, beyond what int() converts or a float holds: a 4xx, never a dropped connection.
        ("GET", "/devices?limit=" + "9" * 5000, "", 400),
        ("GET", "/devices?offset=" + "9" * 5000, "", 400),
        ("GET", "/requests?device=" + "9" * 5000, "", 400),
        ("GET", "/devices/" + "9" * 5000, "", 404),
        ("POST", "/clock/advance", '{"seconds": 1e308}', 400),
        ("POST", "/clock/advance", '{"seconds": 1' + "0" * 400 + "}", 400),
        ("POST", "/devices/1/reboot", '{"seconds": 1' + "0" * 400 + "}", 400),
        ("POST", "/devices/1/reboot", '{"seconds": 1e308}', 400),
    ],
)
def test_the_fleet_control_api_refuses_what_it_cannot_do(
    fleet: Fleet, method: str, path: str, body: str, status: int
) -> None:
    answer = call(method, fleet.control_url + "/_fleet" + path, JSON_BODY, body)
    assert answer.status == status, answer.body
    assert answer.json()["code"] and answer.json()["message"]


def test_a_schedule_fails_a_device_on_its_clock() -> None:
    schedule = (
        ScheduledFault(60, "offline"),
        ScheduledFault(120, "online"),
        ScheduledFault(180, "reboot", seconds=20),
    )
    with Fleet([DeviceConfig(0, schedule=schedule), DeviceConfig(1)], clock="manual") as fleet:
        device = fleet.devices[0]
        fleet.advance(59)
        assert not refused(device)
        fleet.advance(1)
        assert refused(device) and not refused(fleet.devices[1])
        fleet.advance(60)
        assert call("GET", device.url + "/info").status == 200
        fleet.devices[0].emulator.advance(60)  # its own clock, as its /_emulator/clock/advance moves it
        assert refused(device)
        fleet.advance(20)
        assert call("GET", device.url + "/info").status == 200


def test_a_schedule_on_the_real_clock_waits_on_a_loop_timer() -> None:
    with Fleet([DeviceConfig(0, schedule=(ScheduledFault(0, "hang"),))]) as fleet:
        assert fleet.devices[0].condition == "hung"


def test_the_cli_serves_the_fleet_control_api_on_its_own_address() -> None:
    with Cli("--devices", "2", "--port", "0", "--fleet-control", "127.0.0.1:0", "--quiet") as cli:
        lines = [cli.readline() for _ in range(3)]
        assert "fleet control API: http://127.0.0.1:" in lines[2], lines
        control = lines[2].split()[-1]
        device = call("GET", control + "/devices/1").json()
        assert call("POST", control + "/devices/1/offline").status == 200
        host, port = device["address"].rsplit(":", 1)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, int(port)), timeout=5)
        cli.wait_for_handlers(signal.SIGTERM)
        cli.signal(signal.SIGTERM)
        assert cli.wait() == 0


def test_device_faults_need_the_asyncio_core() -> None:
    result = run_cli("--core", "threads", "--fleet-control", "127.0.0.1:0")
    assert result.returncode == 2 and "asyncio core" in result.stderr


def test_the_jobs_a_reboot_failed_stay_failed_in_the_state_file(tmp_path: Path) -> None:
    state = str(tmp_path / "device.sqlite")
    with Fleet([DeviceConfig(0, jobs={"duration": 10}, state_file=state)], clock="manual") as fleet:
        running = backup(fleet.devices[0].url)
        fleet.advance(3)
        fleet.reboot(0, seconds=0)
    restarted = Emulator(state_file=state, clock="manual")  # the emulator restarted with --state
    try:
        restarted.advance(10)  # long enough for the job to have ended OK, had the reboot not failed it
        job = restarted.job(running)
        assert (job["status"], job["progress"]) == ("FAILED", 30)
    finally:
        restarted.close()
