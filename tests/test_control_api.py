"""The emulator's control API under /_emulator/, over HTTP and in Python on EmbeddedServer."""

from __future__ import annotations

import json
import uuid

import pytest

from eclypse_emulator.generated.handler import CHOICES
from eclypse_emulator.runtime import EmbeddedServer

RUNNING = CHOICES["running_status"]
FAILED = CHOICES["failure_status"]
JSON_BODY = {"Content-Type": "application/json"}
UNKNOWN_JOB = "c83b7cd2-e5df-4dcc-9e9e-301927c76a30"
# Scenario fields: control-API JSON key -> EmbeddedServer.create_job keyword.
PYTHON_NAMES = {
    "duration": "duration",
    "status": "status",
    "failAt": "fail_at",
    "neverFinish": "never_finish",
    "dataTypes": "data_types",
}


# Helpers


def control(http, server: EmbeddedServer, method: str, path: str, body=None) -> tuple[int, dict, object]:
    """A control-API call: (status, headers, decoded JSON). `body` is a document, or raw text as is."""
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    status, headers, raw = http(
        method, server.control_url + path, JSON_BODY if body is not None else None, body
    )
    assert headers["content-type"].split(";")[0] == "application/json"
    return status, headers, json.loads(raw)


def assert_control_error(answer: tuple[int, dict, object], status: int, code: str) -> None:
    got_status, _, document = answer
    assert got_status == status, document
    assert document["code"] == code
    assert isinstance(document["message"], str) and document["message"].strip()


def device_job(http, server: EmbeddedServer, job_id: str) -> tuple[int, object]:
    """The job as the device API shows it: (status, JSON document)."""
    status, _, body = http("GET", f"{server.url}/system/backup/jobs/{job_id}")
    return status, json.loads(body)


def create_over_http(http, server: EmbeddedServer, scenario: dict) -> str:
    status, _, document = control(http, server, "POST", "/jobs", scenario)
    assert status == 201, document
    return document["jobId"]


def create_in_python(http, server: EmbeddedServer, scenario: dict) -> str:
    return server.create_job(**{PYTHON_NAMES[key]: value for key, value in scenario.items()})


CREATORS = {"over http": create_over_http, "in python": create_in_python}


@pytest.fixture(params=CREATORS.values(), ids=CREATORS.keys())
def create(request, http, server):
    """Create a job with a scenario (control-API keys), over HTTP or in Python; answers its id."""
    return lambda scenario: request.param(http, server, scenario)


@pytest.fixture
def fresh_server():
    """An emulator of its own (manual clock), for tests that leave it in a state others cannot use."""
    with EmbeddedServer(port=0, clock="manual") as server:
        yield server


# Scenarios, as the device API sees them unfold


SCENARIOS = {
    "short success": (
        {"duration": 4},
        [(0, 0, RUNNING), (1, 25, RUNNING), (2, 75, RUNNING), (1, 100, "OK"), (50, 100, "OK")],
    ),
    "server default duration": ({}, [(9, 90, RUNNING), (1, 100, "OK")]),
    "instant": ({"duration": 0}, [(0, 100, "OK")]),
    "ends failed": (
        {"duration": 10, "status": FAILED},
        [(5, 50, RUNNING), (5, 100, FAILED), (9, 100, FAILED)],
    ),
    "ends with its own failure": (
        {"duration": 10, "status": "USB_KEY_ABSENT"},
        [(10, 100, "USB_KEY_ABSENT")],
    ),
    "fails at 30": (
        {"duration": 10, "failAt": 30},
        [(2, 20, RUNNING), (1, 30, FAILED), (20, 30, FAILED)],
    ),
    "fails at 60 with its own status": (
        {"duration": 10, "failAt": 60, "status": "DISK_FULL"},
        [(7, 60, "DISK_FULL")],
    ),
    "never finishes": ({"duration": 10, "neverFinish": True}, [(5, 50, RUNNING), (1000, 99, RUNNING)]),
    "with data types": ({"duration": 2, "dataTypes": ["TIMEZONE", "WEATHER"]}, [(2, 100, "OK")]),
}


