"""Record the wire corpus: raw HTTP/1.1 requests and the emulator's answers, byte for byte, on both cores.

    python -m tests.corpus.record          (from the repository's root; rewrites tests/corpus/wire.jsonl)

The corpus pins every byte a client sees (status line, headers in order, body) for every route, encoding,
query option and error of the device API and the control API, so that moving code around can be checked
against it (tests/test_wire_corpus.py replays it). Each session is one embedded server with fixed options
(manual clock, fixed device time, fixed seed); its requests are sent in order, each on a new connection,
and every byte is read until the server closes (the last request on a connection says Connection: close,
or is one the server closes on). Time moves only by POST /_emulator/clock/advance among the requests. Every
request sends the same Host, so no answer depends on the port the server got. The bytes read are split into
answers at each one's Content-Length (a HEAD's answer ends where the bytes do; a dropped connection has
none); each answer is kept as its status line, its header lines in order and its body (text where it is
UTF-8, base64 otherwise), once when both cores answer alike and once per core when they do not. A change
meant to change the wire records again and shows the difference in review.

Normalisation (`Normaliser`, the one place; the test imports it) keeps only what the host decides out:
- the `Date` header's value becomes `<date>` (the host's wall clock);
- values the server makes up at random (`MADE_UP`: job ids, uuid4, where an answer gives a "jobId"; the
  session cookie's value, where an answer sets it) become `<job-1>`, `<job-2>`, `<session-1>`, ... in order
  of first appearance within a session, wherever they appear in later answers (status line, headers, body);
  a request that reuses one spells its placeholder, replaced by the real value before sending;
- the control API's request journal stamps entries with the host's time: each `"time": <number>` in the
  answer to GET /_emulator/requests becomes `"time": "<time>"`, and that answer's Content-Length (which
  depends on how many digits the times have) becomes `<length>` after checking it against the raw body.
Nothing else is touched: any other difference between runs is a change on the wire.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

if not __package__:  # run as a file: the repository's root is where eclypse_emulator is found
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from eclypse_emulator import EmbeddedServer  # noqa: E402 (after the path, when run as a file)

CORPUS = Path(__file__).with_name("wire.jsonl")
CORES = ("asyncio", "threads")
HOST = "eclypse.test"  # the Host every request sends
BASE = "/api/rest/v1"
# Values the server makes up at random, found where it first gives them: (placeholder kind, pattern).
MADE_UP = (
    (b"job", re.compile(rb'"jobId": ?"([0-9a-fA-F-]{36})"')),  # uuid4 job ids, device and control API
    (b"session", re.compile(rb"ECLYPSERESTSESSIONID=([A-Za-z0-9_-]+)")),  # the session cookie's value
)
PLACEHOLDER = re.compile(rb"<(?:job|session)-\d+>")
JOURNAL_TIME = re.compile(rb'"time": -?[0-9][0-9.eE+-]*')
TIMEOUT = 10.0


# --- Normalisation -----------------------------------------------------------------------------------


@dataclass
class Answer:
    """One answer as the corpus keeps it: the status line, the headers in order, the body."""

    status: str
    headers: list[str]  # each header line as sent, without its CRLF
    body: bytes

    def document(self) -> dict[str, Any]:
        return {"status": self.status, "headers": self.headers, "body": pack(self.body)}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Answer:
        return cls(document["status"], document["headers"], unpack(document["body"]))


@dataclass
class Normaliser:
    """What the host decides, taken out of one session's exchanges (see the module's docstring)."""

    tokens: dict[bytes, bytes] = field(default_factory=dict)  # made-up value -> placeholder, first seen first

    def request(self, raw: bytes) -> bytes:
        """The bytes to send: placeholders replaced by the values they stand for."""
        real = {placeholder: value for value, placeholder in self.tokens.items()}

        def replace(match: re.Match[bytes]) -> bytes:
            if match.group() not in real:
                raise LookupError(f"{match.group().decode()} is used before an answer gave it")
            return real[match.group()]

        return PLACEHOLDER.sub(replace, raw)

    def _learn(self, data: bytes) -> None:
        for kind, pattern in MADE_UP:
            for match in pattern.finditer(data):
                if match.group(1) not in self.tokens:
                    number = (
                        sum(placeholder.startswith(b"<" + kind) for placeholder in self.tokens.values()) + 1
                    )
                    self.tokens[match.group(1)] = b"<%s-%d>" % (kind, number)

    def _replace(self, data: bytes) -> bytes:
        for value, placeholder in self.tokens.items():
            data = data.replace(value, placeholder)
        return data

    def answers(self, request: bytes, raw: bytes) -> list[Answer]:
        """Split the bytes read until the server closed into answers (more than one where the request
        holds several on one connection) and normalise them. A body ends where its Content-Length says,
        or at the end of the bytes (a HEAD's answer: its Content-Length is the GET's)."""
        answers = []
        while raw:
            head, separator, rest = raw.partition(b"\r\n\r\n")
            if not separator:
                raise ValueError(f"no end of headers in {raw[:200]!r}")
            lengths = re.findall(rb"(?im)^content-length: *([0-9]+)\r?$", head)
            size = int(lengths[0]) if lengths else len(rest)
            body, raw = rest[:size], rest[size:]
            answers.append(self._answer(request, head, body))
        return answers

    def _answer(self, request: bytes, head: bytes, body: bytes) -> Answer:
        self._learn(head)
        self._learn(body)
        status, *lines = self._replace(head).decode("latin-1").split("\r\n")
        headers = ["Date: <date>" if line.lower().startswith("date:") else line for line in lines]
        if request.startswith(b"GET /_emulator/requests "):
            stamped = JOURNAL_TIME.sub(b'"time": "<time>"', body)
            if stamped != body:
                headers = [self._length(line, len(body)) for line in headers]
                body = stamped
        return Answer(status, headers, self._replace(body))

    @staticmethod
    def _length(line: str, raw_length: int) -> str:
        name, _, value = line.partition(":")
        if name.lower() != "content-length":
            return line
        if int(value) != raw_length:
            raise ValueError(f"Content-Length {value.strip()} but {raw_length} bytes came")
        return f"{name}: <length>"


# --- The corpus file ---------------------------------------------------------------------------------


def pack(data: bytes) -> str | dict[str, str]:
    """Text where the bytes are printable UTF-8 (readable, exact); base64 otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
    if any(ord(char) < 32 and char not in "\r\n\t" for char in text):
        return {"base64": base64.b64encode(data).decode("ascii")}
    return text


