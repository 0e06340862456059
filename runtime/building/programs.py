"""The programs a point list declares (its `programs` list): what makes its points live. Each is a mapping
with a `kind` and the fields of that kind, as data below; objects are named `type,instance` (any
spelling of the type) or by objectName.

    {"kind": "daily", "object": "analogInput,3", "mean": 8, "swing": 6, "peak": "15:00"}
    {"kind": "zone", "object": "ZN1-TEMP", "outdoor": "AHU1-OAT", "heating": "ZN1-VLV", "gain": 0.004, "tau": 10800}
    {"kind": "pi", "output": "ZN1-VLV", "input": "ZN1-TEMP", "setpoint": "ZN1-SP", "priority": 10}
    {"kind": "follow", "object": "AHU1-SF-STS", "source": "AHU1-SF-CMD", "delay": 20}
    {"kind": "follow", "object": "AHU1-OA-DMPR", "source": "AHU1-MODE", "map": {"1": 0, "4": 100}, "priority": 16}
    {"kind": "noise", "object": "ZN1-RH", "amplitude": 0.5}

A bad declaration is a PointFileError naming its file, line and column, as any error of a point file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..points.models import Declared, PointDef, PointList
from ..points.objects import object_type
from ..points.pointfile import PointFileError


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _positive(value: Any) -> float:
    number = _number(value)
    if number <= 0:
        raise ValueError(f"{value!r} is not a number > 0")
    return number


def _not_negative(value: Any) -> float:
    number = _number(value)
    if number < 0:
        raise ValueError(f"{value!r} is not a number >= 0")
    return number


def _priority(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 16 or value == 6:
        raise ValueError(f"{value!r} is not a priority 1..16 other than 6")
    return value


def _hours(value: Any) -> float:
    hours, _, minutes = str(value).partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"{value!r} is not a time HH:MM")
    return int(hours) + int(minutes) / 60


def _action(value: Any) -> str:
    if value not in ("reverse", "direct"):
        raise ValueError(f"{value!r} is not reverse (heating: more output below setpoint) or direct")
    return str(value)


def _mapping(value: Any) -> Mapping[int, float]:
    if not isinstance(value, dict):
        raise ValueError("map maps a source's values (numbers, as text) to the values followed")
    try:
        return {int(key): _number(number) for key, number in value.items()}
    except ValueError:
        raise ValueError("map maps a source's values (whole numbers, as text) to numbers") from None


REF = "object"  # a field naming an object
# Each kind's fields: name -> (how its value is read, or REF; its default, None: required).
KINDS: dict[str, dict[str, tuple[Callable[[Any], Any] | str, Any]]] = {
    "daily": {
        "object": (REF, None),
        "mean": (_number, None),
        "swing": (_number, 0.0),
        "peak": (_hours, "15:00"),
    },
    "zone": {
        "object": (REF, None),
        "outdoor": (REF, None),
        "heating": (REF, None),
        "gain": (_number, 0.004),  # degrees per second at 100 % of heating
        "tau": (_positive, 10800.0),  # seconds: how fast the zone drifts toward the outdoor air
    },
    "pi": {
        "output": (REF, None),
        "input": (REF, None),
        "setpoint": (REF, None),
        "priority": (_priority, 16),
        "gain": (_number, 10.0),  # output % per degree of error
        "integral": (_positive, 600.0),  # seconds
        "action": (_action, "reverse"),
        "low": (_number, 0.0),
        "high": (_number, 100.0),
    },
    "follow": {
        "object": (REF, None),
        "source": (REF, None),
        "delay": (_not_negative, 0.0),
        "map": (_mapping, {}),
        "priority": (_priority, 16),
    },
    "noise": {"object": (REF, None), "amplitude": (_not_negative, None)},
}


@dataclass(frozen=True)
class Program:
    """One declared program, its fields read: objects as PointDefs, the rest as KINDS reads them."""

    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]


def find_object(points: PointList, text: Any) -> PointDef:
    """The object `type,instance` or an objectName names; ValueError when none."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} names no object (type,instance or an objectName)")
    kind_text, comma, instance = text.rpartition(",")
    kind = object_type(kind_text) if comma else None
    if kind is not None and instance.strip().isdigit():
        found = points.by_key.get((kind.number, int(instance)))
        if found is not None:
            return found
    for point in points.points:
        if point.value("objectName") == text:
            return point
    raise ValueError(f"the point list has no object {text!r}")


