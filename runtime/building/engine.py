"""The living building of one device, brought up to date lazily: no timer runs for it. Before any read
or write of its points (the object database's `sync`), every step of STEP seconds of the emulator's
clock since the device started that has not been computed yet is computed, in order:

    schedules and calendars -> sensors shown (closed forms, zones, noise) -> control programs ->
    intrinsic reporting (alarms) -> trend logs -> the zones integrated over the step

A value therefore depends only on the clock, the seed and the writes made (each write is applied after
the steps up to its time), never on when or how often it is read — within a day: a longer gap between two
reads skips its beginning (MAX_CATCH_UP). On the manual clock nothing moves until the clock does. A device whose point list has no programs, schedules, calendars, trend logs or alarms
has no steps at all.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any, Callable

from ..points.models import ObjectDatabase, PointDef
from .alarms import Alarms
from .calendar import calendar_present, schedule_value
from .plant import Plant
from .programs import Plan
from .scenario import PointEvent, checked
from .trendlogs import TrendLog

STEP = 10.0  # seconds of the emulator's clock between two steps
# The steps one catch-up computes at most (a day of the clock, under half a second): a longer gap since the
# last read (a manual clock advanced by a month) skips its beginning, and the building goes on from where it
# was as of the gap's last day. The emulator's choice: without it, a read could cost minutes of CPU.
MAX_CATCH_UP = 8640


class Building:
    def __init__(
        self,
        db: ObjectDatabase,
        plan: Plan,
        now: Callable[[], float],
        local_at: Callable[[float], datetime],
        origin: float,
        seed: int,
        events: tuple[PointEvent, ...] = (),
    ) -> None:
        self.db, self.now, self.local_at, self.origin = db, now, local_at, origin
        self.events = checked(db, events)  # by time; each applied once, at the first step at or after it
        self.plant = Plant(db, plan, seed, STEP)
        self.schedules, self.calendars, self.trend_points = plan.schedules, plan.calendars, plan.trend_logs
        self.alarms = Alarms(db, plan.alarming, seed)
        self.lock = threading.RLock()
        self.next_step = 0
        self.instant = 0.0  # the device clock's time at the last step
        self.reset()
        if plan.lives() or events:
            db.sync = self.sync
            db.subscribe(self.written)

    def reset(self) -> None:
        """Back to the point list's values; time goes on (the current step is made again at the next read)."""
        with self.lock:
            self.plant.reset()
            self.alarms.reset()
            # Made at the first step: a device nobody reads costs no buffers.
            self.trends: dict[tuple[int, int], TrendLog] = {}
            if self.next_step:
                self.trends = {p.key: TrendLog(p) for p in self.trend_points}
                self.next_step -= 1  # the current step made again: its commands and values, from the reset
            self.scheduled: dict[tuple[int, int], Any] = {}

    def sync(self) -> None:
        """Compute every step up to the clock's time now."""
        now = self.now()
        if now < self.origin + self.next_step * STEP:
            return
        with self.lock:
            due = int((now - self.origin) // STEP)  # the last step due
            if due - self.next_step >= MAX_CATCH_UP:
                self.next_step = due - MAX_CATCH_UP + 1
            while self.origin + self.next_step * STEP <= now:
                self._step(self.next_step)
                self.next_step += 1  # after the step: a read that finds it counted finds it done

    def _step(self, number: int) -> None:
        at = self.origin + number * STEP
        while self.events and self.origin + self.events[0][0] <= at:
            _, point, values = self.events.pop(0)
            self.db.apply_forced(point, values)
        local = self.local_at(at)
        self.instant = local.timestamp()
        if len(self.trends) < len(self.trend_points):
            self.trends = {p.key: TrendLog(p) for p in self.trend_points}
        for calendar in self.calendars.values():
            self.db.live[calendar.key] = {"presentValue": self._calendar_on(calendar.instance, local.date())}
        for schedule in self.schedules:
            self._schedule(schedule, local)
        self.plant.show(number, local)
        self.plant.control(at)
        self.alarms.step(at, local)
        for trend in self.trends.values():
            trend.step(self.db, self.instant)
        self.plant.integrate()

    def _calendar_on(self, instance: int, day: date) -> bool:
        calendar = self.calendars.get(instance)
        return calendar is not None and calendar_present(self.db.stored(calendar, "dateList"), day)

    def _schedule(self, schedule: PointDef, local: datetime) -> None:
        db = self.db
        value = schedule_value(
            local,
            db.stored(schedule, "weeklySchedule"),
            db.stored(schedule, "exceptionSchedule") if schedule.property("exceptionSchedule") else (),
            db.stored(schedule, "effectivePeriod"),
            db.stored(schedule, "scheduleDefault"),
            self._calendar_on,
        )
        if self.scheduled.get(schedule.key) == value:
            return
        # A transition: the present value, and a write of each referenced object at priorityForWriting.
        self.scheduled[schedule.key] = value
        db.live[schedule.key] = {"presentValue": value}
        priority = db.stored(schedule, "priorityForWriting")
        for key in db.stored(schedule, "listOfObjectPropertyReferences"):
            target = db.points.by_key.get(tuple(key))
            if target is None or target.kind.is_input:
                continue
            datatype = target.by_name["presentValue"].datatype.name
            written = float(value) if datatype == "real" else int(round(value))
            if target.commandable:
                db.commands.setdefault(target.key, {})[priority] = written
            else:
                db.live.setdefault(target.key, {})["presentValue"] = written

    def written(self, point: PointDef, name: str) -> None:
        """A client's write the building follows: a trend log purged, enabled, or its interval changed."""
        trend = self.trends.get(point.key)
        if trend is None:
            return
        with self.lock:
            if name == "recordCount":
                trend.purge(self.instant)
            elif name in ("logInterval", "enable"):  # the next record at the interval's next multiple
                trend.realign(self.instant, self.db.stored(point, "logInterval") / 100)
            else:
                return
            self.db.live[point.key] = {"recordCount": len(trend.records), "totalRecordCount": trend.total}
