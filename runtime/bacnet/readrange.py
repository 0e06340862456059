"""ReadRange of a trend log's logBuffer, over a small interface to whatever keeps the records.

`TrendLogs.records(instance)` answers a trend log's records, oldest first, each with its sequence number
(the first record ever is 1): BuildingTrendLogs, the living building's (runtime/building/); NO_TREND_LOGS
answers every trend log empty.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple, Protocol, Sequence

from bacpypes3.basetypes import DateTime, LogRecord, LogRecordLogDatum, ResultFlags
from bacpypes3.constructeddata import Any as AnyTags
from bacpypes3.constructeddata import SequenceOf
from bacpypes3.primitivedata import TagList

from ..points.errors import BacnetError

MAX_ITEMS = 1000  # records one answer carries at most (moreItems says there are more)


class Record(NamedTuple):
    sequence: int
    timestamp: datetime.datetime  # the device's local time
    value: float | bool | int | None  # a REAL, a BOOLEAN, an Enumerated (int) or NULL
    flags: tuple[bool, bool, bool, bool] | None = None  # statusFlags when the record keeps them


class TrendLogs(Protocol):
    def records(self, instance: int) -> Sequence[Record]: ...


class NoTrendLogs:
    def records(self, instance: int) -> Sequence[Record]:
        return ()


NO_TREND_LOGS = NoTrendLogs()


class BuildingTrendLogs:
    """The trend logs of the living building (runtime/building/feature.py's trend_records)."""

    def __init__(self, building: Any) -> None:
        self.building = building

    def records(self, instance: int) -> Sequence[Record]:
        return [
            # The local time without its zone: a range by time names the device's local time as BACnet does.
            Record(sequence, moment.replace(tzinfo=None), value, (flags[0], flags[1], flags[2], flags[3]))
            for sequence, moment, value, flags in self.building.trend_records(instance)
        ]


def select(records: Sequence[Record], by: str | None, reference: Any, count: int) -> tuple[int, int]:
    """The slice [start, end) of `records` a range asks for: by position (a 1-based index), by sequence
    number or by time (a datetime), `count` records from the reference (back from it when negative)."""
    if by is None:
        return 0, len(records)
    if by == "time":
        if count >= 0:
            start = next((i for i, r in enumerate(records) if r.timestamp > reference), len(records))
            return start, min(len(records), start + count)
        end = next((i for i in range(len(records) - 1, -1, -1) if records[i].timestamp < reference), -1) + 1
        return max(0, end + count), end
    if by == "sequence":
        index = next((i for i, r in enumerate(records) if r.sequence == reference), None)
    else:
        index = reference - 1 if 1 <= reference <= len(records) else None
    if index is None or count == 0:
        return 0, 0
    if count > 0:
        return index, min(len(records), index + count)
    return max(0, index + count + 1), index + 1


def answer(records: Sequence[Record], start: int, end: int) -> dict[str, Any]:
    """The ReadRangeACK's resultFlags, itemCount, itemData and firstSequenceNumber for records[start:end]."""
    shown = records[start : min(end, start + MAX_ITEMS)]
    flags = ResultFlags(
        [
            bool(shown) and start == 0,
            bool(shown) and start + len(shown) == len(records),
            start + len(shown) < end,
        ]
    )
    items = SequenceOf(LogRecord)([_log_record(record) for record in shown])
    fields: dict[str, Any] = {
        "resultFlags": flags,
        "itemCount": len(shown),
        "itemData": AnyTags(TagList(items.encode())),
    }
    if shown:
        fields["firstSequenceNumber"] = shown[0].sequence
    return fields


def _log_record(record: Record) -> LogRecord:
    value = record.value
    if value is None:
        datum = LogRecordLogDatum(nullValue=())
    elif isinstance(value, bool):
        datum = LogRecordLogDatum(booleanValue=value)
    elif isinstance(value, int):
        datum = LogRecordLogDatum(enumValue=value)
    else:
        datum = LogRecordLogDatum(realValue=value)
    fields: dict[str, Any] = {"timestamp": DateTime(record.timestamp), "logDatum": datum}
    if record.flags is not None:
        fields["statusFlags"] = list(record.flags)
    return LogRecord(**fields)


def not_a_list(name: str) -> BacnetError:
    return BacnetError(
        "services", "property-is-not-a-list", f"ReadRange reads a trend log's logBuffer, not {name}"
    )
