"""Trend logs (BACNET-FACTS.md section 7): each records its object's presentValue (logDeviceObjectProperty)
every logInterval (hundredths of a second), aligned on the device clock, or on change (loggingType cov),
with its status flags, into a buffer of bufferSize records.

recordCount is the records in the buffer, totalRecordCount counts every record ever made and is the newest
record's sequence number. Writing recordCount 0 purges the buffer and adds a buffer-purged record (as
bacnet-stack does); a stopWhenFull log that fills sets enable false; a disabled log records nothing.
Records are made on the building's steps (runtime/building/engine.py), so a changed value is recorded at
the first step that sees it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..points import datatypes as dt
from ..points.models import MAX_TREND_RECORDS, ObjectDatabase, PointDef

POLLED, COV = 0, 1
BUFFER_PURGED = "buffer-purged"  # a log-status record


@dataclass(frozen=True, slots=True)
class Record:
    sequence: int
    instant: float  # seconds since the epoch, on the device clock
    datatype: dt.Datatype | None  # None: a log-status record, `value` naming the status
    value: Any
    flags: tuple[bool, ...]


class TrendLog:
    """One trend log's buffer and what it last recorded."""

    def __init__(self, point: PointDef) -> None:
        self.point = point
        self.records: deque[Record] = deque(maxlen=_size(point.value("bufferSize")))
        self.total = 0
        self.due: float | None = None  # the next polled record's instant (None: at the next step)
        self.last: Any = None

    def add(self, instant: float, datatype: dt.Datatype | None, value: Any, flags: tuple[bool, ...]) -> None:
        self.total += 1
        self.records.append(Record(self.total, instant, datatype, value, flags))

    def purge(self, instant: float) -> None:
        self.records.clear()
        self.add(instant, None, BUFFER_PURGED, (False, False, False, False))

    def realign(self, instant: float, interval: float) -> None:
        """A new logInterval: the next record at its next multiple on the device clock."""
        self.due = (math.floor(instant / interval) + 1) * interval if interval > 0 else None

    def step(self, db: ObjectDatabase, instant: float) -> None:
        point = self.point
        size = _size(db.stored(point, "bufferSize"))
        if size != self.records.maxlen:
            self.records = deque(self.records, maxlen=size)
        if db.stored(point, "enable") and point.property("logDeviceObjectProperty") is not None:
            self._sample(db, instant, size)
        db.live[point.key] = {"recordCount": len(self.records), "totalRecordCount": self.total}

    def _sample(self, db: ObjectDatabase, instant: float, size: int) -> None:
        point = self.point
        number, instance = db.stored(point, "logDeviceObjectProperty")
        monitored = db.points.by_key.get((number, instance))
        if monitored is None:
            return
        prop = monitored.by_name["presentValue"]
        value = db.value(monitored, prop)
        interval = db.stored(point, "logInterval") / 100
        if db.stored(point, "loggingType") == COV or interval <= 0:
            due = value != self.last or not self.total
        else:
            due = self.due is None or instant >= self.due
            if due:
                self.realign(instant, interval)
        if not due:
            return
        if db.stored(point, "stopWhenFull") and len(self.records) >= size:
            db.set_stored(point, "enable", False)
            return
        self.last = value
        self.add(instant, prop.datatype, value, db.value(monitored, monitored.by_name["statusFlags"]))


def _size(buffer_size: Any) -> int:
    """The records a log keeps: its bufferSize, within 1..MAX_TREND_RECORDS (a point list's value too)."""
    return min(max(1, int(buffer_size)), MAX_TREND_RECORDS)