@pytest.mark.parametrize("scenario, course", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_a_scenario_unfolds_under_the_manual_clock(http, server, create, scenario, course):
    job_id = create(scenario)
    for seconds, progress, status in course:
        server.advance(seconds)
        assert device_job(http, server, job_id) == (200, {"progress": progress, "status": status})
        described = server.job(job_id)
        assert (described["progress"], described["status"]) == (progress, status)
        assert described["running"] == (status == RUNNING)
    assert server.job(job_id)["dataTypes"] == scenario.get("dataTypes", [])


def test_create_over_http_answers_the_new_job(http, server):
    status, _, document = control(http, server, "POST", "/jobs", {"duration": 4, "dataTypes": ["TIMEZONE"]})
    assert status == 201
    assert str(uuid.UUID(document["jobId"], version=4)) == document["jobId"]
    assert (document["progress"], document["status"], document["running"]) == (0, RUNNING, True)
    assert document["dataTypes"] == ["TIMEZONE"]
    assert document["scenario"]["duration"] == 4 and document["scenario"]["status"] == "OK"
    assert control(http, server, "GET", "/jobs/" + document["jobId"])[2] == document


def test_an_empty_body_creates_a_default_job(http, server, job_duration):
    status, _, document = control(http, server, "POST", "/jobs", "")
    assert status == 201 and document["scenario"]["duration"] == job_duration


# Listing, reading, resetting


def test_list_and_get_jobs(http, server):
    status, _, body = http(
        "POST", server.url + "/system/backup/create", JSON_BODY, '{"dataTypes": ["WEATHER"]}'
    )
    from_device = json.loads(body)["jobId"]
    from_control = create_over_http(http, server, {"duration": 2, "status": FAILED})
    server.advance(1)
    status, _, listing = control(http, server, "GET", "/jobs")
    assert status == 200
    jobs = listing["jobs"]
    assert [job["jobId"] for job in jobs] == [from_device, from_control]
    assert [(job["progress"], job["status"]) for job in jobs] == [(10, RUNNING), (50, RUNNING)]
    assert jobs[0]["dataTypes"] == ["WEATHER"]
    for job in jobs:
        for path in (f"/jobs/{job['jobId']}", f"/jobs/{job['jobId']}/"):
            assert control(http, server, "GET", path)[::2] == (200, job)
    assert server.jobs() == jobs
    assert [server.job(job["jobId"]) for job in jobs] == jobs


def test_get_unknown_job(http, server):
    assert_control_error(control(http, server, "GET", "/jobs/" + UNKNOWN_JOB), 404, "JobNotFound")
    assert server.job(UNKNOWN_JOB) is None


def test_reset_over_http_forgets_every_job(http, server):
    ids = [create_over_http(http, server, {}) for _ in range(3)]
    assert control(http, server, "POST", "/reset")[::2] == (200, {"removedJobs": 3})
    for job_id in ids:
        status, document = device_job(http, server, job_id)
        assert (status, document["code"]) == (404, "JobNotFound")
        assert_control_error(control(http, server, "GET", "/jobs/" + job_id), 404, "JobNotFound")
    assert control(http, server, "GET", "/jobs")[2] == {"jobs": []}
    assert control(http, server, "POST", "/reset")[2] == {"removedJobs": 0}


def test_reset_in_python_forgets_every_job(http, server):
    job_id = server.create_job(duration=1)
    assert server.reset() == 1
    assert server.jobs() == [] and server.job(job_id) is None
    assert device_job(http, server, job_id)[0] == 404


# The clock


def test_clock_read_and_advanced_over_http(http, server):
    status, _, clock = control(http, server, "GET", "/clock")
    assert status == 200 and clock["manual"] is True
    start = clock["now"]
    assert control(http, server, "POST", "/clock/advance", {"seconds": 2.5})[::2] == (
        200,
        {"manual": True, "now": start + 2.5},
    )
    assert control(http, server, "POST", "/clock/advance", {"seconds": 0})[2]["now"] == start + 2.5
    assert control(http, server, "GET", "/clock")[2] == {"manual": True, "now": start + 2.5}
    assert server.advance(1) == start + 3.5
    assert control(http, server, "GET", "/clock")[2]["now"] == start + 3.5


def test_advance_moves_every_job_at_once(http, server):
    ids = [create_over_http(http, server, {"duration": d}) for d in (2, 4, 8)]
    control(http, server, "POST", "/clock/advance", {"seconds": 2})
    assert [device_job(http, server, i)[1]["progress"] for i in ids] == [100, 50, 25]


def test_advance_on_a_real_clock_is_a_conflict(http):
    with EmbeddedServer(port=0) as real:
        assert control(http, real, "GET", "/clock")[2]["manual"] is False
        assert_control_error(control(http, real, "POST", "/clock/advance", {"seconds": 1}), 409, "Conflict")
        with pytest.raises(RuntimeError):
            real.advance(1)


@pytest.mark.parametrize("seconds", [-1, float("inf"), float("nan")])
def test_advance_backwards_or_forever_in_python_is_refused(server, seconds):
    before = server.advance(0)
    with pytest.raises(ValueError):
        server.advance(seconds)
    assert server.advance(0) == before


def test_a_huge_advance_finishes_jobs(http, fresh_server):
    """Regression: a 1e308 advance used to break every later read of a job (500, an int() of infinity);
    advances now stop at 1e12 s, and the largest allowed still reads fine."""
    job_id = fresh_server.create_job(duration=10)
    assert control(http, fresh_server, "POST", "/clock/advance", {"seconds": 1e12})[0] == 200
    assert device_job(http, fresh_server, job_id) == (200, {"progress": 100, "status": "OK"})
    assert control(http, fresh_server, "GET", "/jobs")[0] == 200


def test_an_infinite_advance_is_refused(http, fresh_server):
    status, _, raw = http(
        "POST", fresh_server.control_url + "/clock/advance", JSON_BODY, '{"seconds": 1e999}'
    )
    assert status == 400 and json.loads(raw)["code"] == "InvalidBody"


# The embedded server itself


def test_embedded_server_serves_on_a_free_port_until_stopped(http):
    with EmbeddedServer(port=0) as embedded:
        assert embedded.port != 0
        assert embedded.url == f"http://127.0.0.1:{embedded.port}/api/rest/v1"
        assert embedded.control_url == f"http://127.0.0.1:{embedded.port}/_emulator"
        assert http("GET", embedded.url + "/info")[0] == 200
    with pytest.raises(ConnectionRefusedError):
        http("GET", embedded.url + "/info")


# Bad requests


BAD_BODIES = [
    ("/jobs", "{oops"),
    ("/jobs", "[1]"),
    ("/jobs", '"text"'),
    ("/jobs", '{"bogus": 1}'),
    ("/jobs", '{"duration": "4"}'),
    ("/jobs", '{"duration": -1}'),
    ("/jobs", '{"duration": true}'),
    ("/jobs", '{"status": ""}'),
    ("/jobs", '{"status": 1}'),
    ("/jobs", '{"failAt": 101}'),
    ("/jobs", '{"failAt": -1}'),
    ("/jobs", '{"failAt": 50.5}'),
    ("/jobs", '{"neverFinish": 1}'),
    ("/jobs", '{"dataTypes": "TIMEZONE"}'),
    ("/jobs", '{"dataTypes": [1]}'),
    ("/clock/advance", ""),
    ("/clock/advance", "{oops"),
    ("/clock/advance", "{}"),
    ("/clock/advance", '{"seconds": -1}'),
    ("/clock/advance", '{"seconds": "1"}'),
    ("/clock/advance", '{"seconds": true}'),
    ("/clock/advance", '{"seconds": NaN}'),
    ("/clock/advance", '{"seconds": Infinity}'),
    ("/clock/advance", '{"seconds": 1e999}'),
    ("/clock/advance", "[1]"),
]


@pytest.mark.parametrize("path, body", BAD_BODIES)
def test_bad_bodies_are_400_invalid_body(http, server, path, body):
    before = control(http, server, "GET", "/clock")[2]
    assert_control_error(control(http, server, "POST", path, body), 400, "InvalidBody")
    assert control(http, server, "GET", "/jobs")[2] == {"jobs": []}
    assert control(http, server, "GET", "/clock")[2] == before


@pytest.mark.parametrize(
    "scenario",
    [{"duration": -1}, {"duration": float("nan")}, {"status": ""}, {"fail_at": 101}, {"fail_at": -1}],
)
def test_bad_scenarios_in_python_raise_value_error(server, scenario):
    with pytest.raises(ValueError):
        server.create_job(**scenario)
    assert server.jobs() == []


@pytest.mark.parametrize("path", ["", "/", "/nothing", "/jobs/x/y", "/clock/rewind", "/reset/now"])
def test_unknown_control_path_is_404(http, server, path):
    assert_control_error(control(http, server, "GET", path), 404, "NotFound")


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("DELETE", "/jobs", {"GET", "POST"}),
        ("PUT", "/jobs", {"GET", "POST"}),
        ("GET", "/reset", {"POST"}),
        ("POST", "/clock", {"GET"}),
        ("GET", "/clock/advance", {"POST"}),
        ("FROB", "/reset", {"POST"}),
    ],
)
def test_wrong_control_method_is_405_with_allow(http, server, method, path, allowed):
    answer = control(http, server, method, path)
    assert_control_error(answer, 405, "MethodNotAllowed")
    assert {m.strip() for m in answer[1]["allow"].split(",")} >= allowed
    assert method not in answer[1]["allow"]


