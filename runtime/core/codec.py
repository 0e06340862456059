"""How values of the spec's kinds are written on the wire (JSON, XML, raw `$value`) and read from a body.

Spec-independent: `serializers.py` declares one `Codec` per object of the spec with these pieces. Values
are plain Python: an object is a dict by property name, a link a dict with `href` and `name`, an array a
list. JSON is written compactly with `/` escaped as `\\/`, as the device's Java serialiser writes it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from xml.etree import ElementTree
from json.encoder import encode_basestring
from xml.sax.saxutils import escape

PRIMITIVES: dict[str, type | tuple[type, ...]] = {
    "integer": int,
    "number": (int, float),
    "string": str,
    "boolean": bool,
}
# Characters XML 1.0 cannot carry, even escaped: they are written as U+FFFD.
XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Dates of the calendar from 1970 to 2099, the years the device's clock keeps: MM-dd of a month that has
# that day, and the 29th of February of the leap years (every fourth year in that span, 2000 included).
_YEAR = r"(19[7-9]\d|20\d\d)"
_LEAP_YEAR = r"(19(7[26]|8[048]|9[26])|20([02468][048]|[13579][26]))"
_MONTH_DAY = r"((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))"
_HOUR = r"([01]\d|2[0-3])"
_TIME = rf"{_HOUR}:[0-5]\d"
# The device's string formats, as patterns a value must match.
FORMATS = {
    "uuid": re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"),
    "date": re.compile(
        rf"(?:{_MONTH_DAY}-{_YEAR}|02-29-{_LEAP_YEAR})"
    ),  # MM-dd-yyyy (grouped: ^...$ anchors both)
    "time": re.compile(rf"{_TIME}:[0-5]\d"),  # HH:mm:ss
    "datetime": re.compile(r"(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])/\d{4} ([01]\d|2[0-3]):[0-5]\d:[0-5]\d"),
    # yyyy-MM-ddTHH:mm[:ss[.f]] and an offset (Z, or ±HH:mm below 24 hours), as datetime.fromisoformat reads it.
    "iso-datetime": re.compile(
        rf"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)T{_TIME}(:[0-5]\d(\.\d+)?)?(Z|[+-]{_HOUR}:?[0-5]\d)?"
    ),
    # A name that stays in its folder (no `/`, no `\\`, no `..`), of at most 255 characters (a file system's).
    "file-name": re.compile(r"(?![\s\S]*\.\.)[^/\\]{1,255}"),
}
LINK_KEYS = (("href", "Href"), ("name", "Name"))
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_fold(text: str) -> str:
    """`text` with ASCII letters lower-cased and nothing else changed: names match case-insensitively in
    ASCII only, so that no other character (`ſ`, the Kelvin sign) stands for a letter of a name."""
    return text.translate(_ASCII_LOWER)


class BodyError(ValueError):
    """A request body that does not match its object; the message says why."""


def has_type(value: Any, types: type | tuple[type, ...]) -> bool:
    """`isinstance`, except that a bool is never a number: only `bool` itself (or a tuple holding it) takes one."""
    if isinstance(value, bool):
        return types is bool or (isinstance(types, tuple) and bool in types)
    return isinstance(value, types)


def is_type(value: Any, type_: str) -> bool:
    """Whether `value` is of a primitive type of the spec."""
    return has_type(value, PRIMITIVES[type_])


def _no_constants(name: str) -> Any:
    raise BodyError(f"{name} is not a JSON number")


def finite_number(value: int | float) -> bool:
    """Whether a number is one a device keeps: finite, and an integer within a float's range (±1.8e308),
    which every reader of the answer (JSON Schema validators, JavaScript) can take."""
    try:
        return math.isfinite(value)  # an int beyond a float's range raises OverflowError
    except OverflowError:
        return False


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise BodyError(f"{text[:40]} is beyond the range of a number")
    return value


def _bounded_int(text: str) -> int:
    value = int(text)
    if len(text) > 308 and not finite_number(value):  # 308 digits stay below a float's 1.8e308
        raise BodyError(f"{text[:40]}... is beyond the range of a number")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_json(data: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN or Infinity, and no lone surrogate (which no answer could encode)."""
    try:
        source = data.decode("utf-8")
        document = json.loads(
            source, parse_constant=_no_constants, parse_float=_finite_float, parse_int=_bounded_int
        )
        if _SURROGATE_ESCAPE.search(source):  # UTF-8 carries no surrogate: only an escape can
            json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BodyError(
            "a string holds a lone surrogate (\\ud800 to \\udfff), which is not a character"
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BodyError(str(error) if isinstance(error, BodyError) else f"not valid JSON ({error})") from None
    return document


# One encoder for every answer: json.dumps with options would build a new one per call.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump_json(document: Any) -> bytes:
    """Compact JSON as the device writes it: no spaces, `/` escaped."""
    return _COMPACT.encode(document).replace("/", "\\/").encode()


def scalar_json(value: Any) -> str:
    """One scalar as `dump_json` writes it, without building an encoder: strings, integers, booleans and
    null directly; anything else (a float, NaN) through the encoder."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value).replace("/", "\\/")
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    return _COMPACT.encode(value).replace("/", "\\/")  # a float, or a structure (its strings' slashes too)


def xml_text(value: str) -> str:
    """Text escaped for XML, with the characters XML cannot carry replaced."""
    return escape(XML_INVALID.sub("\ufffd", value))


def text(value: Any) -> str:
    """A primitive value as the device writes it in XML and `$value`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(text, value))
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Kind:
    """The type of a property or an array's items, as the spec declares it."""

    type: str  # integer, number, string, boolean, enum, object, link, array or any (a JSON value)
    values: tuple[str | int, ...] = ()  # an enum's closed list, or the values an integer may take
    object: str | None = None  # an object's name, resolved through the codec registry
    items: Kind | None = None  # an array's items
    item_element: str = "Item"  # the XML element of each item of an array
    format: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None

    def describe(self) -> str:
        if self.type == "array" and self.items is not None:
            return f"an array of {self.items.describe()}"
        if self.type == "enum":
            return f"one of {', '.join(map(str, self.values))}"
        return self.object or self.type

    @property
    def object_name(self) -> str:
        """The object of an object kind (the spec's loader sees that it has one)."""
        if self.object is None:
            raise TypeError(f"a kind of type {self.type} names no object")
        return self.object

    @property
    def item_kind(self) -> Kind:
        """The kind of an array's items (the spec's loader sees that it has one)."""
        if self.items is None:
            raise TypeError(f"a kind of type {self.type} has no items")
        return self.items


