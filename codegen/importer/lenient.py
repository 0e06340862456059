"""Examples that a cut ended early: the JSON value or the XML elements up to the cut.

An example is a user's text: nesting deeper than `MAX_DEPTH` and numbers beyond a 64-bit integer (or not
finite) are an `ExampleError`, found before any recursion and without converting a huge number.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

# Deeper than any answer of the device; the parsers and the importer's walks recurse this deep at most.
MAX_DEPTH = 32
MAX_DIGITS = 18  # of an integer in an example (a 64-bit integer)
LONG_INTEGER = re.compile(r"-?\d{%d,}" % (MAX_DIGITS + 1))


class ExampleError(Exception):
    """An example the importer refuses: why, and the offset in the example's text where it is."""

    def __init__(self, problem: str, offset: int) -> None:
        self.problem, self.offset = problem, offset
        super().__init__(problem)


@dataclass
class XmlElement:
    name: str
    children: list["XmlElement"] = field(default_factory=list)
    text: str | None = None  # a leaf's text ("" for <X />)
    closed: bool = True


# --- lenient JSON: what a cut-off example holds up to the cut ---------------------------------------


class _End(Exception):
    pass


def parse_json_lenient(text: str) -> tuple[Any, bool]:
    """The value up to where the text stops, and whether it stopped early (members cut are dropped)."""
    check_json_depth(text)
    try:
        return (
            json.loads(
                text, parse_int=_integer(text), parse_float=_float(text), parse_constant=_constant(text)
            ),
            False,
        )
    except ValueError:
        pass
    parser = _JsonParser(text)
    value = parser.value()
    return value, True


def check_json_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH: one pass over the text, strings skipped."""
    depth, in_string, escaped = 0, False, False
    for offset, char in enumerate(text):
        if in_string:
            in_string = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExampleError(f"the JSON example nests deeper than {MAX_DEPTH} levels", offset)
        elif char in "]}":
            depth -= 1


def _integer(text: str) -> Callable[[str], int]:
    def parse(digits: str) -> int:
        if LONG_INTEGER.fullmatch(digits):
            raise ExampleError(
                f"the number {digits[:12]}... has {len(digits.lstrip('-'))} digits (at most {MAX_DIGITS})",
                text.find(digits),
            )
        return int(digits)

    return parse


def _float(text: str) -> Callable[[str], float]:
    def parse(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):
            raise ExampleError(f"the number {number[:20]} is beyond a 64-bit float", text.find(number))
        return value

    return parse


def _constant(text: str) -> Callable[[str], Any]:
    def parse(word: str) -> Any:
        raise ExampleError(f"{word} is not a JSON value", text.find(word))

    return parse


def _number(text: str, literal: str) -> int | float:
    """A JSON number literal of `text`, bounded as above."""
    if re.fullmatch(r"-?\d+", literal):
        return _integer(text)(literal)
    return _float(text)(literal)


class _JsonParser:
    NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.cut = text, 0, False

    def skip(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1
        if self.pos >= len(self.text):
            raise _End
        return self.text[self.pos]

    def value(self) -> Any:
        try:
            return self._value()
        except _End:
            return None

    def _value(self) -> Any:
        char = self.skip()
        if char == "{":
            return self._container({}, "}")
        if char == "[":
            return self._container([], "]")
        if char == '"':
            return self._string()
        for word, result in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return result
        match = self.NUMBER.match(self.text, self.pos)
        if not match:
            raise _End  # unreadable from here: treat as the cut
        self.pos = match.end()
        if self.pos >= len(self.text):
            raise _End  # a number at the very end may have lost digits
        return _number(self.text, match.group())

    def _string(self) -> str:
        match = re.compile(r'"((?:[^"\\]|\\.)*)"').match(self.text, self.pos)
        if not match:
            raise _End
        self.pos = match.end()
        return json.loads(match.group())

    def _container(self, result: Any, close: str) -> Any:
        self.pos += 1
        while True:
            try:
                char = self.skip()
            except _End:
                return result
            if char == close:
                self.pos += 1
                return result
            if char == ",":
                self.pos += 1
                continue
            try:
                if isinstance(result, dict):
                    key = self._string()
                    if self.skip() != ":":
                        return result
                    self.pos += 1
                    result[key] = self._value()
                else:
                    result.append(self._value())
            except _End:
                return result


# --- lenient XML: elements up to the cut -------------------------------------------------------------

XML_TOKEN = re.compile(r"<\?.*?\?>|<!--.*?-->|<(/?)([A-Za-z_][\w.:-]*)[^<>]*?(/?)>|<", re.DOTALL)


def parse_xml_lenient(text: str) -> tuple[XmlElement | None, bool]:
    root = XmlElement("#document")
    stack = [root]
    pos = 0
    cut = False
    for match in XML_TOKEN.finditer(text):
        between = text[pos : match.start()].strip()
        if between and len(stack) > 1 and not stack[-1].children:
            if LONG_INTEGER.fullmatch(between):
                raise ExampleError(
                    f"the number {between[:12]}... has {len(between.lstrip('-'))} digits (at most {MAX_DIGITS})",
                    match.start() - len(between),
                )
            stack[-1].text = (stack[-1].text or "") + between
        pos = match.end()
        token = match.group(0)
        if token.startswith("<?") or token.startswith("<!--"):
            continue
        if token == "<":  # a tag the cut left open
            cut = True
            break
        closing, name, empty = match.group(1), match.group(2), match.group(3)
        if closing:
            if len(stack) > 1 and stack[-1].name == name:
                stack.pop()
            continue
        element = XmlElement(name)
        stack[-1].children.append(element)
        if empty:
            element.text = ""
        else:
            stack.append(element)
            if len(stack) > MAX_DEPTH + 1:  # the document's root does not count
                raise ExampleError(f"the XML example nests deeper than {MAX_DEPTH} levels", match.start())
    if len(stack) > 1:
        cut = True
        for element in stack[1:]:
            element.closed = False
    return (root.children[0] if root.children else None), cut
