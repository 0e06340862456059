"""A cold start returns commanded points to their relinquish defaults (their priority arrays cleared), a
warm start keeps them: over HTTP on both serving cores, and through a --state restart."""

from __future__ import annotations

import signal

import pytest

from _support import Cli, call
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.fleet.fleet import DeviceConfig, Fleet
from test_reboot import wait_answering, wait_refused

MANAGEMENT = "/protocols/bacnet/local/management/"
JSON = {"Content-Type": "application/json"}
# AHU-1's outdoor air damper (the default building): an analog output whose relinquishDefault is 20.
DAMPER = "/protocols/bacnet/local/objects/analog-output/3/properties/"


def present_value(url: str) -> float:
    return float(call("GET", url + DAMPER + "presentValue").json()["value"])


def command(url: str, value: str, priority: int = 8) -> None:
    answer = call("POST", f"{url}{DAMPER}presentValue?priority={priority}", JSON, f'{{"value": "{value}"}}')
    assert answer.status == 200, answer.body


def priority_array(url: str) -> str:
    return call("GET", url + DAMPER + "priorityArray").json()["value"]


@pytest.mark.parametrize("core", ["asyncio", "threads"])
@pytest.mark.parametrize("kind, kept", [("coldStart", False), ("warmStart", True)])
def test_a_cold_start_relinquishes_commands_and_a_warm_start_keeps_them(core, kind, kept):
    with EmbeddedServer(port=0, core=core, clock="manual", reboot_seconds=1) as device:
        command(device.url, "55")
        assert present_value(device.url) == 55
        commanded = priority_array(device.url)
        assert call("POST", device.url + MANAGEMENT + kind, JSON, "{}").status == 204
        wait_refused(device.host, device.port)
        device.advance(1)
        assert wait_answering(device.url) == 200
        assert present_value(device.url) == (55 if kept else 20)
        assert (priority_array(device.url) == commanded) is kept
        # After a cold start the building's program (the damper follows the mode) commands it again at 16.
        assert call("GET", device.url + DAMPER + "currentCommandPriority").json()["value"] == (
            "8" if kept else "16"
        )


@pytest.mark.parametrize("kind, expected", [("coldStart", 20), ("warmStart", 55)])
def test_what_a_restart_leaves_survives_a_sigkill_with_state(tmp_path, kind, expected):
    state = str(tmp_path / "device.db")
    options = ("--port", "0", "--state", state, "--reboot-seconds", "0.2", "--quiet")
    with Cli(*options) as cli:
        url = cli.url()
        command(url, "55")
        host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
        assert call("POST", url + MANAGEMENT + kind, JSON, "{}").status == 204
        wait_refused(host, int(port))
        assert wait_answering(url) == 200
        assert present_value(url) == expected
        cli.signal(signal.SIGKILL)
        cli.wait()
    with Cli(*options) as cli:
        assert present_value(cli.url()) == expected


def test_the_fleet_reboot_fault_is_a_cold_start_of_that_device_alone():
    with Fleet([DeviceConfig(index, reboot_seconds=1) for index in range(2)], clock="manual") as fleet:
        for device in fleet.devices:
            command(device.url, "55")
        fleet.reboot(0, seconds=1)
        fleet.advance(1)
        assert wait_answering(fleet.devices[0].url) == 200
        assert [present_value(device.url) for device in fleet.devices] == [20, 55]
