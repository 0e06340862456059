"""Schedules and calendars evaluated at a local date and time (BACNET-FACTS.md section 7), as pure functions.

- A calendar is present (true) on a date its dateList matches.
- A schedule outside its effectivePeriod has its scheduleDefault (the emulator's choice, as the Siemens
  documentation says; bacpypes3 evaluates nothing there).
- Among the special events of the exceptionSchedule that match today, the lowest eventPriority number
  wins; within an event the last time value at or before now applies, and a NULL relinquishes the event.
- Otherwise today's weeklySchedule entry (index 0: Monday) with the last time at or before now; NULL, or
  no entry yet today: scheduleDefault.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import date, datetime
from typing import Any, Callable, Sequence

ANY = 255

# A BACnet Date: (year - 1900, month, day, weekday 1..7 from Monday), 255 anywhere a wildcard.
Date = tuple[int, int, int, int]


def date_matches(pattern: Date, day: date) -> bool:
    """Whether `day` is one of the dates `pattern` names (month 13: odd months, 14 even; day 32: the
    month's last, 33 odd days, 34 even days)."""
    year, month, number, weekday = pattern
    if year != ANY and 1900 + year != day.year:
        return False
    if month == 13 and day.month % 2 == 0 or month == 14 and day.month % 2 == 1:
        return False
    if month not in (ANY, 13, 14) and month != day.month:
        return False
    if number == 32 and day.day != gregorian.monthrange(day.year, day.month)[1]:
        return False
    if number == 33 and day.day % 2 == 0 or number == 34 and day.day % 2 == 1:
        return False
    if number not in (ANY, 32, 33, 34) and number != day.day:
        return False
    return weekday == ANY or weekday == day.isoweekday()


def _as_date(value: Date, default: date) -> date:
    """A range's end as a date: a wildcard end is open."""
    year, month, number, _ = value
    if ANY in (year, month, number) or month > 12 or number > 31:
        return default
    return date(1900 + year, month, number)


def in_range(period: tuple[Date, Date], day: date) -> bool:
    start, end = period
    return _as_date(start, date.min) <= day <= _as_date(end, date.max)


def week_n_day_matches(pattern: tuple[int, int, int], day: date) -> bool:
    """A WeekNDay (month, week of month, day of week): week 1 is days 1-7, ..., 5 days 29-31, 6 the last
    seven days of the month."""
    month, week, weekday = pattern
    if month == 13 and day.month % 2 == 0 or month == 14 and day.month % 2 == 1:
        return False
    if month not in (ANY, 13, 14) and month != day.month:
        return False
    if week == 6:
        if day.day <= gregorian.monthrange(day.year, day.month)[1] - 7:
            return False
    elif week != ANY and (day.day - 1) // 7 + 1 != week:
        return False
    return weekday == ANY or weekday == day.isoweekday()


def calendar_present(date_list: Sequence[Date], day: date) -> bool:
    return any(date_matches(pattern, day) for pattern in date_list)


def _last(time_values: Sequence[tuple[Any, Any]], now: tuple[int, int, int, int]) -> tuple[bool, Any]:
    """(whether a time value is at or before now, its value)."""
    found, value = False, None
    for time, number in sorted(time_values, key=lambda entry: entry[0]):
        if time <= now:
            found, value = True, number
    return found, value


def schedule_value(
    moment: datetime,
    weekly: Sequence[Sequence[tuple[Any, Any]]],
    exceptions: Sequence[tuple[tuple[str, Any], Sequence[tuple[Any, Any]], int]],
    effective: tuple[Date, Date],
    default: float,
    calendar_on: Callable[[int, date], bool],
) -> float:
    """The schedule's present value at local time `moment`; `calendar_on(instance, day)` answers a
    calendar reference."""
    day = moment.date()
    if not in_range(effective, day):
        return default
    now = (moment.hour, moment.minute, moment.second, moment.microsecond // 10000)
    best: tuple[int, float] | None = None
    for (kind, period), time_values, priority in exceptions:
        if best is not None and best[0] <= priority:
            continue
        if kind == "date":
            matched = date_matches(period, day)
        elif kind == "dateRange":
            matched = in_range(period, day)
        elif kind == "weekNDay":
            matched = week_n_day_matches(period, day)
        else:
            matched = calendar_on(period[1], day)
        if not matched:
            continue
        found, value = _last(time_values, now)
        if found and value is not None:
            best = (priority, value)
    if best is not None:
        return best[1]
    found, value = _last(weekly[day.weekday()] if len(weekly) == 7 else (), now)
    return default if not found or value is None else value
