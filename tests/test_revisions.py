"""API revisions, the deprecated backup-job resource and its successor /jobs/{jobId}/ (from 6.0)."""

from __future__ import annotations

import json
import re
import uuid
import warnings
import xml.etree.ElementTree as ET

import pytest

from _support import ROOT, Answer, assert_error_body, call
from eclypse_emulator.generated.client import EclypseClient, EclypseError
from eclypse_emulator.generated.handler import CHOICES
from eclypse_emulator.runtime import EmbeddedServer

DURATION = 10  # seconds a job takes on these servers (manual clock)
DEPRECATION = re.compile(r"^@\d+$")  # RFC 9745: a Structured Field Date


@pytest.fixture(scope="module")
def servers():
    """One emulator per API revision, started on first use."""
    started: dict[str, EmbeddedServer] = {}
    yield lambda revision: started.get(revision) or started.setdefault(
        revision, EmbeddedServer(port=0, clock="manual", job_duration=DURATION, api_revision=revision).start()
    )
    for server in started.values():
        server.stop()


@pytest.fixture
def at(servers):
    """`at("8.0")`: the emulator serving that revision, without jobs."""

    def get(revision: str) -> EmbeddedServer:
        server = servers(revision)
        server.reset()
        return server

    return get


@pytest.fixture
def server(at):
    return at("8.0")


def backup_job(server: EmbeddedServer, job_id: str, suffix: str = "/") -> Answer:
    return call("GET", f"{server.url}/system/backup/jobs/{job_id}{suffix}")


def general_job(server: EmbeddedServer, job_id: str, suffix: str = "/") -> Answer:
    return call("GET", f"{server.url}/jobs/{job_id}{suffix}")


def cancel(server: EmbeddedServer, job_id: str) -> Answer:
    return call("POST", f"{server.url}/jobs/{job_id}/cancel")


def create_backup(server: EmbeddedServer) -> str:
    answer = call("POST", server.url + "/system/backup/create", {"Content-Type": "application/json"}, b"{}")
    assert answer.status == 200, answer.body
    return answer.json()["jobId"]


# --- The successor resource at 8.0 -----------------------------------------------------------------


def test_the_successor_shows_the_same_jobs_as_the_backup_resource(server):
    by_device_api, by_control = create_backup(server), server.create_job()
    for elapsed in (0, 3, 4, 5):  # progress 0, 30, 70, 100
        server.advance(elapsed)
        for job_id in (by_device_api, by_control):
            old, new = backup_job(server, job_id), general_job(server, job_id)
            assert old.status == new.status == 200
            assert new.json() == {
                "progress": old.json()["progress"],
                "type": CHOICES["backup_job_type"],
                "state": old.json()["status"],  # the emulator's State: the values of the backup job's Status
            }
    assert general_job(server, by_device_api).json()["progress"] == 100


def test_the_successor_speaks_xml_and_serves_its_properties(server):
    job_id = server.create_job()
    server.advance(DURATION * 0.4)
    root = ET.fromstring(general_job(server, job_id, "/?encode=xml").body)
    assert root.tag == "Job"
    assert {child.tag: child.text for child in root} == {
        "Progress": "40",
        "Type": CHOICES["backup_job_type"],
        "State": CHOICES["running_status"],
    }
    assert general_job(server, job_id, "/progress").json() == {"progress": 40}
    value = general_job(server, job_id, "/type/$value")
    assert value.body.decode() == CHOICES["backup_job_type"]
    assert value.header("content-type").startswith("text/plain")


def test_cancelling_freezes_the_job_in_both_resources(server):
    job_id = server.create_job()
    other = server.create_job()
    server.advance(DURATION * 0.3)
    answer = cancel(server, job_id)
    assert answer.status == 204
    assert answer.body == b""
    server.advance(DURATION * 5)
    assert general_job(server, job_id).json()["progress"] == 30
    assert backup_job(server, job_id).json() == {"progress": 30, "status": CHOICES["cancelled_status"]}
    assert backup_job(server, other).json() == {
        "progress": 100,
        "status": "OK",
    }, "only that job was cancelled"
    assert server.job(job_id)["running"] is False


def test_cancelling_twice_is_a_conflict(server):
    job_id = server.create_job()
    assert cancel(server, job_id).status == 204
    answer = cancel(server, job_id)
    assert answer.status == 409
    assert answer.json()["code"] == "Conflict"
    assert_error_body(answer)


