"""The one text form of every datatype: what a property's `value` shows, and what a write's `value` may say.

The emulator's choice, anchored on the samples the facts give (`Active`/`Inactive`, `NaN`, the list
`{Object Identifier,Object Name,Present Value,Units}`), applied to every datatype alike:
- NULL `null`; BOOLEAN `true`/`false`; Unsigned and Signed in decimal;
- REAL as Java's Float.toString writes it (the device is a Java server): the shortest digits that read
  back to the same 32-bit float, with at least one decimal (`22.0`, `21.5`), `E` notation below 10^-3 and
  from 10^7 on (`1.0E7`), `NaN`, `Infinity`, `-Infinity`; Double the same over 64 bits;
- Enumerated: BACnet's name in Title Case words (`Degrees Celsius`, `No Fault Detected`, `Active`), a number
  BACnet names nothing for in decimal;
- CharacterString as it is; OctetString in upper-case hex;
- Date `2024-06-15` (`*` for an unspecified field), Time `17:35:45` (`.17` when hundredths are not 0);
- ObjectIdentifier `(Analog Value,1)`; BitString `{false,true,false,false}` (its bits in order);
- arrays and lists `{a,b,c}`; a date range `{2026-01-01,2026-12-31}`; a weekly schedule seven days from
  Monday, each `{(08:00:00,21.0),(17:00:00,null)}`.
A write accepts that form, any spelling of an enumerated name (or its number), and JSON values where they
fit (a number for REAL, a boolean, a list for an array, a bit string or a weekly schedule).
"""

from __future__ import annotations

import datetime
import decimal
import math
import struct
from functools import lru_cache
from typing import Any

from . import datatypes as dt
from .datatypes import Datatype, Enumeration
from . import special
from .errors import invalid_data_type, value_out_of_range

WILDCARD = 255
UNSIGNED_MAX = 2**32 - 1
SIGNED_RANGE = (-(2**31), 2**31 - 1)


# Writing


