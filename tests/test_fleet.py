"""A fleet: `python -m runtime --devices N` serves N controllers, each with its own state."""

from __future__ import annotations

import json
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from _support import ROOT, Cli, basic, call, run_cli
from eclypse_emulator.runtime.fleet.fleet import DeviceConfig, Fleet

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/api/rest/v1")
JSON_BODY = {"Content-Type": "application/json"}


def device_urls(cli: Cli, count: int) -> list[str]:
    """The base URLs of the first `count` stdout lines, asserting each names its device."""
    urls = []
    for number in range(1, count + 1):
        line = cli.readline()
        assert f"device {number}/{count}" in line, line
        match = URL.search(line)
        assert match, line
        urls.append(match.group(0))
    return urls


def control(url: str) -> str:
    return url.replace("/api/rest/v1", "/_emulator")


def create_backup(url: str) -> str:
    answer = call("POST", url + "/system/backup/create", JSON_BODY, '{"dataTypes": ["TIMEZONE"]}')
    assert answer.status == 200, answer.body
    return answer.json()["jobId"]


def test_each_device_of_a_fleet_answers_with_its_own_state() -> None:
    with Cli("--port", "0", "--devices", "3", "--quiet", "--clock", "manual") as cli:
        urls = device_urls(cli, 3)
        assert len(set(urls)) == 3
        for url in urls:
            assert call("GET", url + "/info").json()["apiRevision"] == "8.0"

        job_id = create_backup(urls[0])
        assert call("GET", f"{urls[0]}/jobs/{job_id}/").status == 200
        for url in urls[1:]:
            assert call("GET", f"{url}/jobs/{job_id}/").status == 404
            assert call("GET", control(url) + "/jobs").json() == {"jobs": []}
        assert [j["jobId"] for j in call("GET", control(urls[0]) + "/jobs").json()["jobs"]] == [job_id]

        # Each device has its own manual clock.
        other = create_backup(urls[1])
        advance = call("POST", control(urls[0]) + "/clock/advance", JSON_BODY, json.dumps({"seconds": 60}))
        assert advance.status == 200
        assert call("GET", f"{urls[0]}/system/backup/jobs/{job_id}").json() == {
            "progress": 100,
            "status": "OK",
        }
        assert call("GET", f"{urls[1]}/system/backup/jobs/{other}").json() == {
            "progress": 0,
            "status": "RUNNING",
        }

        # Control operations on one device leave the others alone.
        assert call("POST", control(urls[1]) + "/reset").status == 200
        assert call("GET", f"{urls[0]}/jobs/{job_id}/").status == 200
        cli.wait_for_handlers(signal.SIGTERM)
        cli.signal(signal.SIGTERM)
        assert cli.wait() == 0


def test_a_fleet_on_a_given_port_uses_consecutive_ports() -> None:
    for _ in range(5):  # find three consecutive free ports
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + 2 < 65536 and all(_free(port) for port in (first + 1, first + 2)):
            break
    else:
        pytest.skip("no three consecutive free ports found")
    with Cli("--port", str(first), "--devices", "3", "--quiet") as cli:
        urls = device_urls(cli, 3)
        assert [int(URL.search(url).group(1)) for url in urls] == [first, first + 1, first + 2]
        for url in urls:
            assert call("GET", url + "/info").status == 200


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_a_fleet_keeps_one_state_file_per_device(tmp_path: Path) -> None:
    state = tmp_path / "jobs.db"
    arguments = ("--port", "0", "--devices", "2", "--quiet", "--clock", "manual", "--state", str(state))
    with Cli(*arguments) as cli:
        first, second = device_urls(cli, 2)
        on_first, on_second = create_backup(first), create_backup(second)
        cli.wait_for_handlers(signal.SIGTERM)
        cli.signal(signal.SIGTERM)
        assert cli.wait() == 0
    assert (tmp_path / "jobs-1.db").is_file()
    assert (tmp_path / "jobs-2.db").is_file()
    assert not state.exists()

    with Cli(*arguments) as cli:  # restarted: each device finds its own jobs again
        first, second = device_urls(cli, 2)
        assert call("GET", f"{first}/jobs/{on_first}/").status == 200
        assert call("GET", f"{first}/jobs/{on_second}/").status == 404
        assert call("GET", f"{second}/jobs/{on_second}/").status == 200
        assert call("GET", f"{second}/jobs/{on_first}/").status == 404
        cli.wait_for_handlers(signal.SIGINT)
        cli.signal(signal.SIGINT)
        assert cli.wait() == 0


