"""Hostile use of the backup workflow: many backups settling at once, huge names and lists of data types,
resets racing reads, and the control API's jobs held to the device API's checks."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from _support import call, connect, exchange
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.fleet import DeviceConfig, Fleet

CREATE = "/system/backup/create"
FILES = "/system/backup/targets/device/files"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module", params=["asyncio", "threads"])
def emulator(request: pytest.FixtureRequest):
    with EmbeddedServer(port=0, job_duration=0, core=request.param) as server:
        yield server


@pytest.fixture
def server(emulator):
    emulator.reset()
    return emulator


def create(server, body: dict) -> object:
    return call("POST", server.url + CREATE, JSON, json.dumps(body))


def test_a_file_name_is_at_most_255_characters(server):
    for name in ("n" * 256, "n" * 900_000):
        answer = create(server, {"fileName": name, "dataTypes": ["TIMEZONE"]})
        assert answer.status in (400, 413) and answer.json()["code"], answer.status
    assert create(server, {"fileName": "n" * 255, "dataTypes": ["TIMEZONE"]}).status == 200
    (file,) = call("GET", server.url + FILES).json()
    assert file["name"].startswith("n" * 255)
    name = file["name"]
    assert call("GET", f"{server.url}{FILES}/{name}/").status == 200  # fetched and deleted: no 414
    assert call("DELETE", f"{server.url}{FILES}/{name}/").status == 204


def test_a_data_type_given_many_times_is_backed_up_once(server):
    answer = create(server, {"fileName": "many", "dataTypes": ["TIMEZONE"] * 50_000 + ["WEATHER"]})
    assert answer.status == 200, answer.body
    (name,) = [file["name"] for file in call("GET", server.url + FILES).json()]
    file = call("GET", f"{server.url}{FILES}/{name}/").json()
    assert file["dataTypes"] == ["TIMEZONE", "WEATHER"]
    download = call("GET", f"{server.url}/files/backup/{name}.ecybackup?encode=bin")
    assert download.status == 200
    names = zipfile.ZipFile(io.BytesIO(download.body)).namelist()
    assert sorted(names) == ["TIMEZONE.json", "WEATHER.json", "manifest.json"]
    assert len(download.body) == file["size"]


@pytest.mark.parametrize(
    "body",
    [
        {"fileName": "z", "duration": 0, "dataTypes": ["../../../../x/zipslip", "/abs/path"]},
        {"duration": 0, "dataTypes": ["NOT_A_TYPE"]},
        {"fileName": "../up", "duration": 0},
        {"fileName": "z", "target": "Floppy", "duration": 0},
        {"fileName": "n" * 256, "duration": 0},
    ],
    ids=["zip-slip", "unknown-type", "dot-dot", "target", "long-name"],
)
def test_the_control_api_holds_jobs_to_the_device_apis_checks(server, body):
    answer = call("POST", server.control_url + "/jobs", JSON, json.dumps(body))
    assert answer.status == 400 and answer.json()["code"] == "InvalidBody", answer.body
    assert server.jobs() == []
    assert call("GET", server.url + FILES).json() == []


def test_a_control_api_backup_leaves_a_file_of_the_device_apis_shape(server):
    body = {"fileName": "ctl", "duration": 0, "dataTypes": ["TIMEZONE", "TIMEZONE"]}
    assert call("POST", server.control_url + "/jobs", JSON, json.dumps(body)).status == 201
    (name,) = [file["name"] for file in call("GET", server.url + FILES).json()]
    file = call("GET", f"{server.url}{FILES}/{name}/").json()
    assert file["dataTypes"] == ["TIMEZONE"]


@pytest.fixture(params=[("asyncio", False), ("threads", False), ("asyncio", True), ("threads", True)])
def racing_server(request: pytest.FixtureRequest, tmp_path):
    """A server of each core, in memory and with a state file (whose changes go to a worker thread)."""
    core, state = request.param
    state_file = tmp_path / "state.db" if state else None
    with EmbeddedServer(port=0, job_duration=0, core=core, state_file=state_file) as server:
        yield server


def test_resets_racing_file_lists_never_fail_a_request(racing_server):
    server = racing_server
    stop = time.monotonic() + 2.0
    statuses: list[int] = []

    def use() -> None:
        while time.monotonic() < stop:
            statuses.append(create(server, {"fileName": "r", "dataTypes": ["TIMEZONE"]}).status)
            statuses.append(call("GET", server.url + FILES).status)

    def reset() -> None:
        while time.monotonic() < stop:
            statuses.append(call("POST", server.control_url + "/reset").status)

    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(use) for _ in range(3)] + [pool.submit(reset)]:
            future.result()
    assert len(statuses) > 20 and set(statuses) == {200}, sorted(set(statuses))


def _seconds_to_settle(fleet: Fleet, count: int) -> float:
    device = fleet.devices[0]
    device.emulator.reset()
    for number in range(count):
        device.emulator.create_job(file_name=f"b{number}", data_types=("TIMEZONE",), duration=1)
    fleet.advance(2)  # every job ends OK: the next read settles them all
    start = time.perf_counter()
    answer = call("GET", device.url + FILES)
    elapsed = time.perf_counter() - start
    assert answer.status == 200 and len(answer.json()) == count
    return elapsed


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_settling_many_backups_takes_linear_time_and_never_holds_another_device(core):
    with Fleet([DeviceConfig(0), DeviceConfig(1)], clock="manual", core=core) as fleet:
        small, large = _seconds_to_settle(fleet, 500), _seconds_to_settle(fleet, 4000)
        # Eight times the backups: linear is ~8x; settling one by one re-encoded the list each time (~64x).
        assert large / small < 24, (small, large)

        # While device 0 settles thousands of backups, device 1 answers.
        for number in range(4000):
            fleet.devices[0].emulator.create_job(file_name=f"c{number}", data_types=("TIMEZONE",), duration=1)
        fleet.advance(2)
        lister = threading.Thread(target=call, args=("GET", fleet.devices[0].url + FILES))
        lister.start()
        start = time.perf_counter()
        assert call("GET", fleet.devices[1].url + "/info").status == 200
        assert time.perf_counter() - start < 1.0
        lister.join(30)


def test_with_state_files_parallel_lists_of_one_device_never_hold_another(tmp_path):
    configs = [DeviceConfig(index, state_file=str(tmp_path / f"device-{index}.db")) for index in range(2)]
    with Fleet(configs, clock="manual") as fleet:
        for number in range(1500):
            fleet.devices[0].emulator.create_job(file_name=f"s{number}", data_types=("TIMEZONE",), duration=1)
        fleet.advance(2)
        listers = [
            threading.Thread(target=call, args=("GET", fleet.devices[0].url + FILES)) for _ in range(4)
        ]
        for lister in listers:
            lister.start()
        start = time.perf_counter()
        assert call("GET", fleet.devices[1].url + "/info").status == 200
        assert time.perf_counter() - start < 1.0
        for lister in listers:
            lister.join(30)
        assert len(call("GET", fleet.devices[0].url + FILES).json()) == 1500


# Limits of what one device keeps

PORTS = "/protocols/bacnet/communication/network/mstp-ports"


def test_an_entity_route_with_parameters_keeps_a_bounded_number_of_entities(server):
    from eclypse_emulator.runtime.device.behaviours import MAX_ENTITIES

    connection = connect(server.url)
    try:
        path = urlsplit(server.url).path + PORTS
        statuses = [
            exchange(connection, "POST", f"{path}/{port}/", JSON, "{}").status
            for port in range(1, MAX_ENTITIES + 2)
        ]
    finally:
        connection.close()
    assert statuses[:-1] == [200] * MAX_ENTITIES
    assert statuses[-1] == 409
    assert (
        call("POST", f"{server.url}{PORTS}/1/", JSON, '{"enabled": true}').status == 200
    )  # a kept one changes
    server.reset()
    assert call("POST", f"{server.url}{PORTS}/{MAX_ENTITIES + 1}/", JSON, "{}").status == 200


def test_a_fleet_too_large_for_the_open_files_limit_fails_before_any_device_is_built(monkeypatch, capsys):
    from eclypse_emulator.runtime import cli

    def no_fleet(*args, **kwargs):
        raise AssertionError("a device was built")

    monkeypatch.setattr(cli, "Fleet", no_fleet)
    monkeypatch.setattr(cli, "raise_descriptor_limit", lambda devices: f"{devices} devices need more files")
    assert cli.main(["--devices", "30000", "--port", "20000"]) == 1
    assert "30000 devices need more files" in capsys.readouterr().err


def test_checking_basic_credentials_costs_the_same_with_a_million_users():
    from eclypse_emulator.runtime.auth.authenticator import Authenticator

    def seconds_per_check(users: int) -> float:
        authenticator = Authenticator({f"user{n}": "secret" for n in range(users)}, cookie_name="s")
        header = {"Authorization": "Basic " + base64.b64encode(b"user7:wrong").decode()}
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(200):
                assert authenticator.authenticate(header) is None
            best = min(best, time.perf_counter() - start)
        return best

    # A scan of every user would make the second a thousand times the first.
    assert seconds_per_check(1_000_000) / seconds_per_check(1_000) < 10


def _context_switches() -> int:
    """The voluntary context switches of every thread of this process so far (Linux)."""
    total = 0
    for status in Path("/proc/self/task").glob("*/status"):
        try:
            text = status.read_text()
        except OSError:  # the thread ended meanwhile
            continue
        total += next(int(line.split()[1]) for line in text.splitlines() if line.startswith("voluntary_ctxt"))
    return total


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts context switches in /proc (Linux)")
@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_an_idle_fleet_wakes_no_thread(core):
    with Fleet([DeviceConfig(index) for index in range(50)], core=core) as fleet:
        assert call("GET", fleet.devices[7].url + "/info").status == 200
        time.sleep(0.5)  # the answer's connection closes and its watchdog goes back to sleep
        before = _context_switches()
        time.sleep(2)
        woken = _context_switches() - before
    # Polling http.server and watchdogs woke 50 devices about 300 times a second: 600 here.
    assert woken < 60, woken
