"""Reading HTTP/1.1 requests from a byte stream, for the event-loop core (runtime/evloop.py).

`RequestReader` takes bytes as they arrive and hands out complete requests, in order, with the same
limits and the same refusals (in the spec's error vocabulary) as the http.server core.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from ..generated import handler as api

MAX_REQUEST_LINE = 65536  # as http.server: 414 beyond
MAX_HEADER_LINE = 65536  # 431 beyond
MAX_HEADERS = 100  # 431 beyond
MAX_HEAD = 256 * 1024  # 431 beyond
HEAD_END = re.compile(rb"\r?\n\r?\n")
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Headers:
    """Header fields as sent, read case-insensitively like http.server's: `get`, `get_all`, `items`."""

    __slots__ = ("fields", "_joined")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self.fields = fields
        self._joined: dict[str, str] = {}
        for name, value in fields:
            key = name.lower()
            self._joined[key] = f"{self._joined[key]}, {value}" if key in self._joined else value

    def get(self, name: str, default: Any = None) -> Any:
        return self._joined.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def get_all(self, name: str, default: Any = None) -> Any:
        key = name.lower()
        return [value for field, value in self.fields if field.lower() == key] or default

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self.fields)


@dataclass(slots=True)
class Parsed:
    """A complete request (or the refusal of a malformed one, after which the connection closes)."""

    request: api.Request | None
    request_line: str
    close: bool
    refusal: api.Response | None = None


class Refused(Exception):
    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields


class RequestReader:
    def __init__(self, max_body_size: int) -> None:
        self.buffer = bytearray()
        self.max_body_size = max_body_size
        self.continue_sent = False
        self.failed = False

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def next(self) -> tuple[Parsed | None, bytes]:
        """The next complete request (None: wait for more bytes), and bytes to send before any answer
        (an interim 100 Continue)."""
        if self.failed:
            return None, b""
        try:
            return self._next()
        except Refused as refusal:
            self.failed = True
            self.buffer.clear()
            return Parsed(None, "-", True, api.error_response(refusal.key, **refusal.fields)), b""

    def _next(self) -> tuple[Parsed | None, bytes]:
        buffer = self.buffer
        while buffer[:2] == b"\r\n" or buffer[:1] == b"\n":  # empty lines before a request (RFC 9112 2.2)
            del buffer[: 2 if buffer[:1] == b"\r" else 1]
        end = HEAD_END.search(buffer)
        if end is None:
            first = buffer.find(b"\n")
            if (first < 0 and len(buffer) > MAX_REQUEST_LINE) or first > MAX_REQUEST_LINE:
                raise Refused("uri_too_long")
            if len(buffer) > MAX_HEAD:
                raise Refused("headers_too_large")
            return None, b""
        if end.start() > MAX_HEAD:
            raise Refused("headers_too_large")
        lines = bytes(buffer[: end.start()]).decode("latin-1").split("\n")
        request_line = lines[0].rstrip("\r")
        if len(request_line) > MAX_REQUEST_LINE:
            raise Refused("uri_too_long")
        method, target, version = _request_line(request_line)
        headers = Headers(_header_fields(lines[1:]))
        connection = (headers.get("Connection") or "").lower()
        close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        body_start = end.end()
        if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
            found = self._chunked(body_start)
            if found is None:
                return None, self._interim(headers)
            body, body_end = found
        else:
            length = self._content_length(headers)
            if len(buffer) < body_start + length:
                return None, self._interim(headers)
            body, body_end = bytes(buffer[body_start : body_start + length]), body_start + length
        del buffer[:body_end]
        self.continue_sent = False
        request = api.Request(method, api.origin_form(target), headers, body)
        return Parsed(request, request_line, close), b""

    def _interim(self, headers: Headers) -> bytes:
        if self.continue_sent or (headers.get("Expect") or "").lower() != "100-continue":
            return b""
        self.continue_sent = True
        return CONTINUE

    def _content_length(self, headers: Headers) -> int:
        lengths = {value.strip() for value in headers.get_all("Content-Length", ())}
        if not lengths:
            return 0
        text = lengths.pop()
        if lengths or not (text.isdigit() and text.isascii()):
            raise Refused("bad_request", reason="the Content-Length is not one non-negative integer")
        if int(text) > self.max_body_size:
            raise Refused("body_too_large", limit=self.max_body_size)
        return int(text)

    def _chunked(self, start: int) -> tuple[bytes, int] | None:
        """The decoded body and where it ends, or None while it is incomplete."""
        buffer, position, chunks, size = self.buffer, start, [], 0
        while True:
            line_end = buffer.find(b"\n", position)
            if line_end < 0:
                if len(buffer) - position > 1026:
                    raise Refused("bad_request", reason="a chunk size line is too long")
                return None
            line = bytes(buffer[position:line_end]).split(b";")[0].strip()
            if not HEX.fullmatch(line):
                raise Refused("bad_request", reason="a chunk size is not hexadecimal")
            chunk = int(line, 16)
            size += chunk
            if size > self.max_body_size:
                raise Refused("body_too_large", limit=self.max_body_size)
            position = line_end + 1
            if chunk == 0:
                return self._trailers(position, b"".join(chunks))
            if len(buffer) < position + chunk + 2:
                return None
            chunks.append(bytes(buffer[position : position + chunk]))
            position += chunk
            if buffer[position : position + 2] == b"\r\n":
                position += 2
            elif buffer[position : position + 1] == b"\n":
                position += 1
            else:
                raise Refused("bad_request", reason="a chunk does not end with CRLF")

    def _trailers(self, position: int, body: bytes) -> tuple[bytes, int] | None:
        """Skip the trailer fields after the last chunk, up to the empty line."""
        while True:
            line_end = self.buffer.find(b"\n", position)
            if line_end < 0:
                return None
            empty = self.buffer[position:line_end].strip() == b""
            position = line_end + 1
            if empty:
                return body, position


def _request_line(line: str) -> tuple[str, str, str]:
    parts = line.split(" ")
    if len(parts) != 3 or not TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise Refused("bad_request", reason=f"Bad request syntax ({line[:100]!r})")
    method, target, version = parts
    if version not in api.HTTP_VERSIONS:
        raise Refused("bad_request", reason=f"Unsupported HTTP version ({version[:20]})")
    return method, target, version


def _header_fields(lines: list[str]) -> list[tuple[str, str]]:
    if len(lines) > MAX_HEADERS:
        raise Refused("headers_too_large")
    fields = []
    for raw in lines:
        line = raw.rstrip("\r")
        if len(line) > MAX_HEADER_LINE:
            raise Refused("headers_too_large")
        name, colon, value = line.partition(":")
        if not colon or not TOKEN.fullmatch(name):  # also refuses obsolete line folding
            raise Refused("bad_request", reason=f"Malformed header line ({line[:100]!r})")
        fields.append((name, value.strip(" \t")))
    return fields
