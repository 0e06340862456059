"""A corpus of malformed and hostile requests, sent over raw sockets.

Every one gets a 4xx (or, where stated, a harmless 2xx, or the 501 of an unknown transfer coding) or a
closed connection: never another 5xx, never an
HTML page, never a traceback on stderr; and the server answers a normal request right after.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest

from _support import RawAnswer, _parse_head, parse_body, raw_exchange
from eclypse_emulator.runtime import EmbeddedServer

CREATE = "/api/rest/v1/system/backup/create"
INFO = "/api/rest/v1/info"
MAX_BODY = 64 * 1024
ANY_4XX = frozenset(range(400, 500))
CLOSED = None  # the server hung up without answering


def case(name: str, data: bytes, *expected: int | None | frozenset) -> pytest.param:
    """One request of the corpus and the statuses (or CLOSED) that are right for it."""
    statuses: set[int | None] = set()
    for item in expected:
        statuses |= item if isinstance(item, frozenset) else {item}
    return pytest.param(data, frozenset(statuses), id=name)


def get(
    target: bytes | str, *headers: bytes | str, version: bytes = b"HTTP/1.1", method: bytes = b"GET"
) -> bytes:
    """A request with the given target and header lines, nothing else."""
    as_bytes = [h.encode("latin-1") if isinstance(h, str) else h for h in (b"Host: localhost", *headers)]
    target = target.encode("latin-1") if isinstance(target, str) else target
    return b"%s %s %s\r\n%s\r\n\r\n" % (method, target, version, b"\r\n".join(as_bytes))


def post(
    body: bytes, *headers: str, target: str = CREATE, content_type: str | None = "application/json"
) -> bytes:
    """A POST with a Content-Length body (unless `headers` frame it otherwise)."""
    lines = ["Host: localhost"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    lines.extend(headers)
    return f"POST {target} HTTP/1.1\r\n".encode() + "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def chunked(raw_chunks: bytes) -> bytes:
    return post(raw_chunks, "Transfer-Encoding: chunked")


def select(value: str) -> str:
    return f"{INFO}?$select={value}"


CORPUS = [
    # Request lines that are no HTTP.
    case("garbage-line", b"GARBAGE\r\n\r\n", 400),
    case("method-only", b"GET\r\n\r\n", 400),
    case("binary-junk", b"\x00\x01\x02\xfe\xff junk \x7f\r\n\r\n", 400),
    case("four-words", get(INFO, version=b"HTTP/1.1 extra"), 400),
    case("blank-lines-only", b"\r\n\r\n", CLOSED, 400),
    case("method-with-control-char", get(INFO, method=b"G\x01T"), ANY_4XX),
    case("unknown-method", get(INFO, method=b"BREW"), 405),
    case("trace", get(INFO, method=b"TRACE"), 405),
    # Unknown HTTP versions.
    case("HTTP-3.0", get(INFO, version=b"HTTP/3.0"), ANY_4XX),
    case("HTTP-2.0", get(INFO, version=b"HTTP/2.0"), ANY_4XX),
    case("HTTP-0.8", get(INFO, version=b"HTTP/0.8"), ANY_4XX),
    case("FOO-1.1", get(INFO, version=b"FOO/1.1"), 400),
    case("lower-case-http", get(INFO, version=b"http/1.1"), 400),
    case("HTTP-1.1.1", get(INFO, version=b"HTTP/1.1.1"), 400),
    case("HTTP-huge-number", get(INFO, version=b"HTTP/99999999999999999999.1"), ANY_4XX),
    # Sizes far over sane limits.
    case("request-line-70000", get(INFO + "?x=" + "a" * 70_000), 414),
    case("path-70000", get("/api/rest/v1/" + "a" * 70_000), 414),
    case("header-70000", get(INFO, "X-Big: " + "a" * 70_000), 431),
    case("header-name-70000", get(INFO, "X" * 70_000 + ": y"), 431),
    case("150-headers", get(INFO, *(f"X-H{i}: {i}" for i in range(150))), 431),
    # NUL and invalid UTF-8 in paths, invalid percent-escapes.
    case("raw-NUL-in-path", get(b"/api/rest/v1/in\x00fo"), 404),
    case("escaped-NUL-in-path", get("/api/rest/v1/in%00fo"), 404),
    case("escaped-NUL-in-job-id", get("/api/rest/v1/jobs/%00/"), 400),
    case("escaped-invalid-utf8", get("/api/rest/v1/%FF%FE"), 404),
    case("raw-invalid-utf8", get(b"/api/rest/v1/\xff\xfe"), 404),
    case("raw-invalid-utf8-in-query", get(b"/api/rest/v1/info?encode=\xff"), 400),
    case("escaped-invalid-utf8-in-query", get("/api/rest/v1/info?encode=%FF%FE"), 400),
    case("invalid-escape-zz", get("/api/rest/v1/info%zz"), 404),
    case("lone-percent", get("/api/rest/v1/info%"), 404),
    case("lone-percent-in-query", get("/api/rest/v1/info?encode=%"), 400),
    case("escaped-slash-in-job-id", get(f"/api/rest/v1/jobs/{uuid.uuid4()}%2Fprogress/"), 400, 404),
    case("NUL-in-path-xml-error", get("/api/rest/v1/in%00fo?encode=xml"), 404),
    case("control-char-in-path-405-xml", get("/api/rest/v1/info/%01?encode=xml", method=b"POST"), 405),
    case("control-char-in-method-xml", get("/api/rest/v1/info?encode=xml", method=b"G\x01T"), 400, 405),
    case("noncharacter-in-path-xml", get("/api/rest/v1/%EF%BF%BF?encode=xml"), 404),
    # Path traversal and other target forms.
    case("dot-dot", get("/api/rest/v1/../../etc/passwd"), 404),
    case("escaped-dot-dot", get("/api/rest/v1/%2e%2e%2f%2e%2e%2fetc%2fpasswd"), 404),
    case("mixed-dot-dot", get("/api/rest/v1/..%2f..%2f..%2fetc/passwd"), 404),
    case("dot-dot-outside-base", get("/../../../../etc/passwd"), 404),
    case("backslash-dot-dot", get("/api/rest/v1/..\\..\\etc\\passwd"), 404),
    case("double-slash", get("//etc/passwd"), 404),
    # RFC 9112 section 3.2.2: a server MUST accept the absolute form; refusing it is harmless too.
    case("absolute-form", get("http://evil/api/rest/v1/info"), 200, 404),
    case("absolute-form-outside", get("http://evil/etc/passwd"), 404),
    case("authority-form", get("evil:443", method=b"CONNECT"), ANY_4XX),
    case("asterisk-form", get("*", method=b"OPTIONS"), ANY_4XX),
    # Content-Length.
    case("negative-length", post(b"{}", "Content-Length: -1"), 400),
    case("huge-length", post(b"{}", f"Content-Length: {10**30}"), 413),
    case("over-limit-length", post(b"", f"Content-Length: {MAX_BODY + 1}"), 413),
    case("non-numeric-length", post(b"{}", "Content-Length: two"), 400),
    case("plus-sign-length", post(b"{}", "Content-Length: +2"), 400),
    case("hex-length", post(b"{}", "Content-Length: 0x2"), 400),
    case("non-ascii-digit-length", post(b"{}", "Content-Length: \u0662"), 400),
    case("conflicting-lengths", post(b"{} ", "Content-Length: 2", "Content-Length: 3"), 400),
    case("comma-list-length", post(b"{} ", "Content-Length: 2, 3"), 400),
    # Chunked bodies.
    case("chunk-size-not-hex", chunked(b"zz\r\n{}\r\n0\r\n\r\n"), 400),
    case("chunk-size-empty", chunked(b"\r\n{}\r\n0\r\n\r\n"), 400),
    case("chunk-without-crlf", chunked(b"2\r\n{}XX0\r\n\r\n"), 400),
    case("chunk-over-limit", chunked(b"%x\r\n{}\r\n0\r\n\r\n" % (10**12)), 413),
    case(
        "chunks-summing-over-limit",
        chunked(b"".join(b"%x\r\n%s\r\n" % (40_000, b" " * 40_000) for _ in range(2))),
        413,
    ),
    case("negative-chunk-size", chunked(b"-2\r\n{}\r\n0\r\n\r\n"), ANY_4XX),
    case("chunk-size-0x-prefix", chunked(b"0x2\r\n{}\r\n0\r\n\r\n"), 400),
    # Bodies that are no Backup.
    case("no-content-type", post(b"{}", content_type=None), 415),
    case("text-plain-body", post(b"{}", content_type="text/plain"), 415),
    case("not-json", post(b"hello"), 400),
    case("invalid-utf8-json", post(b'{"DataTypes": ["\xff\xfe"]}'), 400),
    case("json-list", post(b"[]"), 400),
    case("json-null", post(b"null"), 400),
    case("json-string", post(b'"DataTypes"'), 400),
    case("data-types-number", post(b'{"DataTypes": 1}'), 400),
    case("data-types-string", post(b'{"DataTypes": "TIMEZONE"}'), 400),
    case("data-types-numbers", post(b'{"DataTypes": [1, 2]}'), 400),
    case("data-types-nested", post(b'{"DataTypes": [["TIMEZONE"]]}'), 400),
    case("data-types-nan", post(b'{"DataTypes": [NaN]}'), 400),
    case("unknown-property", post(b'{"Evil": true}'), 400),
    case("deeply-nested", post(b"[" * 30_000 + b"]" * 30_000), 400),
    case("5000-digit-number", post(b'{"DataTypes": ' + b"9" * 5000 + b"}"), 400),
    case("truncated-json", post(b'{"DataTypes": ["TIMEZONE"'), 400),
    case("json-on-control-api", post(b"[1, 2]", target="/_emulator/jobs"), 400),
    case(
        "wrong-types-on-control-api",
        post(b'{"duration": "long", "failAt": 3.5}', target="/_emulator/jobs"),
        400,
    ),
    case("negative-advance", post(b'{"seconds": -1}', target="/_emulator/clock/advance"), 400),
    case("lone-surrogate-status", post(b'{"status": "\\ud800"}', target="/_emulator/jobs"), 400),
    case("lone-surrogate-data-type", post(b'{"dataTypes": ["\\udfff"]}', target="/_emulator/jobs"), 400),
    case("lone-surrogate-fault-path", post(b'{"path": "/x\\ud800"}', target="/_emulator/faults"), 400),
    case("lone-surrogate-key", post(b'{"\\ud800": 1}', target="/_emulator/jobs"), 400),
    case("lone-surrogate-device-body", post(b'{"DataTypes": ["\\ud800"]}'), 400),
    # Pathological $select.
    case("select-100000-commas", get(select("," * 100_000)), 414),
    case("select-60000-commas", get(select("," * 60_000)), 200),  # empty names are ignored
    case("select-10000-unknown-names", get(select(",".join(f"n{i}" for i in range(10_000)))), 400),
    case("select-5000-repeated-name", get(select(",".join(["apirevision"] * 5_000))), 200),
    case("select-stars", get(select("*,*,*")), 200),
    case("select-star-and-unknown", get(select("*,nosuch")), 400),
    case("select-NUL", get(select("%00")), 400),
    case("select-1000-options", get(INFO + "?" + "&".join(["$select=apirevision"] * 1000)), 200),
    # Pathological Accept.
    case("accept-10000-ranges", get(INFO, "Accept: " + ",".join(["a/b"] * 10_000)), 406),
    case(
        "accept-10000-ranges-then-xml",
        get(INFO, "Accept: " + ",".join(["a/b"] * 9_999 + ["application/xml"])),
        200,
    ),
    case("accept-q-abc", get(INFO, "Accept: application/json;q=abc"), 200),
    case("accept-q-5", get(INFO, "Accept: application/json;q=5"), 200),
    case("accept-q-nan", get(INFO, "Accept: application/xml;q=nan"), 200),
    case("accept-q-negative", get(INFO, "Accept: application/json;q=-1"), 200),
    case("accept-star-slash-json", get(INFO, "Accept: */json"), 200),
    case("accept-separators-only", get(INFO, "Accept: ;;;,,,;=;"), 200),
    case("accept-html-only", get(INFO, "Accept: text/html"), 406),
    case("accept-all-refused", get(INFO, "Accept: */*;q=0"), 406),
    case("accept-1000-params", get(INFO, "Accept: application/json" + ";a=b" * 1000), 200),
    # Header syntax (RFC 9112 section 5): each a 400, and the connection closes.
    case("space-before-colon", get(INFO, "X-A : 1"), 400),
    case("tab-before-colon", get(INFO, "X-A\t: 1"), 400),
    case("line-without-colon", get(INFO, "no colon here"), 400),
    case("obs-fold", get(INFO, "X-A: 1", " folded"), 400),
    case("obs-fold-tab", get(INFO, "X-A: 1", "\tfolded"), 400),
    case("bare-CR-in-value", get(INFO, "X-A: 1\r2"), 400),
    case("NUL-in-value", get(INFO, "X-A: 1\x002"), 400),
    case("space-before-colon-length", post(b"{}", "Content-Length : 2"), 400),
    # Host (RFC 9112 section 3.2).
    case("two-hosts", get(INFO, "Host: other"), 400),
    case("no-host-1.1", b"GET " + INFO.encode() + b" HTTP/1.1\r\n\r\n", 400),
    case("no-host-1.0", b"GET " + INFO.encode() + b" HTTP/1.0\r\n\r\n", 200),
    # Transfer-Encoding (RFC 9112 section 6.1): chunked not final 400, another coding 501.
    case("te-xchunked", post(b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: xchunked"), 501),
    case("te-gzip-chunked", post(b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: gzip, chunked"), 501),
    case("te-identity", post(b"{}", "Transfer-Encoding: identity"), 501),
    case("te-chunked-identity", post(b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked, identity"), 400),
    case(
        "te-two-lines",
        post(b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked", "Transfer-Encoding: identity"),
        400,
    ),
    case("te-chunked-twice", post(b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked, chunked"), 400),
    case("chunk-size-line-2000", chunked(b"2;" + b"x" * 2000 + b"\r\n{}\r\n0\r\n\r\n"), 400),
    case("trailer-over-8k", chunked(b"2\r\n{}\r\n0\r\n" + b"X-T: " + b"a" * 9000 + b"\r\n\r\n"), 431),
    case("too-many-chunks", chunked(b"1\r\n \r\n" * 16385 + b"0\r\n\r\n"), 400),
]


@pytest.fixture(scope="module")
def server(core):
    with EmbeddedServer(port=0, clock="manual", max_body_size=MAX_BODY, idle_timeout=5, core=core) as server:
        yield server


def assert_well_formed(answer: RawAnswer) -> None:
    """A body, if any, is JSON or XML as its Content-Type says, and an error body carries a code."""
    if answer.status is None:
        assert answer.body == b"", f"the server wrote something that is no HTTP answer: {answer.body[:200]!r}"
        return
    content_type = answer.headers.get("content-type", "")
    assert "html" not in content_type.lower(), content_type
    assert not answer.body.lstrip().lower().startswith((b"<!doctype", b"<html")), answer.body[:200]
    document = parse_body(content_type, answer.body)
    if answer.status >= 400:
        assert content_type.startswith(("application/json", "application/xml")), content_type
        code = document.get("code") if isinstance(document, dict) else document.findtext("Code")
        assert code, f"an error without its code: {answer.body[:200]!r}"


def assert_still_serving(server: EmbeddedServer) -> None:
    answer = raw_exchange((server.host, server.port), get(INFO))
    assert answer.status == 200, answer
    assert json.loads(answer.body)["apiRevision"] == "8.0"


@pytest.mark.parametrize("data, expected", CORPUS)
def test_hostile_request(server, capfd, data, expected):
    jobs_before = len(server.jobs())
    answer = raw_exchange((server.host, server.port), data, timeout=10)
    # 501 (a transfer coding other than chunked) is the one 5xx a bad request gets.
    assert answer.status in (None, 501) or answer.status < 500, f"{answer.status}: {answer.body[:300]!r}"
    assert answer.status in expected, f"{answer.status}: {answer.body[:300]!r}"
    assert_well_formed(answer)
    assert b"root:" not in answer.body, "a file of the host leaked"
    if answer.status != 200:
        assert len(server.jobs()) == jobs_before, "a refused request created a job"
    assert_still_serving(server)
    assert "Traceback" not in capfd.readouterr().err


# --- Hostile values on the control API (its own limits, same rules) --------------------------------


def control(server: EmbeddedServer, method: str, path: str, body: bytes = b"") -> RawAnswer:
    data = post(body, target="/_emulator" + path) if method == "POST" else get("/_emulator" + path)
    return raw_exchange((server.host, server.port), data)


def read_every_job(server: EmbeddedServer, job_id: str) -> list[RawAnswer]:
    return [
        raw_exchange((server.host, server.port), get(target))
        for target in (
            f"/api/rest/v1/system/backup/jobs/{job_id}",
            f"/api/rest/v1/jobs/{job_id}/",
            "/_emulator/jobs",
        )
    ]


@pytest.fixture
def fresh():
    """An emulator of its own, for cases that move its clock beyond return."""
    with EmbeddedServer(port=0, clock="manual") as server:
        yield server


def test_advancing_the_clock_enormously_breaks_no_job(fresh, capfd):
    job_id = fresh.create_job()
    advance = control(fresh, "POST", "/clock/advance", b'{"seconds": 1e308}')
    assert advance.status in (200, 400)
    for answer in read_every_job(fresh, job_id):
        assert answer.status == 200, answer.body
    assert "Traceback" not in capfd.readouterr().err


def test_the_control_api_refuses_infinite_seconds(fresh):
    job_id = fresh.create_job()
    assert control(fresh, "POST", "/clock/advance", b'{"seconds": Infinity}').status == 400
    assert all(answer.status == 200 for answer in read_every_job(fresh, job_id))


def test_the_control_api_refuses_an_infinite_duration(fresh):
    answer = control(fresh, "POST", "/jobs", b'{"duration": Infinity}')
    assert answer.status == 400
    listing = control(fresh, "GET", "/jobs")

    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    json.loads(listing.body, parse_constant=refuse)


def test_a_job_of_tiny_duration_can_be_read(fresh):
    created = control(fresh, "POST", "/jobs", b'{"duration": 1e-320}')
    assert created.status in (201, 400)
    if created.status == 201:
        job_id = json.loads(created.body)["jobId"]
        fresh.advance(1)
        for answer in read_every_job(fresh, job_id):
            assert answer.status == 200, answer.body


# --- Framing and connections (RFC 9112), both cores -------------------------------------------------


def exchange_all(server: EmbeddedServer, data: bytes, timeout: float = 10.0) -> tuple[list[RawAnswer], bool]:
    """Send `data` and read every answer until the server closes (True) or is quiet for a second (False)."""
    answers, received, closed = [], b"", False
    deadline = time.monotonic() + timeout
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        while time.monotonic() < deadline:
            sock.settimeout(1.0)
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            except TimeoutError:
                break
            if not chunk:
                closed = True
                break
            received += chunk
    while received.startswith(b"HTTP/"):
        head, _, rest = received.partition(b"\r\n\r\n")
        status, headers = _parse_head(head)
        length = 0 if status < 200 else int(headers.get("content-length", "0"))
        answers.append(RawAnswer(status, head, rest[:length], False, headers))
        received = rest[length:]
    assert received == b"", f"not HTTP: {received[:200]!r}"
    return answers, closed


SMUGGLED = get(INFO + "?smuggled=1")


@pytest.mark.parametrize(
    "data, first",
    [
        pytest.param(
            post(b"0\r\n\r\n", "Transfer-Encoding: xchunked", content_type=None), 501, id="te-xchunked"
        ),
        pytest.param(
            post(b"0\r\n\r\n", "Transfer-Encoding: chunked, identity"), 400, id="te-chunked-identity"
        ),
        pytest.param(
            post(b"0\r\n\r\n", "Transfer-Encoding: chunked", "Transfer-Encoding: identity"),
            400,
            id="te-two-lines",
        ),
        pytest.param(get(INFO, "X-A : 1", f"Content-Length: {len(SMUGGLED)}"), 400, id="space-before-colon"),
        pytest.param(get(INFO, "garbage", f"Content-Length: {len(SMUGGLED)}"), 400, id="line-without-colon"),
        pytest.param(get(INFO, "X-A: 1", " folded", f"Content-Length: {len(SMUGGLED)}"), 400, id="obs-fold"),
        pytest.param(
            post(b"0\r\n\r\n", "Transfer-Encoding: chunked", "Content-Length: 5", target=INFO),
            405,
            id="cl-and-chunked",
        ),
    ],
)
def test_a_smuggled_request_is_never_answered(server, data, first):
    """What follows a request whose framing is in doubt is never answered: the connection closes."""
    answers, closed = exchange_all(server, data + SMUGGLED)
    assert [a.status for a in answers] == [first], answers
    assert answers[0].headers.get("connection") == "close"
    assert closed
    assert_still_serving(server)


def test_http10_gets_no_100_continue(server):
    data = post(b"{}", "Expect: 100-continue").replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    answers, _ = exchange_all(server, data)
    assert [a.status for a in answers] == [200]


def test_http11_gets_100_continue_before_its_body(server):
    head = post(b"", "Expect: 100-continue", "Content-Length: 2")
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"{}")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_http10_keep_alive_is_acknowledged_and_kept(server):
    one = get(INFO, "Connection: keep-alive", version=b"HTTP/1.0")
    answers, closed = exchange_all(server, one + one)
    assert [a.status for a in answers] == [200, 200]
    assert all(a.headers.get("connection") == "keep-alive" for a in answers)
    assert not closed


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(get(INFO, "Connection: keep-alive, close"), id="keep-alive-close"),
        pytest.param(get(INFO, "Connection: close"), id="close"),
        pytest.param(get(INFO, version=b"HTTP/1.0"), id="http10"),
        pytest.param(
            get(INFO, "Connection: keep-alive, close", version=b"HTTP/1.0"), id="http10-keep-alive-close"
        ),
    ],
)
def test_a_connection_asked_to_close_closes_after_one_answer(server, data):
    answers, closed = exchange_all(server, data + get(INFO), timeout=5)
    assert [a.status for a in answers] == [200]
    assert answers[0].headers.get("connection") == "close"
    assert closed  # within the 1 s of quiet exchange_all waits, far below the idle timeout


def test_the_chunked_reader_consumes_as_it_goes():
    """Fed one byte at a time, a body of one-byte chunks never leaves more than a size line in the
    buffer: every byte is looked at once (no re-parse from the body's start)."""
    from eclypse_emulator.runtime.core.http1 import RequestEvent, RequestReader

    reader = RequestReader(1 << 20)
    reader.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert reader.next_event() is None
    body = b"1\r\na\r\n" * 10_000 + b"0\r\nX-T: 1\r\n\r\n"
    largest = 0
    for index in range(len(body)):
        reader.feed(body[index : index + 1])
        event = reader.next_event()
        largest = max(largest, len(reader.buffer))
        if event is not None:
            break
    assert isinstance(event, RequestEvent) and event.body == b"a" * 10_000
    assert index == len(body) - 1
    assert largest <= 8


@pytest.fixture(scope="module")
def impatient(core):
    """A server that aborts a connection whose answers are not read for 1 s."""
    with EmbeddedServer(port=0, clock="manual", write_timeout=1, idle_timeout=30, core=core) as server:
        yield server


def test_a_client_that_pipelines_without_reading_is_held_back_then_dropped(impatient):
    """Pipelined GETs pushed at a server, never reading an answer: the server stops reading (the
    client's sends block, far short of what it tried to push), keeps answering others, and aborts the
    connection once its answers have waited unread longer than the write timeout."""
    piece = get(INFO) * 1600  # about 64 KB of requests
    pushed, limit, reset = 0, 64 << 20, False
    deadline = time.monotonic() + 20
    with socket.create_connection((impatient.host, impatient.port)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.settimeout(0.5)
        while pushed < limit and time.monotonic() < deadline:
            try:
                pushed += sock.send(piece)
            except TimeoutError:
                break  # the server no longer reads
            except (BrokenPipeError, ConnectionResetError):
                reset = True
                break
        assert (
            pushed < limit // 2
        ), f"the server read {pushed} bytes of requests without their answers being read"
        assert_still_serving(impatient)
        while not reset and time.monotonic() < deadline:
            try:
                sock.send(piece)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                reset = True
        assert reset, "the stalled connection was not dropped"
    assert_still_serving(impatient)


def test_the_event_loop_listens_with_a_backlog_of_1024():
    """While the loop is busy (it accepts nothing), 300 connections all complete their handshake in the
    listen queue; with asyncio's default backlog of 100, about 200 would wait for SYN retries."""
    import select

    with EmbeddedServer(port=0, core="asyncio") as server:
        assert_still_serving(server)  # the loop runs
        server._server._loop.call_soon_threadsafe(time.sleep, 2.0)  # the loop accepts nothing meanwhile
        time.sleep(0.2)
        sockets = []
        try:
            for _ in range(300):
                sock = socket.socket()
                sock.setblocking(False)
                sock.connect_ex((server.host, server.port))
                sockets.append(sock)
            _, writable, _ = select.select([], sockets, [], 1.0)
            connected = [s for s in writable if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0]
            assert len(connected) == 300
        finally:
            for sock in sockets:
                sock.close()
        assert_still_serving(server)
