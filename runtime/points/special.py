"""A schedule's exceptionSchedule: a list of BACnet SpecialEvents, each a period (a date, a date range, a
week-and-day, or a calendar object), its time values and its event priority (1..16, the lowest wins).

The value is a list of `(period, time values, priority)`: period `("date", Date)`, `("dateRange", (Date,
Date))`, `("weekNDay", (month, week of month, day of week))` (255: any; month 13 odd, 14 even; week 6 the
last seven days) or `("calendar", (6, instance))`; time values as a weekly schedule's day has them.
Its text form is the emulator's choice: the JSON a client writes, e.g.

    [{"date": "2026-12-25", "timeValues": [{"time": "00:00:00", "value": 0}], "eventPriority": 1},
     {"weekNDay": [11, 4, 4], "timeValues": [], "eventPriority": 5},
     {"calendar": "calendar,1", "timeValues": [{"time": "00:00:00", "value": 0}], "eventPriority": 3}]
"""

from __future__ import annotations

import json
import struct
from typing import Any, Callable

from . import datatypes as dt

PERIODS = ("date", "dateRange", "weekNDay", "calendar")
Special = tuple[tuple[str, Any], tuple[tuple[Any, Any], ...], int]


def to_json(value: list[Special], to_text: Callable[[dt.Datatype, Any], str]) -> str:
    """The text form, with texts.to_text (passed in: texts.py calls this module)."""
    events = []
    for (kind, period), time_values, priority in value:
        if kind == "date":
            shown: Any = to_text(dt.DATE, period)
        elif kind == "dateRange":
            shown = [to_text(dt.DATE, date) for date in period]
        elif kind == "weekNDay":
            shown = list(period)
        else:
            shown = f"calendar,{period[1]}"
        events.append(
            {
                kind: shown,
                "timeValues": [{"time": to_text(dt.TIME, t), "value": v} for t, v in time_values],
                "eventPriority": priority,
            }
        )
    return json.dumps(events)


def parse_special(raw: Any, parse: Callable[[dt.Datatype, Any], Any]) -> list[Special]:
    """The value of a JSON list (or its text), with texts.parse; ValueError or TypeError on anything else."""
    events = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(events, list):
        raise TypeError(raw)
    parsed = []
    for event in events:
        if not isinstance(event, dict):
            raise TypeError(event)
        kinds = [kind for kind in PERIODS if kind in event]
        if len(kinds) != 1:
            raise ValueError(f"a special event has one of {', '.join(PERIODS)}")
        kind, given = kinds[0], event[kinds[0]]
        if kind == "date":
            period: Any = parse(dt.DATE, given)
        elif kind == "dateRange":
            period = parse(dt.DATE_RANGE, given)
        elif kind == "weekNDay":
            month, week, day = (int(part) for part in given)
            if not (month in range(1, 15) or month == 255) or not (week in range(1, 7) or week == 255):
                raise ValueError(given)
            if not (day in range(1, 8) or day == 255):
                raise ValueError(given)
            period = (month, week, day)
        else:
            number, instance = parse(dt.OBJECT_ID, f"({given})" if isinstance(given, str) else str(given))
            if number != 6:
                raise ValueError(f"{given} is not a calendar")
            period = (number, instance)
        time_values = tuple(parse(dt.WEEKLY_SCHEDULE, [{"timeValues": event.get("timeValues", [])}] * 7)[0])
        priority = int(event.get("eventPriority", 16))
        if not 1 <= priority <= 16:
            raise ValueError(f"an event priority is 1..16, not {priority}")
        parsed.append(((kind, period), time_values, priority))
    return parsed


def encode_special(value: list[Special]) -> bytes:
    """The SpecialEvents' encoding (ASHRAE 135 21: context tags 0..3 of BACnetSpecialEvent)."""
    out = bytearray()
    for (kind, period), time_values, priority in value:
        if kind == "date":
            out += b"\x0e\x0c" + bytes(period) + b"\x0f"
        elif kind == "dateRange":
            out += b"\x0e\x1e" + b"".join(b"\xa4" + bytes(date) for date in period) + b"\x1f\x0f"
        elif kind == "weekNDay":
            out += b"\x0e\x2b" + bytes(period) + b"\x0f"
        else:
            out += b"\x1c" + (period[0] << 22 | period[1]).to_bytes(4, "big")
        out += b"\x2e"
        for time, number in time_values:
            out += b"\xb4" + bytes(time)
            out += b"\x00" if number is None else b"\x44" + struct.pack(">f", number)
        out += b"\x2f\x39" + bytes((priority,))
    return bytes(out)
