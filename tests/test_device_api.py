"""The device API over real HTTP, against the embedded emulator (manual clock, 10-second jobs)."""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
import xml.etree.ElementTree as ET
from http.client import HTTPConnection, HTTPResponse
from urllib.parse import quote, urlsplit

import pytest

from eclypse_emulator.generated.handler import CHOICES
from eclypse_emulator.runtime import EmbeddedServer

CREATE = "/system/backup/create"
JOBS = "/system/backup/jobs/"
JSON_BODY = {"Content-Type": "application/json"}
ACCEPT_XML = {"Accept": "application/xml"}
RUNNING = CHOICES["running_status"]
# A well-formed job id that no job has (the vendor's example id).
UNKNOWN_JOB = "c83b7cd2-e5df-4dcc-9e9e-301927c76a30"
PROLOG = b'<?xml version="1.0" encoding="utf-8"?>'
# The seed's examples, verbatim (../shared/seeds/000_6ccc24178df7d9fa.txt).
# Compact, as the device writes JSON on the wire (DEVICE-FACTS.md).
SEED_JSON = b'{"progress":100,"status":"OK"}'
SEED_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<Job>
<Status>OK</Status>
<Progress>100</Progress>
</Job>"""
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


# Helpers


def media_type(headers: dict[str, str]) -> str:
    return headers["content-type"].split(";")[0].strip().lower()


def xml_tree(body: bytes) -> tuple:
    """An XML document as nested (tag, attributes, text, children) tuples, children in order."""

    def shape(element: ET.Element) -> tuple:
        return element.tag, element.attrib, (element.text or "").strip(), [shape(c) for c in element]

    return shape(ET.fromstring(body))


def flat_xml(root: str, *elements: tuple[str, str]) -> tuple:
    """The tree of a `root` element with these (element, text) children, in this order."""
    return root, {}, "", [(tag, {}, text, []) for tag, text in elements]


def decode(headers: dict[str, str], body: bytes) -> tuple[str, object]:
    """("json", document) or ("xml", tree), by the answer's Content-Type."""
    kind = media_type(headers)
    if kind == "application/json":
        return "json", json.loads(body)
    assert kind in ("application/xml", "text/xml"), kind
    assert body.startswith(PROLOG)
    return "xml", xml_tree(body)


def assert_error(answer: tuple[int, dict, bytes], status: int, code: str, encoding: str = "json") -> str:
    """The answer is the spec's error `code` with `status`, in `encoding`; returns its message."""
    got_status, headers, body = answer
    assert got_status == status, body
    kind, document = decode(headers, body)
    assert kind == encoding
    if kind == "json":
        assert list(document) == ["code", "message"]
        got_code, message = document["code"], document["message"]
    else:
        tag, _, _, children = document
        assert tag == "Error" and [child[0] for child in children] == ["Code", "Message"]
        got_code, message = children[0][2], children[1][2]
    assert got_code == code
    assert isinstance(message, str) and message.strip()
    assert "Traceback" not in message
    return message