@lru_cache(maxsize=65536)  # the values a device shows repeat between polls
def java_float(value: float, single: bool = True) -> str:
    """`value` as Java's Float.toString (or Double.toString) writes it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    digits = _shortest(value, single)
    if 1e-3 <= abs(value) < 1e7:
        text = format(decimal.Decimal(digits), "f")
        return text if "." in text else text + ".0"
    number = decimal.Decimal(digits).normalize()
    sign, figures, _ = number.as_tuple()
    head, tail = str(figures[0]), "".join(map(str, figures[1:])) or "0"
    return f"{'-' if sign else ''}{head}.{tail}E{number.adjusted()}"  # adjusted(): the first figure's power


def _shortest(value: float, single: bool) -> str:
    if not single:
        return repr(value)
    for precision in range(1, 10):
        text = f"{value:.{precision}g}"
        if _float32(float(text)) == value:
            return text
    return repr(value)


def _float32(value: float) -> float:
    return struct.unpack(">f", struct.pack(">f", value))[0]


def enum_text(enum: Enumeration | None, number: int) -> str:
    name = enum.numbers.get(number) if enum is not None else None
    return str(number) if name is None else " ".join(part.capitalize() for part in name.split("-"))


def _date_text(value: tuple[int, int, int, int]) -> str:
    year, month, day, _ = value
    parts = ("*" if year == WILDCARD else f"{1900 + year:04d}", _field(month), _field(day))
    return "-".join(parts)


def _field(number: int) -> str:
    return "*" if number == WILDCARD else f"{number:02d}"


def _time_text(value: tuple[int, int, int, int]) -> str:
    hour, minute, second, hundredths = value
    text = ":".join(_field(n) for n in (hour, minute, second))
    return text if hundredths == 0 else f"{text}.{_field(hundredths)}"


def to_text(datatype: Datatype, value: Any) -> str:
    """`value` of `datatype` in the documented text form."""
    if value is None:
        return "null"
    name = datatype.name
    if name in ("real", "double"):
        return java_float(value, name == "real")
    if name == "enumerated":
        return enum_text(datatype.enum, value)
    if name == "characterString":
        return value
    if name == "boolean":
        return "true" if value else "false"
    if name in ("unsigned", "signed"):
        return str(value)
    if name in ("array", "list"):
        return "{" + ",".join(to_text(datatype.element_type, item) for item in value) + "}"
    if name == "bitString":
        return "{" + ",".join("true" if bit else "false" for bit in value) + "}"
    if name == "objectIdentifier":
        return f"({enum_text(dt.OBJECT_TYPE, value[0])},{value[1]})"
    if name == "date":
        return _date_text(value)
    if name == "time":
        return _time_text(value)
    if name == "dateRange":
        return "{" + ",".join(_date_text(date) for date in value) + "}"
    if name == "weeklySchedule":
        days = (
            "{" + ",".join(f"({_time_text(t)},{to_text(dt.REAL, v)})" for t, v in day) + "}" for day in value
        )
        return "{" + ",".join(days) + "}"
    if name == "octetString":
        return value.hex().upper()
    if name == "exceptionSchedule":
        return special.to_json(value, to_text)
    raise TypeError(f"no text form for {name}")


# Reading


def parse(datatype: Datatype, raw: Any) -> Any:
    """The value a write gives (its text form, or a JSON value where one fits) as a value of `datatype`;
    `property: invalid-data-type` when it is not one, `value-out-of-range` when it is too large."""
    if isinstance(raw, str) and raw.strip().lower() == "null":
        if datatype.nullable:
            return None
        raise invalid_data_type(f"NULL is not a {datatype.name}")
    try:
        return _PARSERS[datatype.name](datatype, raw)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise invalid_data_type(f"{_shown(raw)} is not a {_describe(datatype)}") from None


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(datatype: Datatype) -> str:
    if datatype.enum is not None:
        return f"{datatype.enum.name} (one of {', '.join(map(dt.camel, datatype.enum.members))})"
    if datatype.element is not None:
        return f"{datatype.name} of {_describe(datatype.element)}"
    return datatype.name


def _real(datatype: Datatype, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise TypeError(raw)
    value = float(raw)
    if datatype.name == "double" or math.isnan(value) or math.isinf(value):
        return value
    try:
        return _float32(value)
    except OverflowError:
        raise value_out_of_range(f"{_shown(raw)} does not fit a REAL") from None


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise TypeError(raw)
    if isinstance(raw, str):
        text = raw.strip()
        number = float(text) if "." in text or "e" in text.lower() else int(text)
    else:
        number = raw
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(raw)
        number = int(number)
    if not isinstance(number, int):
        raise TypeError(raw)
    return number


def _unsigned(datatype: Datatype, raw: Any) -> int:
    number = _integer(raw)
    if number < 0:
        raise ValueError(raw)
    if number > UNSIGNED_MAX:
        raise value_out_of_range(f"{number} does not fit an Unsigned32")
    return number


def _signed(datatype: Datatype, raw: Any) -> int:
    number = _integer(raw)
    if not SIGNED_RANGE[0] <= number <= SIGNED_RANGE[1]:
        raise value_out_of_range(f"{number} does not fit a Signed32")
    return number


def _boolean(datatype: Datatype, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    folded = str(raw).strip().lower() if isinstance(raw, (str, int)) else None
    if folded in ("true", "1"):
        return True
    if folded in ("false", "0"):
        return False
    raise ValueError(raw)


def _enumerated(datatype: Datatype, raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise TypeError(raw)
    number = datatype.enumeration.number(raw)
    if number is None:
        if raw.strip().isdigit():
            raise value_out_of_range(f"{raw.strip()} is not a valid {datatype.enumeration.name}")
        raise ValueError(raw)
    return number


def _string(datatype: Datatype, raw: Any) -> str:
    if not isinstance(raw, str):
        raise TypeError(raw)
    return raw


def _items(raw: Any) -> list[Any]:
    """A list's items: a JSON list as it is, a text `{a,b}` split at its top-level commas."""
    if isinstance(raw, list):
        return raw
    if not isinstance(raw, str):
        raise TypeError(raw)
    text = raw.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(raw)
    inner = text[1:-1]
    if not inner.strip():
        return []
    items, depth, start = [], 0, 0
    for index, char in enumerate(inner):
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(inner[start:index].strip())
            start = index + 1
    items.append(inner[start:].strip())
    return items


