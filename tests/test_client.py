"""The generated standard-library client against the embedded emulator."""

from __future__ import annotations

import dataclasses
import http.client
import json
import uuid

import pytest

from eclypse_emulator.generated.client import EclypseClient, EclypseError
from eclypse_emulator.generated.handler import CHOICES
from eclypse_emulator.generated.models import BackupCreate, Info, Job

RUNNING = CHOICES["running_status"]
FAILED = CHOICES["failure_status"]
UNKNOWN_JOB = "c83b7cd2-e5df-4dcc-9e9e-301927c76a30"

# The backup-job resource is deprecated: every call to it warns. One test checks the warning itself.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def client(server):
    with EclypseClient(server.url) as client:
        yield client


@pytest.fixture
def job_id(client) -> str:
    return client.create_backup(["TIMEZONE"]).job_id


def wait(client, server, job_id, **options) -> tuple[Job, list[Job]]:
    """Wait for the job with a sleep that advances the manual clock; answers the end and every poll."""
    polls: list[Job] = []
    end = client.wait_for_backup_job(
        job_id, interval=1, sleep=server.advance, on_progress=polls.append, **options
    )
    return end, polls


def test_create_backup_returns_the_new_job_id(client, server):
    created = client.create_backup(["TIMEZONE", "WEATHER"])
    assert isinstance(created, BackupCreate)
    assert str(uuid.UUID(created.job_id, version=4)) == created.job_id
    assert server.job(created.job_id)["dataTypes"] == ["TIMEZONE", "WEATHER"]
    assert client.create_backup().job_id not in (None, created.job_id)


def test_get_backup_job_returns_a_job_and_warns_that_it_is_deprecated(client, server, job_id, job_duration):
    with pytest.warns(DeprecationWarning) as warnings:
        job = client.get_backup_job(job_id)
    assert warnings[0].filename == __file__  # the warning points at the caller's line
    assert dataclasses.is_dataclass(job) and isinstance(job, Job)
    assert job == Job(progress=0, status=RUNNING)
    server.advance(job_duration)
    assert client.get_backup_job(job_id) == Job(progress=100, status="OK")


@pytest.mark.parametrize(
    "select, expected",
    [
        (["status"], Job(progress=None, status=RUNNING)),
        (["PROGRESS"], Job(progress=30, status=None)),
        (["progress", "status"], Job(progress=30, status=RUNNING)),
        (["*"], Job(progress=30, status=RUNNING)),
    ],
)
def test_get_backup_job_with_select(client, server, job_id, select, expected):
    server.advance(3)
    assert client.get_backup_job(job_id, select=select) == expected


@pytest.mark.parametrize(
    "name, value, raw", [("progress", 100, "100"), ("Status", "OK", "OK"), ("STATUS", "OK", "OK")]
)
def test_one_property_and_its_raw_value(client, server, job_id, job_duration, name, value, raw):
    server.advance(job_duration)
    assert client.get_backup_job_property(job_id, name) == value
    assert client.get_backup_job_property_value(job_id, name) == raw


def test_get_info(client):
    assert client.get_info().api_revision == "8.0"
    assert client.get_info_property("apirevision") == "8.0"
    assert client.get_info_property_value("apiRevision") == "8.0"


ERRORS = {
    "unknown job": (lambda c, j: c.get_backup_job(UNKNOWN_JOB), 404, "JobNotFound"),
    "malformed job id": (lambda c, j: c.get_backup_job("not-a-job-id"), 400, "InvalidJobId"),
    "unknown select": (lambda c, j: c.get_backup_job(j, select=["size"]), 400, "InvalidSelect"),
    "unknown property": (lambda c, j: c.get_backup_job_property(j, "size"), 404, "PropertyNotFound"),
    "value of unknown job": (
        lambda c, j: c.get_backup_job_property_value(UNKNOWN_JOB, "progress"),
        404,
        "JobNotFound",
    ),
    "wait for unknown job": (lambda c, j: c.wait_for_backup_job(UNKNOWN_JOB), 404, "JobNotFound"),
}


@pytest.mark.parametrize("call, status, code", ERRORS.values(), ids=ERRORS.keys())
def test_errors_raise_eclypse_error_with_status_code_message_and_body(client, job_id, call, status, code):
    with pytest.raises(EclypseError) as caught:
        call(client, job_id)
    error = caught.value
    assert (error.status, error.code) == (status, code)
    assert error.message and isinstance(error.message, str)
    assert json.loads(error.body) == {"code": code, "message": error.message}
    assert str(status) in str(error)


def test_wait_reports_rising_progress_and_ends_ok(client, server, job_id, job_duration):
    end, polls = wait(client, server, job_id)
    assert end == Job(progress=100, status="OK")
    assert [job.progress for job in polls] == [10 * s for s in range(job_duration + 1)]
    assert [job.status for job in polls] == [RUNNING] * job_duration + ["OK"]


@pytest.mark.parametrize(
    "scenario, expected",
    [
        ({"duration": 10, "fail_at": 40}, Job(progress=40, status=FAILED)),
        ({"duration": 10, "status": FAILED}, Job(progress=100, status=FAILED)),
        (
            {"duration": 4, "fail_at": 50, "status": "USB_KEY_ABSENT"},
            Job(progress=50, status="USB_KEY_ABSENT"),
        ),
    ],
)
def test_wait_ends_with_the_failure_status(client, server, scenario, expected):
    end, polls = wait(client, server, server.create_job(**scenario))
    assert end == polls[-1] == expected
    assert all(job.status == RUNNING for job in polls[:-1])


def test_wait_for_a_job_that_never_finishes_times_out(client, server):
    job_id = server.create_job(duration=10, never_finish=True)
    with pytest.raises(TimeoutError):
        wait(client, server, job_id, timeout=30)
    assert server.job(job_id)["progress"] == 99


def test_client_keeps_one_keep_alive_connection(server, job_duration, monkeypatch):
    connects = []
    real_connect = http.client.HTTPConnection.connect

    def counting_connect(connection: http.client.HTTPConnection) -> None:
        connects.append(connection)
        real_connect(connection)

    monkeypatch.setattr(http.client.HTTPConnection, "connect", counting_connect)
    with EclypseClient(server.url) as client:
        job_id = client.create_backup().job_id
        for _ in range(30):
            assert client.get_backup_job(job_id).status == RUNNING
            assert client.get_info().api_revision == "8.0"
        with pytest.raises(EclypseError):
            client.get_backup_job(UNKNOWN_JOB)  # an error answer keeps the connection too
        server.advance(job_duration)
        assert client.get_backup_job_property_value(job_id, "progress") == "100"
    assert len(connects) == 1
