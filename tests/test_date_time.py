"""The device's clock at /system/date-time, over HTTP on both serving cores: start time plus the emulator
clock's elapsed time plus the offset a POST sets, in a time zone of a closed list; the host's clock is never
touched."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from _support import call
from eclypse_emulator.runtime import EmbeddedServer

JSON_BODY = {"Content-Type": "application/json"}
PATH = "/system/date-time"


def clock(http, base: str) -> dict:
    status, headers, body = http("GET", base + PATH)
    assert status == 200 and headers["content-type"] == "application/json;charset=UTF-8"
    return json.loads(body)


def post(http, base: str, **fields) -> tuple[int, dict]:
    status, _, body = http("POST", base + PATH, JSON_BODY, json.dumps(fields))
    return status, json.loads(body)


def test_a_new_device_shows_the_hosts_time_in_utc(base, http):
    shown = clock(http, base)
    assert list(shown) == ["time", "date", "timeZone", "isoDateTime", "autoTime"]
    assert shown["timeZone"] == "Etc/GMT"
    instant = datetime.fromisoformat(shown["isoDateTime"]).timestamp()
    assert abs(instant - time.time()) < 3600  # the host's time when the shared server started
    assert shown["date"] == datetime.fromisoformat(shown["isoDateTime"]).strftime("%m-%d-%Y")


def test_the_manual_clock_moves_the_device_clock(base, http, server):
    post(http, base, isoDateTime="2026-12-01T10:00:00Z")
    server.advance(90)
    assert clock(http, base)["time"] == "10:01:30"


def test_a_new_time_zone_alone_keeps_the_instant(base, http):
    # The vendor's example says 04:00 for Paris, which is not the same instant: the emulator keeps it.
    status, shown = post(http, base, timeZone="America/New_York", date="12-01-2026", time="10:00:00")
    assert (status, shown["time"], shown["timeZone"]) == (200, "10:00:00", "America/New_York")
    status, shown = post(http, base, timeZone="Europe/Paris")
    assert (status, shown["time"], shown["date"]) == (200, "16:00:00", "12-01-2026")
    assert shown["isoDateTime"] == "2026-12-01T16:00:00+01:00"
    assert clock(http, base) == shown  # a GET after a POST shows what was set


def test_time_alone_keeps_the_date_and_date_alone_keeps_the_time(base, http):
    post(http, base, isoDateTime="2026-03-14T15:09:26Z")
    assert post(http, base, time="08:30:00")[1] == {
        "time": "08:30:00",
        "date": "03-14-2026",
        "timeZone": "Etc/GMT",
        "isoDateTime": "2026-03-14T08:30:00+00:00",
        "autoTime": False,
    }
    assert post(http, base, date="07-04-2027")[1]["isoDateTime"] == "2027-07-04T08:30:00+00:00"


def test_iso_date_time_without_an_offset_is_in_the_new_time_zone(base, http):
    _, shown = post(http, base, isoDateTime="2026-07-01T09:00:00", timeZone="Asia/Tokyo")
    assert (shown["time"], shown["timeZone"]) == ("09:00:00", "Asia/Tokyo")
    _, shown = post(http, base, isoDateTime="2026-07-01T09:00:00Z")  # Z is +00:00, shown in Tokyo time
    assert shown["time"] == "18:00:00"


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"isoDateTime": "2026-07-01T09:00:00Z", "time": "10:00:00"}, "InvalidBody"),
        ({"ISODATETIME": "2026-07-01T09:00:00Z", "Date": "07-01-2026"}, "InvalidBody"),
        # Days of no calendar and years the clock does not keep: the schema's patterns refuse them.
        ({"date": "02-30-2026"}, "InvalidBody"),
        ({"date": "02-29-2100"}, "InvalidBody"),
        ({"isoDateTime": "2300-01-01T00:00:00Z"}, "InvalidBody"),
        ({"isoDateTime": "2026-07-01T09:00:00+24:00"}, "InvalidBody"),
        ({"timeZone": "Mars/Olympus_Mons"}, "InvalidBody"),
        ({"time": "25:00:00"}, "InvalidBody"),
        ({"date": "2026-12-01"}, "InvalidBody"),
    ],
)
def test_what_names_no_instant_is_a_400_and_changes_nothing(base, http, fields, code):
    post(http, base, isoDateTime="2026-05-05T05:05:05Z")
    status, document = post(http, base, **fields)
    assert (status, document["code"]) == (400, code)
    assert clock(http, base)["isoDateTime"] == "2026-05-05T05:05:05+00:00"


@pytest.mark.parametrize(
    "fields, shown",
    [
        ({"date": "02-29-2096", "time": "12:00:00"}, "2096-02-29T12:00:00+00:00"),
        # The last local second in a zone behind UTC: already 2100 in UTC, still kept.
        ({"isoDateTime": "2099-12-31T23:59:59", "timeZone": "America/New_York"}, "2099-12-31T23:59:59-05:00"),
        # The first local second in a zone ahead of UTC: still 1969 in UTC, kept.
        ({"isoDateTime": "1970-01-01T00:00:00", "timeZone": "Asia/Tokyo"}, "1970-01-01T00:00:00+09:00"),
    ],
)
def test_every_local_time_the_schema_admits_is_kept(base, http, fields, shown):
    status, document = post(http, base, **fields)
    assert (status, document["isoDateTime"]) == (200, shown)


def test_a_post_without_content_type_is_415(base, http):
    assert http("POST", base + PATH, {}, '{"time": "10:00:00"}')[0] == 415


def test_the_clock_in_xml(base, http):
    body = "<DateTime><TimeZone>Europe/Berlin</TimeZone><ISODateTime>2026-01-02T03:04:05+01:00</ISODateTime></DateTime>"
    status, _, answer = http("POST", base + PATH + "?encode=xml", {"Content-Type": "application/xml"}, body)
    assert status == 200, answer
    root = ET.fromstring(answer)
    assert [child.tag for child in root] == ["Time", "Date", "TimeZone", "ISODateTime", "AutoTime"]
    assert (root.findtext("Time"), root.findtext("Date")) == ("03:04:05", "01-02-2026")


def test_reset_restores_the_clock(base, http, server):
    post(http, base, isoDateTime="2001-01-01T00:00:00Z", timeZone="Pacific/Apia")
    server.reset()
    assert clock(http, base)["timeZone"] == "Etc/GMT"
    assert clock(http, base)["date"] != "01-01-2001"


def test_the_device_time_option_sets_the_start_and_the_host_clock_is_untouched():
    before = time.time()
    with EmbeddedServer(port=0, clock="manual", device_time="2030-06-15T08:00:00Z") as server:
        server.advance(60)
        shown = call("GET", server.url + PATH).json()
        assert shown["isoDateTime"] == "2030-06-15T08:01:00+00:00"
        assert call("POST", server.url + PATH, JSON_BODY, '{"date": "01-01-2031"}').status == 200
    assert abs(time.time() - before) < 60  # the host's clock did not move


def test_a_bad_device_time_is_refused():
    with pytest.raises(ValueError, match="ISO 8601"):
        EmbeddedServer(port=0, device_time="yesterday")
