"""Every word of the spec language over real HTTP, on both serving cores: the fixture spec
(tests/fixtures/spec) served with `python -m runtime --spec`, and the committed spec's MS/TP port entity."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import request as http_request

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SPEC = ROOT / "tests" / "fixtures" / "spec"
URL = re.compile(r"http://[\d.]+:\d+/api/rest/v1")
JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "application/xml"}


@pytest.fixture(scope="module", params=["asyncio", "threads"])
def fixture_api(request, tmp_path_factory):
    """The fixture spec served by `python -m runtime --spec DIR` (generated into a cache folder)."""
    cache = tmp_path_factory.mktemp("cache")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runtime",
            "--spec",
            str(FIXTURE_SPEC),
            "--port",
            "0",
            "--quiet",
            "--core",
            request.param,
        ],
        cwd=ROOT,
        env={**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert URL.search(line), line + process.stderr.read()
        base = URL.search(line).group(0)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not any(ROOT.joinpath("generated").glob("*members*")), "a served spec never writes into generated/"
    assert list(cache.rglob("handler.py")), "the fixture spec was generated into the cache folder"


def call(method, url, headers=None, body=None):
    return http_request(method, url, headers, body)


def test_an_entity_answers_every_kind_in_json_order(fixture_api):
    status, headers, body = call("GET", fixture_api + "/network-ports/1/")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert body.startswith(
        b'{"enabled":false,"mode":"AUTO","speed":5,"serial":"SN-1","address":{"host":"localhost"}'
    )
    document = json.loads(body)
    assert document["selfLink"] == {"href": "/api/rest/v1/network-ports/1", "name": "self"}
    assert (
        b'"href":"\\/api\\/rest\\/v1\\/network-ports\\/1"' in body
    )  # compact, `/` escaped as the device writes
    assert document["hours"] == [] and document["day"] == "01-31-2026"


def test_an_entity_in_xml_follows_the_xml_order_with_nested_elements(fixture_api):
    status, _, body = call("GET", fixture_api + "/network-ports/1/?encode=xml")
    root = ElementTree.fromstring(body)
    assert root.tag == "NetworkPort"
    assert [child.tag for child in root][:3] == ["Mode", "Enabled", "Speed"]
    assert root.find("Address/Host").text == "localhost"
    assert root.find("SelfLink/Href").text == "/api/rest/v1/network-ports/1"
    assert b"<Hours />" in body


def test_put_updates_only_what_it_gives_and_the_next_get_shows_it(fixture_api):
    url = fixture_api + "/network-ports/2/"
    body = {"mode": "MANUAL", "address": {"host": "ecy-2"}, "hours": [{"host": "a"}, {"host": "b"}]}
    status, _, answer = call("PUT", url, JSON, json.dumps(body))
    assert status == 200, answer
    document = json.loads(call("GET", url)[2])
    assert document["mode"] == "MANUAL" and document["address"] == {"host": "ecy-2"}
    assert document["hours"] == [{"host": "a"}, {"host": "b"}] and document["speed"] == 5
    assert (
        json.loads(call("GET", fixture_api + "/network-ports/1/")[2])["mode"] == "AUTO"
    ), "each id is its own entity"


def test_xml_of_arrays_and_nested_objects_round_trips(fixture_api):
    url = fixture_api + "/network-ports/3/"
    call("PUT", url, JSON, json.dumps({"hours": [{"host": "a"}, {"host": "b"}], "address": {"host": "x"}}))
    written = call("GET", url + "?encode=xml")[2]
    root = ElementTree.fromstring(written)
    assert [item.find("Host").text for item in root.find("Hours")] == ["a", "b"]
    # Read-only: what a GET shows cannot be sent back; Speed: a body gives Mode or Speed (exclusive).
    for element in ("Serial", "SelfLink", "Speed"):
        root.remove(root.find(element))
    status, _, answer = call("PUT", url, XML, ElementTree.tostring(root))
    assert status == 200, answer
    assert call("GET", url + "?encode=xml")[2] == written


@pytest.mark.parametrize(
    "body, words",
    [
        ({"mode": "FAST"}, "must be one of AUTO, MANUAL"),
        ({"speed": 11}, "must be from 1 to 10"),
        ({"speed": 0}, "must be from 1 to 10"),
        ({"serial": "SN-2"}, "read-only"),
        ({"selfLink": {"href": "/", "name": "x"}}, "read-only"),
        ({"address": {"port": 1}}, "unknown property"),
        ({"hours": [{"host": 1}]}, "hours[0]"),
        ({"day": "2026-12-01"}, "MM-dd-yyyy"),
        ({"enabled": 1}, "boolean"),
    ],
)
def test_a_body_outside_the_spec_is_a_400_naming_why_and_changes_nothing(fixture_api, body, words):
    url = fixture_api + "/network-ports/4/"
    before = call("GET", url)[2]
    status, _, answer = call("PUT", url, JSON, json.dumps(body))
    assert status == 400 and json.loads(answer)["code"] == "InvalidBody"
    assert words in json.loads(answer)["message"]
    assert call("GET", url)[2] == before


def test_exclusive_properties_are_refused_together_and_taken_alone(fixture_api):
    status, _, body = call("PUT", fixture_api + "/network-ports/2/", JSON, '{"MODE": "AUTO", "speed": 3}')
    assert status == 400 and json.loads(body)["code"] == "InvalidBody"
    assert b"Mode and Speed cannot be given together" in body
    assert call("PUT", fixture_api + "/network-ports/2/", JSON, '{"mode": "AUTO"}')[0] == 200
    assert call("PUT", fixture_api + "/network-ports/2/", JSON, '{"speed": 3}')[0] == 200


@pytest.mark.parametrize("port", ["0", "5", "one", "-1"])
def test_a_typed_path_parameter_refuses_other_values(fixture_api, port):
    status, _, answer = call("GET", fixture_api + f"/network-ports/{port}/")
    assert status == 400 and json.loads(answer)["code"] == "InvalidParameter"


def test_a_kebab_case_segment_also_matches_its_camel_case_form(fixture_api):
    assert call("GET", fixture_api + "/networkPorts/1/speed/$value")[2] == b"5"


def test_a_collection_lists_creates_gets_and_deletes(fixture_api):
    base = fixture_api + "/members"
    assert json.loads(call("GET", base)[2]) == [SEEDED]
    status, headers, body = call("POST", base, JSON, json.dumps({"name": "first", "tags": ["a", "b"]}))
    assert status == 201 and headers["location"].endswith("/api/rest/v1/members/first")
    assert json.loads(body) == {"name": "first", "tags": ["a", "b"]}
    assert call("POST", base, JSON, json.dumps({"name": "first"}))[0] == 409
    assert json.loads(call("GET", base)[2]) == [SEEDED, {"name": "first", "tags": ["a", "b"]}]
    xml = call("GET", base + "?encode=xml")[2]
    assert ElementTree.fromstring(xml).tag == "Members" and b"<Tag>a</Tag>" in xml
    assert json.loads(call("GET", base + "/first/")[2])["tags"] == ["a", "b"]
    assert call("GET", base + "/first/?mode=longForm")[0] == 200, "an enum query value matches kebab or camel"
    assert call("GET", base + "/first/?mode=other")[0] == 400
    assert call("GET", base + "/second/")[0] == 404
    status, _, body = call("DELETE", base + "/first/")
    assert (status, body) == (204, b"")
    assert json.loads(call("GET", base)[2]) == [SEEDED] and call("GET", base + "/first/")[0] == 404


SEEDED = {"name": "seeded", "tags": ["x"]}  # the fixture collection's `seed:`


def test_a_collection_starts_with_its_seed_and_state_delete_and_reset_restore_it(fixture_api):
    base, control = fixture_api + "/members", fixture_api.replace("/api/rest/v1", "/_emulator")
    assert json.loads(call("GET", base + "/seeded/")[2]) == SEEDED
    assert b"<Name>seeded</Name><Tags><Tag>x</Tag></Tags>" in call("GET", base + "?encode=xml")[2].replace(
        b"\n", b""
    )
    for status, *restore in (204, "DELETE", control + "/state/members"), (200, "POST", control + "/reset"):
        assert call("DELETE", base + "/seeded/")[0] == 204
        call("POST", base, JSON, json.dumps({"name": "other"}))
        assert json.loads(call("GET", base)[2]) == [{"name": "other", "tags": []}]
        assert call(*restore)[0] == status
        assert json.loads(call("GET", base)[2]) == [SEEDED], restore


def test_encode_bin_is_refused_where_no_bytes_are_served(fixture_api):
    status, _, body = call("GET", fixture_api + "/network-ports/1/?encode=bin")
    assert status == 400 and json.loads(body)["code"] == "InvalidQueryOption"


def test_the_root_answers_at_the_base_path_with_and_without_a_slash(fixture_api):
    for suffix in ("", "/"):
        status, headers, body = call("GET", fixture_api + suffix)
        assert status == 200 and json.loads(body) == {"apiRevision": "8.0"}
    assert json.loads(call("GET", fixture_api + "/apirevision")[2])["code"] == "NotFound"  # no property URLs


def test_response_headers_are_spec_data(fixture_api):
    for path in ("/info", "/no/such/thing"):
        assert call("GET", fixture_api + path)[1]["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_a_binary_resource_routes_a_literal_after_its_parameter(fixture_api):
    # The hook knows no such archive: 404 for its object and its bytes; encode=bin is accepted here.
    for query in ("", "?encode=bin"):
        status, _, body = call("GET", fixture_api + "/archives/nope.ecybackup" + query)
        assert (status, json.loads(body)["code"]) == (404, "NotFound")
    assert call("GET", fixture_api + "/archives/nope.zip")[0] == 404


# The committed spec: an MS/TP port is an entity served from YAML alone (issue 3/7).


def test_mstp_port_post_changes_only_enabled(server, http):
    url = server.url + "/protocols/bacnet/communication/network/mstp-ports/1/"
    before = json.loads(http("GET", url)[2])
    status, _, body = http("POST", url, JSON, b'{"enabled": true}')
    assert status == 200
    after = json.loads(http("GET", url)[2])
    assert after == {**before, "enabled": True}
    assert json.loads(body) == after


def test_mstp_port_refuses_a_mac_address_out_of_range_and_a_missing_content_type(server, http):
    url = server.url + "/protocols/bacnet/communication/network/mstp-ports/1/"
    before = http("GET", url)[2]
    status, _, body = http("POST", url, JSON, b'{"macAddress": 200}')
    assert status == 400 and "0 to 127" in json.loads(body)["message"]
    assert http("POST", url, {}, b'{"enabled": true}')[0] == 415
    assert http("GET", url)[2] == before


def test_an_integer_written_with_a_zero_fraction_is_an_integer_as_json_schema_says(server, http):
    url = server.url + "/protocols/bacnet/communication/network/mstp-ports/3/"
    assert http("POST", url, JSON, b'{"maxMaster": 58.0}')[0] == 200
    assert b'"maxMaster":58,' in http("GET", url)[2]
    status, _, body = http("POST", url, JSON, b'{"maxMaster": 58.5}')
    assert status == 400 and "integer" in json.loads(body)["message"]


def test_reset_restores_the_seed(server, http):
    url = server.url + "/protocols/bacnet/communication/network/mstp-ports/2/"
    http("POST", url, JSON, b'{"maxMaster": 10}')
    assert json.loads(http("GET", url)[2])["maxMaster"] == 10
    server.reset()
    assert json.loads(http("GET", url)[2])["maxMaster"] == 127


def test_backup_data_types_are_an_enum_and_an_xml_array_round_trips(server, http):
    create = server.url + "/system/backup/create"
    refused = http("POST", create, JSON, b'{"dataTypes": ["TIMEZONE", "NOPE"]}')
    assert refused[0] == 400 and "OPENADR" in json.loads(refused[2])["message"]
    xml_body = (
        b"<Backup><DataTypes><DataType>TIMEZONE</DataType><DataType>WEATHER</DataType></DataTypes></Backup>"
    )
    status, _, body = http("POST", create, XML, xml_body)
    assert status == 200, body
    job_id = json.loads(body)["jobId"]
    assert [job["dataTypes"] for job in server.jobs() if job["jobId"] == job_id] == [["TIMEZONE", "WEATHER"]]


def test_a_hook_the_runtime_lacks_stops_the_start_naming_the_resource(tmp_path):
    spec = tmp_path / "spec"
    spec.mkdir()
    for path in FIXTURE_SPEC.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").replace("hook: info}", "hook: no_such_hook}")
        (spec / path.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "runtime", "--spec", str(spec), "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "get_info (hook 'no_such_hook')" in result.stderr