def raw_exchange(server: EmbeddedServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes on a new connection and read the one answer."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(data)
        response = HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def connect(url: str) -> tuple[HTTPConnection, str]:
    """A keep-alive connection to the server of `url`, and the path of `url`."""
    parts = urlsplit(url)
    return HTTPConnection(parts.hostname, parts.port, timeout=10), parts.path


def assert_serving(http, base: str) -> None:
    status, _, body = http("GET", base + "/info")
    assert (status, json.loads(body)["apiRevision"]) == (200, "8.0")


@pytest.fixture
def job(base: str, http) -> str:
    """The URL of a backup job just created over HTTP (progress 0)."""
    status, _, body = http("POST", base + CREATE, JSON_BODY, '{"dataTypes": ["TIMEZONE"]}')
    assert status == 200
    return base + JOBS + json.loads(body)["jobId"]


@pytest.fixture
def done_job(job: str, server: EmbeddedServer, job_duration: int) -> str:
    """The URL of a backup job that has finished successfully."""
    server.advance(job_duration)
    return job


@pytest.fixture(scope="module")
def old_device():
    """A device serving API revision 3.0, older than the backup resources (4.0)."""
    with EmbeddedServer(port=0, api_revision="3.0") as server:
        yield server


# Creating a backup and following its job


def test_create_answers_a_new_uuid4_job_id(base, http):
    ids = []
    for _ in range(2):
        status, headers, body = http(
            "POST", base + CREATE, JSON_BODY, '{"dataTypes": ["TIMEZONE", "WEATHER"]}'
        )
        assert (status, media_type(headers)) == (200, "application/json")
        document = json.loads(body)
        assert list(document) == ["jobId"]
        assert str(uuid.UUID(document["jobId"], version=4)) == document["jobId"]
        ids.append(document["jobId"])
    assert ids[0] != ids[1]


def test_create_accepts_an_empty_backup(base, http):
    status, _, body = http("POST", base + CREATE, {"Content-Type": "application/json; charset=utf-8"}, "{}")
    assert status == 200 and "jobId" in json.loads(body)


def test_progress_rises_with_the_manual_clock_then_status_ok(job, server, http, job_duration):
    assert RUNNING != "OK"
    seen = []
    for _ in range(job_duration + 1):
        status, _, body = http("GET", job)
        assert status == 200
        seen.append(json.loads(body))
        server.advance(1)
    assert seen == [{"progress": 10 * s, "status": RUNNING} for s in range(job_duration)] + [
        {"progress": 100, "status": "OK"}
    ]
    server.advance(100)
    assert http("GET", job)[2] == SEED_JSON  # a finished job stays finished


def test_finished_job_json_is_the_seed_example_byte_for_byte(done_job, http):
    status, headers, body = http("GET", done_job)
    assert (status, media_type(headers), body) == (200, "application/json", SEED_JSON)


def test_finished_job_xml_matches_the_seed_example(done_job, http):
    status, headers, body = http("GET", done_job + "?encode=xml")
    assert (status, media_type(headers)) == (200, "application/xml")
    assert body.startswith(PROLOG)
    assert xml_tree(body) == xml_tree(SEED_XML) == flat_xml("Job", ("Status", "OK"), ("Progress", "100"))


def test_running_job_xml_keeps_status_before_progress(job, server, http):
    server.advance(3)
    assert xml_tree(http("GET", job, ACCEPT_XML)[2]) == flat_xml(
        "Job", ("Status", RUNNING), ("Progress", "30")
    )


def test_a_status_with_markup_characters_is_escaped_in_xml(server, base, http):
    status = 'USB <KEY> & "ÉCHEC" ]]>'  # a failure status a scenario may choose
    job_url = base + JOBS + server.create_job(duration=1, status=status)
    server.advance(1)
    assert json.loads(http("GET", job_url)[2]) == {"progress": 100, "status": status}
    assert xml_tree(http("GET", job_url + "?encode=xml")[2]) == flat_xml(
        "Job", ("Status", status), ("Progress", "100")
    )
    assert http("GET", job_url + "/status/$value")[2] == status.encode()


@pytest.mark.parametrize("suffix", ["", "/"])
def test_job_url_with_or_without_trailing_slash(done_job, http, suffix):
    status, _, body = http("GET", done_job + suffix)
    assert (status, body) == (200, SEED_JSON)


# Property URLs and $value


@pytest.mark.parametrize(
    "segment, key, element, value",
    [
        ("progress", "progress", "Progress", 100),
        ("Progress", "progress", "Progress", 100),
        ("PROGRESS", "progress", "Progress", 100),
        ("status", "status", "Status", "OK"),
        ("sTaTuS", "status", "Status", "OK"),
    ],
)
def test_property_url_is_the_object_with_that_property_only(done_job, http, segment, key, element, value):
    status, headers, body = http("GET", f"{done_job}/{segment}")
    assert (status, media_type(headers), json.loads(body)) == (200, "application/json", {key: value})
    status, headers, body = http("GET", f"{done_job}/{segment}/", ACCEPT_XML)
    assert (status, media_type(headers)) == (200, "application/xml")
    assert body.startswith(PROLOG)
    assert xml_tree(body) == flat_xml("Job", (element, str(value)))


@pytest.mark.parametrize(
    "segment, seconds, raw",
    [("progress", 10, b"100"), ("Status", 10, b"OK"), ("STATUS", 4, RUNNING.encode())],
)
def test_value_segment_answers_the_raw_value_as_text(job, server, http, segment, seconds, raw):
    server.advance(seconds)
    for headers in (None, ACCEPT_XML):
        status, answer_headers, body = http("GET", f"{job}/{segment}/$value", headers)
        assert status == 200
        assert answer_headers["content-type"].replace(" ", "").lower() == "text/plain;charset=utf-8"
        assert body == raw


def test_value_segment_may_be_percent_encoded(done_job, http):
    assert http("GET", done_job + "/progress/%24value")[2] == b"100"


# $select


@pytest.mark.parametrize(
    "select, expected",
    [
        ("progress", {"progress": 100}),
        ("STATUS", {"status": "OK"}),
        ("Progress", {"progress": 100}),
        ("status,progress", {"progress": 100, "status": "OK"}),
        (" status , progress ", {"progress": 100, "status": "OK"}),
        ("progress,", {"progress": 100}),
        ("*", {"progress": 100, "status": "OK"}),
        ("", {"progress": 100, "status": "OK"}),
    ],
)
def test_select(done_job, http, select, expected):
    status, _, body = http("GET", f"{done_job}?$select={quote(select, safe=',*')}")
    assert status == 200
    assert list(json.loads(body).items()) == list(expected.items())  # JSON order, not the $select order


def test_select_in_xml_keeps_the_xml_order(done_job, http):
    body = http("GET", f"{done_job}?$select=progress,status&encode=xml")[2]
    assert xml_tree(body) == xml_tree(SEED_XML)
    body = http("GET", f"{done_job}?$select=progress&encode=xml")[2]
    assert xml_tree(body) == flat_xml("Job", ("Progress", "100"))


@pytest.mark.parametrize("select", ["size", "progress,size", "progress;status"])
@pytest.mark.parametrize("encoding", ["json", "xml"])
def test_select_of_an_unknown_name_is_400(done_job, http, select, encoding):
    headers = ACCEPT_XML if encoding == "xml" else None
    answer = http("GET", f"{done_job}?$select={quote(select, safe=',')}", headers)
    assert_error(answer, 400, "InvalidSelect", encoding)


# Encoding: the encode option, then Accept


@pytest.mark.parametrize(
    "encode, accept, expected",
    [
        ("json", None, "json"),
        ("xml", None, "xml"),
        ("json", "application/xml", "json"),
        ("xml", "application/json", "xml"),
        ("xml", "image/png", "xml"),
    ],
)
def test_encode_option_wins_over_accept(done_job, http, encode, accept, expected):
    status, headers, body = http("GET", f"{done_job}?encode={encode}", {"Accept": accept} if accept else None)
    assert status == 200
    assert decode(headers, body)[0] == expected


@pytest.mark.parametrize("encoding", ["json", "xml"])
def test_invalid_encode_is_400(done_job, http, encoding):
    answer = http("GET", done_job + "?encode=yaml", ACCEPT_XML if encoding == "xml" else None)
    assert_error(answer, 400, "InvalidQueryOption", encoding)


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "json"),
        ("", "json"),
        ("application/json", "json"),
        ("application/xml", "xml"),
        ("text/xml", "xml"),
        ("APPLICATION/XML", "xml"),
        ("*/*", "json"),
        ("application/*", "json"),
        ("application/xml, application/json", "json"),
        ("application/xml;q=0.9, application/json;q=0.9", "json"),
        ("application/json;q=0.5, application/xml;q=0.6", "xml"),
        ("application/json;q=0, */*", "xml"),
        ("text/*", "xml"),
        ("image/png, */*;q=0.1", "json"),
        (BROWSER_ACCEPT, "xml"),
    ],
)
def test_accept_negotiation(done_job, http, accept, expected):
    status, headers, body = http("GET", done_job, {"Accept": accept} if accept is not None else None)
    assert status == 200
    kind, document = decode(headers, body)
    assert kind == expected
    assert document == ({"progress": 100, "status": "OK"} if kind == "json" else xml_tree(SEED_XML))


