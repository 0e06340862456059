"""Reading HTTP/1.x requests: bytes in, events out, no I/O (in the manner of h11).

One `RequestReader` per connection, used by both serving cores: `feed(data)` the bytes as they arrive,
then call `next_event()` until it answers None (more bytes are needed). Events, in order:

- `Continue`: the client waits for `100 Continue` before sending its body (HTTP/1.1 only);
- `RequestEvent`: a complete request (head and decoded body), or, for a request whose body is streamed
  (`streamed=True`: the reader's `streams(method, target)` said so), its head alone, followed by
  `BodyPart`s of its decoded body as they arrive and a `BodyEnd`: the body is never gathered, whatever its
  size (whoever consumes the parts bounds it);
- `Refusal`: the request is malformed (an error key of the spec's catalogue and its fields); answer
  it and close the connection, as nothing that follows can be trusted. The reader reads no further.

It refuses what RFC 9112 refuses: whitespace before a header's colon, a header line without a colon and
obsolete line folding (400, section 5); a Transfer-Encoding whose final coding is not chunked (400) or that
names another coding (501, section 6.1); a Content-Length that is not one integer (400); none or two Host
headers on HTTP/1.1, two on HTTP/1.0 (400, section 3.2). A chunked body is parsed as it arrives, each byte
looked at once, with a bound on its chunk count and on its trailer's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

MAX_REQUEST_LINE = 65536  # 414 beyond (as http.server)
MAX_HEADER_LINE = 65536  # 431 beyond
MAX_HEADERS = 100  # 431 beyond
MAX_HEAD = 256 * 1024  # 431 beyond
MAX_CHUNKS = 16384  # chunks in one body: 400 beyond
MAX_CHUNK_LINE = 1024  # a chunk-size line with its extensions: 400 beyond
MAX_TRAILER = 8192  # bytes of trailer fields (which are read and ignored): 431 beyond
HTTP_VERSIONS = ("HTTP/1.0", "HTTP/1.1")
# A streamed body refused before its end: after the answer, the rest is read and dropped, at most this many
# bytes for at most this many seconds, before the connection closes (closing with unread input resets it,
# which may erase the answer before the client reads it: RFC 9112 section 9.6).
LINGER_BYTES = 4 << 20
LINGER_SECONDS = 2.0

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
HEAD_END = re.compile(rb"\n\r?\n")  # the empty line after the header fields (CRLF or bare LF endings)
# A field value: visible characters, spaces and tabs (obs-text allowed); no CR, LF or NUL.
BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class Headers:
    """Header fields as sent, read case-insensitively like http.server's: `get`, `get_all`, `items`."""

    __slots__ = ("fields", "_joined")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self.fields = fields
        joined: dict[str, str] = {}
        for name, value in fields:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        self._joined = joined

    def get(self, name: str, default: Any = None) -> Any:
        return self._joined.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def get_all(self, name: str, default: Any = None) -> Any:
        key = name.lower()
        return [value for field_name, value in self.fields if field_name.lower() == key] or default

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)


@dataclass(slots=True)
class Continue:
    """Send `HTTP/1.1 100 Continue` now: the client waits for it before sending the body."""


@dataclass(slots=True)
class RequestEvent:
    method: str
    target: str
    version: str
    headers: Headers
    body: bytes
    request_line: str
    close: bool  # close the connection after answering
    keep_alive: bool = False  # an HTTP/1.0 keep-alive, to acknowledge with `Connection: keep-alive`
    streamed: bool = False  # the head alone: BodyParts and a BodyEnd follow
    expects_continue: bool = False  # (streamed) the client waits for `100 Continue` before its body
    linger: bool = False  # (streamed, refused before its end) drop what follows a while before closing


@dataclass(slots=True)
class BodyPart:
    """Some bytes of a streamed request's decoded body, in order."""

    data: bytes


@dataclass(slots=True)
class BodyEnd:
    """A streamed request's body is complete (the next event is the next request's)."""


@dataclass(slots=True)
class Refusal:
    key: str  # an error of the spec's catalogue
    fields: dict[str, Any] = field(default_factory=dict)
    request_line: str = "-"


CONTINUE_BYTES = b"HTTP/1.1 100 Continue\r\n\r\n"


class _Refused(Exception):
    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields


def _bad(reason: str) -> _Refused:
    return _Refused("bad_request", reason=reason)