@dataclass(frozen=True, slots=True)
class Field:
    """One property of an object, as the spec describes it."""

    name: str
    key: str
    element: str
    kind: Kind
    default: Any
    writable: bool = True  # may a request body set it (its methods hold POST or PUT)

    @property
    def type(self) -> str:
        return self.kind.type


class Codec:
    """One object: its properties in JSON order and in XML order, and how to write and read them."""

    def __init__(
        self,
        name: str,
        element: str,
        fields: tuple[Field, ...],
        xml_order: tuple[int, ...],
        registry: Mapping[str, Codec],
        prolog: str,
    ) -> None:
        self.name = name
        self.element = element
        self.fields = fields
        self.xml_fields = tuple(fields[index] for index in xml_order)
        self.names = ", ".join(f.name for f in fields)
        self.registry = registry  # every codec by object name: nested objects are looked up here
        self.prolog = prolog  # the XML declaration every XML answer starts with
        self._by_name = {ascii_fold(f.name): f for f in fields}
        self._by_key = {ascii_fold(f.key): f for f in fields}
        self._by_element = {ascii_fold(f.element): f for f in fields}
        self._fast: Reader | None = None  # made at the first read: the objects it nests may come later
        self._making = False
        # An object of scalars only is written as its values are: no kind to look at per property.
        scalar = all(f.kind.type not in ("object", "array", "link") for f in fields)
        self._scalars = (
            (tuple(f.key for f in fields), tuple(f.name for f in fields), tuple(f.default for f in fields))
            if scalar
            else None
        )
        # ... and its JSON is written directly: each property's `"key":` (after a comma) written once here.
        self._json_plan = (
            tuple(
                (("," if i else "") + dump_json(f.key).decode() + ":", f.name, f.default)
                for i, f in enumerate(fields)
            )
            if scalar
            else None
        )

    def field(self, name: str) -> Field | None:
        """The property called `name` (or its JSON key), matched case-insensitively as the device does."""
        folded = ascii_fold(name)
        return self._by_name.get(folded) or self._by_key.get(folded)

    def defaults(self) -> dict[str, Any]:
        """The object's values as the spec's defaults give them (a fresh copy)."""
        return json.loads(json.dumps({f.name: f.default for f in self.fields}))

    # Writing

    def json_value(self, values: Mapping[str, Any], selected: frozenset[str] | None = None) -> dict[str, Any]:
        if selected is None and self._scalars is not None:
            keys, names, defaults = self._scalars
            return dict(zip(keys, map(values.get, names, defaults)))  # in C: no Python call per property
        return {
            f.key: self._json_of(f.kind, values.get(f.name, f.default))
            for f in self.fields
            if selected is None or f.name in selected
        }

    def _json_of(self, kind: Kind, value: Any) -> Any:
        if value is None:
            return None
        if kind.type == "object":
            return self.registry[kind.object_name].json_value(value)
        if kind.type == "array":
            return [self._json_of(kind.item_kind, item) for item in value]
        if kind.type == "link":
            return {key: value.get(key, "") for key, _ in LINK_KEYS}
        return value

    def to_json(self, values: Mapping[str, Any], selected: frozenset[str] | None = None) -> bytes:
        if selected is None and self._json_plan is not None:
            text = "".join(
                [prefix + scalar_json(values.get(name, default)) for prefix, name, default in self._json_plan]
            )
            return ("{" + text + "}").encode()
        return dump_json(self.json_value(values, selected))

    def xml_lines(
        self, element: str, values: Mapping[str, Any], selected: frozenset[str] | None = None
    ) -> list[str]:
        lines = [f"<{element}>"]
        for f in self.xml_fields:
            if selected is None or f.name in selected:
                lines.extend(self._xml_of(f.kind, f.element, values.get(f.name, f.default)))
        lines.append(f"</{element}>")
        return lines

    def _xml_of(self, kind: Kind, element: str, value: Any) -> list[str]:
        if kind.type == "object":
            return self.registry[kind.object_name].xml_lines(element, value or {})
        if kind.type == "link":
            value = value or {}
            return [
                f"<{element}>",
                *(f"<{tag}>{xml_text(text(value.get(key)))}</{tag}>" for key, tag in LINK_KEYS),
                f"</{element}>",
            ]
        if kind.type == "array":
            items = [
                line for item in value or () for line in self._xml_of(kind.item_kind, kind.item_element, item)
            ]
            return [f"<{element}>", *items, f"</{element}>"] if items else [f"<{element} />"]
        if kind.type == "any" and isinstance(value, dict):  # a structure: an element per key
            children = [
                line
                for key, item in value.items()
                for line in self._xml_of(kind, key[:1].upper() + key[1:], item)
            ]
            return [f"<{element}>", *children, f"</{element}>"]
        content = xml_text(text(value))
        return [f"<{element}>{content}</{element}>"] if content else [f"<{element} />"]

    def to_xml(self, values: Mapping[str, Any], selected: frozenset[str] | None = None) -> bytes:
        return "\n".join([self.prolog, *self.xml_lines(self.element, values, selected)]).encode()

    def encode(
        self, encoding: str, values: Mapping[str, Any], selected: frozenset[str] | None = None
    ) -> bytes:
        return self.to_xml(values, selected) if encoding == "xml" else self.to_json(values, selected)

    def encode_list(self, encoding: str, members: list[Mapping[str, Any]], root: str) -> bytes:
        """A bare array of this object (JSON `[...]`; XML `<root>` holding one element per member)."""
        if encoding != "xml":
            return dump_json([self.json_value(member) for member in members])
        return self.join_members(encoding, [self.member_text(encoding, member) for member in members], root)

    def member_text(self, encoding: str, values: Mapping[str, Any]) -> str:
        """One member of a list answer, as `encode_list` writes it."""
        if encoding == "xml":
            return "\n".join(self.xml_lines(self.element, values))
        return self.to_json(values).decode()

    def join_members(self, encoding: str, members: list[str], root: str) -> bytes:
        """A list answer of members already written (`member_text`)."""
        if encoding != "xml":
            return ("[" + ",".join(members) + "]").encode()
        lines = (
            [self.prolog, f"<{root}>", *members, f"</{root}>"] if members else [self.prolog, f"<{root} />"]
        )
        return "\n".join(lines).encode()

    def raw(self, field: Field, values: Mapping[str, Any]) -> bytes:
        """The `$value` of one property: its bare text."""
        return text(values.get(field.name, field.default)).encode()

    # Reading

    def from_json(self, data: bytes) -> dict[str, Any]:
        """A JSON body as the object's values; property names in it match case-insensitively."""
        return self.read_json(parse_json(data), "")

    def read_json(self, document: Any, place: str, read_only: bool = False) -> dict[str, Any]:
        """A JSON object as values; `place` is where it stands in the body ("" for the body itself).
        `read_only`: read-only properties may be given too (the device's own state, not a request)."""
        try:
            return self._fast_reader()(document, read_only)
        except _Slow:  # not a plainly valid body: the exact reader below decides, and says why
            return self._read_json_exactly(document, place, read_only)

    def _fast_reader(self) -> Reader:
        if self._fast is None:
            self._making = True  # an object nesting itself reads through this codec (see _reader)
            try:
                self._fast = _object_reader(self)
            finally:
                self._making = False
        return self._fast

    def _read_json_exactly(self, document: Any, place: str, read_only: bool) -> dict[str, Any]:
        if not isinstance(document, dict):
            where = place or "the body"
            raise BodyError(f"{where} must be a JSON object with {self.names}, got {_json_type(document)}")
        values = {}
        for key, value in document.items():
            f = self._by_key.get(ascii_fold(key))
            if f is None:
                raise BodyError(f"unknown property {key!r} (known: {', '.join(f.key for f in self.fields)})")
            here = f"{place}.{f.key}" if place else f.key
            if not (f.writable or read_only):
                raise BodyError(f"{here} is read-only")
            values[f.name] = self._check_json(f.kind, value, here, read_only)
        return values

    def _check_json(self, kind: Kind, value: Any, place: str, read_only: bool = False) -> Any:
        if kind.type == "any":  # a value whose form the runtime checks (a BACnet property's value)
            return value
        if kind.type == "object":
            return self.registry[kind.object_name]._read_json_exactly(value, place, read_only)
        if kind.type == "array":
            if not isinstance(value, list):
                raise BodyError(f"{place} must be {kind.describe()}, got {_json_type(value)}")
            return [
                self._check_json(kind.item_kind, item, f"{place}[{index}]", read_only)
                for index, item in enumerate(value)
            ]
        if kind.type == "link":
            if (
                not isinstance(value, dict)
                or set(value) - {"href", "name"}
                or not all(isinstance(v, str) for v in value.values())
            ):
                raise BodyError(f'{place} must be a link {{"href": ..., "name": ...}}')
            return dict(value)
        return check_primitive(kind, value, place)

    def from_xml(self, data: bytes) -> dict[str, Any]:
        """An XML body as the object's values: the root element named after the object, one child
        element per property (matched case-insensitively), an array's items as its children."""
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError as error:
            raise BodyError(f"not well-formed XML ({error})") from None
        except (ValueError, LookupError) as error:  # a declared encoding expat cannot read (UTF-7, unknown)
            raise BodyError(f"the XML declares an encoding this device cannot read ({error})") from None
        if ascii_fold(root.tag) != ascii_fold(self.element):
            raise BodyError(f"expected the root element <{self.element}>, got <{root.tag}>")
        return self.read_xml(root)

    def read_xml(self, element: ElementTree.Element) -> dict[str, Any]:
        values = {}
        for child in element:
            f = self._by_element.get(ascii_fold(child.tag))
            if f is None:
                raise BodyError(
                    f"unknown element <{child.tag}> (known: {', '.join(f.element for f in self.fields)})"
                )
            if not f.writable:
                raise BodyError(f"<{f.element}> is read-only")
            values[f.name] = self._from_element(f.kind, child)
        return values

    def _from_element(self, kind: Kind, element: ElementTree.Element) -> Any:
        if kind.type == "object":
            return self.registry[kind.object_name].read_xml(element)
        if kind.type == "array":
            return [self._from_element(kind.item_kind, item) for item in element]
        if kind.type == "link":
            found = {ascii_fold(child.tag): child.text or "" for child in element}
            return {key: found.get(key, "") for key, _ in LINK_KEYS}
        return check_primitive(kind, from_text(element.text or "", kind, element.tag), f"<{element.tag}>")


