"""Point events: a point forced at a given time of the device's clock (a sensor failing, an alarm at a
given time), as a fleet file's schedule gives them (`{at: 120, fault: point, object: analogInput,5,
values: {reliability: no-sensor}}`) or `EmbeddedServer(point_events=...)`. The building applies each at
the first step at or after its time, so that a scenario is as repeatable as the rest of the building."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from ..points.errors import BacnetError
from ..points.models import ObjectDatabase, PointDef


@dataclass(frozen=True)
class PointEvent:
    """`values` forced on `object` (`type,instance`) at `at` seconds of the device's clock after it
    started, without BACnet's write rules (as the control API's set_point)."""

    at: float
    object: str
    values: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not (isinstance(self.at, (int, float)) and math.isfinite(self.at) and self.at >= 0):
            raise ValueError(f"at must be a number of seconds >= 0, not {self.at!r}")
        kind, comma, instance = str(self.object).rpartition(",")
        if not (comma and kind and instance.strip().isdigit()):
            raise ValueError(f"a point event's object is type,instance (analogInput,5), not {self.object!r}")
        if not isinstance(self.values, Mapping) or not self.values:
            raise ValueError(
                "a point event's values map properties (physicalValue, reliability, ...) to values"
            )


def checked(
    db: ObjectDatabase, events: tuple[PointEvent, ...]
) -> list[tuple[float, PointDef, dict[str, Any]]]:
    """The events with their objects found and values parsed, by time; ValueError naming a bad one."""
    found = []
    for event in sorted(events, key=lambda e: e.at):
        kind, _, instance = event.object.rpartition(",")
        try:
            point, parsed = db.forced(kind.strip(), int(instance), event.values)
        except BacnetError as error:
            raise ValueError(f"point event at {event.at:g} s on {event.object}: {error}") from None
        found.append((float(event.at), point, parsed))
    return found
