"""A reader of the YAML that configuration files use, on the standard library alone (the server runs
on a bare Python): block mappings and sequences (`- key: value` items too), flow `[...]` and `{...}`,
plain, 'single' and "double" quoted scalars, booleans, null/~, integers and floats (as PyYAML reads them),
and # comments.
Anchors, tags, multi-line scalars and several documents are refused with the line that has them, and so
are collections nested deeper than MAX_DEPTH and numbers beyond a float's range: a hostile file costs time
linear in its size and never a traceback.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any


def _shown(text: str) -> str:
    """Text quoted in a message, cut short: a message never echoes a hostile line whole."""
    return repr(text if len(text) <= 60 else text[:60] + "...")


class YamlError(ValueError):
    """What is wrong, and on which line (from 1)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class _Line:
    number: int
    indent: int
    text: str


# Scalars resolve as PyYAML (YAML 1.1) resolves them, so that a file means what it means to it.
INTEGER = re.compile(r"[-+]?(0|[1-9][0-9]*)")
FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+][0-9]+)?")
WORDS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False, "null": None}
CONSTANTS = {
    **{variant: value for word, value in WORDS.items() for variant in (word, word.title(), word.upper())},
    "~": None,
    "": None,
}
UNSUPPORTED = ("&", "*", "!", "|", ">", "%", "@", "`")
MAX_DEPTH = 100  # nested collections; a configuration file needs a handful


def loads(text: str) -> Any:
    """The value of a YAML document; YamlError for what this reader does not read."""
    lines: list[_Line] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip(" "))]:
            raise YamlError(number, "indentation with a tab")
        content = _strip_comment(raw, number).rstrip(" \t")
        if content.strip(" \t") in ("---", "..."):
            if lines:
                raise YamlError(number, "more than one document")
            continue
        if content.strip(" \t"):
            lines.append(_Line(number, len(content) - len(content.lstrip(" ")), content.strip(" \t")))
    if not lines:
        return None
    value, end = _block(lines, 0, lines[0].indent, 0)
    if end < len(lines):
        raise YamlError(lines[end].number, "indented less than its block, or more than its neighbours")
    return value


def _strip_comment(raw: str, number: int) -> str:
    quote = None
    for position, char in enumerate(raw):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"" and (position == 0 or raw[position - 1] in " [{:,-"):
            quote = char
        elif char == "#" and (position == 0 or raw[position - 1] in " \t"):
            return raw[:position]
    return raw


def _is_item(text: str) -> bool:
    return text == "-" or text.startswith("- ")


def _deeper(depth: int, number: int) -> int:
    if depth >= MAX_DEPTH:
        raise YamlError(number, f"collections nested deeper than {MAX_DEPTH} levels")
    return depth + 1


def _block(lines: list[_Line], index: int, indent: int, depth: int) -> tuple[Any, int]:
    depth = _deeper(depth, lines[index].number)
    if lines[index].text[0] in "[{'\"" and _key_split(lines[index].text, lines[index].number) is None:
        return _scalar(lines[index].text, lines[index].number, depth), index + 1  # a flow or quoted value
    if _is_item(lines[index].text):
        return _sequence(lines, index, indent, depth)
    return _mapping(lines, index, indent, depth)


def _sequence(lines: list[_Line], index: int, indent: int, depth: int) -> tuple[list[Any], int]:
    items = []
    while index < len(lines) and lines[index].indent == indent and _is_item(lines[index].text):
        line = lines[index]
        rest = line.text[1:].lstrip(" ")
        if not rest:
            if index + 1 < len(lines) and lines[index + 1].indent > indent:
                value, index = _block(lines, index + 1, lines[index + 1].indent, depth)
            else:
                value, index = None, index + 1
        elif _is_item(rest) or _key_split(rest, line.number) is not None:
            # `- key: value` or `- - item`: a block whose first line begins after the dash
            inner = indent + len(line.text) - len(rest)
            lines[index] = _Line(line.number, inner, rest)
            value, index = _block(lines, index, inner, depth)
        else:
            value, index = _scalar(rest, line.number, depth), index + 1
        items.append(value)
    return items, index


def _key_split(text: str, number: int) -> tuple[str, str] | None:
    """`key: value` -> (key, value); None when the text is no mapping entry (flow keys are not read)."""
    if text[0] in "[{":
        return None
    if text[:1] in "'\"":
        end = _closing_quote(text, 0, number)
        key, after = _quoted(text[: end + 1], number), text[end + 1 :]
        if after == ":" or after.startswith(": "):
            return str(key), after[1:].strip(" \t")
        return None
    match = re.search(r":( |$)", text)
    if match is None:
        return None
    return text[: match.start()].strip(" \t"), text[match.end() :].strip(" \t")