# The fast reader. Most bodies are plainly valid: it takes those with a type test per value and no message
# built, and gives up (`_Slow`) at anything else, which the exact reader then reads, or refuses saying why.
# It gives up wherever the exact reader would convert or need a place for its message, so that both give
# the same values for every body the fast one takes.
Reader = Callable[[Any, bool], Any]  # (a JSON value, read-only properties allowed) -> the value read


class _Slow(Exception):
    """A value the fast reader does not take at once."""


_SAFE_INTEGER = 2**53  # an int within ±2**53 is finite as a float: finite_number need not be asked


def _object_reader(codec: Codec) -> Reader:
    by_key = {f.key: (f.name, f.writable, _reader(codec, f.kind)) for f in codec.fields}
    by_folded = {ascii_fold(key): entry for key, entry in by_key.items()}

    def read(document: Any, read_only: bool) -> dict[str, Any]:
        if type(document) is not dict:
            raise _Slow
        values = {}
        for key, value in document.items():
            entry = by_key.get(key) or by_folded.get(ascii_fold(key))
            if entry is None or not (entry[1] or read_only):
                raise _Slow
            values[entry[0]] = entry[2](value, read_only)
        return values

    return read


def _reader(codec: Codec, kind: Kind) -> Reader:
    """A fast reader of one kind's values."""
    if kind.type == "any":
        return lambda value, read_only: value
    if kind.type == "object":
        nested = codec.registry[kind.object_name]
        if nested._making:  # a cycle: the nested reader is not made yet
            return lambda value, read_only: nested._fast_reader()(value, read_only)
        return nested._fast_reader()
    if kind.type == "array":
        item = _reader(codec, kind.item_kind)

        def read_array(value: Any, read_only: bool) -> list[Any]:
            if type(value) is not list:
                raise _Slow
            return [item(member, read_only) for member in value]

        return read_array
    return _primitive_reader(kind)


