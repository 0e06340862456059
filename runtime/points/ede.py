"""EDE files (B.I.G.-EU Engineering Data Exchange, layouts 2.2 and 2.3) as a point list.

Read as integrators' tools write them: `;`-separated (`,` or a tab when a file uses no `;`), CRLF or LF,
UTF-8 or else Latin-1, the header rows (`#...`, PROJECT_NAME, VERSION_OF_LAYOUT, ...) skipped but for the
project's name and the time of its last change (free text, kept as given), rows of 16
columns or fewer (a YABE export stops after unit-code), a 17th (notification-class, as bacnet_ede reads it)
allowed. How each column is used (the emulator's reading where the format leaves room):
- object-name, description -> objectName, description; the device's row (type 8) names the device object;
- device obj.-instance -> the device object's instance; rows of more than one device are an error;
- present-value-default -> relinquishDefault of a commandable object, else the initial presentValue (an
  input's physical value);
- min-/max-present-value -> minPresValue/maxPresValue, hi-/low-limit -> highLimit/lowLimit (analog types;
  other types have no such properties and the columns are not used);
- settable -> Y: presentValue writable, and an AV/BV/MSV commandable; N: presentValue read-only and an
  AV/BV/MSV not commandable; empty: the type's default (writable, commandable). Inputs stay writable out of
  service only;
- supports COV -> whether COV subscriptions are accepted (Y, or empty: yes);
- state-text-reference -> a row of the companion `<name>_StateTexts.csv` (`<name>` without a final `_EDE`),
  matched by the value of its first column (its "Reference Number"), whatever base the file counts from
  (YABE counts from 0, others from 1): texts 1 and 2 are a binary object's inactiveText and activeText, all of
  them a multi-state object's stateText;
- unit-code -> units (a number, or a name in any spelling);
- vendor-specific-address, keyname -> kept by no property;
- object types the emulator does not serve (program, file, network-port, ...) are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import datatypes as dt
from .objects import object_type
from .pointfile import PointFileError, RawPoint, build
from .models import PointList, Project

COLUMNS = (
    "keyname",
    "device obj.-instance",
    "object-name",
    "object-type",
    "object-instance",
    "description",
    "present-value-default",
    "min-present-value",
    "max-present-value",
    "settable",
    "supports COV",
    "hi-limit",
    "low-limit",
    "state-text-reference",
    "unit-code",
    "vendor-specific-address",
    "notification-class",
)
HEADER_KEYS = (
    "PROJECT_NAME",
    "VERSION_OF_REFERENCEFILE",
    "TIMESTAMP_OF_LAST_CHANGE",
    "AUTHOR_OF_LAST_CHANGE",
    "VERSION_OF_LAYOUT",
)
ANALOG_COLUMNS = {7: "minPresValue", 8: "maxPresValue", 11: "highLimit", 12: "lowLimit", 14: "units"}


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM dropped), else Latin-1 (YABE and spreadsheet exports)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _separator(lines: list[str]) -> str:
    for line in lines:
        if line.strip() and not line.startswith(HEADER_KEYS):
            for candidate in (";", "\t", ","):
                if candidate in line:
                    return candidate
    return ";"


class _Row:
    """One row's fields, and where each starts on its line."""

    def __init__(self, path: Path, number: int, line: str, separator: str) -> None:
        self.path, self.number = path, number
        self.fields = line.split(separator)
        self.starts, position = [], 1
        for text in self.fields:
            self.starts.append(position)
            position += len(text) + len(separator)

    def get(self, index: int) -> str:
        return self.fields[index].strip() if index < len(self.fields) else ""

    def at(self, index: int) -> str:
        column = self.starts[min(index, len(self.starts) - 1)]
        return f"{self.path}:{self.number}:{column}"

    def fail(self, index: int, message: str) -> PointFileError:
        return PointFileError(f"{self.at(index)}: {COLUMNS[index]}: {message}")


def _rows(path: Path, text: str) -> list[_Row]:
    lines = text.splitlines()
    separator = _separator(lines)
    rows = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith(HEADER_KEYS):
            continue
        if not stripped.strip(separator + " "):
            continue  # a row of empty fields
        row = _Row(path, number, line, separator)
        if len(row.fields) > len(COLUMNS) and any(f.strip() for f in row.fields[len(COLUMNS) :]):
            raise PointFileError(f"{row.at(len(COLUMNS))}: more than {len(COLUMNS)} columns")
        rows.append(row)
    return rows


