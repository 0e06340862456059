"""The points feature's options and control: `--points FILE` on the CLI (a bad file: exit 2 naming file, line
and column), a fleet (every device its own instance and values, one shared point list), EmbeddedServer(points=),
--state (writes and priority arrays survive a SIGKILL), and the control API driving a sensor."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from _support import ROOT, Cli, basic, call, make_certificate, run_cli
from conftest import CORES, request
from eclypse_emulator.runtime import EmbeddedServer

OBJECTS = "/protocols/bacnet/local/objects"
EDE = (
    "# keyname;device obj.-instance;object-name;object-type;object-instance;description;present-value-default;"
    "min-present-value;max-present-value;settable;supports COV;hi-limit;low-limit;state-text-reference;unit-code;"
    "vendor-specific-address\n"
    "K1;4242;Boiler;8;4242;Boiler room controller;;;;;;;;;;\n"
    "K2;4242;HW-TEMP;0;1;Hot water temperature;61.5;0;110;;;;;;62;x\n"
    "K3;4242;HW-SP;2;1;Hot water setpoint;60;40;80;Y;;;;;62;y\n"
)


def _json(method: str, url: str, body: object | None = None) -> tuple[int, object]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    status, _, data = request(method, url, headers, json.dumps(body) if body is not None else None)
    return status, json.loads(data) if data else None


@pytest.fixture
def ede(tmp_path: Path) -> Path:
    path = tmp_path / "boiler_EDE.csv"
    path.write_text(EDE, encoding="latin-1")
    return path


def test_the_cli_serves_a_point_file_with_its_device_instance(ede):
    with Cli("--port", "0", "--quiet", "--points", str(ede)) as cli:
        base = cli.url()
        assert _json("GET", base + "/info/bacnet")[1]["deviceInstance"] == 4242
        assert _json("GET", base + "/info/bacnet")[1]["description"] == "Boiler room controller"
        assert _json("GET", f"{base}{OBJECTS}/analog-input/1/properties/present-value")[1]["value"] == "61.5"
        assert _json("GET", f"{base}{OBJECTS}/device/4242/properties/object-name")[1]["value"] == "Boiler"


def test_a_bad_point_file_is_exit_2_naming_file_line_and_column(ede):
    ede.write_text(EDE + "K4;4242;Bad;2;2;;hot;;;;;;;;62;\n", encoding="latin-1")
    result = run_cli("--port", "0", "--points", str(ede))
    assert result.returncode == 2
    assert f"{ede}:5:18: present-value-default" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_cli("--port", "0", "--points", str(ede.with_name("nowhere.json")))
    assert missing.returncode == 2 and "nowhere.json: cannot read the point file" in missing.stderr


def test_every_fleet_device_has_the_points_its_own_instance_and_its_own_values(ede):
    with Cli("--port", "0", "--quiet", "--devices", "2", "--points", str(ede)) as cli:
        first, second = cli.url(), cli.url()
        instances = {_json("GET", url + "/info/bacnet")[1]["deviceInstance"] for url in (first, second)}
        assert len(instances) == 2
        url = f"{OBJECTS}/analog-value/1/properties/present-value"
        assert _json("POST", first + url + "?priority=8", {"value": "70"})[0] == 200
        assert _json("GET", first + url)[1]["value"] == "70.0"
        assert _json("GET", second + url)[1]["value"] == "60.0"


def test_writes_and_priority_arrays_survive_a_sigkill_and_reset_restores_the_point_list(ede, tmp_path):
    state = str(tmp_path / "device.sqlite")
    url = f"{OBJECTS}/analog-value/1/properties/present-value"
    with Cli("--port", "0", "--quiet", "--state", state, "--points", str(ede)) as cli:
        base = cli.url()
        assert _json("POST", base + url + "?priority=9", {"value": "72.5"})[0] == 200
        cli.signal(signal.SIGKILL)
        cli.wait()
    with Cli("--port", "0", "--quiet", "--state", state, "--points", str(ede)) as cli:
        base = cli.url()
        assert _json("GET", base + url)[1]["value"] == "72.5"
        array = _json("GET", base + url.replace("present-value", "priority-array"))[1]["value"]
        assert array.split(",")[8] == "72.5"
        assert _json("POST", base.replace("/api/rest/v1", "/_emulator/reset"), {})[0] in (200, 204)
        assert _json("GET", base + url)[1]["value"] == "60.0"


@pytest.mark.parametrize("core", CORES)
def test_embedded_server_points_and_the_control_api(tmp_path, core):
    points = tmp_path / "lab.json"
    points.write_text(
        json.dumps(
            {
                "device": {"instance": 9, "objectName": "Lab"},
                "objects": [
                    {"type": "analogInput", "instance": 3, "units": "degreesCelsius", "presentValue": 20}
                ],
            }
        )
    )
    with EmbeddedServer(port=0, points=points, core=core) as server:
        pv = f"{server.url}{OBJECTS}/analogInput/3/properties/presentValue"
        server.set_point("analogInput", 3, {"physicalValue": "23.25", "reliability": "over-range"})
        assert _json("GET", pv)[1]["value"] == "23.25"
        flags = _json("GET", pv.replace("presentValue", "statusFlags"))[1]["value"]
        assert flags == "{false,true,false,false}"
        control = server.control_url + "/points/analog-input/3"
        status, document = _json("PUT", control, {"outOfService": True, "reliability": "no-fault-detected"})
        assert status == 200 and document["properties"]["outOfService"] == "true"
        assert _json("POST", pv, {"value": "19"})[0] == 200  # out of service: writable
        assert _json("GET", control)[1]["properties"]["presentValue"] == "19.0"
        assert _json("PUT", control, {"reliability": "broken"})[0] == 400
        assert _json("PUT", control, {"flavour": 1})[0] == 400
        assert _json("GET", server.control_url + "/points/analog-input/99")[0] == 404
        assert _json("GET", server.url + "/info/bacnet")[1]["deviceInstance"] == 9


def test_the_generated_client_and_its_command_line_have_the_point_operations(server):
    from eclypse_emulator.client import EclypseClient

    with EclypseClient(server.url) as client:
        written = client.write_bacnet_property("analogValue", "2", "presentValue", value="22.5", priority=15)
        assert written.value == "22.5"
        assert (
            client.get_bacnet_property("analog-value", "2", "priority-array", array_index=15).value == "22.5"
        )
        answer = client.read_property_multiple(
            encode="text",
            property_references=[{"type": "analogValue", "instance": 2, "property": "units"}],
        )
        assert answer[0].value == "Degrees Celsius"
        assert [o.name for o in client.list_bacnet_objects("binary-value")] == [
            "binaryValue_1",
            "binaryValue_2",
        ]
    command = [sys.executable, "-m", "generated.client", "--url", server.url]
    done = subprocess.run(
        [
            *command,
            "write-bacnet-property",
            "analogValue",
            "3",
            "presentValue",
            "--value",
            "19",
            "--priority",
            "8",
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    reference = json.dumps({"type": "analogValue", "instance": 3, "property": "presentValue"})
    done = subprocess.run(
        [*command, "read-property-multiple", "--encode", "text", "--property-references", reference],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert json.loads(done.stdout)[0]["value"] == "19.0", done.stderr


@pytest.mark.parametrize("core", CORES)
def test_points_over_https_with_basic_authentication(tmp_path, core):
    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(cafile=str(cert))
    with EmbeddedServer(port=0, users={"admin": "pw"}, tls_cert=cert, tls_key=key, core=core) as server:
        url = f"{server.url}{OBJECTS}/read-property-multiple"
        body = json.dumps(
            {"propertyReferences": [{"type": "analogValue", "instance": 2, "property": "units"}]}
        )
        headers = {"Content-Type": "application/json"}
        assert call("POST", url, headers, body, context=context).status == 401
        answer = call("POST", url, {**headers, "Authorization": basic("admin", "pw")}, body, context=context)
        assert answer.status == 200 and json.loads(answer.body)[0]["value"] == "Degrees Celsius"
