"""A fleet: `python -m runtime --devices N` serves N controllers, each with its own state."""

from __future__ import annotations

import json
import re
import signal
import socket
from pathlib import Path

import pytest

from _support import Cli, call, run_cli

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