def state_texts(path: Path) -> dict[str, list[str]]:
    """The companion `<name>_StateTexts.csv`: texts by reference number (empty when there is none)."""
    stem = path.stem[:-4] if path.stem.upper().endswith("_EDE") else path.stem
    wanted = f"{stem}_StateTexts.csv".casefold()
    found = next((p for p in path.parent.iterdir() if p.name.casefold() == wanted), None)
    if found is None:
        return {}
    try:
        text = decode_text(found.read_bytes())
    except OSError as error:
        raise PointFileError(f"{found}: cannot read the state texts: {error.strerror}") from None
    lines = text.splitlines()
    separator = _separator(lines)
    texts = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        reference, *rest = (field.strip() for field in line.split(separator))
        while rest and not rest[-1]:
            rest.pop()
        texts[reference] = rest
    return texts


def _yes(row: _Row, index: int) -> bool | None:
    value = row.get(index).upper()
    if value in ("Y", "YES", "1", "TRUE"):
        return True
    if value in ("N", "NO", "0", "FALSE"):
        return False
    if value:
        raise row.fail(index, f"{row.get(index)!r} is not Y or N")
    return None


def _raw(row: _Row, texts: dict[str, list[str]], path: Path) -> RawPoint | None:
    kind = object_type(row.get(3))
    if kind is None:
        if not row.get(3).isdigit() or not dt.OBJECT_TYPE.valid(int(row.get(3))):
            raise row.fail(3, f"{row.get(3)!r} is not a BACnet object type number")
        return None  # a type the emulator does not serve
    columns = {"objectName": 2, "description": 5}
    values: dict[str, Any] = {}
    settable = _yes(row, 9)
    commandable = settable if kind.commandable == "optional" else None
    is_commanded = kind.commandable == "always" or (kind.commandable == "optional" and settable is not False)
    if row.get(6):
        columns["relinquishDefault" if is_commanded else "presentValue"] = 6
    if kind.name.startswith("analog"):
        columns.update({name: index for index, name in ANALOG_COLUMNS.items()})
    for name, index in columns.items():
        if row.get(index):
            values[name] = row.get(index)
    if "units" in values and values["units"].upper().startswith("UNITS_"):
        values["units"] = values["units"][6:]  # YABE's enum names
    reference = row.get(13)
    if reference and (kind.name.startswith("binary") or kind.name.startswith("multiState")):
        if reference not in texts:
            raise row.fail(13, f"no state texts with reference {reference!r} in {path.stem}_StateTexts.csv")
        found = texts[reference]
        if kind.name.startswith("binary"):
            values.update(zip(("inactiveText", "activeText"), found))
        else:
            values["stateText"] = found
    located = {**columns, "stateText": 13, "inactiveText": 13, "activeText": 13, "type": 3, "instance": 4}

    def locate(key: str | None) -> str:
        column = 0 if key is None else located.get(key, 0)
        return row.at(column) + ("" if key is None else f": {COLUMNS[column]}")

    return RawPoint(
        kind.name,
        row.get(4),
        values,
        locate,
        commandable,
        settable is not False,
        _yes(row, 10) is not False,
    )


def _project(text: str) -> Project | None:
    """The header's PROJECT_NAME and TIMESTAMP_OF_LAST_CHANGE (free text), if it names a project."""
    lines = text.splitlines()
    separator = _separator(lines)
    header = {}
    for line in lines:
        key, *rest = (field.strip() for field in line.split(separator))
        if key in HEADER_KEYS and rest:
            header[key] = rest[0]
    name = header.get("PROJECT_NAME")
    return Project(name, header.get("TIMESTAMP_OF_LAST_CHANGE", "")) if name else None


def read_ede(path: Path, data: bytes) -> PointList:
    """The point list of an EDE file's bytes; PointFileError naming file, line and column."""
    text = decode_text(data)
    rows = _rows(path, text)
    if not rows:
        raise PointFileError(f"{path}:1:1: no object rows (is it an EDE file?)")
    device_instance = rows[0].get(1)
    device: dict[str, Any] = {}
    points = []
    texts = state_texts(path) if any(row.get(13) for row in rows) else {}
    for row in rows:
        if row.get(1) != device_instance:
            raise row.fail(
                1,
                f"device {row.get(1)!r} after device {device_instance!r}: one EDE file describes one device",
            )
        if row.get(3) == "8":
            device = {"objectName": row.get(2), "description": row.get(5)}
            continue
        raw = _raw(row, texts, path)
        if raw is not None:
            points.append(raw)
    if not device_instance.isdigit():
        raise rows[0].fail(1, f"{device_instance!r} is not a device instance")

    def device_at(key: str | None) -> str:
        return rows[0].at(1)

    values = {name: value for name, value in device.items() if value}
    device_point = RawPoint("device", int(device_instance), values, device_at)
    return build(device_point, points, str(path), True, _project(text))
