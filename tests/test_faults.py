"""Fault injection and the request journal, as a user drives them: EmbeddedServer methods, the control
API (/_emulator/faults, /_emulator/requests) and `python -m runtime --fault`; observed over HTTP."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import pytest

from _support import Cli, basic, call, connect, exchange, raw_exchange, run_cli
from eclypse_emulator.generated.client import EclypseClient, EclypseError
from eclypse_emulator.runtime import EmbeddedServer

JSON_BODY = {"Content-Type": "application/json"}
JOB_ID = "c83b7cd2-e5df-4dcc-9e9e-301927c76a30"  # well-formed, unknown


def add_fault(server: EmbeddedServer, **fields) -> dict:
    """POST /_emulator/faults; the answer's document (asserting 201)."""
    answer = call("POST", server.control_url + "/faults", JSON_BODY, json.dumps(fields))
    assert answer.status == 201, answer.body
    return answer.json()


def statuses(url: str, times: int) -> list[int]:
    """The statuses of `times` GET requests to `url`, one after the other on one connection."""
    connection = connect(url)
    try:
        return [exchange(connection, "GET", url[url.index("/", 8) :]).status for _ in range(times)]
    finally:
        connection.close()


def timed_get(url: str, headers: dict[str, str] | None = None) -> tuple[float, int]:
    started = time.monotonic()
    answer = call("GET", url, headers)
    return time.monotonic() - started, answer.status


# --- Latency ---------------------------------------------------------------------------------------


def test_fixed_latency_delays_each_answer(server: EmbeddedServer) -> None:
    server.add_fault(path="/info", latency=0.2)
    for _ in range(2):
        elapsed, status = timed_get(server.url + "/info")
        assert status == 200
        assert elapsed >= 0.2


def test_random_latency_stays_within_its_range() -> None:
    with EmbeddedServer(clock="manual", seed=7) as server:
        fault = add_fault(server, path="/info", latency=0.05, latencyMax=0.15)
        assert (fault["latency"], fault["latencyMax"]) == (0.05, 0.15)
        for _ in range(4):
            elapsed, status = timed_get(server.url + "/info")
            assert status == 200
            assert 0.05 <= elapsed < 0.15 + 2.0  # generous above: a loaded machine adds its own delays


def test_latency_of_several_matching_faults_adds_up(server: EmbeddedServer) -> None:
    server.add_fault(latency=0.1)
    server.add_fault(path="/info", latency=0.1)
    elapsed, status = timed_get(server.url + "/info")
    assert status == 200 and elapsed >= 0.2


# --- Errors ----------------------------------------------------------------------------------------


def test_error_rate_one_answers_the_status_with_retry_after_in_json(server: EmbeddedServer) -> None:
    add_fault(server, errorRate=1.0, status=503, retryAfter=2)
    answer = call("GET", server.url + "/info")
    assert answer.status == 503
    assert answer.header("retry-after") == "2"
    assert answer.header("content-type").startswith("application/json")
    document = answer.json()
    assert document["code"] == "InjectedFault" and document["message"]


@pytest.mark.parametrize(
    "target, headers",
    [("/info?encode=xml", {}), ("/info", {"Accept": "application/xml"})],
    ids=["encode", "accept"],
)
def test_injected_error_comes_in_xml_when_xml_is_negotiated(
    server: EmbeddedServer, target: str, headers: dict
) -> None:
    server.add_fault(error_rate=1.0, status=503, retry_after=7)
    answer = call("GET", server.url + target, headers)
    assert answer.status == 503
    assert answer.header("retry-after") == "7"
    assert answer.header("content-type").startswith("application/xml")
    root = ET.fromstring(answer.body)
    assert root.tag == "Error"
    assert root.findtext("Code") == "InjectedFault" and root.findtext("Message")


def test_injected_error_has_the_chosen_status_and_no_retry_after_unless_asked(server: EmbeddedServer) -> None:
    server.add_fault(error_rate=1.0, status=429)
    answer = call("GET", server.url + "/info")
    assert answer.status == 429
    assert answer.header("retry-after") is None
    assert answer.json()["code"] == "InjectedFault"


