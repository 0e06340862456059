"""BACnet application-tagged encoding (ASHRAE 135 clause 20.2): a property's `asnValue`, and its decoder.

An array or list is its elements' encodings one after the other, as a ReadProperty of the whole property
carries them; a weekly schedule is seven DailySchedules, each its TimeValues inside opening/closing context
tag 0; a date range two Dates. `decode` reads back application tags (and context tag 0's brackets), so
that tests check every value against its bytes, and so that an `encode: asn` write can be read.
"""

from __future__ import annotations

import struct
from typing import Any

from .datatypes import Datatype
from .special import encode_special

NULL, BOOLEAN, UNSIGNED, SIGNED, REAL, DOUBLE, OCTETS, STRING, BITS, ENUMERATED, DATE, TIME, OBJECT_ID = (
    range(13)
)
UTF8 = 0
OPEN_0, CLOSE_0 = b"\x0e", b"\x0f"  # context tag 0, opening and closing


def tag(number: int, content: bytes) -> bytes:
    """An application tag of `number` with its length, then `content`."""
    length = len(content)
    if length <= 4:
        return bytes((number << 4 | length,)) + content
    head = bytes((number << 4 | 5,))
    if length <= 253:
        return head + bytes((length,)) + content
    if length <= 65535:
        return head + b"\xfe" + length.to_bytes(2, "big") + content
    return head + b"\xff" + length.to_bytes(4, "big") + content


def _unsigned(number: int) -> bytes:
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")


def _signed(number: int) -> bytes:
    size = 1
    while not -(1 << (8 * size - 1)) <= number < 1 << (8 * size - 1):
        size += 1
    return number.to_bytes(size, "big", signed=True)


def _bits(bits: tuple[bool, ...]) -> bytes:
    unused = (8 - len(bits) % 8) % 8
    padded = list(bits) + [False] * unused
    octets = bytes(
        sum(1 << (7 - i) for i, bit in enumerate(padded[start : start + 8]) if bit)
        for start in range(0, len(padded), 8)
    )
    return bytes((unused,)) + octets


def encode(datatype: Datatype, value: Any) -> bytes:
    """`value` of `datatype`, application-tagged."""
    if value is None:
        return b"\x00"
    name = datatype.name
    if name == "boolean":
        return b"\x11" if value else b"\x10"
    if name == "unsigned":
        return tag(UNSIGNED, _unsigned(value))
    if name == "signed":
        return tag(SIGNED, _signed(value))
    if name == "real":
        return tag(REAL, struct.pack(">f", value))
    if name == "double":
        return tag(DOUBLE, struct.pack(">d", value))
    if name == "enumerated":
        return tag(ENUMERATED, _unsigned(value))
    if name == "characterString":
        return tag(STRING, bytes((UTF8,)) + value.encode("utf-8"))
    if name == "octetString":
        return tag(OCTETS, value)
    if name == "bitString":
        return tag(BITS, _bits(value))
    if name == "date":
        return tag(DATE, bytes(value))
    if name == "time":
        return tag(TIME, bytes(value))
    if name == "objectIdentifier":
        return tag(OBJECT_ID, (value[0] << 22 | value[1]).to_bytes(4, "big"))
    if name in ("array", "list"):
        return b"".join(encode(datatype.element_type, item) for item in value)
    if name == "dateRange":
        return b"".join(tag(DATE, bytes(date)) for date in value)
    if name == "weeklySchedule":
        return b"".join(
            OPEN_0 + b"".join(tag(TIME, bytes(t)) + _schedule_value(v) for t, v in day) + CLOSE_0
            for day in value
        )
    if name == "exceptionSchedule":
        return encode_special(value)
    raise TypeError(f"no encoding for {name}")


def _schedule_value(value: float | None) -> bytes:
    return b"\x00" if value is None else tag(REAL, struct.pack(">f", value))


# A decoded tag: (application tag number, value), or ("open" / "close", 0) for context tag 0's brackets.
Tagged = tuple[int | str, Any]


def decode(data: bytes) -> list[Tagged]:
    """The values of a run of application tags, as (tag number, value) pairs; a bracket of context tag 0
    becomes ("open", 0) / ("close", 0). ValueError for bytes that are not one."""
    values: list[Tagged] = []
    offset = 0
    while offset < len(data):
        octet = data[offset]
        number, context, length = octet >> 4, octet & 0x08, octet & 0x07
        offset += 1
        if context:
            if length in (6, 7):
                values.append(("open" if length == 6 else "close", number))
                continue
            raise ValueError(f"unexpected context tag at {offset - 1}")
        if number == BOOLEAN:
            values.append((BOOLEAN, bool(length)))
            continue
        if length == 5:
            length = data[offset]
            offset += 1
            if length == 254:
                length, offset = int.from_bytes(data[offset : offset + 2], "big"), offset + 2
            elif length == 255:
                length, offset = int.from_bytes(data[offset : offset + 4], "big"), offset + 4
        content = data[offset : offset + length]
        if len(content) != length:
            raise ValueError("truncated")
        offset += length
        values.append((number, _content(number, content)))
    return values


def _content(number: int, content: bytes) -> Any:
    if number == NULL:
        return None
    if number in (UNSIGNED, ENUMERATED):
        return int.from_bytes(content, "big")
    if number == SIGNED:
        return int.from_bytes(content, "big", signed=True)
    if number == REAL:
        return struct.unpack(">f", content)[0]
    if number == DOUBLE:
        return struct.unpack(">d", content)[0]
    if number == OCTETS:
        return content
    if number == STRING:
        if content[:1] != bytes((UTF8,)):
            raise ValueError(f"character set {content[:1].hex()} is not UTF-8")
        return content[1:].decode("utf-8")
    if number == BITS:
        unused, octets = content[0], content[1:]
        bits = [bool(byte >> (7 - i) & 1) for byte in octets for i in range(8)]
        return tuple(bits[: len(bits) - unused])
    if number in (DATE, TIME):
        return tuple(content)
    if number == OBJECT_ID:
        identifier = int.from_bytes(content, "big")
        return identifier >> 22, identifier & 0x3FFFFF
    raise ValueError(f"unknown application tag {number}")


def value_of(datatype: Datatype, data: bytes) -> Any:
    """The value of `datatype` the bytes encode (an `encode: asn` write); ValueError when they do not."""
    values = decode(data)
    if datatype.name in ("array", "list"):
        return [_single(datatype.element_type, [item]) for item in values]
    if datatype.name in ("weeklySchedule", "dateRange", "exceptionSchedule"):
        raise ValueError(f"a {datatype.name} is written as text")
    return _single(datatype, values)


_TAGS = {
    "boolean": BOOLEAN,
    "unsigned": UNSIGNED,
    "signed": SIGNED,
    "real": REAL,
    "double": DOUBLE,
    "enumerated": ENUMERATED,
    "characterString": STRING,
    "octetString": OCTETS,
    "bitString": BITS,
    "date": DATE,
    "time": TIME,
    "objectIdentifier": OBJECT_ID,
}


def _single(datatype: Datatype, values: list[Tagged]) -> Any:
    if len(values) != 1:
        raise ValueError("expected one value")
    ((number, value),) = values
    if number == NULL and datatype.nullable:
        return None
    if number != _TAGS.get(datatype.name):
        raise ValueError(f"application tag {number} is not a {datatype.name}")
    return value