def _sequence(datatype: Datatype, raw: Any) -> list[Any]:
    items = [parse(datatype.element_type, item) for item in _items(raw)]
    if datatype.size is not None and len(items) != datatype.size:
        raise ValueError(raw)
    return items


def _bits(datatype: Datatype, raw: Any) -> tuple[bool, ...]:
    bits = tuple(_boolean(datatype, item) for item in _items(raw))
    if datatype.bits and len(bits) != len(datatype.bits):
        raise ValueError(raw)
    return bits


def _object_id(datatype: Datatype, raw: Any) -> tuple[int, int]:
    if not isinstance(raw, str):
        raise TypeError(raw)
    text = raw.strip().strip("()")
    kind, _, instance = text.replace(":", ",").rpartition(",")
    number = dt.OBJECT_TYPE.number(kind)
    if number is None:
        raise ValueError(raw)
    return number, _within(_integer(instance), 0, 4194303)


def _within(number: int, low: int, high: int) -> int:
    if not low <= number <= high:
        raise ValueError(number)
    return number


def _date(datatype: Datatype, raw: Any) -> tuple[int, int, int, int]:
    if not isinstance(raw, str):
        raise TypeError(raw)
    parts = raw.strip().split("-")
    if len(parts) != 3:
        raise ValueError(raw)
    year, month, day = (WILDCARD if p == "*" else int(p) for p in parts)
    if WILDCARD in (year, month, day):
        return (
            year if year == WILDCARD else _within(year, 1900, 2154) - 1900,
            month if month == WILDCARD else _within(month, 1, 12),
            day if day == WILDCARD else _within(day, 1, 31),
            WILDCARD,
        )
    date = datetime.date(year, month, day)
    return _within(year, 1900, 2154) - 1900, month, day, date.isoweekday()


def _time(datatype: Datatype, raw: Any) -> tuple[int, int, int, int]:
    if not isinstance(raw, str):
        raise TypeError(raw)
    clock, _, hundredths = raw.strip().partition(".")
    fields = clock.split(":")
    if not 2 <= len(fields) <= 3:
        raise ValueError(raw)
    hour, minute, second = (int(p) for p in (*fields, "0")[:3])
    return (
        _within(hour, 0, 23),
        _within(minute, 0, 59),
        _within(second, 0, 59),
        _within(int(hundredths.ljust(2, "0")[:2]) if hundredths else 0, 0, 99),
    )


def _date_range(datatype: Datatype, raw: Any) -> tuple[Any, Any]:
    start, end = (_date(dt.DATE, item) for item in _items(raw))
    return start, end


def _weekly(datatype: Datatype, raw: Any) -> list[list[tuple[Any, Any]]]:
    days = _items(raw)
    if len(days) != 7:
        raise ValueError(raw)
    return [_day(day) for day in days]


def _day(raw: Any) -> list[tuple[Any, Any]]:
    # The structured form clients send: {"timeValues": [{"time": "08:00", "type": ..., "value": 2}]}.
    if isinstance(raw, dict):
        raw = raw["timeValues"]
    entries = []
    for entry in _items(raw):
        if isinstance(entry, dict):
            time, value = entry["time"], entry.get("value")
        else:
            time, value = _items("{" + str(entry).strip().strip("()") + "}")
        value = None if value is None else parse(dt.nullable(dt.REAL), value)
        entries.append((_time(dt.TIME, time), value))
    return entries


def _octets(datatype: Datatype, raw: Any) -> bytes:
    if not isinstance(raw, str):
        raise TypeError(raw)
    return bytes.fromhex(raw.strip())


def _null(datatype: Datatype, raw: Any) -> None:
    raise ValueError(raw)


_PARSERS = {
    "null": _null,
    "boolean": _boolean,
    "unsigned": _unsigned,
    "signed": _signed,
    "real": _real,
    "double": _real,
    "octetString": _octets,
    "characterString": _string,
    "bitString": _bits,
    "enumerated": _enumerated,
    "date": _date,
    "time": _time,
    "objectIdentifier": _object_id,
    "array": _sequence,
    "list": _sequence,
    "dateRange": _date_range,
    "weeklySchedule": _weekly,
    "exceptionSchedule": lambda datatype, raw: special.parse_special(raw, parse),
}