@dataclass(frozen=True)
class Plan:
    """What of a point list lives: its programs by kind, and its schedules, calendars, trend logs and
    points with intrinsic reporting. Made once per point list and shared by its devices."""

    programs: tuple[Program, ...]
    by_kind: Mapping[str, tuple[Program, ...]]
    modelled: frozenset[tuple[int, int]]  # the inputs a daily or zone program shows
    schedules: tuple[PointDef, ...]
    calendars: Mapping[int, PointDef]
    trend_logs: tuple[PointDef, ...]
    alarming: tuple[PointDef, ...]

    def kind(self, name: str) -> tuple[Program, ...]:
        return self.by_kind.get(name, ())

    def lives(self) -> bool:
        return bool(self.programs or self.schedules or self.calendars or self.trend_logs or self.alarming)


_plans: dict[int, tuple[PointList, Plan]] = {}
_plans_lock = threading.Lock()


def plan(points: PointList) -> Plan:
    """The point list's Plan, its programs read and checked; PointFileError naming where a bad one is."""
    with _plans_lock:
        known = _plans.get(id(points))
        if known is not None and known[0] is points:
            return known[1]
    made = _plan(points, tuple(_read(points, declared) for declared in points.programs))
    with _plans_lock:
        if len(_plans) > 64:
            _plans.clear()
        _plans[id(points)] = (points, made)  # the list kept: its id is not reused while here
    return made


def read_programs(points: PointList) -> tuple[Program, ...]:
    return plan(points).programs


def _plan(points: PointList, programs: tuple[Program, ...]) -> Plan:
    by_kind = {kind: tuple(p for p in programs if p.kind == kind) for kind in KINDS}
    of = [p for p in points.points]
    return Plan(
        programs,
        by_kind,
        frozenset(p["object"].key for p in (*by_kind["daily"], *by_kind["zone"])),
        tuple(p for p in of if p.kind.name == "schedule"),
        {p.instance: p for p in of if p.kind.name == "calendar"},
        tuple(p for p in of if p.kind.name == "trendLog"),
        tuple(p for p in of if p.property("eventEnable") is not None),
    )


def _read(points: PointList, declared: Declared) -> Program:
    values = declared.values
    kind = values.get("kind")
    if kind not in KINDS:
        raise PointFileError(
            f"{declared.at.get('kind', declared.at[None])}: kind is one of {', '.join(KINDS)}"
        )
    fields = KINDS[kind]
    unknown = sorted(set(values) - set(fields) - {"kind"})
    if unknown:
        raise PointFileError(
            f"{declared.at[unknown[0]]}: a {kind} program has no {unknown[0]!r} (it has {', '.join(fields)})"
        )
    read: dict[str, Any] = {}
    for name, (how, default) in fields.items():
        if name not in values:
            if default is None:
                raise PointFileError(f"{declared.at[None]}: a {kind} program needs {name!r}")
            read[name] = _hours(default) if how is _hours else default
            continue
        try:
            read[name] = find_object(points, values[name]) if how == REF else how(values[name])  # type: ignore[operator]
        except ValueError as error:
            raise PointFileError(f"{declared.at[name]}: {name}: {error}") from None
    _check_targets(kind, read, declared)
    return Program(kind, read)


def _check_targets(kind: str, read: Mapping[str, Any], declared: Declared) -> None:
    """What a program sets must be able to take it: a sensor (an input) or a commandable object."""
    target_name = "output" if kind == "pi" else "object"
    target: PointDef = read[target_name]
    if kind in ("daily", "zone", "noise") and not target.kind.is_input:
        raise PointFileError(f"{declared.at[target_name]}: a {kind} program sets an input's sensor")
    if kind in ("pi", "follow") and not (target.kind.is_input or target.commandable):
        raise PointFileError(
            f"{declared.at[target_name]}: a {kind} program sets an input or commands a commandable object"
        )