@pytest.mark.parametrize(
    "accept",
    ["image/png", "text/html, text/plain", "application/json;q=0, application/xml;q=0, text/xml;q=0"],
)
def test_nothing_acceptable_is_406_in_json(done_job, http, accept):
    assert_error(http("GET", done_job, {"Accept": accept}), 406, "NotAcceptable", "json")


def test_a_refused_media_type_is_never_answered(done_job, http):
    status, headers, _ = http("GET", done_job, {"Accept": "application/json;q=0, application/xml;q=0, */*"})
    assert status == 406 or media_type(headers) == "text/xml"


# Errors: stable codes, in the negotiated encoding


JOB_URL = "{base}" + JOBS
CREATE_URL = "{base}" + CREATE
TEXT_BODY = {"Content-Type": "text/plain"}
ERROR_CASES = {  # name: (method, URL, headers, body, status, code)
    "unknown job": ("GET", JOB_URL + UNKNOWN_JOB, None, None, 404, "JobNotFound"),
    "unknown job, property": ("GET", JOB_URL + UNKNOWN_JOB + "/progress", None, None, 404, "JobNotFound"),
    "malformed job id": ("GET", JOB_URL + "not-a-job-id", None, None, 400, "InvalidJobId"),
    "job id too short": ("GET", JOB_URL + UNKNOWN_JOB[:-1], None, None, 400, "InvalidJobId"),
    "unknown path": ("GET", "{base}/no/such/resource", None, None, 404, "NotFound"),
    "outside the base path": ("GET", "{origin}/index.html", None, None, 404, "NotFound"),
    "job list": ("GET", JOB_URL, None, None, 404, "NotFound"),
    "unknown property": ("GET", "{job}/size", None, None, 404, "PropertyNotFound"),
    "value of unknown property": ("GET", "{job}/size/$value", None, None, 404, "PropertyNotFound"),
    "wrong method": ("DELETE", "{job}", None, None, 405, "MethodNotAllowed"),
    "no content type": ("POST", CREATE_URL, None, "{}", 415, "UnsupportedMediaType"),
    "wrong content type": ("POST", CREATE_URL, TEXT_BODY, "{}", 415, "UnsupportedMediaType"),
    "malformed json": ("POST", CREATE_URL, JSON_BODY, '{"dataTypes": [', 400, "InvalidBody"),
    "empty body": ("POST", CREATE_URL, JSON_BODY, "", 400, "InvalidBody"),
    "not utf-8": ("POST", CREATE_URL, JSON_BODY, b'{"dataTypes": ["\xff"]}', 400, "InvalidBody"),
    "string for an array": ("POST", CREATE_URL, JSON_BODY, '{"dataTypes": "x"}', 400, "InvalidBody"),
    "array for an object": ("POST", CREATE_URL, JSON_BODY, "[1]", 400, "InvalidBody"),
    "array of numbers": ("POST", CREATE_URL, JSON_BODY, '{"dataTypes": [1]}', 400, "InvalidBody"),
    "unknown body property": ("POST", CREATE_URL, JSON_BODY, '{"size": 1}', 400, "InvalidBody"),
}