def unpack(document: str | dict[str, str]) -> bytes:
    return base64.b64decode(document["base64"]) if isinstance(document, dict) else document.encode("utf-8")


@dataclass
class Exchange:
    """One request of a session, with its answer on each core (one answer when both cores agree)."""

    session: str
    number: int
    note: str
    request: bytes
    answers: dict[str, list[Answer]]  # by core, or "both"

    def answer(self, core: str) -> list[Answer]:
        return self.answers.get(core) or self.answers["both"]


@dataclass
class Session:
    name: str
    options: dict[str, Any]
    exchanges: list[Exchange]


def load(path: Path = CORPUS) -> list[Session]:
    sessions: dict[str, Session] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        document = json.loads(line)
        if "options" in document:
            sessions[document["session"]] = Session(document["session"], document["options"], [])
            continue
        answers = {
            core: [Answer.from_document(answer) for answer in answers]
            for core, answers in document["answers"].items()
        }
        sessions[document["session"]].exchanges.append(
            Exchange(
                document["session"], document["n"], document["note"], unpack(document["request"]), answers
            )
        )
    return list(sessions.values())


def dump(sessions: list[Session], path: Path = CORPUS) -> None:
    lines = []
    for session in sessions:
        lines.append({"session": session.name, "options": session.options})
        for exchange in session.exchanges:
            answers = {
                core: [one.document() for one in answers] for core, answers in exchange.answers.items()
            }
            lines.append(
                {
                    "session": session.name,
                    "n": exchange.number,
                    "note": exchange.note,
                    "request": pack(exchange.request),
                    "answers": answers,
                }
            )
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