class _Head:
    """A parsed request head, waiting for its body."""

    __slots__ = (
        "method",
        "target",
        "version",
        "headers",
        "request_line",
        "close",
        "keep_alive",
        "length",
        "chunked",
        "streamed",
    )

    def __init__(
        self,
        method: str,
        target: str,
        version: str,
        headers: Headers,
        request_line: str,
        close: bool,
        keep_alive: bool,
        length: int,
        chunked: bool,
        streamed: bool = False,
    ) -> None:
        self.method, self.target, self.version, self.headers = method, target, version, headers
        self.request_line, self.close, self.keep_alive = request_line, close, keep_alive
        self.length, self.chunked, self.streamed = length, chunked, streamed


class RequestReader:
    """An incremental HTTP/1.x request reader for one connection. `streams(method, target)`, when given,
    tells the requests whose body is streamed rather than gathered (their size is not bounded here, but by
    whoever consumes the parts)."""

    def __init__(
        self, max_body_size: int = 1 << 20, streams: Callable[[str, str], bool] | None = None
    ) -> None:
        self.buffer = bytearray()
        self.max_body_size = max_body_size
        self.streams = streams
        self.failed = False  # a refusal was given: nothing more is read
        self._head: _Head | None = None  # the request whose body is being read
        self._scanned = 0  # how far the buffer was searched for the end of a head, in vain
        self._continue_due = False
        # Chunked body state.
        self._chunks: list[bytes] = []
        self._size = 0
        self._count = 0
        self._chunk_left = -1  # bytes of the current chunk still to come; -1: a size line is next
        self._in_trailer = False
        self._trailer_size = 0
        # Streamed body state: the head was given, its parts are being given; the last part was given.
        self._streaming = False
        self._left = 0  # bytes of a Content-Length body still to come
        self._ended = False

    def feed(self, data: bytes) -> None:
        if not self.failed:
            self.buffer += data

    def stop(self) -> None:
        """Read nothing more (a streamed body was refused: the connection ends after its answer)."""
        self.failed = True
        self.buffer.clear()

    @property
    def busy(self) -> bool:
        """Part of a request has arrived (its deadline runs)."""
        return bool(self.buffer) or self._head is not None

    def next_event(self) -> Continue | RequestEvent | BodyPart | BodyEnd | Refusal | None:
        if self.failed:
            return None
        try:
            return self._next()
        except _Refused as refusal:
            self.failed = True
            self.buffer.clear()
            line = self._head.request_line if self._head is not None else "-"
            self._head = None
            return Refusal(refusal.key, refusal.fields, line)

    # --- the head ------------------------------------------------------------------------------

    def _next(self) -> Continue | RequestEvent | BodyPart | BodyEnd | None:
        if self._head is None:
            head = self._read_head()
            if head is None:
                return None
            self._head = head
            self._continue_due = (
                (head.chunked or head.length > 0)
                and head.version == "HTTP/1.1"
                and (head.headers.get("Expect") or "").strip().lower() == "100-continue"
            )
            if head.streamed:  # the head now; whoever takes the body says whether to continue
                self._streaming, self._left, self._ended = True, head.length, False
                expects, self._continue_due = self._continue_due, False
                return self._event(head, b"", streamed=True, expects_continue=expects)
        head = self._head
        if self._streaming:
            return self._next_part(head)
        body = self._read_chunked() if head.chunked else self._read_length(head.length)
        if body is None:
            if self._continue_due:
                self._continue_due = False
                return Continue()
            return None
        self._head = None
        self._continue_due = False
        return self._event(head, body)

    @staticmethod
    def _event(head: _Head, body: bytes, **streaming: bool) -> RequestEvent:
        return RequestEvent(
            head.method,
            head.target,
            head.version,
            head.headers,
            body,
            head.request_line,
            head.close,
            head.keep_alive,
            **streaming,
        )

    def _next_part(self, head: _Head) -> BodyPart | BodyEnd | None:
        """The streamed body's next part (what has arrived of it), then its end."""
        if not self._ended:
            if head.chunked:
                self._ended = self._read_chunked(streaming=True) is not None
                data = b"".join(self._chunks)
                self._chunks.clear()
            else:
                data = bytes(self.buffer[: self._left])
                del self.buffer[: len(data)]
                self._left -= len(data)
                self._ended = self._left == 0
            if data:
                return BodyPart(data)
        if not self._ended:
            return None
        self._head, self._streaming, self._ended = None, False, False
        return BodyEnd()

    def _read_head(self) -> _Head | None:
        buffer = self.buffer
        if not buffer:  # between requests: nothing to look at
            self._scanned = 0
            return None
        # Empty lines before a request are ignored (RFC 9112 section 2.2).
        if buffer.startswith((b"\r", b"\n")):
            skip = 0
            while buffer[skip : skip + 2] == b"\r\n" or buffer[skip : skip + 1] == b"\n":
                skip += 2 if buffer[skip : skip + 1] == b"\r" else 1
            if skip:
                del buffer[:skip]
                self._scanned = 0
        found = HEAD_END.search(buffer, max(0, self._scanned - 2))
        if found is None:
            self._scanned = len(buffer)
            first = buffer.find(b"\n")
            if (first < 0 and len(buffer) > MAX_REQUEST_LINE) or first > MAX_REQUEST_LINE:
                raise _Refused("uri_too_long")
            if len(buffer) > MAX_HEAD:
                raise _Refused("headers_too_large")
            return None
        self._scanned = 0
        head_end, body_start = found.start(), found.end()
        if head_end > MAX_HEAD:
            raise _Refused("headers_too_large")
        text = buffer[:head_end].decode("latin-1")
        del buffer[:body_start]
        request_line, newline, block = text.partition("\n")
        request_line = request_line[:-1] if request_line.endswith("\r") else request_line
        if len(request_line) > MAX_REQUEST_LINE:
            raise _Refused("uri_too_long")
        method, target, version = _request_line(request_line)
        # A client polling sends the same header block again and again: it is read once. What depends on
        # the reader or the target (the body's limit, whether it streams) is asked again each time.
        known = _KNOWN_HEADS.get((version, block))
        if known is not None:
            headers, close, keep_alive, length = known
            if not length:
                return _Head(method, target, version, headers, request_line, close, keep_alive, 0, False)
            if self.streams is None or not self.streams(method, target):
                if length > self.max_body_size:
                    raise _Refused("body_too_large", limit=self.max_body_size)
                return _Head(method, target, version, headers, request_line, close, keep_alive, length, False)
            return self._framing(method, target, version, headers, request_line, True)
        headers = Headers(_header_fields(block.split("\n") if newline else []))
        # A body to stream rather than gather (asked only of a request with a body).
        streamed = (
            self.streams is not None
            and ("content-length" in headers or "transfer-encoding" in headers)
            and self.streams(method, target)
        )
        head = self._framing(method, target, version, headers, request_line, streamed)
        if len(block) <= MAX_KNOWN_HEAD and "transfer-encoding" not in headers:
            if len(_KNOWN_HEADS) >= MAX_KNOWN_HEADS:
                _KNOWN_HEADS.clear()  # many distinct blocks: start again (the repeated ones come back)
            _KNOWN_HEADS[(version, block)] = (headers, head.close, head.keep_alive, head.length)
        return head

    def _framing(
        self,
        method: str,
        target: str,
        version: str,
        headers: Headers,
        request_line: str,
        streamed: bool = False,
    ) -> _Head:
        fields = headers._joined
        hosts = sum(1 for name, _ in headers.fields if name.lower() == "host") if "host" in fields else 0
        if hosts > 1 or (hosts == 0 and version == "HTTP/1.1"):
            raise _bad(
                "a request has exactly one Host header"
                if hosts
                else "an HTTP/1.1 request needs a Host header"
            )
        connection = {token.strip().lower() for token in fields.get("connection", "").split(",")}
        keep_alive = version == "HTTP/1.0" and "keep-alive" in connection and "close" not in connection
        close = "close" in connection or (version == "HTTP/1.0" and not keep_alive)
        chunked, length = False, 0
        if "transfer-encoding" in fields:
            codings = [c.strip().lower() for c in fields["transfer-encoding"].split(",")]
            if "chunked" in codings and (codings[-1] != "chunked" or codings.count("chunked") > 1):
                raise _bad("chunked is not the final transfer coding")
            if codings != ["chunked"]:
                raise _Refused(
                    "not_implemented", what=f"Transfer-Encoding {fields['transfer-encoding'][:100]!r}"
                )
            chunked = True
            # With Content-Length too (a smuggling attempt), or on HTTP/1.0: read as chunked, then close.
            close = close or "content-length" in fields or version == "HTTP/1.0"
            keep_alive = keep_alive and not close
        elif "content-length" in fields:
            lengths = {value.strip(" \t") for value in fields["content-length"].split(",")}
            text = lengths.pop()
            if lengths or not (text.isdigit() and text.isascii()):
                raise _bad("the Content-Length is not one non-negative integer")
            length = int(text) if len(text) < 20 else 1 << 64
            if length > self.max_body_size and not streamed:  # a streamed body's taker bounds it
                raise _Refused("body_too_large", limit=self.max_body_size)
        return _Head(
            method,
            target,
            version,
            headers,
            request_line,
            close,
            keep_alive,
            length,
            chunked,
            streamed and (chunked or length > 0),
        )

    # --- the body ------------------------------------------------------------------------------

    def _read_length(self, length: int) -> bytes | None:
        if not length:
            return b""
        buffer = self.buffer
        if len(buffer) < length:
            return None
        body = bytes(buffer[:length])
        del buffer[:length]
        return body

    def _read_chunked(self, streaming: bool = False) -> bytes | None:
        """The decoded body once its last chunk and trailer are in; None meanwhile. Each call goes on
        from where the last one stopped, consuming what it has parsed. `streaming`: the chunks' data is
        taken from `_chunks` by the caller as it comes, and neither the body's size nor its chunks are
        counted here (b"" at the end)."""
        buffer = self.buffer
        while True:
            if self._in_trailer:
                return self._read_trailer(streaming)
            if self._chunk_left < 0:  # a chunk-size line
                line_end = buffer.find(b"\n", 0, MAX_CHUNK_LINE + 2)
                if line_end < 0:
                    if len(buffer) > MAX_CHUNK_LINE:
                        raise _bad("a chunk size line is too long")
                    return None
                size_text = bytes(buffer[:line_end]).split(b";", 1)[0].strip(b" \t\r")
                del buffer[: line_end + 1]
                if not HEX.fullmatch(size_text):
                    raise _bad("a chunk size is not hexadecimal")
                chunk = int(size_text, 16)
                self._size += chunk
                if self._size > self.max_body_size and not streaming:
                    raise _Refused("body_too_large", limit=self.max_body_size)
                if chunk == 0:
                    self._in_trailer = True
                    continue
                self._count += 1
                if self._count > MAX_CHUNKS and not streaming:
                    raise _bad(f"a chunked body has more than {MAX_CHUNKS} chunks")
                self._chunk_left = chunk
            if self._chunk_left > 0:  # chunk data
                if not buffer:
                    return None
                taken = bytes(buffer[: self._chunk_left])
                del buffer[: len(taken)]
                self._chunks.append(taken)
                self._chunk_left -= len(taken)
                if self._chunk_left:
                    return None
            # The CRLF after a chunk's data (self._chunk_left == 0).
            if buffer[:1] == b"\n":
                del buffer[:1]
            elif buffer[:2] == b"\r\n":
                del buffer[:2]
            elif not buffer or buffer == b"\r":
                return None
            else:
                raise _bad("a chunk does not end with CRLF")
            self._chunk_left = -1

    def _read_trailer(self, streaming: bool = False) -> bytes | None:
        buffer = self.buffer
        while True:
            line_end = buffer.find(b"\n")
            if line_end < 0:
                if self._trailer_size + len(buffer) > MAX_TRAILER:
                    raise _Refused("headers_too_large")
                return None
            self._trailer_size += line_end + 1
            if self._trailer_size > MAX_TRAILER:
                raise _Refused("headers_too_large")
            empty = buffer[:line_end].strip(b"\r") == b""
            del buffer[: line_end + 1]
            if empty:
                if streaming:  # the caller takes the last chunks
                    self._size, self._count = 0, 0
                    self._chunk_left, self._in_trailer, self._trailer_size = -1, False, 0
                    return b""
                body = b"".join(self._chunks)
                self._chunks, self._size, self._count = [], 0, 0
                self._chunk_left, self._in_trailer, self._trailer_size = -1, False, 0
                return body


