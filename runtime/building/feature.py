"""The living building: the points' programs, schedules, calendars, trend logs and alarms on the emulator's
clock (engine.py), with their REST resources (a trend log's records, the event notifications) and the
control API's count of notifications kept and dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from ..clock.device_clock import zone
from ..clock.feature import ClockFeature
from ..core.options import option
from ..device.events import RESET
from ..device.feature import Device, Feature, Hook, HookCall, HookResult, Operation
from ..points.errors import BacnetError
from ..points.feature import PointsFeature
from ..points.hooks import api_error
from ..points.models import PointDef
from ..points.texts import to_text
from .engine import Building
from .programs import plan
from .scenario import PointEvent
from .trendlogs import Record

MAX_RECORDS = 1000  # records one trend answer holds (a client pages with start and end)


@dataclass(frozen=True)
class BuildingOptions:
    point_events: tuple[PointEvent, ...] = option(
        (), help="points forced at given times of the device's clock (a fleet file's schedule: fault: point)"
    )


class BuildingFeature(Feature):
    """`building`: the device's Building, over the points feature's object database."""

    options = BuildingOptions
    operations = (
        Operation("GET", "/event-notifications", "notification_counts", shows=lambda _, counts: counts),
    )

    def __init__(self, device: Device, options: BuildingOptions) -> None:
        points = device.feature(PointsFeature)
        clock = device.feature(ClockFeature).device_clock
        self.objects = points.objects
        self.device_clock = clock
        self.building = Building(
            points.objects,
            plan(points.point_list),
            clock.clock.now,
            clock.local_at,
            clock.origin,
            device.options.seed or 0,
            tuple(options.point_events),
        )
        device.events.subscribe(RESET, self.building.reset)

    def hooks(self) -> Mapping[str, Hook]:
        return {"bacnet_trend": self.bacnet_trend, "event_notifications": self.event_notifications}

    # The event notifications

    def event_notifications(self, call: HookCall) -> HookResult:
        self.objects.sync()
        wanted = call.parameters.get("notification_class")
        return [
            n.document()
            for n in list(self.building.alarms.notifications)
            if wanted is None or n.notification_class == wanted
        ]

    def notification_counts(self) -> dict[str, Any]:
        """How many notifications the device made, keeps and dropped (the oldest, beyond the bound)."""
        self.objects.sync()
        alarms = self.building.alarms
        return {"made": alarms.made, "kept": len(alarms.notifications), "dropped": alarms.dropped()}

    # A trend log's records

    def trend_records(self, instance: int) -> list[tuple[int, datetime, Any, tuple[bool, ...]]]:
        """A trend log's records, oldest first, as BACnet's ReadRange reads them (runtime/bacnet/): its
        sequence number, local time, value (None: a log-status record) and status flags."""
        self.objects.sync()
        local_zone = zone(self.device_clock.zone_name())
        with self.building.lock:
            trend = self.building.trends.get((20, instance))
            records = list(trend.records) if trend is not None else []
        return [
            (
                r.sequence,
                datetime.fromtimestamp(r.instant, local_zone),
                r.value if r.datatype else None,
                r.flags,
            )
            for r in records
        ]

    def _trend_log(self, type_name: str, instance: int) -> PointDef:
        """The trend log named, or the first one logging the object named."""
        try:
            point = self.objects.find(type_name, instance)
        except BacnetError as error:
            raise api_error(error) from None
        if point.key in {trend.key for trend in self.building.trend_points}:
            return point
        for trend in self.building.trend_points:
            if (
                trend.property("logDeviceObjectProperty") is not None
                and tuple(self.objects.stored(trend, "logDeviceObjectProperty")) == point.key
            ):
                return trend
        raise api_error(
            BacnetError("object", "unknown-object", f"no trend log logs {point.kind.name} {instance}")
        )

    def bacnet_trend(self, call: HookCall) -> HookResult:
        parameters = call.parameters
        self.objects.sync()
        point = self._trend_log(parameters["object_type"], parameters["object_instance"])
        with self.building.lock:
            trend = self.building.trends[point.key]
            records = list(trend.records)
            total = trend.total
        if parameters.get("by_sequence_number") == "true":
            start, end = parameters.get("start"), parameters.get("end")
            chosen = [
                r
                for r in records
                if (start is None or r.sequence >= start) and (end is None or r.sequence <= end)
            ]
        else:  # start and end are positions in the buffer, from 1
            first = max(1, parameters.get("start") or 1)
            last = parameters.get("end") or len(records)
            chosen = records[first - 1 : last]
        local_zone = zone(self.device_clock.zone_name())
        return {
            "ObjectType": point.kind.name,
            "ObjectInstance": point.instance,
            "RecordCount": len(records),
            "TotalRecordCount": total,
            "FirstSequenceNumber": records[0].sequence if records else 0,
            "Records": [_record(r, local_zone) for r in chosen[:MAX_RECORDS]],
        }


def _record(record: Record, local_zone: Any) -> dict[str, Any]:
    moment = datetime.fromtimestamp(record.instant, local_zone).replace(microsecond=0)
    if record.datatype is None:
        kind, value = "logStatus", record.value
    else:
        kind, value = record.datatype.name, to_text(record.datatype, record.value)
    return {
        "SequenceNumber": record.sequence,
        "TimeStamp": moment.isoformat(),
        "Type": kind,
        "Value": value,
        "StatusFlags": "{" + ",".join("true" if bit else "false" for bit in record.flags) + "}",
    }
