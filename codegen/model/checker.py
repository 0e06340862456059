"""Reading a located mapping of the spec: each problem names the file, the line and the place."""

from __future__ import annotations

from typing import Any, cast

from ..loader import LocatedDict, LocatedList, SpecError
from ...runtime.core.codec import has_type


class Checker:
    """Reads one located mapping, failing with the file, line and place of the first problem."""

    def __init__(self, node: LocatedDict, place: str) -> None:
        self.node, self.place = node, place

    def fail(self, key: str | int | None, problem: str) -> SpecError:
        file = self.node.file
        line = self.node.key_lines.get(key, self.node.line) if isinstance(self.node, LocatedDict) else None
        if isinstance(self.node, LocatedList) and isinstance(key, int):
            line = self.node.item_lines[key]
            item = self.node[key]
            if isinstance(item, LocatedDict):  # resources merged from several files: the item's own file
                file, line = item.file, item.line
        if key is None:
            place = self.place
        elif isinstance(self.node, LocatedList):
            place = f"{self.place}[{key}]"
        else:
            place = f"{self.place}.{key}" if self.place else str(key)
        return SpecError(file, line, place, problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., choices: Any = None) -> Any:
        if key not in self.node:
            if default is ...:
                raise self.fail(None, f"missing field {key!r}")
            return default
        value = self.node[key]
        if not has_type(value, kind):
            raise self.fail(key, f"expected {kind_name(kind)}, got {type(value).__name__}")
        if choices is not None and value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(map(str, choices))}")
        return value

    def child(self, key: str | int, kind: type = LocatedDict) -> Checker:
        value = self.node[key] if isinstance(key, int) else self.get(key, kind)
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {kind_name(kind)}, got {type(value).__name__}")
        place = f"{self.place}[{key}]" if isinstance(key, int) else f"{self.place}.{key}".lstrip(".")
        # A LocatedList child is read by position (`fail` names its place by index).
        return Checker(cast(LocatedDict, value), place)

    def only(self, allowed: set[str]) -> None:
        for key in self.node:
            if key not in allowed:
                raise self.fail(key, f"unknown field (allowed: {', '.join(sorted(allowed))})")


def kind_name(kind: type | tuple[type, ...]) -> str:
    names = {LocatedDict: "a mapping", LocatedList: "a list", str: "a string", int: "an integer"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def unique(checker: Checker, values: list[tuple[int, str]], what: str) -> None:
    seen: dict[str, int] = {}
    for index, value in values:
        if value in seen:
            raise checker.fail(index, f"duplicate {what} {value!r} (also item {seen[value]})")
        seen[value] = index