# Header blocks seen before, by (version, block): their fields and framing (a chunked body's aside), shared
# by every request that sends the same block (read-only: Headers is never changed once made). Bounded in
# entries and in the size of a block (512 KiB in all).
_KNOWN_HEADS: dict[tuple[str, str], tuple[Headers, bool, bool, int]] = {}
MAX_KNOWN_HEADS = 256
MAX_KNOWN_HEAD = 2048
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"))


def _request_line(line: str) -> tuple[str, str, str]:
    parts = line.split(" ")
    if len(parts) != 3 or not (parts[0] in METHODS or TOKEN.fullmatch(parts[0])) or not parts[1]:
        raise _bad(f"Bad request syntax ({line[:100]!r})")
    method, target, version = parts
    if version not in HTTP_VERSIONS:
        raise _bad(f"Unsupported HTTP version ({version[:20]})")
    return method, target, version


def _header_fields(lines: list[str]) -> list[tuple[str, str]]:
    if len(lines) > MAX_HEADERS:
        raise _Refused("headers_too_large")
    fields = []
    for raw in lines:
        line = raw[:-1] if raw.endswith("\r") else raw
        if len(line) > MAX_HEADER_LINE:
            raise _Refused("headers_too_large")
        name, colon, value = line.partition(":")
        # A name that is no token covers whitespace before the colon and obsolete line folding.
        if not colon or not TOKEN.fullmatch(name):
            raise _bad(f"Malformed header line ({line[:100]!r})")
        value = value.strip(" \t")
        if BAD_VALUE.search(value):
            raise _bad(f"a control character in the value of {name[:100]}")
        fields.append((name, value))
    return fields