@pytest.mark.parametrize("scenario", [{}, {"fail_at": 50}], ids=["finished", "failed"])
def test_a_job_that_ended_cannot_be_cancelled(server, scenario):
    job_id = server.create_job(**scenario)
    server.advance(DURATION)
    before = backup_job(server, job_id).json()
    assert cancel(server, job_id).status == 409
    assert backup_job(server, job_id).json() == before, "a refused cancel changes nothing"


def test_cancel_is_its_own_resource_not_a_property_of_the_job(server):
    job_id = create_backup(server)
    answer = general_job(server, job_id, "/cancel")
    assert answer.status == 405 and answer.header("Allow") == "POST"
    assert general_job(server, job_id, "/progress").status == 200


def test_cancelling_an_unknown_job_is_404(server):
    answer = cancel(server, str(uuid.uuid4()))
    assert answer.status == 404
    assert answer.json()["code"] == "JobNotFound"


def test_cancelling_something_that_is_no_job_id_is_400(server):
    answer = cancel(server, "not-a-uuid")
    assert answer.status == 400
    assert answer.json()["code"] == "InvalidJobId"


def test_the_client_cancels_and_reads_the_successor(server):
    job_id = server.create_job()
    server.advance(2)
    with EclypseClient(server.url) as client:
        client.cancel_job(job_id)
        server.advance(5)
        job = client.get_job(job_id)
        assert (job.progress, job.type) == (20, CHOICES["backup_job_type"])
        with pytest.raises(EclypseError) as raised:
            client.cancel_job(job_id)
    assert raised.value.status == 409


# --- Deprecation on the wire -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/", "", "/progress", "/status/$value", "/?encode=xml"])
def test_the_backup_resource_says_it_is_deprecated_and_links_its_successor(server, suffix):
    job_id = server.create_job()
    answer = backup_job(server, job_id, suffix)
    assert answer.status == 200
    assert DEPRECATION.match(answer.header("deprecation") or ""), answer.headers
    assert answer.headers.get("link") == [f'</api/rest/v1/jobs/{job_id}/>; rel="successor-version"']
    successor = re.match(r"<([^>]+)>", answer.header("link"))[1]
    assert call("GET", server.origin + successor).json()["type"] == CHOICES["backup_job_type"]


def test_the_deprecation_date_is_the_spec_choice(server):
    answer = backup_job(server, server.create_job())
    assert answer.header("deprecation") == f"@{CHOICES['deprecation_date']}"


def test_an_unknown_backup_job_is_also_marked_deprecated(server):
    answer = backup_job(server, str(uuid.uuid4()))
    assert answer.status == 404
    assert DEPRECATION.match(answer.header("deprecation") or "")


def test_the_successor_and_the_other_resources_are_not_deprecated(server):
    job_id = server.create_job()
    for answer in (general_job(server, job_id), call("GET", server.url + "/info"), cancel(server, job_id)):
        assert "deprecation" not in answer.headers and "link" not in answer.headers


# --- Other revisions -------------------------------------------------------------------------------


@pytest.mark.parametrize("revision", ["4.0", "5.0", "5.9"])
def test_before_6_0_the_backup_resource_is_deprecated_without_successor(at, revision):
    server = at(revision)
    job_id = create_backup(server)
    answer = backup_job(server, job_id)
    assert answer.status == 200
    assert DEPRECATION.match(answer.header("deprecation") or "")
    assert "link" not in answer.headers, "no Link to a successor that does not exist at this revision"
    for response in (
        general_job(server, job_id),
        general_job(server, job_id, "/progress"),
        cancel(server, job_id),
    ):
        assert response.status == 404
        assert response.json()["code"] == "NotFound"
    assert (
        backup_job(server, job_id).json()["status"] == CHOICES["running_status"]
    ), "the 404 cancelled nothing"


def test_at_6_0_the_successor_exists(at):
    server = at("6.0")
    job_id = server.create_job()
    assert general_job(server, job_id).status == 200
    assert (
        backup_job(server, job_id).header("link") == f'</api/rest/v1/jobs/{job_id}/>; rel="successor-version"'
    )