# --- Sending -----------------------------------------------------------------------------------------


def send(port: int, raw: bytes) -> bytes:
    """Send one raw request on a new connection; the answer is every byte until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(raw)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def run(options: dict[str, Any], requests: list[bytes], core: str) -> list[list[Answer]]:
    """The normalised answers of one session's requests on one core."""
    normaliser = Normaliser()
    with EmbeddedServer(port=0, core=core, **options) as server:
        return [normaliser.answers(raw, send(server.port, normaliser.request(raw))) for raw in requests]


# --- The requests ------------------------------------------------------------------------------------


def request(
    method: str, target: str, headers: dict[str, str] | None = None, body: bytes | str = b""
) -> bytes:
    """A raw HTTP/1.1 request with Host and Connection: close (one exchange per connection)."""
    data = body.encode() if isinstance(body, str) else body
    lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if data and not any(name.lower() == "content-length" for name in headers or {}):
        lines.append(f"Content-Length: {len(data)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


JSON = {"Content-Type": "application/json"}
MSTP = f"{BASE}/protocols/bacnet/communication/network/mstp-ports"
FILES = f"{BASE}/system/backup/targets"
NIGHTLY = json.dumps({"target": "Device", "fileName": "nightly", "dataTypes": ["TIMEZONE", "HOSTNAME"]})


def advance(seconds: float) -> tuple[str, bytes]:
    return f"advance the manual clock {seconds} s", request(
        "POST", "/_emulator/clock/advance", JSON, json.dumps({"seconds": seconds})
    )


def device_requests() -> Iterator[tuple[str, bytes]]:
    """Every route of the device API, each encoding, query options and errors; then the control API."""
    # Navigation and info, in each encoding.
    yield "the API's root", request("GET", BASE)
    yield "the API's root, trailing slash", request("GET", BASE + "/")
    for path in (
        "/info",
        "/info/device",
        "/info/bacnet",
        "/info/network",
        "/info/supported-services",
        "/info/extension-management",
    ):
        yield f"GET {path} (JSON by default)", request("GET", BASE + path)
        yield f"GET {path}?encode=xml", request("GET", BASE + path + "?encode=xml")
        yield f"GET {path} Accept: application/xml", request(
            "GET", BASE + path, {"Accept": "application/xml"}
        )
    yield "Accept: text/xml", request("GET", BASE + "/info", {"Accept": "text/xml"})
    yield "Accept with q-values", request(
        "GET", BASE + "/info", {"Accept": "application/xml;q=0.5, application/json;q=0.9"}
    )
    yield "Accept: */*", request("GET", BASE + "/info", {"Accept": "*/*"})
    yield "Accept: nothing served (406)", request("GET", BASE + "/info", {"Accept": "text/html"})
    yield "?encode=json", request("GET", BASE + "/info?encode=json")
    yield "?encode= unknown", request("GET", BASE + "/info?encode=yaml")
    yield "?encode=bin on JSON-only data", request("GET", BASE + "/info?encode=bin")
    yield "?encode=xml wins over Accept", request(
        "GET", BASE + "/info?encode=xml", {"Accept": "application/json"}
    )
    yield "the other spelling of a path", request("GET", BASE + "/info/supportedServices")
    yield "trailing slash", request("GET", BASE + "/info/")
    # Query options.
    yield "$select one property", request("GET", BASE + "/info?$select=apirevision")
    yield "$select two properties", request("GET", BASE + "/info/device?$select=hostname,serialnumber")
    yield "$select=*", request("GET", BASE + "/info?$select=*")
    yield "$select empty", request("GET", BASE + "/info?$select=")
    yield "$select unknown", request("GET", BASE + "/info?$select=nosuch")
    yield "$select XML", request("GET", BASE + "/info?$select=apirevision&encode=xml")
    yield "$value", request("GET", BASE + "/info/apirevision/$value")
    yield "$value of a nested entity's property", request("GET", BASE + "/info/device/hostname/$value")
    yield "$value unknown property", request("GET", BASE + "/info/nosuch/$value")
    yield "a property without $value", request("GET", BASE + "/info/apirevision")
    # Date and time.
    yield "GET date-time", request("GET", BASE + "/system/date-time")
    yield "GET date-time XML", request("GET", BASE + "/system/date-time?encode=xml")
    yield advance(90.5)
    yield "GET date-time after 90.5 s", request("GET", BASE + "/system/date-time")
    yield "POST date-time", request(
        "POST", BASE + "/system/date-time", JSON, json.dumps({"isoDateTime": "2026-03-01T12:00:00Z"})
    )
    yield "POST date-time time zone", request(
        "POST", BASE + "/system/date-time", JSON, json.dumps({"timeZone": "Europe/Paris"})
    )
    yield "GET date-time after POSTs", request("GET", BASE + "/system/date-time")
    yield "POST date-time XML body", request(
        "POST",
        BASE + "/system/date-time",
        {"Content-Type": "application/xml"},
        "<DateTime><IsoDateTime>2026-03-02T00:00:00Z</IsoDateTime></DateTime>",
    )
    yield "POST date-time bad JSON", request("POST", BASE + "/system/date-time", JSON, "{not json")
    yield "POST date-time bad value", request(
        "POST", BASE + "/system/date-time", JSON, json.dumps({"isoDateTime": "yesterday"})
    )
    yield "POST date-time unknown zone", request(
        "POST", BASE + "/system/date-time", JSON, json.dumps({"timeZone": "Mars/Olympus"})
    )
    yield "POST date-time text/plain (415)", request(
        "POST", BASE + "/system/date-time", {"Content-Type": "text/plain"}, "noon"
    )
    yield "POST date-time JSON error as XML", request(
        "POST", BASE + "/system/date-time?encode=xml", JSON, "[]"
    )
    # MS/TP ports: collection and entities.
    yield "mstp-ports collection", request("GET", MSTP)
    yield "mstp-ports collection XML", request("GET", MSTP + "?encode=xml")
    for port in ("1", "2", "0", "9", "x"):
        yield f"mstp-ports/{port}", request("GET", f"{MSTP}/{port}")
    yield "mstp-ports/1 XML", request("GET", f"{MSTP}/1/?encode=xml")
    yield "mstp-ports/1 $select", request("GET", f"{MSTP}/1?$select=enabled")
    yield "POST mstp-ports/1", request("POST", f"{MSTP}/1", JSON, json.dumps({"enabled": False}))
    yield "mstp-ports/1 after POST", request("GET", f"{MSTP}/1")
    yield "POST mstp-ports/1 wrong type", request("POST", f"{MSTP}/1", JSON, json.dumps({"enabled": "no"}))
    yield "POST mstp-ports/1 unknown property", request("POST", f"{MSTP}/1", JSON, json.dumps({"nosuch": 1}))
    yield "POST mstp-ports/1 array body", request("POST", f"{MSTP}/1", JSON, "[1]")
    yield "POST mstp-ports/9", request("POST", f"{MSTP}/9", JSON, json.dumps({"enabled": True}))
    # Methods and routes that are not there.
    yield "404 unknown path", request("GET", BASE + "/no/such/resource")
    yield "404 outside the API", request("GET", "/nothing")
    yield "405 DELETE on info", request("DELETE", BASE + "/info")
    yield "405 PUT on date-time", request("PUT", BASE + "/system/date-time", JSON, "{}")
    yield "HEAD info", request("HEAD", BASE + "/info")
    yield "OPTIONS info", request("OPTIONS", BASE + "/info")
    yield "OPTIONS *", request("OPTIONS", "*")
    yield "absolute-form target", request("GET", f"http://{HOST}{BASE}/info")
    yield "percent-encoded path", request("GET", BASE + "/%69nfo")
    # Framing errors.
    yield "bad Content-Length", request(
        "POST",
        BASE + "/system/date-time",
        {"Content-Type": "application/json", "Content-Length": "abc"},
        "{}",
    )
    yield "negative Content-Length", request(
        "POST", BASE + "/system/date-time", {"Content-Type": "application/json", "Content-Length": "-1"}, "{}"
    )
    yield "two Content-Lengths", request(
        "POST",
        BASE + "/system/date-time",
        {"Content-Type": "application/json", "Content-Length": "2", "content-length": "3"},
        "{}",
    )
    yield "bad request line", b"GARBAGE\r\n\r\n"
    yield "HTTP/2.0 request line", f"GET {BASE}/info HTTP/2.0\r\nHost: {HOST}\r\n\r\n".encode()
    yield "HTTP/1.0 without Host", f"GET {BASE}/info HTTP/1.0\r\n\r\n".encode()
    yield "HTTP/1.1 without Host", f"GET {BASE}/info HTTP/1.1\r\nConnection: close\r\n\r\n".encode()
    yield "header without colon", (
        f"GET {BASE}/info HTTP/1.1\r\nHost: {HOST}\r\nNoColon\r\nConnection: close\r\n\r\n".encode()
    )
    keep_alive = f"GET {BASE}/info/bacnet HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    yield "two requests on one connection (keep-alive, then close)", keep_alive + request(
        "GET", BASE + "/info/network"
    )
    yield "HTTP/1.0 keep-alive, then close", (
        f"GET {BASE}/info/bacnet HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode()
        + f"GET {BASE}/info/device HTTP/1.0\r\n\r\n".encode()
    )
    yield "HEAD on the control API", request("HEAD", "/_emulator/clock")
    yield "413: a Content-Length over max_body_size", request(
        "POST", BASE + "/system/date-time", {"Content-Type": "application/json", "Content-Length": "2000000"}
    )
    yield "431: more than 100 header fields", request(
        "GET", BASE + "/info", {f"X-Field-{number}": "y" for number in range(101)}
    )
    yield "a bad percent-encoding", request("GET", BASE + "/info%zz")
    yield "a UTF-8 path", request("GET", BASE + "/inf\u00e9".encode().decode("latin-1"))
    yield "a repeated query option", request("GET", BASE + "/info?encode=xml&encode=json")
    yield "POST mstp-ports/1 XML body", request(
        "POST",
        f"{MSTP}/1",
        {"Content-Type": "application/xml"},
        "<MstpPort><MaxMaster>64</MaxMaster></MstpPort>",
    )
    yield "POST mstp-ports/1 bad XML body", request(
        "POST", f"{MSTP}/1?encode=xml", {"Content-Type": "application/xml"}, "<MstpPort><MaxMaster>"
    )
    yield "chunked body", (
        f"POST {BASE}/system/date-time HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n".encode()
    )
    # The backup workflow.
    yield "backup files, none yet", request("GET", FILES + "/device/files")
    yield "create a backup", request("POST", BASE + "/system/backup/create", JSON, NIGHTLY)
    yield "the backup job, running", request("GET", BASE + "/system/backup/jobs/<job-1>")
    yield "the backup job, XML", request("GET", BASE + "/system/backup/jobs/<job-1>/?encode=xml")
    yield "the general job", request("GET", BASE + "/jobs/<job-1>")
    yield "the general job XML", request("GET", BASE + "/jobs/<job-1>/?encode=xml")
    yield "the job's $value", request("GET", BASE + "/system/backup/jobs/<job-1>/progress/$value")
    yield advance(3)
    yield "the backup job, later", request("GET", BASE + "/system/backup/jobs/<job-1>")
    yield advance(600)
    yield "the backup job, done", request("GET", BASE + "/system/backup/jobs/<job-1>")
    yield "the general job, done", request("GET", BASE + "/jobs/<job-1>")
    yield "backup files", request("GET", FILES + "/device/files")
    yield "backup files XML", request("GET", FILES + "/device/files?encode=xml")
    yield "/files", request("GET", BASE + "/files")
    yield "/files XML", request("GET", BASE + "/files?encode=xml")
    yield "/files/backup", request("GET", BASE + "/files/backup")
    yield "/files/backup XML", request("GET", BASE + "/files/backup?encode=xml")
    yield "the backup file's details", request("GET", FILES + "/device/files/nightly_20260302T000000Z")
    yield "download encode=bin", request(
        "GET", BASE + "/files/backup/nightly_20260302T000000Z.ecybackup?encode=bin"
    )
    yield "download as JSON", request("GET", BASE + "/files/backup/nightly_20260302T000000Z.ecybackup")
    yield "download as XML", request(
        "GET", BASE + "/files/backup/nightly_20260302T000000Z.ecybackup?encode=xml"
    )
    yield "HEAD download", request(
        "HEAD", BASE + "/files/backup/nightly_20260302T000000Z.ecybackup?encode=bin"
    )
    yield "download unknown file", request("GET", BASE + "/files/backup/nosuch.ecybackup?encode=bin")
    yield "backup files of USB without a key", request("GET", FILES + "/usb/files")
    yield "backup files of an unknown target", request("GET", FILES + "/cloud/files")
    yield "create a backup, bad body", request("POST", BASE + "/system/backup/create", JSON, "{")
    yield "create a backup, wrong fields", request(
        "POST", BASE + "/system/backup/create", JSON, json.dumps({"target": 5})
    )
    yield "create a backup on USB without a key", request(
        "POST", BASE + "/system/backup/create", JSON, NIGHTLY.replace("Device", "USB")
    )
    yield "create a second backup", request(
        "POST", BASE + "/system/backup/create", JSON, NIGHTLY.replace("nightly", "second")
    )
    yield "cancel it", request("POST", BASE + "/jobs/<job-2>/cancel")
    yield "cancel it again", request("POST", BASE + "/jobs/<job-2>/cancel")
    yield "the cancelled job", request("GET", BASE + "/jobs/<job-2>")
    yield "an unknown job", request("GET", BASE + "/jobs/00000000-0000-4000-8000-000000000000")
    yield "a job id that is no UUID", request("GET", BASE + "/system/backup/jobs/not-a-uuid")
    yield "cancel an unknown job", request("POST", BASE + "/jobs/00000000-0000-4000-8000-000000000000/cancel")
    yield "delete the backup file", request("DELETE", FILES + "/device/files/nightly_20260302T000000Z")
    yield "delete it again", request("DELETE", FILES + "/device/files/nightly_20260302T000000Z")
    # The control API.
    yield "control: jobs", request("GET", "/_emulator/jobs")
    yield "control: create a job", request(
        "POST", "/_emulator/jobs", JSON, json.dumps({"duration": 10, "status": "OK"})
    )
    yield "control: the job", request("GET", "/_emulator/jobs/<job-3>")
    yield "control: a failing job", request(
        "POST", "/_emulator/jobs", JSON, json.dumps({"duration": 4, "failAt": 50, "status": "ERROR"})
    )
    yield "control: a job, bad field", request("POST", "/_emulator/jobs", JSON, json.dumps({"nosuch": 1}))
    yield "control: a job, bad body", request("POST", "/_emulator/jobs", JSON, "[")
    yield "control: an unknown job", request("GET", "/_emulator/jobs/nosuch")
    yield "control: the clock", request("GET", "/_emulator/clock")
    yield advance(2)
    yield "control: advance, negative", request(
        "POST", "/_emulator/clock/advance", JSON, json.dumps({"seconds": -1})
    )
    yield "control: advance, no number", request(
        "POST", "/_emulator/clock/advance", JSON, json.dumps({"seconds": "1"})
    )
    yield "control: jobs later", request("GET", "/_emulator/jobs")
    yield "control: add a fault", request(
        "POST",
        "/_emulator/faults",
        JSON,
        json.dumps({"path": "/info/network", "status": 503, "errorRate": 1.0, "retryAfter": 5}),
    )
    yield "control: faults", request("GET", "/_emulator/faults")
    yield "the faulty route", request("GET", BASE + "/info/network")
    yield "control: add a fault, bad field", request(
        "POST", "/_emulator/faults", JSON, json.dumps({"nosuch": 1})
    )
    yield "control: remove the fault", request("DELETE", "/_emulator/faults/1")
    yield "control: remove it again", request("DELETE", "/_emulator/faults/1")
    yield "control: add a fault again", request(
        "POST",
        "/_emulator/faults",
        JSON,
        json.dumps({"path": "/info", "method": "GET", "status": 500, "errorRate": 1.0}),
    )
    yield "the faulty route, 500, XML", request("GET", BASE + "/info?encode=xml")
    yield "HEAD on the faulty route (the fault names GET)", request("HEAD", BASE + "/info")
    yield "control: add a dropping fault", request(
        "POST", "/_emulator/faults", JSON, json.dumps({"path": "/info/bacnet", "dropRate": 1.0})
    )
    yield "the dropping route: the connection closes, no answer", request("GET", BASE + "/info/bacnet")
    yield "control: clear the faults", request("DELETE", "/_emulator/faults")
    yield "control: faults, none", request("GET", "/_emulator/faults")
    yield "control: the request journal", request("GET", "/_emulator/requests")
    yield "control: clear the journal", request("DELETE", "/_emulator/requests")
    yield "a request for the journal", request(
        "GET", BASE + "/info?$select=apirevision", {"Authorization": "Basic c2VjcmV0"}
    )
    yield "control: the journal again", request("GET", "/_emulator/requests")
    yield "control: state of an entity", request(
        "GET", "/_emulator/state/protocols/bacnet/communication/network/mstp-ports/1"
    )
    yield "control: state of a collection", request(
        "GET", "/_emulator/state/protocols/bacnet/communication/network/mstp-ports"
    )
    yield "control: state of nothing", request("GET", "/_emulator/state/no/such")
    yield "control: set state", request(
        "PUT",
        "/_emulator/state/protocols/bacnet/communication/network/mstp-ports/2",
        JSON,
        json.dumps({"enabled": True}),
    )
    yield "the entity after PUT state", request("GET", f"{MSTP}/2")
    yield "control: set state, bad value", request(
        "PUT",
        "/_emulator/state/protocols/bacnet/communication/network/mstp-ports/2",
        JSON,
        json.dumps({"enabled": 3}),
    )
    yield "control: set state, bad JSON", request(
        "PUT", "/_emulator/state/protocols/bacnet/communication/network/mstp-ports/2", JSON, "{"
    )
    yield "control: restore state", request(
        "DELETE", "/_emulator/state/protocols/bacnet/communication/network/mstp-ports/2"
    )
    yield "the entity after DELETE state", request("GET", f"{MSTP}/2")
    yield "control: USB key", request("GET", "/_emulator/usb")
    yield "control: insert the USB key", request(
        "POST", "/_emulator/usb", JSON, json.dumps({"inserted": True})
    )
    yield "control: USB key, bad body", request(
        "POST", "/_emulator/usb", JSON, json.dumps({"inserted": "yes"})
    )
    yield "create a backup on USB", request(
        "POST", BASE + "/system/backup/create", JSON, NIGHTLY.replace("Device", "USB")
    )
    yield advance(600)
    yield "backup files of USB", request("GET", FILES + "/usb/files")
    yield "control: a backup file's compatibility", request(
        "POST",
        "/_emulator/backups/usb/nightly_20260302T001005Z",
        JSON,
        json.dumps({"compatibility": "WARNING_MISSMATCH_FIRMWARE_NEWER"}),
    )
    yield "backup files of USB after", request("GET", FILES + "/usb/files")
    yield "control: compatibility, unknown level", request(
        "POST",
        "/_emulator/backups/usb/nightly_20260302T001005Z",
        JSON,
        json.dumps({"compatibility": "MAYBE"}),
    )
    yield "control: compatibility, unknown file", request(
        "POST", "/_emulator/backups/device/nosuch", JSON, json.dumps({"compatibility": "OK"})
    )
    yield "control: the OpenAPI document", request("GET", "/_emulator/openapi.json")
    yield "control: unknown route", request("GET", "/_emulator/nosuch")
    yield "control: wrong method", request("PUT", "/_emulator/jobs", JSON, "{}")
    yield "control: reset", request("POST", "/_emulator/reset")
    yield "control: jobs after reset", request("GET", "/_emulator/jobs")
    yield "backup files after reset", request("GET", FILES + "/device/files")
    yield "mstp-ports/1 after reset", request("GET", f"{MSTP}/1")