HUGE = "1" + "0" * 400  # an integer JSON allows and a float cannot hold


@pytest.mark.parametrize(
    "path, body",
    [
        ("/clock/advance", f'{{"seconds": {HUGE}}}'),
        ("/jobs", f'{{"duration": {HUGE}}}'),
        ("/faults", f'{{"latency": {HUGE}}}'),
        ("/faults", '{"latency": 1e308}'),
        ("/faults", '{"latency": 0, "latencyMax": 7200}'),
    ],
    ids=["huge-seconds", "huge-duration", "huge-latency", "enormous-latency", "latency-max-over-an-hour"],
)
def test_numbers_out_of_range_are_a_bad_body_not_a_crash(http, server, path, body):
    assert_control_error(control(http, server, "POST", path, body), 400, "InvalidBody")
    assert control(http, server, "GET", "/faults")[2] == {"faults": []}


def test_the_clock_cannot_be_advanced_to_infinity(http, server):
    assert control(http, server, "POST", "/clock/advance", {"seconds": 1e11})[0] == 200
    assert_control_error(
        control(http, server, "POST", "/clock/advance", {"seconds": 1e308}), 400, "InvalidBody"
    )
    status, _, clock = control(http, server, "GET", "/clock")
    assert status == 200 and clock["now"] < 1e12
    job_id = control(http, server, "POST", "/jobs", {"duration": 1})[2]["jobId"]
    assert device_job(http, server, job_id)[0] == 200


def test_a_fault_id_that_is_no_ascii_number_is_not_found(http, server):
    assert_control_error(control(http, server, "DELETE", "/faults/%C2%B2"), 404, "NotFound")