def test_a_single_device_keeps_the_state_file_name(tmp_path: Path) -> None:
    state = tmp_path / "jobs.db"
    with Cli("--port", "0", "--quiet", "--state", str(state)) as cli:
        url = cli.url()
        create_backup(url)
        cli.wait_for_handlers(signal.SIGTERM)
        cli.signal(signal.SIGTERM)
        assert cli.wait() == 0
    assert state.is_file()
    assert not (tmp_path / "jobs-1.db").exists()


def _listening_after_a_free_port() -> socket.socket:
    """A listening socket on a port P whose P - 1 is free."""
    for _ in range(20):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        if _free(taken.getsockname()[1] - 1):
            taken.listen()
            return taken
        taken.close()
    pytest.skip("no listening port with a free predecessor found")


def test_a_fleet_whose_second_port_is_taken_exits_1_naming_it() -> None:
    with _listening_after_a_free_port() as taken:
        port = taken.getsockname()[1]
        with Cli("--port", str(port - 1), "--devices", "2", "--quiet") as cli:
            assert cli.wait() == 1
            stderr = cli.stderr()
            assert "cannot listen" in stderr and str(port) in stderr, stderr
            assert "Traceback" not in stderr


@pytest.mark.parametrize("devices", ["0", "-1", "two"])
def test_devices_must_be_a_whole_number_of_at_least_one(devices: str) -> None:
    result = run_cli("--port", "0", "--devices", devices)
    assert result.returncode == 2
    assert "--devices" in result.stderr


def test_a_fleet_at_given_addresses() -> None:
    """--device-address HOST:PORT (repeatable) places each controller, here on two loopback addresses."""
    with Cli("--device-address", "127.0.0.1:0", "--device-address", "127.0.0.2:0", "--quiet") as cli:
        lines = [cli.readline(), cli.readline()]
        urls = [re.search(r"http://[\d.]+:\d+/api/rest/v1", line).group(0) for line in lines]
        assert urls[0].startswith("http://127.0.0.1:") and urls[1].startswith("http://127.0.0.2:")
        job_id = create_backup(urls[1])
        assert call("GET", f"{urls[1]}/jobs/{job_id}/").status == 200
        assert call("GET", f"{urls[0]}/jobs/{job_id}/").status == 404
        cli.wait_for_handlers(signal.SIGTERM)
        cli.signal(signal.SIGTERM)
        assert cli.wait() == 0


@pytest.mark.parametrize("address", ["nowhere", "127.0.0.1:http", ":80", "127.0.0.1:70000"])
def test_a_bad_device_address_is_a_usage_error(address: str) -> None:
    result = run_cli("--device-address", address)
    assert result.returncode == 2 and "HOST:PORT" in result.stderr and "Traceback" not in result.stderr


# --- One event loop for the whole fleet ------------------------------------------------------------


