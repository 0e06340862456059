"""`--fleet FILE` (YAML or CSV): per device its address, users, revision, job defaults, device data and
fault schedule; generated identities for what it leaves out; `--shard K/N` serves a contiguous block."""

from __future__ import annotations

import json
import re
import signal
import ssl
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from _support import ROOT, Cli, basic, call, make_certificate, run_cli
from eclypse_emulator.runtime.cli import build_parser
from eclypse_emulator.runtime.device.devicedata import DeviceDataError, device_seeds
from eclypse_emulator.runtime.fleet.cli import device_configs
from eclypse_emulator.runtime.fleet.fleetfile import read_fleet
from eclypse_emulator.runtime.fleet.identity import with_identity
from eclypse_emulator.runtime.core.miniyaml import loads

JSON_BODY = {"Content-Type": "application/json"}
URL = re.compile(r"http://[\d.]+:\d+/api/rest/v1")
FLEET = """\
# three controllers of a site
defaults:
  users: {admin: site-secret}
  jobs: {duration: 10}
devices:
  - address: 127.0.0.1:0
    device_data:
      /info/device: {hostname: AHU-1, modelName: ECY-S1000}
      /info/bacnet: {deviceInstance: 100050, location: Mechanical room}
  - address: 127.0.0.1:0
    api_revision: "7.0"
    users: ["ops:ops-secret"]
  - address: 127.0.0.1:0
    schedule:
      - {at: 0, fault: offline}
"""


def serve(*arguments: str) -> Cli:
    return Cli("--quiet", "--clock", "manual", "--fleet-control", "127.0.0.1:0", *arguments)


def started(cli: Cli, devices: int) -> tuple[list[str], str]:
    lines = [cli.readline() for _ in range(devices + 1)]
    return [URL.search(line).group(0) for line in lines[:devices]], lines[-1].split()[-1]


def test_a_yaml_fleet_file_gives_each_device_its_own_users_revision_data_and_schedule(tmp_path: Path) -> None:
    fleet = tmp_path / "site.yaml"
    fleet.write_text(FLEET)
    with serve("--fleet", str(fleet)) as cli:
        (first, second, third), control = started(cli, 3)
        admin, ops = {"Authorization": basic("admin", "site-secret")}, {
            "Authorization": basic("ops", "ops-secret")
        }
        assert call("GET", first + "/info").status == 401
        assert call("GET", first + "/info", admin).json()["apiRevision"] == "8.0"
        identity = call("GET", first + "/info/device", admin).json()
        assert identity["hostName"] == identity["controllerName"] == "AHU-1"  # the name the fleet file gives
        assert identity["hostId"] == identity["macAddress"].replace(":", "")
        assert call("GET", second + "/info", admin).status == 401  # its own users replace the defaults'
        assert call("GET", second + "/info", ops).json()["apiRevision"] == "7.0"
        assert (
            call("GET", control + "/devices/2").json()["condition"] == "offline"
        )  # its schedule's fault at 0

        job = call("POST", first + "/system/backup/create", {**JSON_BODY, **admin}, '{"dataTypes": []}')
        job_id = job.json()["jobId"]
        call(
            "POST",
            first.replace("/api/rest/v1", "/_emulator/clock/advance"),
            {**JSON_BODY, **admin},
            '{"seconds": 5}',
        )
        assert (
            call("GET", f"{first}/system/backup/jobs/{job_id}", admin).json()["progress"] == 50
        )  # jobs: 10 s

        data = call("GET", control + "/devices/0").json()["deviceData"]
        assert (
            data["/info/device"]["hostname"] == "AHU-1" and data["/info/device"]["modelName"] == "ECY-S1000"
        )
        assert data["/info/bacnet"] == {"deviceInstance": 100050, "location": "Mechanical room"}
        assert data["/info/device"]["serialNumber"] and data["/info/device"]["macAddress"]  # generated
        assert data["/info/network"] == {"macAddress": data["/info/device"]["macAddress"]}
        generated = call("GET", control + "/devices/1").json()["deviceData"]
        assert generated["/info/device"]["hostname"] == "ECLYPSE-00002"
        assert generated["/info/bacnet"] == {"deviceInstance": 1002}
        cli.wait_for_handlers(signal.SIGTERM)
        cli.signal(signal.SIGTERM)
        assert cli.wait() == 0