def auth_requests() -> Iterator[tuple[str, bytes]]:
    """Basic authentication (the `users` option) and the session cookie."""
    good, bad = base64.b64encode(b"admin:secret").decode(), base64.b64encode(b"admin:wrong").decode()
    yield "no credentials (401)", request("GET", BASE + "/info")
    yield "no credentials, XML (401)", request("GET", BASE + "/info?encode=xml")
    yield "wrong password (401)", request("GET", BASE + "/info", {"Authorization": f"Basic {bad}"})
    yield "not Basic (401)", request("GET", BASE + "/info", {"Authorization": "Bearer abc"})
    yield "bad base64 (401)", request("GET", BASE + "/info", {"Authorization": "Basic !!!"})
    yield "right password", request("GET", BASE + "/info", {"Authorization": f"Basic {good}"})
    yield "right password, 404", request("GET", BASE + "/nosuch", {"Authorization": f"Basic {good}"})
    yield "the session cookie", request(
        "GET", BASE + "/info/device", {"Cookie": "ECLYPSERESTSESSIONID=<session-1>"}
    )
    yield "an unknown session cookie (401)", request(
        "GET", BASE + "/info", {"Cookie": "ECLYPSERESTSESSIONID=nosuch"}
    )
    yield "control API without credentials", request("GET", "/_emulator/clock")
    yield "control API with credentials", request(
        "GET", "/_emulator/clock", {"Authorization": f"Basic {good}"}
    )