def test_a_few_hundred_devices_answer_from_one_event_loop_each_with_its_own_state() -> None:
    threads_before = threading.active_count()
    with Fleet([DeviceConfig(index) for index in range(300)], clock="manual") as fleet:
        assert threading.active_count() == threads_before + 1  # one loop thread, however many devices
        assert len({device.port for device in fleet.devices}) == 300
        for device in fleet.devices:
            assert call("GET", device.url + "/info").json()["apiRevision"] == "8.0"
        hostnames = {call("GET", device.url + "/info/device").json()["hostName"] for device in fleet.devices}
        assert hostnames == {f"ECLYPSE-{index + 1:05d}" for index in range(300)}, "each its own identity"
        job_id = create_backup(fleet.devices[123].url)
        assert call("GET", f"{fleet.devices[123].url}/jobs/{job_id}/").status == 200
        assert call("GET", f"{fleet.devices[124].url}/jobs/{job_id}/").status == 404
    assert threading.active_count() == threads_before


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_a_fleet_in_python_serves_each_device_its_own_state_on_both_cores(core: str) -> None:
    configs = [DeviceConfig(index, users={f"user{index}": "pw"}) for index in range(20)]
    with Fleet(configs, core=core) as fleet:
        for device in fleet.devices:
            own = {"Authorization": basic(f"user{device.index}", "pw")}
            assert call("GET", device.url + "/info", own).status == 200
            other = {"Authorization": basic(f"user{(device.index + 1) % 20}", "pw")}
            assert call("GET", device.url + "/info", other).status == 401
        with pytest.raises(RuntimeError if core == "threads" else KeyError):
            fleet.offline(20 if core == "asyncio" else 0)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def test_a_fleet_on_consecutive_loopback_addresses_shares_one_port() -> None:
    """127.0.1.1, 127.0.1.2, ... all on one port: Linux routes 127.0.0.0/8 to the loopback interface."""
    port = _free_port("127.0.1.1")
    with Cli("--loopback-from", "127.0.1.250", "--port", str(port), "--devices", "150", "--quiet") as cli:
        first, more, last = cli.readline(), cli.readline(), cli.readline()
        assert f"device 1/150 serving http://127.0.1.250:{port}/api/rest/v1" in first, first
        assert "148 more devices" in more, more
        assert f"device 150/150 serving http://127.0.2.143:{port}/api/rest/v1" in last, last
        job_id = create_backup(f"http://127.0.2.0:{port}/api/rest/v1")  # .0 and .255 are hosts too here
        assert call("GET", f"http://127.0.2.0:{port}/api/rest/v1/jobs/{job_id}/").status == 200
        assert call("GET", f"http://127.0.1.255:{port}/api/rest/v1/jobs/{job_id}/").status == 404
        cli.wait_for_handlers(signal.SIGTERM)
        cli.signal(signal.SIGTERM)
        assert cli.wait() == 0


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("--loopback-from", "127.255.255.200", "--devices", "100"), "leaves 127.0.0.0/8"),
        (("--loopback-from", "10.0.0.1"), "leaves 127.0.0.0/8"),
        (("--loopback-from", "127.0.1"), "not an IPv4 address"),
        (("--loopback-from", "127.0.1.1", "--device-address", "127.0.0.1:0"), "--device-address excludes"),
        (("--port", "65535", "--devices", "2"), "beyond 65535"),
    ],
)
def test_addresses_a_fleet_cannot_have_are_usage_errors(arguments: tuple[str, ...], message: str) -> None:
    result = run_cli(*arguments)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def _low_descriptor_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (200, 300))


def test_too_few_descriptors_for_the_fleet_exit_1_saying_so() -> None:
    """The soft limit goes up to the hard one; when even that is too few, the message says what to do."""
    result = subprocess.run(
        [sys.executable, "-m", "runtime", "--port", "0", "--devices", "1000", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        preexec_fn=_low_descriptor_limit,
    )
    assert result.returncode == 1, result.stderr
    assert "1000 devices need at least 1256 open files" in result.stderr and "may open 300" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_large_fleet_shares_one_journal_budget_among_its_devices(monkeypatch) -> None:
    """Each device journals at most its share of the fleet's budget (a small fleet keeps 8 MiB a device)."""
    from eclypse_emulator.runtime.fleet import fleet as fleet_module

    with Fleet([DeviceConfig(index) for index in range(2)], clock="manual") as small:
        assert small.devices[0].emulator.journal.max_bytes == 8 << 20
    monkeypatch.setattr(fleet_module, "JOURNAL_BYTES", 4 * 40_000)
    with Fleet([DeviceConfig(index) for index in range(4)], clock="manual") as fleet:
        device = fleet.devices[0]
        assert device.emulator.journal.max_bytes == 40_000
        body = json.dumps(
            {"propertyReferences": [{"type": "analogValue", "instance": 1, "property": "x"}] * 60}
        )
        for _ in range(20):  # about 5 KB a request: 100 KB sent
            answer = call(
                "POST", device.url + "/protocols/bacnet/local/objects/read-property-multiple", JSON_BODY, body
            )
            assert answer.status == 200
        kept = call("GET", device.url.split("/api/")[0] + "/_emulator/requests").json()["requests"]
        assert 1 <= len(kept) < 20 and sum(len(entry["body"]) for entry in kept) <= 40_000
