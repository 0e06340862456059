"""A property's kind (its type and the words that go with it), and values checked against a kind."""

from __future__ import annotations

from typing import Any

from ..loader import LocatedList
from ...runtime.core.codec import FORMATS, PRIMITIVES, BodyError, Kind, check_primitive
from .checker import Checker, unique
from .names import XML_NAME
from .spec import Object

# The kinds of a property (runtime/core/codec.py writes and reads each).
TYPES = (*PRIMITIVES, "enum", "object", "link", "array")
# What an array's items are when the spec does not name their XML element (the vendor is silent).
DEFAULT_ITEM_ELEMENT = "Item"

KIND_FIELDS = {"type", "values", "object", "items", "xml_item", "format", "minimum", "maximum"}


def read_kind(checker: Checker, object_names: set[str]) -> Kind:
    """The kind a property (or an array's `items`) declares: type and the words that go with it."""
    type_ = checker.get("type", str, choices=TYPES)
    values: tuple[str, ...] = ()
    if type_ == "enum":
        listed = checker.get("values", LocatedList)
        if not listed or not all(isinstance(v, str) for v in listed):
            raise checker.fail("values", "an enum needs a list of string values")
        unique(checker.child("values", LocatedList), list(enumerate(listed)), "value")
        values = tuple(listed)
    elif type_ == "integer" and "values" in checker.node:  # the closed list a page gives ("Supported values")
        listed = checker.get("values", LocatedList)
        if not listed or not all(isinstance(v, int) and not isinstance(v, bool) for v in listed):
            raise checker.fail("values", "an integer's values are a list of integers")
        unique(checker.child("values", LocatedList), [(i, str(v)) for i, v in enumerate(listed)], "value")
        values = tuple(listed)
    elif "values" in checker.node:
        raise checker.fail("values", "only an enum or an integer has values")
    object_name = checker.get("object", str, None) if type_ == "object" else None
    if type_ == "object" and object_name not in object_names:
        raise checker.fail("object", f"no object {object_name!r} in objects")
    if type_ != "object" and "object" in checker.node:
        raise checker.fail("object", "only an object property names an object")
    items = None
    if type_ == "array":
        if "items" not in checker.node:
            raise checker.fail("type", "an array needs `items`")
        raw = checker.node["items"]
        if isinstance(raw, str):  # the short form: `items: string`
            if raw not in PRIMITIVES and raw not in object_names:
                raise checker.fail("items", f"{raw!r} is neither a primitive type nor an object")
            items = Kind(raw) if raw in PRIMITIVES else Kind("object", object=raw)
        else:
            item_checker = checker.child("items")
            item_checker.only(KIND_FIELDS - {"xml_item"})
            items = read_kind(item_checker, object_names)
            if items.type == "array":
                raise item_checker.fail(
                    "type", "an array of arrays has no XML form; wrap the inner array in an object"
                )
    elif "items" in checker.node or "xml_item" in checker.node:
        raise checker.fail("items" if "items" in checker.node else "xml_item", "only an array has items")
    item_element = checker.get("xml_item", str, DEFAULT_ITEM_ELEMENT)
    if not XML_NAME.match(item_element):
        raise checker.fail("xml_item", f"{item_element!r} is not an XML element name")
    format_ = checker.get("format", str, None, choices=sorted(FORMATS))
    if format_ is not None and type_ != "string":
        raise checker.fail("format", "only a string has a format")
    bounds = {key: checker.get(key, (int, float), None) for key in ("minimum", "maximum")}
    if any(v is not None for v in bounds.values()) and type_ not in ("integer", "number"):
        raise checker.fail(
            "minimum" if bounds["minimum"] is not None else "maximum", "only a number has a range"
        )
    if None not in bounds.values() and bounds["minimum"] > bounds["maximum"]:
        raise checker.fail("minimum", f"{bounds['minimum']} is above the maximum {bounds['maximum']}")
    return Kind(
        type_, values, object_name, items, item_element, format_, bounds["minimum"], bounds["maximum"]
    )


def check_value(kind: Kind, value: Any, objects: dict[str, Object], place: str) -> None:
    """A default or example in the spec must be a value of its kind (objects by JSON key)."""
    if kind.type == "object":
        if not isinstance(value, dict):
            raise BodyError(f"{place} must be a mapping of {kind.object}'s JSON keys")
        by_key = {p.json_key: p for p in objects[kind.object_name].properties}
        for key, item in value.items():
            if key not in by_key:
                raise BodyError(f"{place}: {kind.object} has no JSON key {key!r}")
            check_value(by_key[key].kind, item, objects, f"{place}.{key}")
    elif kind.type == "array":
        if not isinstance(value, list):
            raise BodyError(f"{place} must be a list of {kind.item_kind.describe()}")
        for index, item in enumerate(value):
            check_value(kind.item_kind, item, objects, f"{place}[{index}]")
    elif kind.type == "link":
        if not isinstance(value, dict) or set(value) != {"href", "name"}:
            raise BodyError(f"{place} must be a link {{href: ..., name: ...}}")
    else:
        check_primitive(kind, value, place)