def test_a_csv_fleet_file_lists_address_username_password(tmp_path: Path) -> None:
    fleet = tmp_path / "site.csv"
    fleet.write_text(
        "address,username,password\n127.0.0.2:0,admin,one\n127.0.0.3:0,admin,two\n127.0.0.3:0,viewer,three\n"
    )
    with serve("--fleet", str(fleet)) as cli:
        (first, second), _ = started(cli, 2)
        assert first.startswith("http://127.0.0.2:") and second.startswith("http://127.0.0.3:")
        assert call("GET", first + "/info", {"Authorization": basic("admin", "one")}).status == 200
        assert call("GET", second + "/info", {"Authorization": basic("admin", "one")}).status == 401
        assert call("GET", second + "/info", {"Authorization": basic("admin", "two")}).status == 200
        assert call("GET", second + "/info", {"Authorization": basic("viewer", "three")}).status == 200


def _configs(*arguments: str):
    """The devices the command line gives, with the identities their Fleet generates."""
    args = build_parser().parse_args(list(arguments))
    configs, total = device_configs(args)
    return [replace(c, device_data=with_identity(c.device_data, c.index, args.seed)) for c in configs], total


def test_shards_serve_contiguous_blocks_and_their_identities_never_collide() -> None:
    whole, total = _configs("--devices", "10", "--port", "9000")
    shards = [_configs("--devices", "10", "--port", "9000", "--shard", f"{k}/3")[0] for k in range(3)]
    assert total == 10 and [[c.index for c in s] for s in shards] == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    assert [c.device_data for s in shards for c in s] == [c.device_data for c in whole]
    assert [c.port for c in shards[1]] == [9003, 9004, 9005]
    for path, field in [
        ("/info/device", "serialNumber"),
        ("/info/device", "macAddress"),
        ("/info/bacnet", "deviceInstance"),
    ]:
        assert len({c.device_data[path][field] for c in whole}) == 10
    for config in whole:  # one Ethernet port: /info/network shows the MAC address /info/device does
        assert (
            config.device_data["/info/network"]["macAddress"]
            == config.device_data["/info/device"]["macAddress"]
        )


def test_generated_identities_follow_the_seed() -> None:
    def identity(*seed: str) -> list:
        return [c.device_data for c in _configs("--devices", "3", *seed)[0]]

    assert identity("--seed", "7") == identity("--seed", "7")
    assert identity("--seed", "7") != identity("--seed", "8") != identity()


def test_a_shard_numbers_its_devices_in_the_whole_fleet() -> None:
    with Cli("--devices", "4", "--port", "0", "--shard", "1/2", "--quiet") as cli:
        assert "device 3/4" in cli.readline() and "device 4/4" in cli.readline()


@pytest.mark.parametrize(
    "text, message",
    [
        ("devices: []\n", "lists no device"),
        ("devices:\n  - adress: 127.0.0.1:0\n", "device 0: unknown field(s) adress"),
        ("devices:\n  - users: [nocolon]\n", "device 0:"),
        ("devices:\n  - schedule: [{at: 1, fault: explode}]\n", "device 0: a device fault is one of"),
        ("devices:\n  - api_revision: eight\n", "not an API revision"),
        ("devices:\n  - address: 127.0.0.1:0\n    jobs: {duration: -1}\n", "duration"),
        ("devices: &a [1]\n", "line 1"),
        ("hosts: []\n", "expected a mapping with `devices:`"),
    ],
)
def test_a_bad_fleet_file_is_a_usage_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    fleet = tmp_path / "site.yaml"
    fleet.write_text(text)
    result = run_cli("--fleet", str(fleet))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_fleet_file_excludes_devices_and_shard_must_be_k_of_n(tmp_path: Path) -> None:
    fleet = tmp_path / "site.csv"
    fleet.write_text("127.0.0.1:0,,\n")
    assert "--fleet excludes" in run_cli("--fleet", str(fleet), "--devices", "2").stderr
    for bad in ("3/3", "1", "a/b"):
        result = run_cli("--shard", bad)
        assert result.returncode == 2 and "K/N" in result.stderr


def test_the_yaml_reader_reads_what_fleet_files_use() -> None:
    assert loads(FLEET)["devices"][1] == {
        "address": "127.0.0.1:0",
        "api_revision": "7.0",
        "users": ["ops:ops-secret"],
    }
    assert loads("a: [1, 2.5, 'it''s', \"x\\ty\", {k: ~}, true]  # comment\n") == {
        "a": [1, 2.5, "it's", "x\ty", {"k": None}, True]
    }
    assert json.dumps(loads("- - 1\n  - 2\n- k: v\n  j: w\n")) == '[[1, 2], {"k": "v", "j": "w"}]'


SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text("abcdefgh/_-", min_size=1, max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text("abcdef", min_size=1, max_size=6), DOCUMENTS, min_size=1, max_size=4))
def test_the_yaml_reader_reads_what_pyyaml_writes(document: dict) -> None:
    for flow in (False, None):
        assert (
            loads(yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True, width=10**6))
            == document
        )


def test_a_fleet_file_names_each_device_its_tls_certificate_relative_to_itself(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    fleet = tmp_path / "site.yaml"
    fleet.write_text(
        f"devices:\n  - {{address: '127.0.0.1:0', tls_cert: {cert.name}, tls_key: {key.name}}}\n"
        "  - {address: '127.0.0.1:0'}\n"
    )
    with Cli("--fleet", str(fleet), "--quiet") as cli:
        secure, plain = cli.readline(), cli.readline()
        assert "https://127.0.0.1:" in secure and "http://127.0.0.1:" in plain
        url = re.search(r"https://\S+/api/rest/v1", secure).group(0)
        context = ssl.create_default_context(cafile=str(cert))
        assert call("GET", url + "/info", context=context).json()["apiRevision"] == "8.0"
        assert call("GET", URL.search(plain).group(0) + "/info").status == 200


def _docs_block(after: str, language: str) -> str:
    text = (ROOT / "docs" / "fleets.md").read_text(encoding="utf-8")
    section = text[text.index(after) :]
    start = section.index(f"```{language}\n") + len(language) + 4
    return section[start : section.index("```", start)]


def test_the_docs_fleet_file_and_python_example_work_as_written(tmp_path: Path) -> None:
    fleet = tmp_path / "site.yaml"
    fleet.write_text(_docs_block("## The fleet file", "yaml"))
    entries = read_fleet(fleet)
    assert entries[0]["users"] == {"admin": "site-secret"} and entries[0]["api_revision"] == "7.0"
    assert entries[0]["schedule"][1] == {"at": 120, "fault": "reboot", "seconds": 30}
    assert entries[1]["jobs"] == {"duration": 30}
    exec(
        _docs_block("In Python:", "python").replace("fleet.devices[5].url, fleet.requests(5)", "pass"),
        {},
    )


def test_the_network_shows_the_mac_address_the_device_data_gives() -> None:
    given = with_identity({"/info/device": {"macAddress": "00:1E:C0:12:34:56"}}, 0, None)
    assert given["/info/network"] == {"macAddress": "00:1E:C0:12:34:56"}
    assert with_identity({"/info/device": "not a mapping"}, 0, None)["/info/device"] == "not a mapping"
    own = with_identity({"/info/network": {"macAddress": "00:1E:C0:AA:AA:AA"}}, 0, None)
    assert own["/info/network"] == {"macAddress": "00:1E:C0:AA:AA:AA"}
    assert own["/info/device"]["macAddress"] != "00:1E:C0:AA:AA:AA"


def test_the_host_id_and_controller_name_follow_the_mac_address_and_host_name_a_fleet_file_gives() -> None:
    generated = with_identity({}, 4, None)["/info/device"]
    assert generated["hostId"] == generated["macAddress"].replace(":", "")
    assert generated["controllerName"] == generated["hostname"]
    own = with_identity({"/info/device": {"MacAddress": "00:1E:C0:12:34:56", "HostName": "ahu-3"}}, 4, None)
    assert own["/info/device"]["hostId"] == "001EC0123456"
    assert own["/info/device"]["controllerName"] == "ahu-3"
    kept = with_identity({"/info/device": {"macAddress": "00:1E:C0:12:34:56", "hostId": "X1"}}, 4, None)
    assert kept["/info/device"]["hostId"] == "X1"


def test_device_data_in_another_spelling_replaces_the_generated_identity() -> None:
    """A trailing slash or another case of a property name is the same value, as the device reads it."""
    data = with_identity({"/info/device/": {"MacAddress": "00:1E:C0:12:34:56"}}, 0, None)
    seeds = device_seeds(data)
    assert seeds["/info/device"]["MacAddress"] == "00:1E:C0:12:34:56"
    assert seeds["/info/network"]["MacAddress"] == "00:1E:C0:12:34:56"
    assert seeds["/info/device"]["HostName"] == "ECLYPSE-00001"  # the rest is still generated


def test_a_path_given_twice_in_the_device_data_is_still_refused() -> None:
    data = with_identity({"/info/device": {"hostname": "a"}, "/info/device/": {"HostName": "b"}}, 0, None)
    with pytest.raises(DeviceDataError, match="given twice"):
        device_seeds(data)
    spelled = with_identity({"/info/network/": {"dhcp": True}}, 0, None)  # its own spelling, merged once
    assert device_seeds(spelled)["/info/network"]["Dhcp"] is True