@pytest.mark.parametrize("encoding", ["json", "xml"])
@pytest.mark.parametrize("case", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_errors_have_a_stable_code_and_a_message_in_the_negotiated_encoding(
    server, job, http, case, encoding
):
    method, url, headers, body, status, code = case
    url = url.format(base=server.url, origin=server.origin, job=job)
    headers = {**(headers or {}), **(ACCEPT_XML if encoding == "xml" else {})}
    assert_error(http(method, url, headers, body), status, code, encoding)


def test_error_message_names_the_unknown_job(base, http):
    message = assert_error(http("GET", base + JOBS + UNKNOWN_JOB), 404, "JobNotFound")
    assert UNKNOWN_JOB in message


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH", "POST", "FROB"])
def test_wrong_method_on_the_job_is_405_with_allow(job, http, method):
    answer = http(method, job, JSON_BODY, "{}")
    assert_error(answer, 405, "MethodNotAllowed")
    assert {m.strip() for m in answer[1]["allow"].split(",")} >= {"GET"}
    assert method not in answer[1]["allow"]


@pytest.mark.parametrize("method", ["GET", "DELETE", "FROB"])
def test_wrong_method_on_create_is_405_allowing_post(base, http, method):
    answer = http(method, base + CREATE)
    assert_error(answer, 405, "MethodNotAllowed")
    assert [m.strip() for m in answer[1]["allow"].split(",")] == ["POST"]


def test_unknown_method_is_405_in_xml_when_asked(job, http):
    assert_error(http("FROB", job, ACCEPT_XML), 405, "MethodNotAllowed", "xml")


# /info and API revisions


def test_info_shows_the_api_revision(base, http):
    status, headers, body = http("GET", base + "/info")
    assert (status, media_type(headers)) == (200, "application/json")
    assert json.loads(body)["apiRevision"] == "8.0"
    assert xml_tree(http("GET", base + "/info?encode=xml")[2])[3][0] == ("ApiRevision", {}, "8.0", [])
    assert json.loads(http("GET", base + "/info/")[2])["apiRevision"] == "8.0"


@pytest.mark.parametrize("segment", ["apirevision", "apiRevision", "APIREVISION"])
def test_info_api_revision_value(base, http, segment):
    status, headers, body = http("GET", f"{base}/info/{segment}/$value")
    assert (status, media_type(headers), body) == (200, "text/plain", b"8.0")
    assert json.loads(http("GET", f"{base}/info/{segment}")[2]) == {"apiRevision": "8.0"}


def test_older_revision_hides_the_backup_resources_but_keeps_info(old_device, http):
    base = old_device.url
    assert_error(http("POST", base + CREATE, JSON_BODY, "{}"), 404, "NotFound")
    job_id = old_device.create_job()  # even a job that exists is out of reach
    for suffix in ("", "/", "/progress", "/progress/$value"):
        assert_error(http("GET", base + JOBS + job_id + suffix), 404, "NotFound")
    assert json.loads(http("GET", base + "/info")[2])["apiRevision"] == "3.0"
    assert http("GET", base + "/info/apirevision/$value")[2] == b"3.0"


# Headers: Deprecation, HEAD, keep-alive


@pytest.mark.parametrize("suffix", ["", "/", "/progress", "/status/$value"])
def test_backup_job_resource_says_it_is_deprecated(done_job, http, suffix):
    headers = http("GET", done_job + suffix)[1]
    assert re.fullmatch(r"@\d+", headers["deprecation"])  # RFC 9745: an IMF-fixdate is not allowed


def test_current_resources_are_not_deprecated(base, http):
    assert "deprecation" not in http("GET", base + "/info")[1]
    assert "deprecation" not in http("POST", base + CREATE, JSON_BODY, "{}")[1]


@pytest.mark.parametrize("suffix", ["", "/progress", "/status/$value", "?encode=xml"])
def test_head_answers_the_headers_of_get_without_a_body(done_job, suffix):
    connection, path = connect(done_job)
    target = path + suffix
    connection.request("GET", target)
    get = connection.getresponse()
    get_body = get.read()
    connection.request("HEAD", target)
    head = connection.getresponse()
    assert head.status == 200 and head.read() == b""
    assert head.getheader("Content-Length") == str(len(get_body))
    assert head.getheader("Content-Type") == get.getheader("Content-Type")
    # Had HEAD sent a body, this answer on the same connection would be garbled.
    connection.request("GET", target)
    assert connection.getresponse().read() == get_body
    connection.close()


def test_head_of_an_unknown_job_is_404_without_a_body(base, http):
    status, headers, body = http("HEAD", base + JOBS + UNKNOWN_JOB)
    assert (status, body) == (404, b"")
    assert int(headers["content-length"]) > 0


def test_keep_alive_serves_many_requests_on_one_connection(base):
    connection, path = connect(base)

    def exchange(method: str, target: str, body: str | None = None, headers: dict | None = None):
        connection.request(method, path + target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Connection"), response.read()

    status, _, body = exchange("POST", CREATE, '{"dataTypes": []}', JSON_BODY)
    assert status == 200
    sock = connection.sock
    job = JOBS + json.loads(body)["jobId"]
    answers = [
        exchange("GET", job),
        exchange("GET", JOBS + UNKNOWN_JOB),
        exchange("POST", CREATE, "{oops", JSON_BODY),
        exchange("DELETE", job),
        exchange("HEAD", job),
        exchange("GET", job + "/progress/$value"),
        exchange("GET", "/info"),
    ]
    assert [status for status, _, _ in answers] == [200, 404, 400, 405, 200, 200, 200]
    assert all(header is None or header.lower() != "close" for _, header, _ in answers)
    assert connection.sock is sock  # never reconnected
    connection.close()


# Malformed requests: always JSON, never http.server's HTML, and the server keeps serving


MALFORMED = {  # name: (bytes sent, status, code)
    "garbage": (b"garbage\r\n\r\n", 400, "BadRequest"),
    "no target": (b"GET\r\n\r\n", 400, "BadRequest"),
    "extra word": (b"GET /api/rest/v1/info HTTP/1.1 extra\r\n\r\n", 400, "BadRequest"),
    "bad version": (b"GET /api/rest/v1/info HTTP/x.y\r\n\r\n", 400, "BadRequest"),
    # The first 65537 bytes of a longer request line: refused before the line even ends.
    "request line too long": (b"GET /" + b"a" * (65537 - 5), 414, "UriTooLong"),
    "101 headers": (
        b"GET /api/rest/v1/info HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\n",
        431,
        "HeadersTooLarge",
    ),
    "bad length": (
        b"POST /api/rest/v1/system/backup/create HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        400,
        "BadRequest",
    ),
}


@pytest.mark.parametrize("data, status, code", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_requests_get_a_json_error(server, base, http, data, status, code):
    answer = raw_exchange(server, data)
    assert b"<html" not in answer[2].lower()
    assert_error(answer, status, code)
    assert_serving(http, base)


def test_http_2_request_line_is_a_4xx_not_505(server, base, http):
    status, headers, body = raw_exchange(server, b"GET /api/rest/v1/info HTTP/2.0\r\n\r\n")
    assert 400 <= status < 500
    assert media_type(headers) == "application/json" and "code" in json.loads(body)
    assert_serving(http, base)


def test_absolute_form_request_target(server):
    status, _, body = raw_exchange(
        server, f"GET {server.url}/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    assert (status, json.loads(body)["apiRevision"]) == (200, "8.0")


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET /api/rest/v1/in",
        b"GET /api/rest/v1/info HTTP/1.1\r\nHost: x\r\n",
        b"POST /api/rest/v1/system/backup/create HTTP/1.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"dataT',
        b"GET /api/rest/v1/info HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    ids=["nothing", "mid request line", "mid headers", "mid body", "before the answer"],
)
def test_a_client_hanging_up_leaves_no_traceback(server, base, http, capfd, sent):
    before = set(threading.enumerate())
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(sent)
    assert_serving(http, base)  # connections are accepted in order: the one that hung up is in hand
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert capfd.readouterr().err == ""
    assert_serving(http, base)
