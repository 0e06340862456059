"""Names the importer makes: object names from path segments, wire-name casing and operation names."""

from __future__ import annotations

import keyword
import re
from typing import Callable


def camel(word: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_.]", word) if part)


def lower_camel(name: str) -> str:
    """`DeviceInstance` -> `deviceInstance`, `ISODateTime` -> `isoDateTime`."""
    match = re.match(r"^([A-Z]+)(?=[A-Z][a-z])|^[A-Z]", name)
    return (match.group(0).lower() + name[match.end() :]) if match else name


def operation_name(method: str, path: str) -> str:
    words = [method.lower()]
    for segment in [s for s in path.strip("/").split("/") if s]:
        if segment.startswith("{"):
            words.append("by_" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", segment[1:-1]).lower())
        else:
            words.append(re.sub(r"[^a-z0-9]+", "_", segment.lower()).strip("_"))
    return "_".join(w for w in words if w)


def qualify(name: str, path: str, other_paths: set[str], taken: Callable[[str], bool]) -> str:
    mine = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    other = sorted(other_paths)[0].strip("/").split("/") if other_paths else []
    other = [s for s in other if s and not s.startswith("{")]
    index = next((i for i, s in enumerate(mine) if i >= len(other) or other[i] != s), max(len(mine) - 1, 0))
    for end in range(index + 1, len(mine) + 1):
        candidate = "".join(camel(s) for s in mine[index:end]) + name
        if not taken(candidate):
            return candidate
    number = 2
    while taken(f"{name}{number}"):
        number += 1
    return f"{name}{number}"


def object_name(name: str) -> str:
    """The spec's name of an object a page calls `name`: letters and digits, capitalised as a class is, never a
    Python keyword (`class` -> `Class`, `None` -> `NoneObject`, `2way` -> `Object2way`)."""
    result = "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", name)) or "Object"
    if result[0].isdigit():
        result = "Object" + result
    return result + "Object" if keyword.iskeyword(result) or keyword.issoftkeyword(result) else result


def property_name(key: str) -> str:
    """The spec's name of a property that only an example shows, by its JSON key: `zoneGroups` ->
    `ZoneGroups`, `max-rate` -> `MaxRate`."""
    result = "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", key)) or "Value"
    return "Property" + result if result[0].isdigit() else result