def _primitive_reader(kind: Kind) -> Reader:
    """The reader of an enum, or of a string, boolean, integer or number without a format or a closed list;
    any other kind (formats, links, closed lists of integers) is read exactly, as is a number out of its
    bounds."""
    if kind.type == "enum":
        values = kind.values

        def read_enum(value: Any, read_only: bool) -> Any:
            if value not in values:
                raise _Slow
            return value

        return read_enum
    plain = kind.format not in FORMATS and not kind.values
    if plain and kind.type == "number":
        lowest = -math.inf if kind.minimum is None else kind.minimum
        highest = math.inf if kind.maximum is None else kind.maximum

        def read_number(value: Any, read_only: bool) -> int | float:
            kind_of = type(value)
            if kind_of is float:
                if not (math.isfinite(value) and lowest <= value <= highest):
                    raise _Slow
            elif (
                kind_of is not int
                or not -_SAFE_INTEGER <= value <= _SAFE_INTEGER
                or not lowest <= value <= highest
            ):
                raise _Slow
            return value

        return read_number
    exact: type | None = {"string": str, "boolean": bool, "integer": int}.get(kind.type) if plain else None
    if exact is int:
        low = -_SAFE_INTEGER if kind.minimum is None else max(kind.minimum, -_SAFE_INTEGER)
        high = _SAFE_INTEGER if kind.maximum is None else min(kind.maximum, _SAFE_INTEGER)

        def read_integer(value: Any, read_only: bool) -> int:
            if type(value) is not int or not low <= value <= high:
                raise _Slow
            return value

        return read_integer
    if exact is not None and kind.minimum is None and kind.maximum is None:

        def read_exact(value: Any, read_only: bool) -> Any:
            if type(value) is not exact:
                raise _Slow
            return value

        return read_exact

    def read_slowly(value: Any, read_only: bool) -> Any:
        raise _Slow

    return read_slowly


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def check_primitive(kind: Kind, value: Any, place: str) -> Any:
    """`value` if it is a valid value of a primitive or enum kind, else a BodyError saying why."""
    if kind.type == "any":
        return value
    if kind.type == "enum":
        if value not in kind.values:
            raise BodyError(f"{place} must be one of {', '.join(map(str, kind.values))}, got {value!r}")
        return value
    if is_type(value, "number") and not finite_number(value):
        raise BodyError(f"{place} is beyond the range of a number")
    if kind.type == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema's integers include 58.0, as the OpenAPI document's readers expect
    if not is_type(value, kind.type):
        raise BodyError(f"{place} must be of type {kind.type}, got {_json_type(value)}")
    if kind.minimum is not None and value < kind.minimum or kind.maximum is not None and value > kind.maximum:
        low = "" if kind.minimum is None else f" from {kind.minimum}"
        high = "" if kind.maximum is None else f" to {kind.maximum}"
        raise BodyError(f"{place} must be{low}{high}, got {value}")
    if kind.values and value not in kind.values:  # an integer of a closed list
        raise BodyError(f"{place} must be one of {', '.join(map(str, kind.values))}, got {value}")
    if kind.format in FORMATS and not FORMATS[kind.format].fullmatch(value):
        raise BodyError(f"{place} must be a {kind.format} ({FORMAT_EXAMPLES[kind.format]}), got {value!r}")
    return value


