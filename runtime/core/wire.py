"""What every serving core exchanges with an API: requests and responses as values, and a response's bytes.

Spec-independent: the generated handler and the runtime's control API answer `Request`s with `Response`s;
a core turns a `Response` into one buffer with a `ResponseWriter` (one write per response, so that Nagle
never delays it). The parts of a head that do not change (status lines, the Server header, Content-Type
lines, the Date of the current second) are built once and reused.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Iterable, Protocol


class HeaderFields(Protocol):
    """A request's header fields, read case-insensitively: `http1.Headers` as read from the wire, or a
    mapping (a test's dict)."""

    def get(self, name: str, /) -> str | None: ...

    def items(self) -> Iterable[tuple[str, str]]: ...


@dataclass(slots=True)
class Request:
    method: str
    target: str
    headers: HeaderFields
    body: bytes = b""


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


class Receiving(Protocol):
    """What takes a streamed request body (runtime/core/http1.py `BodyPart`s): `write` each part in order
    (an answer: the body is refused, answer it and close), then `finish` (the answer), or `abort` when the
    body does not come whole."""

    def write(self, data: bytes) -> Response | None: ...

    def finish(self) -> Response: ...

    def abort(self) -> None: ...


class ApiError(Exception):
    """An error of the spec's catalogue, raised while answering; `fields` fill its message."""

    def __init__(self, key: str, headers: tuple[tuple[str, str], ...] = (), **fields: Any) -> None:
        super().__init__(key)
        self.key, self.headers, self.fields = key, list(headers), fields


def origin_form(target: str) -> str:
    """`http://host/path?query` (absolute-form, RFC 9112 section 3.2.2, which a server must accept)
    -> `/path?query`; any other target as it is."""
    if target.startswith("/"):
        return target
    scheme, separator, rest = target.partition("://")
    if not separator or scheme.lower() not in ("http", "https") or "/" in scheme:
        return target
    path_start = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    path = rest[path_start:]
    return path if path.startswith("/") else "/" + path


def _status_line(status: int) -> str:
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    return f"HTTP/1.1 {status} {reason}"


class ResponseWriter:
    """Writes responses as one buffer each, announcing `server_header`, with `headers` on every answer."""

    def __init__(self, server_header: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.server_header = server_header
        self._always = "".join(f"{name}: {value}\r\n" for name, value in headers)
        self._starts: dict[int, bytes] = {}  # status -> status line and Server header
        self._types: dict[str, bytes] = {}  # content type -> its header line
        self._date: tuple[int, bytes] = (0, b"")

    def _start(self, status: int) -> bytes:
        start = self._starts.get(status)
        if start is None:
            start = f"{_status_line(status)}\r\nServer: {self.server_header}\r\n{self._always}".encode(
                "latin-1"
            )
            self._starts[status] = start
        return start

    def _date_line(self) -> bytes:
        """The Date header, formatted at most once a second."""
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, f"Date: {email.utils.formatdate(now, usegmt=True)}\r\n".encode("latin-1"))
        return self._date[1]

    def _type_line(self, content_type: str) -> bytes:
        line = self._types.get(content_type)
        if line is None:
            line = f"Content-Type: {content_type}\r\n".encode("latin-1", "replace")
            if len(self._types) < 64:  # content types come from the spec; anything else is not kept
                self._types[content_type] = line
        return line

    def bytes(
        self, response: Response, head_only: bool = False, close: bool = False, keep_alive: bool = False
    ) -> bytes:
        """The whole response. `close` announces the connection's end; `keep_alive` acknowledges an
        HTTP/1.0 client's keep-alive."""
        parts = [self._start(response.status), self._date_line()]
        if response.content_type is not None:
            parts.append(self._type_line(response.content_type))
        parts.append(b"Content-Length: %d\r\n" % len(response.body))
        if response.headers:
            text = "".join(f"{name}: {value}\r\n" for name, value in response.headers)
            parts.append(text.encode("latin-1", "replace"))
        if close:
            parts.append(b"Connection: close\r\n")
        elif keep_alive:
            parts.append(b"Connection: keep-alive\r\n")
        parts.append(b"\r\n")
        if not head_only:
            parts.append(response.body)
        return b"".join(parts)
