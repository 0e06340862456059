"""The spec's `objects` section: each object and its properties, their defaults and examples checked."""

from __future__ import annotations

from ..loader import LocatedList
from ...runtime.core.codec import BodyError
from .checker import Checker, unique
from .kinds import KIND_FIELDS, check_value, read_kind
from .names import HTTP_METHODS, IDENTIFIER, XML_NAME, is_keyword, snake_case
from .spec import Object, Property


def read_objects(root: Checker) -> dict[str, Object]:
    """Every object of the section; defaults and examples are checked once all objects are known."""
    objects_checker = root.child("objects")
    objects = {}
    object_names = set(objects_checker.node)
    for name in objects_checker.node:
        if not IDENTIFIER.match(str(name)):
            raise objects_checker.fail(name, f"{name!r} is not an identifier")
        if is_keyword(name):
            raise objects_checker.fail(name, f"{name!r} is a Python keyword, which cannot name a model class")
        objects[name] = read_object(objects_checker.child(name), name, object_names)
    for name, obj in objects.items():
        props_checker = objects_checker.child(name).child("properties", LocatedList)
        by_name = {props_checker.node[i]["name"]: i for i in range(len(props_checker.node))}
        for prop in obj.properties:
            check_values(props_checker.child(by_name[prop.name]), prop, objects)
    return objects


def read_object(checker: Checker, name: str, object_names: set[str]) -> Object:
    checker.only({"xml_element", "description", "properties"})
    props_checker = checker.child("properties", LocatedList)
    if not props_checker.node:
        raise props_checker.fail(None, "an object needs at least one property")
    props = [read_property(props_checker.child(i), object_names) for i in range(len(props_checker.node))]
    indexed = list(enumerate(props))
    # URLs and $select match property names case-insensitively, so names must differ in more than case.
    unique(props_checker, [(i, p.name.casefold()) for i, p in indexed], "property name")
    unique(props_checker, [(i, p.json_key) for i, p in indexed], "json_key")
    unique(props_checker, [(i, p.xml_element) for i, p in indexed], "xml_element")
    unique(props_checker, [(i, str(p.json_order)) for i, p in indexed], "order.json")
    unique(props_checker, [(i, str(p.xml_order)) for i, p in indexed], "order.xml")
    element = checker.get("xml_element", str)
    if not XML_NAME.match(element):
        raise checker.fail("xml_element", f"{element!r} is not an XML element name")
    return Object(
        name=name,
        xml_element=element,
        description=checker.get("description", str),
        properties=tuple(sorted(props, key=lambda p: p.json_order)),
    )


def read_property(checker: Checker, object_names: set[str]) -> Property:
    checker.only(
        {"name", "description", "methods", "json_key", "xml_element", "order", "default", "example"}
        | KIND_FIELDS
    )
    name = checker.get("name", str)
    if not IDENTIFIER.match(name):
        raise checker.fail("name", f"{name!r} is not an identifier")
    if snake_case(name) in ("self", "cls"):
        raise checker.fail(
            "name", f"{name!r} would be the Python name {snake_case(name)!r}, which the models use"
        )
    kind = read_kind(checker, object_names)
    order = checker.child("order")
    order.only({"json", "xml"})
    methods = checker.get("methods", LocatedList)
    for index, method in enumerate(methods):
        if method not in HTTP_METHODS:
            raise checker.child("methods", LocatedList).fail(index, f"unknown method {method!r}")
    if "default" not in checker.node:
        raise checker.fail(None, "missing field 'default'")
    prop = Property(
        name=name,
        type=kind.type,
        description=checker.get("description", str),
        methods=tuple(methods),
        json_key=checker.get("json_key", str),
        xml_element=checker.get("xml_element", str),
        json_order=order.get("json", int),
        xml_order=order.get("xml", int),
        default=checker.node.get("default"),
        example=checker.node.get("example", checker.node.get("default")),  # the default when none is given
        kind=kind,
    )
    if not XML_NAME.match(prop.xml_element):
        raise checker.fail("xml_element", f"{prop.xml_element!r} is not an XML element name")
    return prop


def check_values(checker: Checker, prop: Property, objects: dict[str, Object]) -> None:
    """Once every object is known: the property's default and example are values of its kind."""
    for key in ("default", "example"):
        if key not in checker.node:
            continue
        try:
            check_value(prop.kind, checker.node[key], objects, key)
        except BodyError as error:
            raise checker.fail(key, str(error)) from None