@pytest.mark.parametrize("revision", ["3.0", "3.9", "1.0"])
def test_before_4_0_the_backup_resources_do_not_exist(at, revision):
    server = at(revision)
    job_id = server.create_job()
    create = call("POST", server.url + "/system/backup/create", {"Content-Type": "application/json"}, b"{}")
    for answer in (
        create,
        backup_job(server, job_id),
        backup_job(server, job_id, "/progress/$value"),
        general_job(server, job_id),
    ):
        assert answer.status == 404
        assert answer.json()["code"] == "NotFound"
        assert "deprecation" not in answer.headers
    assert len(server.jobs()) == 1, "the refused POST created no job"
    info = call("GET", server.url + "/info")
    assert info.status == 200 and info.json()["apiRevision"] == revision


# --- The client and the spec -----------------------------------------------------------------------


def test_the_client_warns_on_the_deprecated_resource(server):
    job_id = server.create_job()
    with EclypseClient(server.url) as client:
        with pytest.warns(DeprecationWarning, match=r"^get_backup_job uses .*; use get_job$"):
            assert client.get_backup_job(job_id).status == CHOICES["running_status"]
        # Each method names itself, and the successor's method of the same kind.
        with pytest.warns(
            DeprecationWarning, match=r"^get_backup_job_property uses .*; use get_job_property$"
        ):
            client.get_backup_job_property(job_id, "progress")
        with pytest.warns(
            DeprecationWarning, match=r"^get_backup_job_property_value uses .*; use get_job_property_value$"
        ):
            client.get_backup_job_property_value(job_id, "status")
        with pytest.warns(DeprecationWarning, match=r"^wait_for_backup_job uses .*; use wait_for_job$"):
            client.wait_for_backup_job(job_id, sleep=server.advance)


def test_the_successor_is_not_poorer_it_tells_ok_from_failed(server):
    """get_job's State (the emulator's choice) has the values of the backup job's Status."""
    ok, failed = server.create_job(duration=10), server.create_job(duration=10, status="FAILED", fail_at=50)
    cancelled = server.create_job(duration=10)
    with EclypseClient(server.url) as client, warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert client.get_job(ok).state == CHOICES["running_status"]
        client.cancel_job(cancelled)
        server.advance(5)
        assert client.get_job_property(failed, "state") == CHOICES["failure_status"]
        assert client.get_job_property_value(failed, "State") == CHOICES["failure_status"]
        # wait_for_job stops on a failed or cancelled job, without waiting for 100 %.
        assert client.wait_for_job(failed, timeout=0).state == CHOICES["failure_status"]
        assert client.wait_for_job(cancelled, timeout=0).state == CHOICES["cancelled_status"]
        with pytest.raises(TimeoutError):
            client.wait_for_job(ok, timeout=0)
        assert client.wait_for_job(ok, sleep=server.advance).state == "OK"


def test_the_client_does_not_warn_on_the_successor(server):
    job_id = server.create_job()
    with EclypseClient(server.url) as client, warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert client.get_job(job_id).type == CHOICES["backup_job_type"]
        assert client.get_job_property(job_id, "progress") == 0
        client.get_info()
        client.create_backup()
        client.cancel_job(job_id)


def test_the_deprecation_warning_points_at_the_callers_line(server):
    job_id = server.create_job()
    with EclypseClient(server.url) as client, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.get_backup_job(job_id)
    [warning] = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert warning.filename == __file__


def test_waiting_on_the_deprecated_resource_warns_too(server):
    job_id = server.create_job(duration=0)
    with EclypseClient(server.url) as client:
        with pytest.warns(DeprecationWarning):
            client.wait_for_backup_job(job_id, timeout=0)


def openapi_operations() -> dict[str, dict]:
    document = json.loads((ROOT / "generated" / "openapi.json").read_text(encoding="utf-8"))
    return {
        op["operationId"]: op
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }


def test_openapi_marks_the_backup_resource_deprecated():
    operations = openapi_operations()
    deprecated = {name for name, op in operations.items() if op.get("deprecated") is True}
    assert "get_backup_job" in deprecated
    assert {"get_job", "cancel_job", "create_backup", "get_info"}.isdisjoint(deprecated)
    assert deprecated == {name for name in operations if name.startswith("get_backup_job")}


def test_the_served_openapi_marks_it_too(server):
    document = call("GET", server.control_url + "/openapi.json").json()
    operation = document["paths"]["/system/backup/jobs/{JobId}/"]["get"]
    assert operation["deprecated"] is True
