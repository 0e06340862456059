"""Hostile input on the surfaces added last: numbers beyond a float's range, XML declaring encodings the
parser cannot read, and hostile configuration files (device data, fleet files): each is a 400 with the
API's error body, or an exit 2 naming the file, never a 500, a traceback or a memory bomb."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from _support import call, run_cli
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.core.miniyaml import YamlError, loads

MSTP = "/protocols/bacnet/communication/network/mstp-ports/1/"
STATE = "/_emulator/state/protocols/bacnet/communication/network/mstp-ports/1"
HUGE = "1" + "0" * 400  # beyond a float's range (±1.8e308)
JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "application/xml"}


@pytest.fixture(scope="module", params=["asyncio", "threads"])
def emulator(request: pytest.FixtureRequest):
    with EmbeddedServer(port=0, core=request.param) as server:
        yield server


def assert_refused(answer, code: str = "InvalidBody") -> None:
    assert answer.status == 400, (answer.status, answer.body[:300])
    assert answer.json()["code"] == code


@pytest.mark.parametrize(
    "body",
    [f'{{"macAddress": {HUGE}}}', '{"macAddress": 1e400}', f'{{"macAddress": -{HUGE}}}'],
    ids=["huge-int", "huge-float", "huge-negative"],
)
def test_a_number_beyond_a_float_is_a_400_and_changes_nothing(emulator, body):
    before = call("GET", emulator.url + MSTP).body
    assert_refused(call("POST", emulator.url + MSTP, JSON, body))
    assert_refused(call("PUT", emulator.origin + STATE, JSON, body))
    assert call("GET", emulator.url + MSTP).body == before


def test_a_whole_float_still_counts_as_an_integer(emulator):
    answer = call("POST", emulator.url + MSTP, JSON, '{"macAddress": 58.0}')
    assert answer.status == 200 and answer.json()["macAddress"] == 58


def test_an_xml_number_beyond_a_float_is_a_400(emulator):
    body = f"<MstpPort><MacAddress>{HUGE}</MacAddress></MstpPort>"
    assert_refused(call("POST", emulator.url + MSTP, XML, body))


@pytest.mark.parametrize("encoding", ["UTF-7", "x-nonexistent", "UTF-16"])
def test_an_xml_body_declaring_an_encoding_expat_cannot_read_is_a_400(emulator, encoding):
    body = f'<?xml version="1.0" encoding="{encoding}"?><DateTime/>'
    answer = call("POST", emulator.url + "/system/date-time", XML, body)
    assert answer.status == 400, answer.body
    assert answer.json()["code"] == "InvalidBody"


# Files: an exit 2 naming the file, in a bounded time.


def assert_file_error(tmp_path: Path, name: str, text: str, *options: str, says: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run_cli("--port", "0", *options, str(path), timeout=60)
    assert result.returncode == 2, result.stderr[-500:]
    assert "Traceback" not in result.stderr and name in result.stderr and says in result.stderr, result.stderr
    assert len(result.stderr) < 2000  # the message never echoes a hostile file whole


DEVICE_DATA_CASES = {
    "huge.json": (f'{{"{MSTP}": {{"macAddress": {HUGE}}}}}', "beyond the range of a number"),
    "huge.yaml": (f"{MSTP}:\n  macAddress: {HUGE}\n", "beyond the range of a number"),
    "deep.json": ("[" * 100_000, "nested deeper than"),
    "deep.yaml": ("a: " + "[" * 100_000 + "\n", "nested deeper than"),
    # Nine nested anchors grow to 9**9 items in a reader that expands aliases.
    "bomb.yaml": 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)),
}
DEVICE_DATA_CASES["bomb.yaml"] = (DEVICE_DATA_CASES["bomb.yaml"], "anchors, aliases")


@pytest.mark.parametrize("name", DEVICE_DATA_CASES)
def test_a_hostile_device_data_file_is_an_exit_2_naming_it(tmp_path, name):
    text, says = DEVICE_DATA_CASES[name]
    assert_file_error(tmp_path, name, text, "--device-data", says=says)


FLEET_CASES = {
    "duration: abc": "duration must be",
    "fail_at: abc": "fail_at must be",
    "fail_at: 50.5": "fail_at must be",
    "status: 5": "status must be",
    "never_finish: maybe": "never_finish must be",
    f"duration: {HUGE}": "beyond the range of a number",
}


@pytest.mark.parametrize("jobs", FLEET_CASES)
def test_fleet_job_values_are_checked_by_type_and_range(tmp_path, jobs):
    fleet = f"devices:\n  - jobs: {{{jobs}}}\n"
    assert_file_error(tmp_path, "fleet.yaml", fleet, "--fleet", says=FLEET_CASES[jobs])


@pytest.mark.parametrize(
    "fleet, says",
    [
        ('devices:\n  - address: "127.0.0.1\\u0000:80"\n', "device 0: not HOST"),
        ("devices:\n  - device_data: " + "[" * 100_000 + "\n", "nested deeper than"),
        (f"devices:\n  - device_data:\n      {MSTP}: {{macAddress: {HUGE}}}\n", "beyond the range"),
    ],
    ids=["nul-address", "deep", "huge-device-data"],
)
def test_a_hostile_fleet_file_is_an_exit_2_naming_it(tmp_path, fleet, says):
    assert_file_error(tmp_path, "fleet.yaml", fleet, "--fleet", says=says)


def test_a_host_with_a_control_character_is_refused_by_the_parser():
    result = run_cli("--port", "0", "--host", "127.0.0.1\x01")
    assert result.returncode == 2 and "not a host name or address" in result.stderr
    assert "Traceback" not in result.stderr


def _seconds_to_read(text: str) -> float:
    best = float("inf")
    for _ in range(3):  # the best of three: the machine is shared
        start = time.perf_counter()
        loads(text)
        best = min(best, time.perf_counter() - start)
    return best


def test_the_yaml_reader_reads_a_long_flow_line_in_linear_time():
    def line(items: int) -> str:
        return "devices: [" + ", ".join(['"a b"'] * items) + "]\n"

    small, large = _seconds_to_read(line(20_000)), _seconds_to_read(line(160_000))
    # Eight times the text: linear is ~8x, the quadratic reader it replaces was ~64x.
    assert large / small < 24, (small, large)


def test_the_yaml_reader_refuses_what_would_exhaust_it():
    with pytest.raises(YamlError, match="nested deeper"):
        loads("x: " + "{a: " * 1000 + "}" * 1000)
    with pytest.raises(YamlError, match="beyond the range"):
        loads("x: 1" + "0" * 5000)


@pytest.mark.parametrize(
    "select, key, accepted",
    [
        ("APIREVISION", "MAXMASTER", True),
        ("apireviſion", "maxMaſter", False),
        ("apirevision\u212a", "\u212aey", False),
    ],
    ids=["ascii", "long-s", "kelvin-sign"],
)
def test_names_match_case_insensitively_in_ascii_only(emulator, select, key, accepted):
    """`ſ` (long s) folds to `s` and the Kelvin sign to `k` in Unicode: neither stands for a letter of a name."""
    answer = call("GET", f"{emulator.url}/info?$select={quote(select)}")
    assert answer.status == (200 if accepted else 400), answer.body
    written = call("POST", emulator.url + MSTP, JSON, json.dumps({key: 5}, ensure_ascii=False).encode())
    assert written.status == (200 if accepted else 400), written.body
