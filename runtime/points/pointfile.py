"""Point files (`--points FILE`): the project's JSON or YAML point list, or an EDE CSV (runtime/points/ede.py).

    {"device": {"instance": 1001, "objectName": "AHU-1", "description": "...", "location": "..."},
     "objects": [
       {"type": "analogInput", "instance": 1, "objectName": "AHU1-SAT", "units": "degreesCelsius",
        "presentValue": 14.2, "minPresValue": -40, "maxPresValue": 120, "highLimit": 30, "supportsCov": true},
       {"type": "analogValue", "instance": 1, "objectName": "ZN1-SP", "relinquishDefault": 21,
        "commandable": true, "priorityArray": {"8": 22.5}},
       {"type": "multiStateValue", "instance": 1, "stateText": ["Off", "Heat", "Cool"], "presentValue": 1}]}

An object names its `type` (any spelling) and `instance`; every other key is a property of its type (any
spelling, its value a JSON value or the property's text form, as a write takes it), or one of:
`commandable` (AV/BV/MSV: a priority array, default true), `settable` (false: presentValue is read-only,
as an EDE's `N`), `supportsCov` (default true) and `priorityArray` (slot number to value). An input's
presentValue is its physical value. An optional `project: {name: ..., lastChange: ...}` names the
engineering project (as an EDE's PROJECT_NAME and TIMESTAMP_OF_LAST_CHANGE): the controller's program
(Project.gfx) shows them. `programs` lists what makes the points live (runtime/building/programs.py
reads them; kept here as written, with where each key stands, for its errors). YAML says the same, read
by the runtime's own reader (runtime/miniyaml.py).

A file is read whole before a device uses it: any error names the file, line and column, and nothing is
loaded. Devices that load the same file share one PointList (its definitions are immutable).
"""

from __future__ import annotations

import json
import json.decoder
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..core.miniyaml import YamlError, loads as yaml_loads
from .errors import BacnetError
from .models import Declared, PointDef, PointList, Project, define
from .objects import OBJECT_TYPES, object_type
from .texts import parse

# Bounds: a point list holds at most this many objects (see docs/device-api/points.md, the limits).
MAX_POINTS = 50_000
MAX_FILE_BYTES = 64 * 1024 * 1024
FLAGS = ("commandable", "settable", "supportscov", "priorityarray")


class PointFileError(ValueError):
    """A point file that cannot be loaded: `file:line:column: what is wrong`."""


# Where a value stands in its file: `locate(key)` -> "file:line:column" for one of the object's keys (None:
# the object itself).
Locator = Callable[[str | None], str]


@dataclass
class RawPoint:
    """One object as a file gives it, before its values are checked."""

    type: Any
    instance: Any
    values: dict[str, Any]  # property name (as written) -> raw value (text or JSON)
    locate: Locator
    commandable: bool | None = None
    settable: bool = True
    cov: bool = True
    priority_array: Mapping[Any, Any] | None = None


def build(
    device: RawPoint,
    points: list[RawPoint],
    source: str,
    instance_given: bool,
    project: Project | None = None,
    programs: tuple[Declared, ...] = (),
) -> PointList:
    """A PointList of raw points, every value checked; PointFileError at the first bad one."""
    if len(points) > MAX_POINTS:
        raise PointFileError(
            f"{points[MAX_POINTS].locate(None)}: more than {MAX_POINTS} objects in one point list"
        )
    defined: list[PointDef] = []
    seen: dict[tuple[int, int], str] = {}
    for raw in points:
        point = _define(raw)
        if point.key in seen:
            raise PointFileError(
                f"{raw.locate('instance')}: {point.kind.name} {point.instance} is defined twice "
                f"(first at {seen[point.key]})"
            )
        seen[point.key] = raw.locate(None)
        defined.append(point)
    return PointList(tuple(defined), _define(device), source, instance_given, project, programs)


