"""The device's own clock: what /system/date-time shows and sets, and what stamps backup files.

The device's time is a start time (the host's when the emulator starts, or `--device-time`), plus the
emulator clock's elapsed time (so the manual clock moves it), plus an offset that POSTs set. The host's
clock is never touched. The offset and the time zone are state (the store's `/system/date-time`), so
that reset restores them and a state file keeps them.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone, tzinfo
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..device.store import StateStore
from .clocks import Clock

STATE_PATH = "/system/date-time"
# What the emulated clock keeps, as local times in its time zone (the years the schema's date patterns
# admit): a POST outside is refused, and a far-advanced manual clock stops at the last second.
FIRST_LOCAL = datetime(1970, 1, 1)
LAST_LOCAL = datetime(2099, 12, 31, 23, 59, 59, 999999)
# --device-time, an instant, within the same years in UTC.
EARLIEST = FIRST_LOCAL.replace(tzinfo=timezone.utc)
LATEST = LAST_LOCAL.replace(tzinfo=timezone.utc)
TIME_FORMAT, DATE_FORMAT = "%H:%M:%S", "%m-%d-%Y"
# How the device writes a file's time (Files/GET-files: "04/19/2016 12:11:29").
FILE_TIME_FORMAT = "%m/%d/%Y %H:%M:%S"


class DateTimeError(ValueError):
    """A POST that names no instant the clock can take; the message says why."""


def parse_instant(text: str) -> float:
    """`--device-time`: an ISO 8601 date and time (UTC without an offset) -> seconds since the epoch."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 date and time such as 2026-12-01T10:00:00Z: {text!r}") from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"the device's time must be from {EARLIEST:%Y} to {LATEST:%Y}: {text!r}")
    return moment.timestamp()


def zone(name: str) -> tzinfo:
    """The time zone `name`; UTC on a host without the time zone database (Python on Windows without
    the tzdata package), so that the emulator still runs."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


class DeviceClock:
    """The device's time, from the emulator's clock; settings in the state store."""

    def __init__(
        self, clock: Clock, store: StateStore, default_zone: Callable[[], str], start: float | None = None
    ) -> None:
        self.clock, self.store, self.default_zone = clock, store, default_zone
        self.start = time.time() if start is None else start
        self.origin = clock.now()

    def _settings(self) -> dict[str, Any]:
        return self.store.get(STATE_PATH, lambda: {"TimeZone": self.default_zone(), "Offset": 0.0})

    def instant(self, settings: Mapping[str, Any] | None = None, at: float | None = None) -> float:
        """The device's time now (or when the emulator's clock read `at`), in seconds since the epoch,
        within what the clock keeps (local times from 1970 to 2099 in its time zone)."""
        settings = self._settings() if settings is None else settings
        at = self.clock.now() if at is None else at
        now = self.start + (at - self.origin) + settings.get("Offset", 0.0)
        local_zone = zone(self.zone_name(settings))
        first = FIRST_LOCAL.replace(tzinfo=local_zone).timestamp()
        return min(max(now, first), LAST_LOCAL.replace(tzinfo=local_zone).timestamp())

    def zone_name(self, settings: Mapping[str, Any] | None = None) -> str:
        return (self._settings() if settings is None else settings).get("TimeZone") or self.default_zone()

    def local_at(self, at: float) -> datetime:
        """The device's local time when the emulator's clock read `at`."""
        settings = self._settings()
        utc = datetime.fromtimestamp(self.instant(settings, at), timezone.utc)
        return utc.astimezone(zone(self.zone_name(settings)))

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.instant(), timezone.utc)

    def local(self) -> datetime:
        return self.moment()[1]

    def moment(self) -> tuple[datetime, datetime]:
        """The device's time now in UTC and in its time zone, from one reading of its settings."""
        settings = self._settings()
        utc = datetime.fromtimestamp(self.instant(settings), timezone.utc)
        return utc, utc.astimezone(zone(self.zone_name(settings)))

    def values(self) -> dict[str, Any]:
        """The DateTime object's values now."""
        local = self.local().replace(microsecond=0)
        return {
            "Time": local.strftime(TIME_FORMAT),
            "Date": local.strftime(DATE_FORMAT),
            "TimeZone": self.zone_name(),
            "ISODateTime": local.isoformat(),
            "AutoTime": self._settings().get("AutoTime", False),
        }

    def set(self, body: Mapping[str, Any]) -> None:
        """Apply a POST: the fields it gives (see the set_date_time resource); DateTimeError if it names no
        instant the clock can take. Nothing changes on an error."""
        # ISODateTime with Time or Date never gets here: the spec makes them exclusive (the handler's 400).
        name = body.get("TimeZone") or self.zone_name()
        target_zone = zone(name)
        if "ISODateTime" in body:
            try:
                target = datetime.fromisoformat(body["ISODateTime"])
            except ValueError:
                raise DateTimeError(f"{body['ISODateTime']!r} is no instant of the calendar") from None
            target = target if target.tzinfo is not None else target.replace(tzinfo=target_zone)
        elif "Time" in body or "Date" in body:
            # What the POST leaves out is taken from the current instant, seen in the (new) time zone.
            shown = self.utc().astimezone(target_zone)
            try:
                day = datetime.strptime(body["Date"], DATE_FORMAT).date() if "Date" in body else shown.date()
            except ValueError:
                raise DateTimeError(f"{body['Date']!r} is no date of the calendar") from None
            clock = datetime.strptime(body["Time"], TIME_FORMAT).time() if "Time" in body else shown.time()
            target = datetime.combine(day, clock, target_zone)
        else:
            target = None  # a time zone alone keeps the instant: the local time moves
        settings = dict(self._settings())
        if target is not None:
            # The local time as given (in the offset it names, or the device's time zone) is in range.
            if not FIRST_LOCAL <= target.replace(tzinfo=None) <= LAST_LOCAL:
                raise DateTimeError(f"the clock keeps local times from {FIRST_LOCAL:%Y} to {LAST_LOCAL:%Y}")
            settings["Offset"] = settings.get("Offset", 0.0) + target.timestamp() - self.instant()
        settings["TimeZone"] = name
        if "AutoTime" in body:
            settings["AutoTime"] = body["AutoTime"]
        self.store.put(STATE_PATH, settings)