def _mapping(lines: list[_Line], index: int, indent: int, depth: int) -> tuple[dict[str, Any], int]:
    mapping: dict[str, Any] = {}
    while index < len(lines) and lines[index].indent == indent and not _is_item(lines[index].text):
        line = lines[index]
        split = _key_split(line.text, line.number)
        if split is None:
            raise YamlError(line.number, f"expected `key: value`, got {_shown(line.text)}")
        key, rest = split
        if key in mapping:
            raise YamlError(line.number, f"the key {_shown(key)} appears twice")
        index += 1
        if rest:
            mapping[key] = _scalar(rest, line.number, depth)
        elif index < len(lines) and lines[index].indent > indent:
            mapping[key], index = _block(lines, index, lines[index].indent, depth)
        elif index < len(lines) and lines[index].indent == indent and _is_item(lines[index].text):
            mapping[key], index = _sequence(lines, index, indent, _deeper(depth, lines[index].number))
        else:
            mapping[key] = None
    return mapping, index


def _closing_quote(text: str, start: int, number: int) -> int:
    """The position of the quote closing the string that opens at `start` (no slicing: a line of many
    strings is read in linear time)."""
    quote, position = text[start], start + 1
    while position < len(text):
        if text[position] == "\\" and quote == '"':
            position += 2
            continue
        if text[position] == quote:
            if quote == "'" and text[position + 1 : position + 2] == "'":
                position += 2
                continue
            return position
        position += 1
    raise YamlError(number, "a quoted string that does not end on its line")


def _scalar(text: str, number: int, depth: int) -> Any:
    if text[0] in "[{":
        value, end = _flow(text, 0, number, depth)
        if text[end:].strip(" \t"):
            raise YamlError(number, f"unexpected text after a flow collection: {_shown(text[end:])}")
        return value
    if text[0] in "'\"":
        end = _closing_quote(text, 0, number)
        if text[end + 1 :].strip(" \t"):
            raise YamlError(number, f"unexpected text after a quoted string: {_shown(text[end + 1:])}")
        return _quoted(text[: end + 1], number)
    return _plain(text, number)


def _quoted(text: str, number: int) -> str:
    if text[0] == "'":
        return text[1:-1].replace("''", "'")
    try:
        return json.loads(text)
    except ValueError:
        raise YamlError(
            number, f"a double-quoted string with an escape this reader does not know: {_shown(text)}"
        )


def _plain(text: str, number: int) -> Any:
    if text[0] in UNSUPPORTED:
        raise YamlError(number, f"{text[0]!r} (anchors, aliases, tags, block scalars) is not read here")
    if text in CONSTANTS:
        return CONSTANTS[text]
    if INTEGER.fullmatch(text) or FLOAT.fullmatch(text):
        return _number(text, number)
    return text


def _number(text: str, number: int) -> int | float:
    try:
        value = int(text) if INTEGER.fullmatch(text) else float(text)
        if math.isfinite(value):  # an int beyond a float's range raises OverflowError
            return value
    except (ValueError, OverflowError):  # ValueError: more digits than Python converts
        pass
    raise YamlError(number, f"the number {text[:40]} is beyond the range of a number")


def _flow(text: str, position: int, number: int, depth: int) -> tuple[Any, int]:
    """A flow collection starting at `position`; answers it and the position after it."""
    depth = _deeper(depth, number)
    closing = "]" if text[position] == "[" else "}"
    items: list[Any] = []
    mapping: dict[str, Any] = {}
    position += 1
    while True:
        position = _skip_spaces(text, position)
        if position >= len(text):
            raise YamlError(number, f"a flow collection without its {closing!r}")
        if text[position] == closing:
            return (items if closing == "]" else mapping), position + 1
        value, position = _flow_value(text, position, number, closing, depth)
        if closing == "}":
            position = _skip_spaces(text, position)
            if text[position : position + 1] != ":":
                raise YamlError(number, f"expected `key: value` in {{...}}, got {_shown(str(value))}")
            item, position = _flow_value(text, _skip_spaces(text, position + 1), number, closing, depth)
            mapping[str(value)] = item
        else:
            items.append(value)
        position = _skip_spaces(text, position)
        if text[position : position + 1] == ",":
            position += 1
        elif text[position : position + 1] != closing:
            raise YamlError(number, f"expected ',' or {closing!r} in a flow collection")


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position] == " ":
        position += 1
    return position


def _flow_value(text: str, position: int, number: int, closing: str, depth: int) -> tuple[Any, int]:
    if position < len(text) and text[position] in "[{":
        return _flow(text, position, number, depth)
    if position < len(text) and text[position] in "'\"":
        end = _closing_quote(text, position, number)
        return _quoted(text[position : end + 1], number), end + 1
    stops = ",]}" if closing == "]" else ",}"
    end = position
    while (
        end < len(text)
        and text[end] not in stops
        and not (closing == "}" and text[end] == ":" and text[end + 1 : end + 2] in (" ", ""))
    ):
        end += 1
    return _plain(text[position:end].strip(" \t"), number) if text[position:end].strip(" \t") else None, end