def test_the_generated_client_raises_eclypse_error_with_the_injected_status(server: EmbeddedServer) -> None:
    server.add_fault(path="/system/backup/create", error_rate=1.0, status=503, retry_after=1)
    with EclypseClient(server.url) as client:
        with pytest.raises(EclypseError) as raised:
            client.create_backup(["TIMEZONE"])
        assert client.get_info().api_revision  # other paths still answer
    assert raised.value.status == 503
    assert raised.value.code == "InjectedFault"
    assert raised.value.headers.get("retry-after") == "1"
    assert server.jobs() == []  # the faulted request did not reach the device


def test_same_seed_same_sequence_of_injected_errors() -> None:
    fault = {"path": "/info", "error_rate": 0.5}
    sequences = []
    for _ in range(2):
        with EmbeddedServer(clock="manual", seed=1234, faults=[fault]) as server:
            sequences.append(statuses(server.url + "/info", 24))
    assert sequences[0] == sequences[1]
    assert set(sequences[0]) == {200, 503}  # a rate of 0.5, not all or nothing
    with EmbeddedServer(clock="manual", seed=4321, faults=[fault]) as server:
        assert statuses(server.url + "/info", 24) != sequences[0]  # the seed is what repeats it


# --- Dropped connections ---------------------------------------------------------------------------


