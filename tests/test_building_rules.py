"""The living building's rules without HTTP: the schedule's evaluation (effective period, date ranges,
week-and-day, wildcards, priorities, NULL), a stop-when-full trend log and change-of-value logging."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from eclypse_emulator.runtime.building.calendar import date_matches, schedule_value, week_n_day_matches
from eclypse_emulator.runtime.building import alarms
from eclypse_emulator.runtime.building.engine import MAX_CATCH_UP
from eclypse_emulator.runtime.building.feature import BuildingFeature
from eclypse_emulator.runtime.device.emulator import Emulator
from eclypse_emulator.runtime.points.errors import BacnetError
from eclypse_emulator.runtime.points.texts import to_text

ANY = 255
WEEK = [[((7, 0, 0, 0), 1.0), ((18, 0, 0, 0), 0.0)]] * 5 + [[], []]
ALWAYS = ((ANY, ANY, ANY, ANY), (ANY, ANY, ANY, ANY))


def value(moment: datetime, exceptions=(), effective=ALWAYS, calendar=lambda instance, day: False) -> float:
    return schedule_value(moment, WEEK, exceptions, effective, -1.0, calendar)


def test_the_weekly_schedule_and_its_default():
    assert value(datetime(2026, 12, 7, 6, 59, 59)) == -1.0  # no entry yet today: the default
    assert value(datetime(2026, 12, 7, 7, 0)) == 1.0
    assert value(datetime(2026, 12, 7, 18, 0)) == 0.0
    assert value(datetime(2026, 12, 12, 12, 0)) == -1.0  # Saturday: no entries
    outside = ((126, 12, 8, ANY), (126, 12, 31, ANY))
    assert value(datetime(2026, 12, 7, 12, 0), effective=outside) == -1.0  # outside the effective period
    assert value(datetime(2026, 12, 8, 12, 0), effective=outside) == 1.0


def test_exceptions_the_lowest_priority_number_wins_and_null_relinquishes():
    noon = datetime(2026, 12, 8, 12, 0)
    low = (("dateRange", ((126, 12, 1, ANY), (126, 12, 31, ANY))), (((0, 0, 0, 0), 5.0),), 9)
    high = (("weekNDay", (12, 2, 2)), (((0, 0, 0, 0), 7.0),), 4)  # the second Tuesday of December
    relinquished = (("date", (126, 12, 8, 2)), (((0, 0, 0, 0), None),), 1)
    assert value(noon, (low,)) == 5.0
    assert value(noon, (low, high)) == 7.0
    assert value(noon, (high, low, relinquished)) == 7.0  # a NULL: that event does not apply
    by_calendar = (("calendar", (6, 1)), (((0, 0, 0, 0), 3.0),), 2)
    assert value(noon, (by_calendar, high), calendar=lambda instance, day: instance == 1) == 3.0


def test_dates_with_wildcards_and_weeks_of_the_month():
    assert date_matches((ANY, 12, 25, ANY), date(2031, 12, 25))
    assert date_matches((ANY, 13, ANY, 5), date(2026, 1, 2))  # odd months, Fridays
    assert not date_matches((ANY, 14, ANY, ANY), date(2026, 1, 2))
    assert date_matches((ANY, 2, 32, ANY), date(2028, 2, 29))  # the month's last day
    assert week_n_day_matches((ANY, 6, 1), date(2026, 12, 28))  # the last seven days, a Monday
    assert not week_n_day_matches((ANY, 1, ANY), date(2026, 12, 8))


def _objects(emulator: Emulator):
    return emulator.feature(BuildingFeature).objects


def test_a_stop_when_full_log_disables_itself_and_refuses_enable_until_purged():
    emulator = Emulator(clock="manual", device_time="2026-12-07T00:00:00Z")
    objects = _objects(emulator)
    objects.write("trendLog", 2, "bufferSize", "3")
    objects.write("trendLog", 2, "stopWhenFull", "true")
    emulator.advance(600)
    text = {name: to_text(*objects.read("trendLog", 2, name)) for name in ("recordCount", "enable")}
    assert text == {"recordCount": "3", "enable": "false"}
    with pytest.raises(BacnetError, match="log-buffer-full"):
        objects.write("trendLog", 2, "enable", "true")
    with pytest.raises(BacnetError, match="value-out-of-range"):
        objects.write("trendLog", 2, "recordCount", "2")
    objects.write("trendLog", 2, "recordCount", "0")
    objects.write("trendLog", 2, "enable", "true")
    emulator.advance(60)
    assert to_text(*objects.read("trendLog", 2, "recordCount")) == "2"  # the purge record and one more


def test_change_of_value_logging_records_each_change_once():
    emulator = Emulator(clock="manual", device_time="2026-12-07T00:00:00Z")
    objects = _objects(emulator)
    objects.write("trendLog", 1, "logDeviceObjectProperty", "(analog-value,2)")  # ZN1-SP: static
    objects.write("trendLog", 1, "loggingType", "cov")
    emulator.advance(600)
    objects.write("analogValue", 2, "presentValue", "22.5", 8)
    emulator.advance(600)
    objects.sync()  # the steps are made when something reads
    records = emulator.feature(BuildingFeature).building.trends[(20, 1)].records
    assert [to_text(r.datatype, r.value) for r in records] == ["21.8", "21.0", "22.5"]  # the first: polled


def test_a_reset_restores_the_point_list_and_the_programs_command_again_at_once():
    emulator = Emulator(clock="manual", device_time="2026-12-07T00:00:00Z")
    objects = _objects(emulator)
    emulator.advance(8 * 3600)
    objects.write("binaryOutput", 1, "presentValue", "inactive", 8)
    emulator.reset()
    shown = {
        name: to_text(*objects.read("binaryOutput", 1, name)) for name in ("presentValue", "priorityArray")
    }
    assert shown["presentValue"] == "Active"  # the schedule's command at 12 again, the override gone
    assert shown["priorityArray"].split(",")[11] == "Active"


def test_a_month_without_reads_costs_at_most_a_day_of_steps_and_the_building_goes_on(monkeypatch):
    """A manual clock advanced by 30 days: the next read computes the last day's steps only (MAX_CATCH_UP),
    not 259,200; the day's swing and the schedule still hold after it."""
    emulator = Emulator(clock="manual", device_time="2026-12-07T00:00:00Z")
    objects = _objects(emulator)
    building = emulator.feature(BuildingFeature).building
    objects.read("analogInput", 3, "presentValue")
    steps = []
    made = building._step
    monkeypatch.setattr(building, "_step", lambda number: steps.append(number) or made(number))
    emulator.advance(30 * 86400 + 12 * 3600)  # a Tuesday, at noon
    objects.read("analogInput", 3, "presentValue")
    assert len(steps) == MAX_CATCH_UP and steps == list(range(steps[0], steps[0] + MAX_CATCH_UP))
    assert steps[-1] == (30 * 86400 + 12 * 3600) // 10  # up to now
    assert to_text(*objects.read("binaryOutput", 1, "presentValue")) == "Active"  # occupied at noon


def test_notifications_keep_the_newest_say_how_many_were_dropped_and_never_repeat_a_uuid(monkeypatch):
    monkeypatch.setattr(alarms, "MAX_NOTIFICATIONS", 2)
    emulator = Emulator(clock="manual", device_time="2026-12-07T00:00:00Z")
    kept = emulator.feature(BuildingFeature).building.alarms.notifications
    uuids = []
    for value in ("active", "inactive", "active"):  # the filter alarm (class 2): offnormal, normal, offnormal
        emulator.set_point("binaryInput", 2, {"physicalValue": value})
        emulator.advance(10)
        _objects(emulator).read("binaryInput", 2, "eventState")
        uuids.append(kept[-1].uuid)
    assert emulator.notification_counts() == {"made": 3, "kept": 2, "dropped": 1}
    assert [n.uuid for n in kept] == uuids[1:]  # the oldest went
    emulator.reset()
    emulator.set_point("binaryInput", 2, {"physicalValue": "active"})
    emulator.advance(10)
    _objects(emulator).read("binaryInput", 2, "eventState")
    assert emulator.notification_counts() == {"made": 1, "kept": 1, "dropped": 0}
    assert emulator.feature(BuildingFeature).building.alarms.notifications[-1].uuid not in uuids