def _define(raw: RawPoint) -> PointDef:
    kind = object_type(str(raw.type)) if isinstance(raw.type, (str, int)) else None
    if kind is None:
        raise PointFileError(
            f"{raw.locate('type')}: {raw.type!r} is not an object type the emulator serves "
            f"({', '.join(OBJECT_TYPES)})"
        )
    instance = raw.instance
    if isinstance(instance, str) and instance.strip().isdigit():
        instance = int(instance)
    if not isinstance(instance, int) or isinstance(instance, bool) or not 0 <= instance <= 4194302:
        raise PointFileError(
            f"{raw.locate('instance')}: instance must be an integer 0..4194302, not {instance!r}"
        )
    given: dict[str, Any] = {}
    for key, value in raw.values.items():
        prop = kind.property("objectName" if key.lower() == "name" else key)
        if prop is None or prop.name in ("objectIdentifier", "objectType", "propertyList", "statusFlags"):
            known = ", ".join(p.name for p in kind.properties)
            raise PointFileError(
                f"{raw.locate(key)}: {kind.name} has no property {key!r} to give (it has {known})"
            )
        try:
            given[prop.name] = parse(prop.datatype, value)
        except BacnetError as error:
            raise PointFileError(f"{raw.locate(key)}: {prop.name}: {error.reason}") from None
    try:
        point = define(kind, instance, given, raw.commandable, raw.settable, raw.cov)
        if raw.priority_array:
            given["priorityArray"] = _slots(point, raw.priority_array)
            point = define(kind, instance, given, raw.commandable, raw.settable, raw.cov)
    except ValueError as error:
        raise PointFileError(f"{raw.locate(None)}: {error}") from None
    return point


def _slots(point: PointDef, priority_array: Mapping[Any, Any]) -> tuple[Any, ...]:
    if not point.commandable:
        raise ValueError(f"{point.kind.name} {point.instance} is not commandable: it has no priority array")
    slots = [None] * 16
    value_type = point.by_name["relinquishDefault"].datatype
    for slot, value in priority_array.items():
        number = int(slot) if str(slot).isdigit() else 0
        if not 1 <= number <= 16 or number == 6:
            raise ValueError(f"priorityArray: slot {slot!r} is not a priority 1..16 other than 6")
        try:
            slots[number - 1] = parse(value_type, value)
        except BacnetError as error:
            raise ValueError(f"priorityArray {slot}: {error.reason}") from None
    return tuple(slots)


# JSON and YAML


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# json's own reader of a string's rest: (the text, the index after its closing quote).
_scanstring: Callable[[str, int], tuple[str, int]]
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]  # real, but untyped in typeshed
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


def _offsets(text: str, index: int, path: tuple[Any, ...], found: dict[tuple[Any, ...], int]) -> int:
    """Record where each value of a valid JSON document starts, by its path; the index after it."""
    index = _end(_WHITESPACE, text, index)
    found[path] = index
    char = text[index]
    if char == '"':
        return _scanstring(text, index + 1)[1]
    if char in "{[":
        closing, position = ("}" if char == "{" else "]"), 0
        index = _end(_WHITESPACE, text, index + 1)
        while text[index] != closing:
            if char == "{":
                key, index = _scanstring(text, index + 1)
                index = _end(_WHITESPACE, text, index) + 1  # the colon
                found[path + (key,)] = index  # a key's error points at its value
                index = _offsets(text, index, path + (key,), found)
            else:
                index = _offsets(text, index, path + (position,), found)
                position += 1
            index = _end(_WHITESPACE, text, index)
            if text[index] == ",":
                index = _end(_WHITESPACE, text, index + 1)
        return index + 1
    return _end(_SCALAR, text, index)


def _end(pattern: re.Pattern[str], text: str, index: int) -> int:
    """The index after `pattern` at `index`; a JSONDecodeError where json.loads took what JSON is not
    (NaN, Infinity)."""
    match = pattern.match(text, index)
    if match is None:
        raise json.JSONDecodeError("Expecting value", text, index)
    return match.end()


def _yaml_line(lines: list[str], path: tuple[Any, ...]) -> tuple[int, int]:
    """Where a path's value is in a YAML text, found by its keys and items' dashes (the reader keeps no
    positions): the line of the deepest part found."""
    row, indent, best = 0, -1, (1, 1)
    for part in path:
        for number in range(row, len(lines)):
            text = lines[number]
            stripped = text.lstrip(" ")
            depth = len(text) - len(stripped)
            if stripped.startswith("#") or not stripped:
                continue
            if isinstance(part, int):
                if stripped.startswith("-") and depth > indent:
                    if part == 0:
                        row, indent, best = number + 1, depth, (number + 1, depth + 1)
                        break
                    part -= 1
            elif re.match(rf"(- )?['\"]?{re.escape(str(part))}['\"]?:", stripped) and depth >= indent:
                key_at = depth + (2 if stripped.startswith("- ") else 0)
                row, indent, best = number + 1, key_at, (number + 1, key_at + 1)
                break
        else:
            break
    return best