def revision_requests() -> Iterator[tuple[str, bytes]]:
    """An older API revision (the `api_revision` option): what it serves and what it does not."""
    yield "the API's root", request("GET", BASE)
    yield "the API revision", request("GET", BASE + "/info/apirevision/$value")
    yield "create a backup", request("POST", BASE + "/system/backup/create", JSON, NIGHTLY)
    yield "the backup job (no successor before 6.0)", request("GET", BASE + "/system/backup/jobs/<job-1>")
    yield "the general job (from 6.0)", request("GET", BASE + "/jobs/<job-1>")
    yield "cancel (from 6.0)", request("POST", BASE + "/jobs/<job-1>/cancel")


SESSIONS: dict[str, tuple[dict[str, Any], Callable[[], Iterator[tuple[str, bytes]]]]] = {
    "device": (
        {"clock": "manual", "device_time": "2026-01-15T10:00:00Z", "seed": 7, "job_duration": 10},
        device_requests,
    ),
    "auth": (
        {"clock": "manual", "device_time": "2026-01-15T10:00:00Z", "seed": 7, "users": {"admin": "secret"}},
        auth_requests,
    ),
    "revision-5.0": (
        {"clock": "manual", "device_time": "2026-01-15T10:00:00Z", "seed": 7, "api_revision": "5.0"},
        revision_requests,
    ),
}


def record_requests() -> dict[str, tuple[dict[str, Any], list[tuple[str, bytes]]]]:
    """Each session's server options and its (note, raw request) list."""
    return {name: (options, list(requests())) for name, (options, requests) in SESSIONS.items()}


def record() -> list[Session]:
    """Send every session's requests on both cores; one answer where the cores agree, one per core if not."""
    sessions = []
    for name, (options, requests) in record_requests().items():
        by_core = {core: run(options, [raw for _, raw in requests], core) for core in CORES}
        exchanges = []
        for number, (note, raw) in enumerate(requests, 1):
            answers = {core: by_core[core][number - 1] for core in CORES}
            if answers["asyncio"] == answers["threads"]:
                answers = {"both": answers["asyncio"]}
            exchanges.append(Exchange(name, number, note, raw, answers))
        sessions.append(Session(name, options, exchanges))
    return sessions


def main() -> None:
    sessions = record()
    dump(sessions)
    count = sum(len(session.exchanges) for session in sessions)
    differ = sum(len(exchange.answers) > 1 for session in sessions for exchange in session.exchanges)
    print(
        f"{CORPUS}: {count} requests in {len(sessions)} sessions; {differ} answered differently by the cores"
    )


if __name__ == "__main__":
    main()