FORMAT_EXAMPLES = {
    "uuid": "c83b7cd2-e5df-4dcc-9e9e-301927c76a30",
    "date": "MM-dd-yyyy, a day of the calendar from 1970 to 2099",
    "time": "HH:mm:ss",
    "datetime": "MM/dd/yyyy HH:mm:ss",
    "iso-datetime": "ISO 8601 from 1970 to 2099, e.g. 2026-12-01T10:00:00Z",
    "file-name": "a name of 1 to 255 characters without /, \\ or ..",
}


def from_text(value: str, kind: Kind, element: str) -> Any:
    """The value of an XML element's text, as the property's kind."""
    value = value.strip()
    try:
        if kind.type == "integer":
            return int(value)
        if kind.type == "number":
            return float(value)
    except ValueError:
        raise BodyError(f"<{element}> must be of type {kind.type}") from None
    if kind.type == "boolean":
        if value not in ("true", "false"):
            raise BodyError(f"<{element}> must be true or false")
        return value == "true"
    return value


def camel_case(segment: str) -> str:
    """`analog-value` -> `analogValue`: the form clients also send of a kebab-case segment or value."""
    head, *rest = segment.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def parse_parameter(kind: Kind, value: str) -> Any:
    """A path or query parameter's text as a value of its kind; ValueError when it is not one."""
    if kind.type == "integer":
        if not value.isascii() or not value.lstrip("-").isdigit():
            raise ValueError(value)
        number = int(value)
        if (
            kind.minimum is not None
            and number < kind.minimum
            or kind.maximum is not None
            and number > kind.maximum
        ):
            raise ValueError(value)
        return number
    if kind.type == "enum":
        # The vendor writes kebab-case where clients also send camelCase: both name the same value.
        folded = {ascii_fold(camel_case(str(v))): v for v in kind.values}
        found = folded.get(ascii_fold(camel_case(value)))
        if found is None:
            raise ValueError(value)
        return found
    if kind.format in FORMATS and not FORMATS[kind.format].fullmatch(value):
        raise ValueError(value)
    return value