def _read_document(path: Path, text: str) -> tuple[Any, Callable[[tuple[Any, ...]], str]]:
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        try:
            document = json.loads(text)
            found: dict[tuple[Any, ...], int] = {}
            _offsets(text, 0, (), found)
        except json.JSONDecodeError as error:
            raise PointFileError(
                f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}"
            ) from None

        def where(parts: tuple[Any, ...]) -> str:
            while parts not in found:
                parts = parts[:-1]
            line, column = _position(text, found[parts])
            return f"{path}:{line}:{column}"

        return document, where
    try:
        document = yaml_loads(text)
    except YamlError as error:
        raise PointFileError(
            f"{path}:{error.line}:1: not valid YAML: {str(error).partition(': ')[2]}"
        ) from None
    lines = text.splitlines()

    def where_yaml(parts: tuple[Any, ...]) -> str:
        line, column = _yaml_line(lines, parts)
        return f"{path}:{line}:{column}"

    return document, where_yaml


def _raw(entry: Any, at: tuple[Any, ...], where: Callable[[tuple[Any, ...]], str]) -> RawPoint:
    if not isinstance(entry, dict):
        raise PointFileError(f"{where(at)}: an object is a mapping with type, instance and properties")

    def locate(key: str | None) -> str:
        return where(at if key is None else at + (key,))

    values, flags = {}, {}
    for key, value in entry.items():
        folded = key.lower()
        if folded in ("type", "instance"):
            continue
        if folded in FLAGS:
            flags[folded] = value
            if folded != "priorityarray" and not isinstance(value, bool):
                raise PointFileError(f"{locate(key)}: {key} is true or false")
            if folded == "priorityarray" and not isinstance(value, (dict, list)):
                raise PointFileError(f"{locate(key)}: priorityArray maps slot numbers to values")
            continue
        values[key] = value
    for required in ("type", "instance"):
        if required not in entry:
            raise PointFileError(f"{locate(None)}: the object has no {required!r}")
    slots = flags.get("priorityarray")
    if isinstance(slots, list):
        slots = {index + 1: value for index, value in enumerate(slots) if value is not None}
    return RawPoint(
        entry["type"],
        entry["instance"],
        values,
        locate,
        flags.get("commandable"),
        flags.get("settable", True),
        flags.get("supportscov", True),
        slots,
    )


def read_points_document(path: Path, text: str) -> PointList:
    document, where = _read_document(path, text)
    if not isinstance(document, dict) or not isinstance(document.get("objects", []), list):
        raise PointFileError(f"{where(())}: a point list is a mapping with `device` and `objects` (a list)")
    unknown = set(document) - {"device", "objects", "project", "programs"}
    if unknown:
        key = sorted(unknown)[0]
        raise PointFileError(
            f"{where((key,))}: unknown key {key!r} (a point list has device, objects, project and programs)"
        )
    programs = document.get("programs", [])
    if not isinstance(programs, list) or not all(isinstance(entry, dict) for entry in programs):
        raise PointFileError(f"{where(('programs',))}: programs is a list of mappings, each with its kind")
    declared = tuple(
        Declared(entry, {None: where(("programs", i)), **{k: where(("programs", i, k)) for k in entry}})
        for i, entry in enumerate(programs)
    )
    device = {"type": "device", "instance": 1, **(document.get("device") or {})}
    points = [
        _raw(entry, ("objects", index), where) for index, entry in enumerate(document.get("objects", []))
    ]
    given = isinstance(document.get("device"), dict) and "instance" in document["device"]
    project = _project(document.get("project"), where)
    return build(_raw(device, ("device",), where), points, str(path), given, project, declared)


def _project(given: Any, where: Callable[[tuple[Any, ...]], str]) -> Project | None:
    """A point list's `project: {name: ..., lastChange: ...}` (texts), or None."""
    if given is None:
        return None
    if (
        not isinstance(given, dict)
        or not isinstance(given.get("name"), str)
        or set(given) - {"name", "lastChange"}
    ):
        raise PointFileError(f"{where(('project',))}: project is {{name: TEXT, lastChange: TEXT}}")
    last_change = given.get("lastChange", "")
    if not isinstance(last_change, str):
        raise PointFileError(f"{where(('project', 'lastChange'))}: lastChange is a text")
    return Project(given["name"], last_change)
