"""The living building (issue 21) over real HTTP on both serving cores, on the manual clock, from Monday
2026-12-07 00:00 UTC: the override-and-relinquish sequence, a schedule's transitions across days with an
exception and a holiday, a trend log's records and counts across an interval change and a purge, an alarm's
raise, acknowledgement and return to normal (JSON and XML), determinism, --clock-rate, and programs in a
user's point list."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import pytest

from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.building.feature import BuildingFeature
from eclypse_emulator.runtime.building.programs import read_programs
from eclypse_emulator.runtime.building.scenario import PointEvent
from eclypse_emulator.runtime.cli import build_parser
from eclypse_emulator.runtime.fleet.cli import device_configs
from eclypse_emulator.runtime.clock.clocks import RealClock
from eclypse_emulator.runtime.clock.feature import clock_rate
from eclypse_emulator.runtime.device.emulator import Emulator
from eclypse_emulator.runtime.points.pointfile import PointFileError
from eclypse_emulator.runtime.points.pointlists import load
from eclypse_emulator.runtime.points.texts import to_text

OBJECTS = "/protocols/bacnet/local/objects"
MONDAY = "2026-12-07T00:00:00Z"


@pytest.fixture
def device(core: str):
    with EmbeddedServer(port=0, clock="manual", device_time=MONDAY, seed=7, core=core) as server:
        yield server


def read(http, server, path: str, prop: str = "presentValue") -> str:
    status, _, body = http("GET", f"{server.url}{OBJECTS}/{path}/properties/{prop}")
    assert status == 200, body
    return json.loads(body)["value"]


def write(http, server, path: str, value, prop: str = "presentValue", priority: int | None = None) -> int:
    query = f"?priority={priority}" if priority else ""
    url = f"{server.url}{OBJECTS}/{path}/properties/{prop}{query}"
    status, _, body = http("POST", url, {"Content-Type": "application/json"}, json.dumps({"value": value}))
    assert status == 200, body
    return status


def test_override_holds_the_valve_and_relinquish_hands_control_back(device, http):
    assert read(http, device, "analog-input/5") == "21.8"  # nothing moves until the clock does
    device.advance(7200)
    assert read(http, device, "analog-output/7", "currentCommandPriority") == "10"  # the PI loop's
    valve = float(read(http, device, "analog-output/7"))
    assert 20 < valve < 60 and abs(float(read(http, device, "analog-input/5")) - 21.0) < 0.15
    write(http, device, "analog-output/7", "0", priority=8)
    device.advance(7200)
    assert read(http, device, "analog-output/7") == "0.0"
    assert read(http, device, "analog-output/7", "currentCommandPriority") == "8"
    drifted = float(read(http, device, "analog-input/5"))
    assert drifted < 20.0  # no heat: the zone drifts toward the outdoor air
    write(http, device, "analog-output/7", "null", priority=8)
    device.advance(3 * 3600)
    assert read(http, device, "analog-output/7", "currentCommandPriority") == "10"
    assert abs(float(read(http, device, "analog-input/5")) - 21.0) < 0.2  # back to its setpoint


def test_the_schedule_across_days_with_a_date_exception_and_a_holiday(core, http):
    thursday = "2026-12-24T00:00:00Z"  # Friday the 25th is in the calendar HOLIDAYS
    with EmbeddedServer(port=0, clock="manual", device_time=thursday, core=core) as device:
        exceptions = [
            {"calendar": "calendar,1", "timeValues": [{"time": "00:00", "value": 0}], "eventPriority": 3},
            {
                "date": "2026-12-24",
                "timeValues": [
                    {"time": "00:00", "value": 0},
                    {"time": "09:00", "value": 1},
                    {"time": "12:00", "value": 0},
                ],
                "eventPriority": 5,
            },
        ]
        write(http, device, "schedule/1", exceptions, prop="exceptionSchedule")
        seen = []
        for hours in (6.99, 7, 9, 12, 18, 24 + 7, 24 + 9):
            device.advance(hours * 3600 - device.clock_reading()["now"])
            seen.append(
                (
                    read(http, device, "schedule/1"),
                    read(http, device, "binary-output/1"),
                    read(http, device, "binary-output/1", "currentCommandPriority"),
                    read(http, device, "calendar/1"),
                )
            )
    assert seen == [
        ("0.0", "Inactive", "12", "false"),
        ("0.0", "Inactive", "12", "false"),  # the date exception holds 07:00's weekly transition
        ("1.0", "Active", "12", "false"),
        ("0.0", "Inactive", "12", "false"),
        ("0.0", "Inactive", "12", "false"),
        ("0.0", "Inactive", "12", "true"),  # Christmas: the calendar is present, the building unoccupied
        ("0.0", "Inactive", "12", "true"),
    ]


def test_a_normal_weekday_switches_the_fan_at_seven_and_its_status_follows(device, http):
    device.advance(7 * 3600 - 10)
    assert (read(http, device, "schedule/1"), read(http, device, "binary-input/1")) == ("0.0", "Inactive")
    device.advance(10)
    assert (read(http, device, "binary-output/1"), read(http, device, "binary-input/1")) == (
        "Active",
        "Inactive",
    )
    device.advance(30)  # the fan's status follows its command after 30 s
    assert read(http, device, "binary-input/1") == "Active"
    device.advance(11 * 3600 - 30)
    assert (read(http, device, "schedule/1"), read(http, device, "binary-output/1")) == ("0.0", "Inactive")


def trend(http, server, query: str, xml: bool = False):
    url = f"{server.url}{OBJECTS}/trend-log/1/trend?{query}" + ("&encode=xml" if xml else "")
    status, _, body = http("GET", url)
    assert status == 200, body
    return ET.fromstring(body) if xml else json.loads(body)


def test_a_trend_logs_records_across_an_interval_change_and_a_purge(device, http):
    device.advance(3600)  # every 5 minutes from 00:00: 13 records
    assert (
        read(http, device, "trend-log/1", "recordCount"),
        read(http, device, "trend-log/1", "totalRecordCount"),
    ) == (
        "13",
        "13",
    )
    write(http, device, "trend-log/1", "6000", prop="logInterval")  # every minute from 01:01
    device.advance(600)
    assert read(http, device, "trend-log/1", "totalRecordCount") == "23"
    page = trend(http, device, "bySequenceNumber=true&start=13&end=15")
    assert [r["timeStamp"] for r in page["records"]] == [
        "2026-12-07T01:00:00+00:00",
        "2026-12-07T01:01:00+00:00",
        "2026-12-07T01:02:00+00:00",
    ]
    assert (
        page["records"][0]["type"] == "real"
        and page["records"][0]["statusFlags"] == "{false,false,false,false}"
    )
    write(http, device, "trend-log/1", "0", prop="recordCount")  # a purge
    device.advance(300)
    assert (
        read(http, device, "trend-log/1", "recordCount"),
        read(http, device, "trend-log/1", "totalRecordCount"),
    ) == (
        "6",
        "29",
    )
    page = trend(http, device, "bySequenceNumber=true&start=24&end=29")
    assert (page["recordCount"], page["totalRecordCount"], page["firstSequenceNumber"]) == (6, 29, 24)
    assert [(r["sequenceNumber"], r["type"]) for r in page["records"]][:2] == [
        (24, "logStatus"),
        (25, "real"),
    ]
    assert page["records"][0]["value"] == "buffer-purged"
    root = trend(http, device, "bySequenceNumber=true&start=29&end=29", xml=True)
    assert root.tag == "TrendLog" and root.findtext("TotalRecordCount") == "29"
    assert root.find("Records/Record/TimeStamp").text == "2026-12-07T01:15:00+00:00"
    # The logged object's trend, by the object itself; a bounded buffer.
    assert trend(http, device, "")["objectInstance"] == 1
    status, _, _ = http("GET", f"{device.url}{OBJECTS}/analog-input/5/trend")
    assert status == 200
    write(http, device, "trend-log/1", "3", prop="bufferSize")
    device.advance(600)
    assert read(http, device, "trend-log/1", "recordCount") == "3"
    url = f"{device.url}{OBJECTS}/trend-log/1/properties/bufferSize"
    status, _, body = http("POST", url, {"Content-Type": "application/json"}, json.dumps({"value": "100001"}))
    assert status == 400 and json.loads(body)["code"] == "ValueOutOfRange"  # the buffer lives in memory
    assert read(http, device, "trend-log/1", "bufferSize") == "3"


def notifications(http, server, xml: bool = False):
    status, _, body = http(
        "GET", f"{server.url}/protocols/bacnet/local/event-notifications" + ("?encode=xml" if xml else "")
    )
    assert status == 200, body
    return ET.fromstring(body) if xml else json.loads(body)


def test_an_alarm_raised_acknowledged_and_returned_to_normal(device, http):
    write(http, device, "analog-input/5", "true", prop="outOfService")
    write(http, device, "analog-input/5", "28")  # a test's value: judged as if the sensor gave it
    device.advance(60)  # the write is seen at the next step (10 s), then the 60 s time delay
    assert read(http, device, "analog-input/5", "eventState") == "Normal"
    device.advance(10)
    assert read(http, device, "analog-input/5", "eventState") == "High Limit"
    assert read(http, device, "analog-input/5", "statusFlags") == "{true,false,false,true}"
    assert read(http, device, "analog-input/5", "ackedTransitions") == "{false,true,true}"
    (raised,) = notifications(http, device)
    assert raised["eventInfo"] == {
        "timeStamp": "2026-12-07T00:01:10+00:00",
        "eventObjectIdentifier": "analogInput,5",
        "eventType": "outOfRange",
        "messageText": "ZN1-TEMP: normal to highLimit (value 28.0)",
        "notifyType": "alarm",
        "fromState": "normal",
        "toState": "highLimit",
        "ackRequired": True,
        "notificationClass": 1,
        "priority": 10,
    }
    write(http, device, "analog-input/5", "{true,true,true}", prop="ackedTransitions")  # acknowledged
    assert read(http, device, "analog-input/5", "ackedTransitions") == "{true,true,true}"
    write(http, device, "analog-input/5", "26.6")  # within the deadband of 0.5: still high
    device.advance(120)
    assert read(http, device, "analog-input/5", "eventState") == "High Limit"
    write(http, device, "analog-input/5", "26.4")
    device.advance(70)
    assert read(http, device, "analog-input/5", "eventState") == "Normal"
    root = notifications(http, device, xml=True)
    assert root.tag == "EventNotifications"
    back = root.findall("EventNotification")[1]
    assert back.findtext("Uuid") == notifications(http, device)[1]["uuid"]
    info = back.find("EventInfo")
    assert [
        info.findtext(n) for n in ("EventObjectIdentifier", "FromState", "ToState", "AckRequired", "Priority")
    ] == [
        "analogInput,5",
        "highLimit",
        "normal",
        "true",
        "100",
    ]
    assert info.findtext("TimeStamp") == "2026-12-07T00:04:20+00:00"
    assert device.notification_counts() == {"made": 2, "kept": 2, "dropped": 0}
    status, _, body = http(
        "GET", f"{device.url}/protocols/bacnet/local/event-notifications?notificationClass=2"
    )
    assert json.loads(body) == []


def test_a_fault_and_a_binary_alarm(device, http):
    device.set_point("binaryInput", 2, {"physicalValue": "active"})  # the filter alarm (class 2)
    device.set_point("analogInput", 1, {"reliability": "no-sensor"})  # a fault: at once
    device.advance(10)
    assert read(http, device, "binary-input/2", "eventState") == "Offnormal"
    assert read(http, device, "analog-input/1", "eventState") == "Fault"
    kinds = {
        (n["eventInfo"]["eventObjectIdentifier"], n["eventInfo"]["eventType"])
        for n in notifications(http, device)
    }
    assert kinds == {("binaryInput,2", "changeOfState"), ("analogInput,1", "changeOfReliability")}


def _present_values(emulator: Emulator) -> dict[tuple[str, int], str]:
    objects = emulator.feature(BuildingFeature).objects
    return {
        (p.kind.name, p.instance): to_text(*objects.read(p.kind.name, p.instance, "presentValue"))
        for p in objects.points.points
        if p.property("presentValue") is not None
    }


def test_the_same_seed_advanced_in_different_steps_agrees_exactly():
    one = Emulator(clock="manual", device_time=MONDAY, seed=3)
    other = Emulator(clock="manual", device_time=MONDAY, seed=3)
    one.advance(5 * 3600)
    for step in (1, 7, 13.5, 600, 3 * 3600, 5 * 3600 - 600 - 21.5 - 3 * 3600):
        other.advance(step)
        _present_values(other)  # reads in between change nothing
    for emulator in (one, other):
        emulator.feature(BuildingFeature).objects.write("analogValue", 2, "presentValue", "23", 8)
    one.advance(4000)
    other.advance(1000)
    other.advance(3000)
    assert _present_values(one) == _present_values(other)
    third = Emulator(clock="manual", device_time=MONDAY, seed=4)  # another seed: other noise
    third.advance(4 * 3600)
    assert _present_values(third)[("analogInput", 8)] != _present_values(one)[("analogInput", 8)]


def test_the_clock_rate_runs_the_real_clock_faster():
    clock = RealClock(rate=1000)
    start = clock.now()
    time.sleep(0.01)
    assert clock.now() - start >= 10
    assert clock_rate("3600") == 3600.0
    for bad in ("0", "-2", "inf", "fast"):
        with pytest.raises(ValueError):
            clock_rate(bad)


def test_programs_in_a_users_point_list(tmp_path):
    path = tmp_path / "points.json"
    document = {
        "objects": [
            {"type": "binaryOutput", "instance": 1, "relinquishDefault": "inactive"},
            {"type": "binaryInput", "instance": 1},
            {"type": "analogInput", "instance": 1, "presentValue": 20},
            {"type": "analogInput", "instance": 2, "presentValue": 5},
        ],
        "programs": [
            {"kind": "follow", "object": "binaryInput,1", "source": "binary-output,1", "delay": 20},
            {"kind": "noise", "object": "analogInput,1", "amplitude": 0.5},
        ],
    }
    path.write_text(json.dumps(document))
    emulator = Emulator(clock="manual", points=path, seed=1)
    objects = emulator.feature(BuildingFeature).objects
    objects.write("binaryOutput", 1, "presentValue", "active", 8)
    emulator.advance(20)  # seen at the step after the write (10 s), then 20 s of delay
    assert _present_values(emulator)[("binaryInput", 1)] == "Inactive"
    emulator.advance(10)
    assert _present_values(emulator)[("binaryInput", 1)] == "Active"
    noisy = float(_present_values(emulator)[("analogInput", 1)])
    assert 19.5 <= noisy <= 20.5 and _present_values(emulator)[("analogInput", 2)] == "5.0"  # static
    document["programs"] = [{"kind": "pi", "output": "analogInput,1", "input": "AV9", "setpoint": "x"}]
    path.write_text(json.dumps(document, indent=1))
    with pytest.raises(
        PointFileError, match=r"points.json:\d+:\d+: input: the point list has no object 'AV9'"
    ):
        read_programs(load(path))


def test_point_events_at_given_times(core, http, tmp_path):
    events = (
        PointEvent(25, "analogInput,1", {"reliability": "no-sensor"}),
        PointEvent(3600, "binaryInput,2", {"physicalValue": "active"}),
    )
    with EmbeddedServer(port=0, clock="manual", device_time=MONDAY, core=core, point_events=events) as device:
        device.advance(20)
        assert read(http, device, "analog-input/1", "reliability") == "No Fault Detected"
        device.advance(10)  # the step at 30 s applies the event due at 25 s
        assert read(http, device, "analog-input/1", "reliability") == "No Sensor"
        assert read(http, device, "analog-input/1", "eventState") == "Fault"
        device.advance(3600)
        assert read(http, device, "binary-input/2", "eventState") == "Offnormal"
    with pytest.raises(ValueError, match="point event at 5 s on analogInput,99"):
        Emulator(
            clock="manual", point_events=(PointEvent(5, "analogInput,99", {"reliability": "no-sensor"}),)
        )
    with pytest.raises(ValueError, match="type,instance"):
        PointEvent(5, "ZN1-TEMP", {"reliability": "no-sensor"})


def test_a_fleet_files_schedule_gives_point_events(tmp_path):
    fleet = tmp_path / "site.yaml"
    fleet.write_text(
        "devices:\n"
        "  - schedule:\n"
        "      - {at: 60, fault: offline}\n"
        "      - {at: 120, fault: point, object: 'analogInput,5', values: {reliability: no-sensor}}\n"
    )
    (config,), _ = device_configs(build_parser().parse_args(["--fleet", str(fleet), "--clock", "manual"]))
    assert [event.action for event in config.schedule] == ["offline"]
    assert config.point_events == (PointEvent(120, "analogInput,5", {"reliability": "no-sensor"}),)


def test_a_clock_rate_makes_the_building_live_faster(http):
    with EmbeddedServer(port=0, clock_rate=3600) as device:  # the real clock, an hour a second
        first = int(read(http, device, "trend-log/2", "totalRecordCount"))  # every minute
        time.sleep(0.1)  # at least 360 s of the device's clock
        assert int(read(http, device, "trend-log/2", "totalRecordCount")) >= first + 5
