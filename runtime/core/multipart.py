"""A multipart/form-data body (RFC 7578) read as it arrives: the file of one field goes to a sink chunk by
chunk, never gathered, so that a file of any size costs the memory of one chunk.

    form = FormReader(boundary_of(content_type), "file", sink)
    for data in parts_of_the_body:
        form.write(data)
    form.close()  # the sink has had begin, write... ; then the caller asks it to finish

The file field's bytes go to `sink.write`; every other field is read and dropped (each at most
MAX_FIELD bytes). Anything malformed, or bounds passed, is an ApiError of the catalogue's generic keys
(`invalid_body`, `body_too_large`), raised by `write` or `close`.
"""

from __future__ import annotations

import email.message
from typing import Any, Protocol

from .wire import ApiError

MAX_PART_HEAD = 8192  # bytes of one part's header fields
MAX_PARTS = 16  # parts of one form
MAX_FIELD = 65536  # bytes of a field that is not the file (read and dropped)
MAX_OUTSIDE = 65536  # bytes before the first boundary and after the last (ignored)
MAX_BOUNDARY = 70  # RFC 2046 section 5.1.1
WHAT = "multipart/form-data body"


class FileSink(Protocol):
    """Where the file of a form goes: `begin` with the part's file name and Content-Type, `write` its
    bytes in order (an ApiError refuses them), `limit` its largest size in bytes; then `finish` (the
    answer's values, once the whole body was read) or `abort` (it was not: undo what began)."""

    limit: int

    def begin(self, filename: str | None, content_type: str | None) -> None: ...

    def write(self, data: bytes) -> None: ...

    def finish(self) -> Any: ...

    def abort(self) -> None: ...


def boundary_of(content_type: str) -> str | None:
    """The boundary of a `multipart/form-data; boundary=...` Content-Type; None for any other type."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= MAX_BOUNDARY:
        return None
    return boundary


def _refused(reason: str) -> ApiError:
    return ApiError("invalid_body", object=WHAT, reason=reason)


class FormReader:
    """Reads one multipart/form-data body written to it in pieces of any size; the part named `field`
    goes to `sink`."""

    def __init__(self, boundary: str, field: str, sink: FileSink) -> None:
        self.field, self.sink = field, sink
        self._delimiter = b"\r\n--" + boundary.encode("latin-1")
        # The body starts with the first delimiter (without its CRLF): read as if a CRLF came before.
        self._buffer = bytearray(b"\r\n")
        self._state = "preamble"  # preamble, after (a delimiter), head, data, epilogue
        self._outside = 0  # bytes of preamble and epilogue
        self._parts = 0
        self._to_file = False  # the part being read is the file's
        self._field_size = 0
        self._file_size = 0
        self.file_seen = False

    def write(self, data: bytes) -> None:
        self._buffer += data
        while self._step():
            pass

    def close(self) -> None:
        """The body is complete: it must have ended with the closing delimiter and held the file."""
        if self._state != "epilogue":
            raise _refused("it ends before its closing boundary")
        if not self.file_seen:
            raise _refused(f"it has no field {self.field!r}")

    def _step(self) -> bool:
        """Parse what the buffer holds as far as it can; whether to go on."""
        buffer, state = self._buffer, self._state
        if state == "preamble":
            found = buffer.find(self._delimiter)
            if found < 0:
                kept = len(self._delimiter) - 1
                self._outside_bytes(max(0, len(buffer) - kept))
                del buffer[: max(0, len(buffer) - kept)]
                return False
            self._outside_bytes(found)
            del buffer[: found + len(self._delimiter)]
            self._state = "after"
            return True
        if state == "after":  # "--" ends the form; else optional whitespace and CRLF begin a part
            if len(buffer) < 2:
                return False
            if buffer[:2] == b"--":
                del buffer[:2]
                self._state = "epilogue"
                return True
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                if len(buffer) > 256:
                    raise _refused("a boundary line is not followed by CRLF")
                return False
            if buffer[:line_end].strip(b" \t"):
                raise _refused("a boundary line is not followed by CRLF")
            del buffer[: line_end + 2]
            self._state = "head"
            return True
        if state == "head":
            return self._head()
        if state == "data":
            return self._data()
        self._outside_bytes(len(buffer))  # the epilogue is ignored
        buffer.clear()
        return False

    def _outside_bytes(self, count: int) -> None:
        self._outside += count
        if self._outside > MAX_OUTSIDE:
            raise _refused(f"more than {MAX_OUTSIDE} bytes lie outside its parts")

    def _head(self) -> bool:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if buffer.startswith(b"\r\n"):  # a part without header fields
            end = -2
        elif end < 0:
            if len(buffer) > MAX_PART_HEAD:
                raise _refused(f"a part's header fields exceed {MAX_PART_HEAD} bytes")
            return False
        if end > MAX_PART_HEAD:
            raise _refused(f"a part's header fields exceed {MAX_PART_HEAD} bytes")
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise _refused(f"it has more than {MAX_PARTS} parts")
        message = email.message.Message()
        for line in bytes(buffer[: max(0, end)]).decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                raise _refused(f"a part's header line is malformed ({line[:100]!r})")
            message[name.strip()] = value.strip()
        del buffer[: end + 4]
        if message.get("content-disposition") is None:
            raise _refused("a part has no Content-Disposition")
        field = message.get_param("name", header="content-disposition")
        self._to_file = field == self.field
        if self._to_file:
            if self.file_seen:
                raise _refused(f"it has two fields {self.field!r}")
            self.file_seen = True
            content_type = message.get("content-type")
            self.sink.begin(message.get_filename(), None if content_type is None else str(content_type))
        self._field_size = 0
        self._state = "data"
        return True

    def _data(self) -> bool:
        buffer = self._buffer
        found = buffer.find(self._delimiter)
        if found < 0:  # all but what may be the start of a delimiter is the part's
            taken = len(buffer) - (len(self._delimiter) - 1)
            if taken > 0:
                self._deliver(bytes(buffer[:taken]))
                del buffer[:taken]
            return False
        if found:
            self._deliver(bytes(buffer[:found]))
        del buffer[: found + len(self._delimiter)]
        self._state = "after"
        return True

    def _deliver(self, data: bytes) -> None:
        if self._to_file:
            self._file_size += len(data)
            if self._file_size > self.sink.limit:
                raise ApiError("body_too_large", limit=self.sink.limit)
            self.sink.write(data)
            return
        self._field_size += len(data)
        if self._field_size > MAX_FIELD:
            raise _refused(f"a field other than {self.field!r} exceeds {MAX_FIELD} bytes")
