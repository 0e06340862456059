"""asnValue: BACnet application-tagged encoding, byte-exact for every row of BACNET-FACTS.md section 3, and
the text form of each datatype (runtime/points/encoding.py, texts.py)."""

from __future__ import annotations

import base64

import pytest

from runtime.points import datatypes as dt
from runtime.points.encoding import decode, encode, value_of
from runtime.points.errors import BacnetError
from runtime.points.texts import parse, to_text

UNITS = dt.enumerated(dt.ENGINEERING_UNITS)
# (datatype, value, the bytes bacpypes3 wrote)
TABLE = [
    (dt.nullable(dt.REAL), None, "00"),
    (dt.BOOLEAN, False, "10"),
    (dt.BOOLEAN, True, "11"),
    (dt.UNSIGNED, 72, "21 48"),
    (dt.UNSIGNED, 1000, "22 03 E8"),
    (dt.UNSIGNED, 70000, "23 01 11 70"),
    (dt.SIGNED, -1, "31 FF"),
    (dt.SIGNED, -200, "32 FF 38"),
    (dt.REAL, 72.5, "44 42 91 00 00"),
    (dt.DOUBLE, 72.5, "55 08 40 52 20 00 00 00 00 00"),
    (dt.OCTETS, bytes.fromhex("1234FF"), "63 12 34 FF"),
    (dt.STRING, "Fred", "75 05 00 46 72 65 64"),
    (dt.STRING, "°C", "74 00 C2 B0 43"),
    (dt.STATUS_FLAGS, (False, False, False, False), "82 04 00"),
    (dt.STATUS_FLAGS, (False, True, False, False), "82 04 40"),
    (dt.STATUS_FLAGS, (True, False, False, True), "82 04 90"),
    (UNITS, 62, "91 3E"),
    (dt.DATE, (124, 6, 15, 6), "A4 7C 06 0F 06"),
    (dt.TIME, (17, 35, 45, 17), "B4 11 23 2D 11"),
    (dt.OBJECT_ID, (2, 1), "C4 00 80 00 01"),
    (dt.OBJECT_ID, (8, 1001), "C4 02 00 03 E9"),
]


@pytest.mark.parametrize("datatype,value,expected", TABLE)
def test_every_row_of_the_facts_table_encodes_and_decodes(datatype, value, expected):
    data = encode(datatype, value)
    assert data == bytes.fromhex(expected)
    assert value_of(datatype, data) == value


@pytest.mark.parametrize(
    "datatype,value,asn",
    [
        (dt.STRING, "VUBH_2AS01BOWW509PC22_U_", "dRkAVlVCSF8yQVMwMUJPV1c1MDlQQzIyX1Vf"),  # the vendor's page
        (dt.REAL, 21.5, "REGsAAA="),
        (UNITS, 62, "kT4="),
        (dt.nullable(dt.REAL), None, "AA=="),
    ],
)
def test_the_vendors_base64_examples(datatype, value, asn):
    assert base64.b64encode(encode(datatype, value)).decode() == asn


def test_long_strings_take_the_extended_lengths():
    assert encode(dt.STRING, "x" * 300)[:4] == bytes.fromhex("75 FE 01 2D")
    assert decode(encode(dt.STRING, "x" * 70000)) == [(7, "x" * 70000)]


def test_arrays_and_a_weekly_schedule_are_their_elements_in_turn():
    slots = [None] * 14 + [22.5, None]
    assert decode(encode(dt.priority_array(dt.REAL), slots)) == [(0, None)] * 14 + [(4, 22.5), (0, None)]
    week = [[((8, 0, 0, 0), 21.0), ((17, 0, 0, 0), None)]] + [[] for _ in range(6)]
    data = encode(dt.WEEKLY_SCHEDULE, week)
    assert data[:1] == b"\x0e" and data.count(b"\x0f") >= 7
    assert decode(data)[:5] == [("open", 0), (11, (8, 0, 0, 0)), (4, 21.0), (11, (17, 0, 0, 0)), (0, None)]


@pytest.mark.parametrize(
    "datatype,value,text",
    [
        (dt.REAL, 22.0, "22.0"),
        (dt.REAL, float("nan"), "NaN"),
        (dt.REAL, 1e7, "1.0E7"),
        (dt.enumerated(dt.BINARY_PV), 1, "Active"),
        (dt.enumerated(dt.BINARY_PV), 0, "Inactive"),
        (UNITS, 62, "Degrees Celsius"),
        (
            dt.array(dt.enumerated(dt.PROPERTY_IDENTIFIER)),
            [75, 77, 85, 117],
            "{Object Identifier,Object Name,Present Value,Units}",
        ),
        (dt.STATUS_FLAGS, (True, False, False, True), "{true,false,false,true}"),
        (dt.OBJECT_ID, (2, 1), "(Analog Value,1)"),
        (dt.DATE, (124, 6, 15, 6), "2024-06-15"),
        (dt.TIME, (17, 35, 45, 17), "17:35:45.17"),
        (dt.TIME, (8, 0, 0, 0), "08:00:00"),
        (dt.nullable(dt.UNSIGNED), None, "null"),
    ],
)
def test_the_text_form_reads_back(datatype, value, text):
    assert to_text(datatype, value) == text
    parsed = parse(datatype, text)
    assert parsed == value or parsed != parsed  # NaN is itself


def test_writes_accept_every_spelling_of_a_name_and_json_values():
    for spelling in ("degrees-celsius", "degreesCelsius", "Degrees Celsius", "62"):
        assert parse(UNITS, spelling) == 62
    assert parse(dt.REAL, 22) == 22.0
    assert parse(dt.STATUS_FLAGS, [False, True, False, False]) == (False, True, False, False)
    structured = [{"timeValues": [{"time": "08:00", "type": "real", "value": 21}]}] + [{"timeValues": []}] * 6
    assert parse(dt.WEEKLY_SCHEDULE, structured)[0] == [((8, 0, 0, 0), 21.0)]
    with pytest.raises(BacnetError, match="invalid-data-type"):
        parse(dt.REAL, True)