def test_dropped_connection_closes_without_an_answer(server: EmbeddedServer) -> None:
    server.add_fault(path="/info", drop_rate=1.0)
    answer = raw_exchange(("127.0.0.1", server.port), b"GET /api/rest/v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.closed and answer.status is None and answer.body == b""
    with EclypseClient(server.url) as client:
        with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected, after one retry
            client.get_info()
        assert client.create_backup(["TIMEZONE"]).job_id  # another path is not dropped
    assert [e["path"] for e in server.requests()].count("/api/rest/v1/info") >= 2  # sent, and journaled


# --- Scoping ---------------------------------------------------------------------------------------


def test_a_path_glob_limits_the_fault_to_matching_requests(server: EmbeddedServer) -> None:
    job_id = server.create_job()
    add_fault(server, path="/system/backup/jobs/*", errorRate=1.0)
    assert call("GET", f"{server.url}/system/backup/jobs/{job_id}").status == 503
    assert call("GET", f"{server.url}/system/backup/jobs/{job_id}/").status == 503
    assert call("GET", f"{server.url}/system/backup/jobs/{job_id}?encode=xml").status == 503
    assert call("GET", f"{server.url}/jobs/{job_id}/").status == 200
    assert call("GET", server.url + "/info").status == 200
    assert (
        call("POST", server.url + "/system/backup/create", JSON_BODY, '{"dataTypes": ["TIMEZONE"]}').status
        == 200
    )


def test_an_exact_path_matches_with_a_query_and_a_trailing_slash(server: EmbeddedServer) -> None:
    server.add_fault(path="/info", error_rate=1.0)
    assert call("GET", server.url + "/info").status == 503
    assert call("GET", server.url + "/info/").status == 503
    assert call("GET", server.url + "/info?encode=json").status == 503
    assert call("GET", server.url + "/info/apirevision").status == 200


def test_a_method_limits_the_fault_to_that_method(server: EmbeddedServer) -> None:
    add_fault(server, method="post", errorRate=1.0, status=500)
    assert (
        call("POST", server.url + "/system/backup/create", JSON_BODY, '{"dataTypes": ["TIMEZONE"]}').status
        == 500
    )
    assert call("GET", server.url + "/info").status == 200
    job_id = server.create_job()
    assert call("GET", f"{server.url}/jobs/{job_id}/").status == 200


def test_path_and_method_together(server: EmbeddedServer) -> None:
    job_id = server.create_job(duration=100)
    server.add_fault(path="/jobs/*/cancel", method="POST", error_rate=1.0, status=502)
    assert call("GET", f"{server.url}/jobs/{job_id}/").status == 200
    assert call("POST", f"{server.url}/jobs/{job_id}/cancel").status == 502
    assert server.job(job_id)["status"] == "RUNNING"  # not cancelled


def test_the_control_api_is_never_faulted(server: EmbeddedServer) -> None:
    add_fault(server, errorRate=1.0)
    add_fault(server, path="*", dropRate=1.0)
    add_fault(server, path="/_emulator/*", errorRate=1.0)
    dropped = raw_exchange(("127.0.0.1", server.port), b"GET /api/rest/v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
    assert dropped.closed and dropped.status is None  # the device API is faulted ...
    for method, path, body in [
        ("GET", "/faults", None),
        ("GET", "/jobs", None),
        ("POST", "/jobs", "{}"),
        ("GET", "/clock", None),
        ("POST", "/clock/advance", '{"seconds": 1}'),
        ("GET", "/requests", None),
        ("GET", "/openapi.json", None),
    ]:  # ... the control API is not
        answer = call(method, server.control_url + path, JSON_BODY if body else {}, body)
        assert answer.status in (200, 201), (method, path, answer.status)
    assert len(call("GET", server.control_url + "/faults").json()["faults"]) == 3
    assert call("DELETE", server.control_url + "/faults").status == 204


# --- Managing faults -------------------------------------------------------------------------------


def test_faults_are_listed_removed_one_by_one_and_cleared_over_the_control_api(
    server: EmbeddedServer,
) -> None:
    first = add_fault(server, path="/info", errorRate=1.0, status=500)
    second = add_fault(server, path="/system/backup/create", errorRate=1.0, status=502)
    assert first["id"] != second["id"]
    assert first == {
        "id": first["id"],
        "path": "/info",
        "method": None,
        "latency": 0.0,
        "latencyMax": None,
        "errorRate": 1.0,
        "status": 500,
        "retryAfter": None,
        "dropRate": 0.0,
    }
    listed = call("GET", server.control_url + "/faults").json()["faults"]
    assert [f["id"] for f in listed] == [first["id"], second["id"]]

    assert call("DELETE", f"{server.control_url}/faults/{first['id']}").status == 204
    assert [f["id"] for f in call("GET", server.control_url + "/faults").json()["faults"]] == [second["id"]]
    assert call("GET", server.url + "/info").status == 200
    create = ("POST", server.url + "/system/backup/create", JSON_BODY, '{"dataTypes": ["TIMEZONE"]}')
    assert call(*create).status == 502

    assert call("DELETE", f"{server.control_url}/faults/{first['id']}").status == 404  # already gone
    assert call("DELETE", server.control_url + "/faults/not-a-number").status == 404
    assert call("DELETE", server.control_url + "/faults").status == 204
    assert call("GET", server.control_url + "/faults").json() == {"faults": []}
    assert call(*create).status == 200


def test_faults_are_removed_and_cleared_through_the_embedded_server(server: EmbeddedServer) -> None:
    first = server.add_fault(path="/info", error_rate=1.0)
    second = server.add_fault(path="/jobs/*", error_rate=1.0)
    assert call("GET", server.url + "/info").status == 503
    assert server.remove_fault(first) is True
    assert server.remove_fault(first) is False
    assert call("GET", server.url + "/info").status == 200
    assert call("GET", f"{server.url}/jobs/{JOB_ID}/").status == 503
    server.clear_faults()
    assert call("GET", f"{server.url}/jobs/{JOB_ID}/").status == 404  # the device's own answer again
    assert call("GET", server.control_url + "/faults").json() == {"faults": []}
    assert second != first


def test_embedded_server_takes_faults_at_construction() -> None:
    with EmbeddedServer(
        clock="manual", faults=[{"path": "/info", "error_rate": 1.0, "status": 504}]
    ) as server:
        assert call("GET", server.url + "/info").status == 504
        assert [f["path"] for f in call("GET", server.control_url + "/faults").json()["faults"]] == ["/info"]


def test_embedded_server_rejects_a_bad_fault(server: EmbeddedServer) -> None:
    with pytest.raises(ValueError):
        server.add_fault(error_rate=1.5)
    with pytest.raises(ValueError):
        EmbeddedServer(faults=[{"status": 200}])
    assert call("GET", server.control_url + "/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "body",
    [
        '{"errorRate": 1.5}',
        '{"errorRate": -0.1}',
        '{"dropRate": 2}',
        '{"latency": -1}',
        '{"latency": 0.5, "latencyMax": 0.1}',
        '{"status": 200}',
        '{"status": 600}',
        '{"status": true}',
        '{"status": "503"}',
        '{"retryAfter": -1}',
        '{"retryAfter": 1.5}',
        '{"errorRate": "half"}',
        '{"path": 3}',
        '{"bogus": 1}',
        '{"errorRate": NaN}',
        "[]",
        "not json",
    ],
)
def test_a_bad_fault_body_is_400_and_adds_nothing(server: EmbeddedServer, body: str) -> None:
    answer = call("POST", server.control_url + "/faults", JSON_BODY, body)
    assert answer.status == 400
    document = answer.json()
    assert document["code"] and document["message"]
    assert call("GET", server.control_url + "/faults").json() == {"faults": []}
    assert call("GET", server.url + "/info").status == 200


@pytest.mark.parametrize("body", ['{"latency": 1e999}', '{"latency": 0, "latencyMax": 1e999}'])
def test_an_infinite_latency_is_a_bad_fault_body(server: EmbeddedServer, body: str) -> None:
    answer = call("POST", server.control_url + "/faults", JSON_BODY, body)
    faults = call("GET", server.control_url + "/faults")
    info = call("GET", server.url + "/info")
    server.clear_faults()
    assert answer.status == 400
    assert faults.status == 200
    assert info.status == 200


def test_reset_clears_faults_and_the_journal(server: EmbeddedServer) -> None:
    add_fault(server, path="/info", errorRate=1.0)
    assert call("GET", server.url + "/info").status == 503
    assert call("GET", server.control_url + "/requests").json()["requests"]
    assert call("POST", server.control_url + "/reset").status == 200
    assert call("GET", server.control_url + "/faults").json() == {"faults": []}
    assert call("GET", server.control_url + "/requests").json() == {"requests": []}
    assert call("GET", server.url + "/info").status == 200


# --- The request journal ---------------------------------------------------------------------------


def header(entry: dict, name: str) -> str | None:
    return next((v for k, v in entry["headers"].items() if k.lower() == name.lower()), None)


def test_the_journal_records_device_requests_as_sent(server: EmbeddedServer) -> None:
    body = '{"dataTypes": ["TIMEZONE"]}'
    created = call("POST", server.url + "/system/backup/create", {**JSON_BODY, "X-Trace": "abc-1"}, body)
    job_id = created.json()["jobId"]
    call("GET", f"{server.url}/system/backup/jobs/{job_id}?encode=xml&$select=status")
    call("GET", server.control_url + "/jobs")  # the control API: not journaled
    call("GET", f"{server.url}/jobs/{JOB_ID}/", {"Accept": "application/json"})

    entries = call("GET", server.control_url + "/requests").json()["requests"]
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in entries] == [
        ("POST", "/api/rest/v1/system/backup/create", "", 200),
        ("GET", f"/api/rest/v1/system/backup/jobs/{job_id}", "encode=xml&$select=status", 200),
        ("GET", f"/api/rest/v1/jobs/{JOB_ID}/", "", 404),
    ]
    assert entries[0]["body"] == body
    assert header(entries[0], "X-Trace") == "abc-1"
    assert header(entries[0], "Content-Type") == "application/json"
    assert entries[1]["body"] == ""
    assert header(entries[2], "Accept") == "application/json"
    assert server.requests() == entries  # the same journal in Python


def test_the_journal_records_faulted_requests_with_their_injected_status(server: EmbeddedServer) -> None:
    server.add_fault(path="/info", error_rate=1.0, status=503)
    call("GET", server.url + "/info")
    assert [(e["path"], e["status"]) for e in server.requests()] == [("/api/rest/v1/info", 503)]


def test_the_journal_is_cleared_over_the_control_api_and_in_python(server: EmbeddedServer) -> None:
    call("GET", server.url + "/info")
    assert len(server.requests()) == 1
    assert call("DELETE", server.control_url + "/requests").status == 204
    assert call("GET", server.control_url + "/requests").json() == {"requests": []}
    call("GET", server.url + "/info")
    call("GET", server.url + "/info")
    assert len(server.requests()) == 2
    server.clear_requests()
    assert server.requests() == []


def test_the_journal_records_requests_refused_for_bad_credentials() -> None:
    with EmbeddedServer(clock="manual", users={"admin": "secret"}) as server:
        credentials = {"Authorization": basic("admin", "secret")}
        assert call("GET", server.url + "/info", {"Authorization": basic("admin", "wrong")}).status == 401
        assert call("GET", server.url + "/info", credentials).status == 200
        entries = call("GET", server.control_url + "/requests", credentials).json()["requests"]
        assert [e["status"] for e in entries] == [401, 200]


def test_the_journal_redacts_credentials_and_cookies(server: EmbeddedServer) -> None:
    sent = {
        "Authorization": basic("alice", "s3cret-pw"),
        "Proxy-Authorization": "Bearer tok-123456",
        "Cookie": "session=abc123; theme=dark",
    }
    call("GET", server.url + "/info", sent)
    listing = call("GET", server.control_url + "/requests")
    for secret in (b"s3cret-pw", b"tok-123456", b"abc123", b"dark", basic("alice", "s3cret-pw")[6:].encode()):
        assert secret not in listing.body
    entry = listing.json()["requests"][-1]
    assert header(entry, "Authorization") == "Basic alice:[redacted]"
    assert header(entry, "Proxy-Authorization") == "Bearer [redacted]"
    assert header(entry, "Cookie") == "session=[redacted]; theme=[redacted]"
    assert entry["truncated"] is False


def test_the_journal_cuts_large_headers_and_bodies_and_says_so(server: EmbeddedServer) -> None:
    call("GET", server.url + "/info", {"X-Big": "a" * 60_000})
    entry = server.requests()[-1]
    assert entry["truncated"] is True
    assert len(header(entry, "X-Big")) < 5000 and header(entry, "X-Big").endswith("[truncated]")


def test_the_journal_is_bounded_in_bytes() -> None:
    from eclypse_emulator.generated.handler import Request
    from eclypse_emulator.runtime.faults.faults import RequestJournal

    journal = RequestJournal(size=1000, max_bytes=1 << 20)
    for number in range(1000):
        journal.record(
            Request("GET", f"/api/rest/v1/info?n={number}", {"X-Big": "a" * 65536}, b"b" * 200_000), 200
        )
    entries = journal.entries()
    assert 10 < len(entries) < 1000
    assert entries[-1]["query"] == "n=999"  # the newest kept, the oldest dropped
    assert len(json.dumps(entries)) < 2 << 20


# --- From the command line -------------------------------------------------------------------------


def test_cli_fault_options_inject_faults() -> None:
    with Cli(
        "--port",
        "0",
        "--quiet",
        "--clock",
        "manual",
        "--fault",
        "path=/info,error_rate=1,status=500,retry_after=3",
        "--fault",
        "method=POST,error_rate=1.0",
        "--fault",
        "path=/jobs/*,latency=0.2",
    ) as cli:
        url = cli.url()
        control = url.replace("/api/rest/v1", "/_emulator")
        answer = call("GET", url + "/info")
        assert (answer.status, answer.header("retry-after"), answer.json()["code"]) == (
            500,
            "3",
            "InjectedFault",
        )
        assert call("POST", url + "/system/backup/create", JSON_BODY, "{}").status == 503
        started = time.monotonic()
        assert call("GET", f"{url}/jobs/{JOB_ID}/").status == 404
        assert time.monotonic() - started >= 0.2
        faults = call("GET", control + "/faults").json()["faults"]
        assert [(f["path"], f["method"], f["errorRate"], f["latency"]) for f in faults] == [
            ("/info", None, 1.0, 0.0),
            ("*", "POST", 1.0, 0.0),
            ("/jobs/*", None, 0.0, 0.2),
        ]
        assert call("DELETE", control + "/faults").status == 204  # the control API is not faulted
        assert call("GET", url + "/info").status == 200


def test_cli_seed_repeats_the_embedded_servers_sequence() -> None:
    fault = "path=/info,error_rate=0.5"
    with Cli("--port", "0", "--quiet", "--seed", "99", "--fault", fault) as cli:
        from_cli = statuses(cli.url() + "/info", 20)
    with EmbeddedServer(seed=99, faults=[{"path": "/info", "error_rate": 0.5}]) as server:
        embedded = statuses(server.url + "/info", 20)
    assert from_cli == embedded
    assert set(from_cli) == {200, 503}


@pytest.mark.parametrize(
    "fault, complaint",
    [
        ("error_rate=2", "error_rate"),
        ("bogus=1", "bogus"),
        ("status=abc", "status"),
        ("latency", "KEY=VALUE"),
        ("status=200", "status"),
    ],
)
def test_cli_rejects_a_bad_fault_with_exit_2(fault: str, complaint: str) -> None:
    result = run_cli("--port", "0", "--fault", fault)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cli_rejects_an_infinite_latency() -> None:
    with Cli("--port", "0", "--quiet", "--fault", "latency=inf") as cli:
        try:
            first_line = cli.readline()
        except AssertionError:  # stdout closed: it exited
            first_line = None
        assert first_line is None, f"it started: {first_line}"
        assert cli.wait() == 2
