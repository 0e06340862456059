"""The spec as plain objects: what the templates render, validated on the way in."""

from __future__ import annotations

import keyword
import re
import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .loader import LocatedDict, LocatedList, SpecError, load_documents, spec_digest
from ..runtime.core.codec import FORMATS, PRIMITIVES, BodyError, Kind, check_primitive, has_type
from ..runtime.core.deviceapi import parse_revision

# The kinds of a property (static/codec.py writes and reads each).
TYPES = (*PRIMITIVES, "enum", "object", "link", "array")
# What an array's items are when the spec does not name their XML element (the vendor is silent).
DEFAULT_ITEM_ELEMENT = "Item"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
OPERATION = re.compile(r"^[a-z][a-z0-9_]*$")
PATH_PARAMETER = re.compile(r"\{([^{}]*)\}")
# A path segment with a parameter: one, with literals (or nothing) before and after it.
PARAMETER_SEGMENT = re.compile(r"[^{}]*\{[^{}]+\}[^{}]*")
PARAMETER_FORMATS = {"uuid", None}
PARAMETER_TYPES = ("string", "integer", "enum")
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
# Keyword arguments the generated client and handler already use beside path parameters.
RESERVED_PARAMETERS = {
    "self",
    "name",
    "select",
    "body",
    "timeout",
    "interval",
    "on_progress",
    "sleep",
    "path",
}
# Errors the generated handler raises by key; the spec must define each.
HANDLER_ERRORS = (
    "bad_request",
    "invalid_query",
    "unknown_select",
    "invalid_parameter",
    "invalid_body",
    "unauthorized",
    "not_found",
    "property_not_found",
    "method_not_allowed",
    "not_acceptable",
    "body_too_large",
    "uri_too_long",
    "unsupported_media_type",
    "headers_too_large",
    "not_implemented",
)
CHOICES = {
    "running_status": str,
    "failure_status": str,
    "cancelled_status": str,
    "backup_job_type": str,
    "default_job_duration": (int, float),
    "error_object": str,
    "deprecation_date": int,
    "backup_timestamp_format": str,
}


def is_revision(text: str) -> bool:
    try:
        parse_revision(text)
    except ValueError:
        return False
    return True


def snake_case(name: str) -> str:
    """`ApiRevision` -> `api_revision`, `ISODateTime` -> `iso_date_time`: the Python name of a property or
    parameter (`from_` for `From`)."""
    attr = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    return attr + "_" if keyword.iskeyword(attr) or keyword.issoftkeyword(attr) else attr


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    description: str
    methods: tuple[str, ...]
    json_key: str
    xml_element: str
    json_order: int
    xml_order: int
    default: Any
    example: Any
    kind: Kind

    @property
    def attr(self) -> str:
        return snake_case(self.name)

    @property
    def writable(self) -> bool:
        """Whether a request body may set it: its methods hold POST or PUT."""
        return bool({"POST", "PUT"} & set(self.methods))


@dataclass(frozen=True)
class Object:
    name: str
    xml_element: str
    description: str
    properties: tuple[Property, ...]  # in JSON order

    @property
    def xml_properties(self) -> tuple[Property, ...]:
        return tuple(sorted(self.properties, key=lambda p: p.xml_order))


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    description: str
    format: str | None
    invalid_error: str
    kind: Kind
    location: str = "path"  # or "query"

    @property
    def attr(self) -> str:
        return snake_case(self.name)


@dataclass(frozen=True)
class Seed:
    """A collection's initial members: values of its member object, by JSON key as on the wire."""

    member: Object
    members: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Resource:
    operation: str
    method: str
    path: str
    from_revision: str
    deprecated: bool
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    request: Object | None
    response: Object | None  # None: the answer is 204 No Content
    not_found_error: str
    successor: str | None
    xml_body_from_revision: str | None
    examples: dict[str, str]
    # Errors (keys of errors) this resource answers besides those of every resource of its kind.
    errors: tuple[str, ...] = ()
    # The answer: one object, a bare array of them, or nothing (204); `binary` also serves raw bytes
    # for encode=bin (application/octet-stream).
    response_shape: str = "object"
    binary: bool = False
    status: int = 200  # the success status; 201 carries a Location
    xml_root: str | None = None  # the root element of an array answer in XML
    # What answers it in the runtime: {kind: entity|collection|job|hook, ...} (runtime/behaviours.py).
    behaviour: dict[str, Any] = field(default_factory=dict)
    # A collection's initial members, whichever of its routes declares them (None: none declared).
    seed: Seed | None = None

    @property
    def is_entity(self) -> bool:
        """A GET of one object: its properties, $select and $value are served too."""
        return self.method == "GET" and self.response is not None and self.response_shape == "object"

    @property
    def serves_properties(self) -> bool:
        """Whether {path}/{property} and its $value are served: below the API's root, a path names a
        resource or nothing, so the root (path "/") serves none."""
        return self.is_entity and self.path != "/"

    @property
    def path_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def query_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "query")

    @property
    def revision(self) -> tuple[int, int]:
        return parse_revision(self.from_revision)


@dataclass(frozen=True)
class ErrorDef:
    key: str
    status: int
    code: str
    message: str


@dataclass(frozen=True)
class Encoding:
    name: str
    media_types: tuple[str, ...]
    charset: str
    prolog: str = ""


@dataclass(frozen=True)
class Spec:
    digest: str
    api: dict[str, Any]
    encodings: tuple[Encoding, ...]
    query_options: dict[str, dict[str, Any]]
    status_codes: dict[int, str]
    objects: dict[str, Object]
    resources: tuple[Resource, ...]
    errors: dict[str, ErrorDef]
    choices: dict[str, Any]
    error_object: Object = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "error_object", self.objects[self.choices["error_object"]])


class _Checker:
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
            raise self.fail(key, f"expected {_kind_name(kind)}, got {type(value).__name__}")
        if choices is not None and value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(map(str, choices))}")
        return value

    def child(self, key: str | int, kind: type = LocatedDict) -> _Checker:
        value = self.node[key] if isinstance(key, int) else self.get(key, kind)
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {_kind_name(kind)}, got {type(value).__name__}")
        place = f"{self.place}[{key}]" if isinstance(key, int) else f"{self.place}.{key}".lstrip(".")
        return _Checker(value, place)

    def only(self, allowed: set[str]) -> None:
        for key in self.node:
            if key not in allowed:
                raise self.fail(key, f"unknown field (allowed: {', '.join(sorted(allowed))})")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {LocatedDict: "a mapping", LocatedList: "a list", str: "a string", int: "an integer"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


KIND_FIELDS = {"type", "values", "object", "items", "xml_item", "format", "minimum", "maximum"}


def _kind(checker: _Checker, object_names: set[str]) -> Kind:
    """The kind a property (or an array's `items`) declares: type and the words that go with it."""
    type_ = checker.get("type", str, choices=TYPES)
    values: tuple[str, ...] = ()
    if type_ == "enum":
        listed = checker.get("values", LocatedList)
        if not listed or not all(isinstance(v, str) for v in listed):
            raise checker.fail("values", "an enum needs a list of string values")
        _unique(checker.child("values", LocatedList), list(enumerate(listed)), "value")
        values = tuple(listed)
    elif "values" in checker.node:
        raise checker.fail("values", "only an enum has values")
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
            items = _kind(item_checker, object_names)
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
        by_key = {p.json_key: p for p in objects[kind.object].properties}
        for key, item in value.items():
            if key not in by_key:
                raise BodyError(f"{place}: {kind.object} has no JSON key {key!r}")
            check_value(by_key[key].kind, item, objects, f"{place}.{key}")
    elif kind.type == "array":
        if not isinstance(value, list):
            raise BodyError(f"{place} must be a list of {kind.items.describe()}")
        for index, item in enumerate(value):
            check_value(kind.items, item, objects, f"{place}[{index}]")
    elif kind.type == "link":
        if not isinstance(value, dict) or set(value) != {"href", "name"}:
            raise BodyError(f"{place} must be a link {{href: ..., name: ...}}")
    else:
        check_primitive(kind, value, place)


def _property(checker: _Checker, object_names: set[str]) -> Property:
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
    kind = _kind(checker, object_names)
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


def _check_values(checker: _Checker, prop: Property, objects: dict[str, Object]) -> None:
    """Once every object is known: the property's default and example are values of its kind."""
    for key in ("default", "example"):
        if key not in checker.node:
            continue
        try:
            check_value(prop.kind, checker.node[key], objects, key)
        except BodyError as error:
            raise checker.fail(key, str(error)) from None


def _unique(checker: _Checker, values: list[tuple[int, str]], what: str) -> None:
    seen: dict[str, int] = {}
    for index, value in values:
        if value in seen:
            raise checker.fail(index, f"duplicate {what} {value!r} (also item {seen[value]})")
        seen[value] = index


def _object(checker: _Checker, name: str, object_names: set[str]) -> Object:
    checker.only({"xml_element", "description", "properties"})
    props_checker = checker.child("properties", LocatedList)
    if not props_checker.node:
        raise props_checker.fail(None, "an object needs at least one property")
    props = [_property(props_checker.child(i), object_names) for i in range(len(props_checker.node))]
    indexed = list(enumerate(props))
    # URLs and $select match property names case-insensitively, so names must differ in more than case.
    _unique(props_checker, [(i, p.name.casefold()) for i, p in indexed], "property name")
    _unique(props_checker, [(i, p.json_key) for i, p in indexed], "json_key")
    _unique(props_checker, [(i, p.xml_element) for i, p in indexed], "xml_element")
    _unique(props_checker, [(i, str(p.json_order)) for i, p in indexed], "order.json")
    _unique(props_checker, [(i, str(p.xml_order)) for i, p in indexed], "order.xml")
    element = checker.get("xml_element", str)
    if not XML_NAME.match(element):
        raise checker.fail("xml_element", f"{element!r} is not an XML element name")
    return Object(
        name=name,
        xml_element=element,
        description=checker.get("description", str),
        properties=tuple(sorted(props, key=lambda p: p.json_order)),
    )


def _resource(checker: _Checker, objects: dict[str, Object], errors: dict[str, ErrorDef]) -> Resource:
    allowed = set(Resource.__dataclass_fields__)
    checker.only(allowed)
    path_text = checker.get("path", str)
    if "//" in path_text or any(segment.startswith("$") for segment in path_text.split("/")):
        raise checker.fail("path", "a path has no empty segment and no $ segment")
    for segment in path_text.split("/"):
        if ("{" in segment or "}" in segment) and not PARAMETER_SEGMENT.fullmatch(segment):
            raise checker.fail(
                "path", f"{segment!r}: a segment holds at most one {{parameter}}, literals around it"
            )
    operation = checker.get("operation", str)
    if not OPERATION.match(operation):
        raise checker.fail("operation", f"{operation!r} is not a snake_case name")
    path = checker.get("path", str)
    if not path.startswith("/"):
        raise checker.fail("path", "a path starts with /")

    def error_key(key: str, default: str) -> str:
        value = checker.get(key, str, default)
        if value not in errors:
            raise checker.fail(key, f"no error {value!r} in errors")
        return value

    def object_ref(key: str, required: bool) -> Object | None:
        value = checker.get(key, str, ... if required else None)
        if value is not None and value not in objects:
            raise checker.fail(key, f"no object {value!r} in objects")
        return objects.get(value) if value else None

    parameters = []
    if "parameters" in checker.node:
        params_checker = checker.child("parameters", LocatedList)
        for index in range(len(params_checker.node)):
            pc = params_checker.child(index)
            pc.only(
                {
                    "name",
                    "type",
                    "description",
                    "format",
                    "invalid_error",
                    "in",
                    "values",
                    "minimum",
                    "maximum",
                }
            )
            invalid = pc.get("invalid_error", str, "invalid_parameter")
            if invalid not in errors:
                raise pc.fail("invalid_error", f"no error {invalid!r} in errors")
            name = pc.get("name", str)
            if not IDENTIFIER.match(name):
                raise pc.fail("name", f"{name!r} is not an identifier")
            if snake_case(name) in RESERVED_PARAMETERS:
                raise pc.fail("name", f"{name!r} clashes with the client's own argument {snake_case(name)!r}")
            pc.get("type", str, choices=PARAMETER_TYPES)
            kind = _kind(pc, set())
            parameters.append(
                Parameter(
                    name=name,
                    type=kind.type,
                    description=pc.get("description", str),
                    format=kind.format,
                    invalid_error=invalid,
                    kind=kind,
                    location=pc.get("in", str, "path", choices=("path", "query")),
                )
            )
    in_path = PATH_PARAMETER.findall(path)
    declared = [p.name for p in parameters if p.location == "path"]
    if sorted(in_path) != sorted(declared):
        raise checker.fail("parameters", f"path parameters {in_path} do not match the declared {declared}")
    revision = checker.get("from_revision", str)
    xml_body_revision = checker.get("xml_body_from_revision", str, None)
    for key, value in (("from_revision", revision), ("xml_body_from_revision", xml_body_revision)):
        if value is not None and not is_revision(value):
            raise checker.fail(key, f"{value!r} is not a revision like 4.0")
    examples = checker.get("examples", LocatedDict, {})
    method = checker.get("method", str, choices=HTTP_METHODS)
    resource_errors = checker.get("errors", LocatedList, [])
    for index, key in enumerate(resource_errors):
        if key not in errors:
            raise checker.child("errors", LocatedList).fail(index, f"no error {key!r} in errors")
    shape = checker.get(
        "response_shape", str, "object" if "response" in checker.node else "none", choices=RESPONSE_SHAPES
    )
    response = object_ref("response", method == "GET" and shape != "none")
    if (shape == "none") != (response is None):
        raise checker.fail(
            "response_shape", "a resource answers nothing (none) exactly when it has no response"
        )
    status = checker.get("status", int, 204 if response is None else 200, choices=SUCCESS_STATUSES)
    if status == 204 and response is not None:
        raise checker.fail("status", "204 No Content answers no object")
    behaviour = _behaviour(checker, response)
    binary = checker.get("binary", bool, False)
    if binary and (method != "GET" or behaviour["kind"] != "hook" or shape != "object"):
        # The bytes come from a runtime function, beside the object that describes them.
        raise checker.fail("binary", "a binary resource is a GET of an object answered by a hook")
    return Resource(
        seed=_seed(checker, behaviour, response or object_ref("request", False), objects),
        response_shape=shape,
        binary=binary,
        status=status,
        xml_root=checker.get("xml_root", str, None if shape != "array" else f"{response.xml_element}s"),
        behaviour=behaviour,
        operation=operation,
        method=method,
        path=path,
        from_revision=revision,
        deprecated=checker.get("deprecated", bool, False),
        summary=checker.get("summary", str),
        description=checker.get("description", str, checker.get("summary", str)),
        parameters=tuple(parameters),
        request=object_ref("request", False),
        response=response,
        not_found_error=error_key("not_found_error", "not_found"),
        successor=checker.get("successor", str, None),
        xml_body_from_revision=xml_body_revision,
        examples=dict(examples),
        errors=tuple(resource_errors),
    )


RESPONSE_SHAPES = ("object", "array", "none")
SUCCESS_STATUSES = (200, 201, 204)
# The behaviour kinds the runtime implements, and the fields each takes besides `kind`.
BEHAVIOURS = {"entity": set(), "collection": {"key"}, "job": {"type"}, "hook": {"hook"}}


def _behaviour(checker: _Checker, response: Object | None) -> dict[str, Any]:
    """The runtime behaviour a resource declares; `hook` names a runtime function (checked at start-up)."""
    if "behaviour" not in checker.node:
        raise checker.fail(None, f"missing field 'behaviour' (one of {', '.join(BEHAVIOURS)})")
    bc = checker.child("behaviour")
    kind = bc.get("kind", str, choices=tuple(BEHAVIOURS))
    bc.only({"kind"} | BEHAVIOURS[kind])
    values = {"kind": kind, **{key: bc.get(key, str) for key in sorted(BEHAVIOURS[kind])}}
    if kind == "hook" and not OPERATION.match(values["hook"]):
        raise bc.fail("hook", f"{values['hook']!r} is not a snake_case name")
    if (
        kind == "collection"
        and response is not None
        and values["key"] not in {p.name for p in response.properties}
    ):
        raise bc.fail("key", f"{values['key']!r} is not a property of {response.name}")
    return values


def _seed(
    checker: _Checker, behaviour: dict[str, Any], member: Object | None, objects: dict[str, Object]
) -> Seed | None:
    """A collection's initial members, each a value of its member object (JSON keys) with its own key."""
    if "seed" not in checker.node:
        return None
    if behaviour["kind"] != "collection" or member is None:
        raise checker.fail(
            "seed", "only a collection (behaviour kind collection, with a member object) has a seed"
        )
    seed = checker.child("seed", LocatedList)
    key = next((p for p in member.properties if p.name == behaviour["key"]), None)
    if key is None:
        raise checker.fail(
            "seed", f"{member.name} has no property {behaviour['key']!r}, the collection's key"
        )
    for index, item in enumerate(seed.node):
        try:
            check_value(Kind("object", object=member.name), item, objects, "the member")
        except BodyError as error:
            raise seed.fail(index, str(error)) from None
    _unique(
        seed, [(i, str(item.get(key.json_key, key.default))) for i, item in enumerate(seed.node)], key.name
    )
    return Seed(member, tuple(dict(item) for item in seed.node))


def collection_path(resource: Resource) -> str:
    """The path of the collection a collection route addresses (a member route's path ends with its key)."""
    path = resource.path.rstrip("/")
    return path.rsplit("/", 1)[0] if PATH_PARAMETER.fullmatch(path.rsplit("/", 1)[-1]) else path


def _share_seeds(checker: _Checker, resources: list[Resource]) -> list[Resource]:
    """Every route of a collection gets the seed one of them declares (two declaring it is an error)."""
    declared: dict[str, int] = {}
    for index, resource in enumerate(resources):
        if resource.seed is not None:
            where = collection_path(resource)
            if where in declared:
                raise checker.child(index).fail(
                    "seed", f"the seed of {where} is declared already (item {declared[where]})"
                )
            declared[where] = index
    return [
        (
            replace(r, seed=resources[declared[collection_path(r)]].seed)
            if r.behaviour["kind"] == "collection" and collection_path(r) in declared
            else r
        )
        for r in resources
    ]


def _error(checker: _Checker, key: str) -> ErrorDef:
    checker.only({"status", "code", "message"})
    status = checker.get("status", int)
    if not 400 <= status <= 599:
        raise checker.fail("status", f"{status} is not an error status (400 to 599)")
    code = checker.get("code", str)
    if not IDENTIFIER.match(code):
        raise checker.fail("code", f"{code!r} is not an identifier")
    message = checker.get("message", str)
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(message) if name is not None]
    except ValueError as error:
        raise checker.fail("message", f"not a valid format string: {error}") from None
    for name in fields:
        if not name.isidentifier():
            raise checker.fail("message", f"{{{name}}} is not a plain field name")
    return ErrorDef(key=key, status=status, code=code, message=message)


def build_spec(document: LocatedDict, digest: str) -> Spec:
    """Validate the merged document and turn it into a `Spec`."""
    root = _Checker(document, "")
    root.only(
        {"api", "encodings", "query_options", "status_codes", "objects", "resources", "errors", "choices"}
    )
    api = root.child("api")
    api.only(
        {
            "title",
            "description",
            "base_path",
            "default_revision",
            "server_header",
            "session_cookie",
            "auth_realm",
            "success_status",
            "response_headers",
        }
    )
    headers = api.get("response_headers", LocatedDict, LocatedDict())
    for name, value in headers.items():
        if not (isinstance(name, str) and re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name)):
            raise api.child("response_headers").fail(name, f"{name!r} is not a header name")
        if not isinstance(value, str) or any(c in value for c in "\r\n"):
            raise api.child("response_headers").fail(name, "a header value is one line of text")
    for key in (
        "title",
        "description",
        "base_path",
        "server_header",
        "session_cookie",
        "auth_realm",
        "success_status",
    ):
        api.get(key, str)
    if not is_revision(api.get("default_revision", str)):
        raise api.fail("default_revision", "not a revision like 8.0")

    encodings_checker = root.child("encodings", LocatedList)
    encodings = []
    for index in range(len(encodings_checker.node)):
        ec = encodings_checker.child(index)
        ec.only(set(Encoding.__dataclass_fields__))
        encodings.append(
            Encoding(
                name=ec.get("name", str, choices=("json", "xml")),
                media_types=tuple(ec.get("media_types", LocatedList)),
                charset=ec.get("charset", str),
                prolog=ec.get("prolog", str, ""),
            )
        )
    if [e.name for e in encodings] != ["json", "xml"]:
        raise encodings_checker.fail(None, "expected json then xml")

    query = root.child("query_options")
    query.only({"encode", "select", "value"})
    for key, fields in (
        ("encode", ("name", "binary_value", "binary_media_type")),
        ("select", ("name", "all", "separator")),
        ("value", ("segment", "content_type")),
    ):
        option = query.child(key)
        for name in (*fields, "description"):
            option.get(name, str)

    errors_checker = root.child("errors")
    errors = {key: _error(errors_checker.child(key), key) for key in errors_checker.node}
    for key in HANDLER_ERRORS:
        if key not in errors:
            raise errors_checker.fail(None, f"missing error {key!r}, which the handler answers")

    objects_checker = root.child("objects")
    objects = {}
    object_names = set(objects_checker.node)
    for name in objects_checker.node:
        if not IDENTIFIER.match(str(name)):
            raise objects_checker.fail(name, f"{name!r} is not an identifier")
        objects[name] = _object(objects_checker.child(name), name, object_names)
    for name, obj in objects.items():
        props_checker = objects_checker.child(name).child("properties", LocatedList)
        by_name = {props_checker.node[i]["name"]: i for i in range(len(props_checker.node))}
        for prop in obj.properties:
            _check_values(props_checker.child(by_name[prop.name]), prop, objects)

    resources_checker = root.child("resources", LocatedList)
    resources = [
        _resource(resources_checker.child(i), objects, errors) for i in range(len(resources_checker.node))
    ]
    resources = _share_seeds(resources_checker, resources)
    indexed = list(enumerate(resources))
    _unique(resources_checker, [(i, r.operation) for i, r in indexed], "operation")
    _unique(
        resources_checker, [(i, f"{r.method} {r.path.rstrip('/')}") for i, r in indexed], "method and path"
    )
    by_operation = {r.operation: r for r in resources}
    for index, resource in indexed:
        if resource.successor is None:
            continue
        successor = by_operation.get(resource.successor)
        if successor is None:
            raise resources_checker.child(index).fail("successor", f"no operation {resource.successor!r}")
        # The Link to the successor is filled with this resource's parameters, matched case-insensitively.
        if sorted(p.name.casefold() for p in successor.parameters) != sorted(
            p.name.casefold() for p in resource.parameters
        ):
            raise resources_checker.child(index).fail(
                "successor", "its path parameters differ from this resource's"
            )

    choices = root.child("choices")
    choices.only(set(CHOICES) | {"state_properties", "backup_command", "fleet_identity", "admin_role"})
    values = {key: choices.get(key, kind) for key, kind in CHOICES.items()}
    # The properties that tell how a job ended, in order of preference (optional; default: Status).
    values["state_properties"] = choices.get("state_properties", list, ["Status"])
    if not all(isinstance(name, str) for name in values["state_properties"]):
        raise choices.fail("state_properties", "expected a list of property names")
    # The role that may manage the device's users (optional; the runtime's users feature reads it).
    values["admin_role"] = choices.get("admin_role", str, None)
    # The operations the client CLI's `backup` command chains (optional): create, list, download.
    values["backup_command"] = None
    if "backup_command" in choices.node:
        command = choices.child("backup_command")
        command.only({"create", "list", "download"})
        values["backup_command"] = {key: command.get(key, str) for key in ("create", "list", "download")}
        for key, operation in values["backup_command"].items():
            if operation not in by_operation:
                raise command.fail(key, f"no operation {operation!r}")
        if not by_operation[values["backup_command"]["download"]].binary:
            raise command.fail("download", "the download operation must be a binary resource")
    # A fleet device's generated identity (optional; without it a fleet generates none).
    if "fleet_identity" in choices.node:
        identity = choices.child("fleet_identity")
        identity.only({"hostname", "mac_prefix", "first_device_instance"})
        values["fleet_identity"] = {
            "hostname": identity.get("hostname", str),
            "mac_prefix": identity.get("mac_prefix", str),
            "first_device_instance": identity.get("first_device_instance", int),
        }
        try:
            values["fleet_identity"]["hostname"].format(number=1)
        except (KeyError, IndexError, ValueError) as error:
            raise identity.fail("hostname", f"a format of {{number}} only ({error})") from None
        if not re.fullmatch(r"[0-9A-F]{2}:[0-9A-F]{2}", values["fleet_identity"]["mac_prefix"]):
            raise identity.fail("mac_prefix", "two bytes in upper-case hex, e.g. 02:EC")
        if not 0 <= values["fleet_identity"]["first_device_instance"] < 4194303:
            raise identity.fail("first_device_instance", "a BACnet device instance, 0 to 4194302")
    error_object = objects.get(values["error_object"])
    if error_object is None or {p.name for p in error_object.properties} != {"Code", "Message"}:
        raise choices.fail(
            "error_object", "must name an object of objects with the properties Code and Message"
        )

    status_checker = root.child("status_codes")
    return Spec(
        digest=digest,
        api=dict(api.node),
        encodings=tuple(encodings),
        query_options={key: dict(value) for key, value in query.node.items()},
        status_codes={int(code): status_checker.get(code, str) for code in status_checker.node},
        objects=objects,
        resources=tuple(resources),
        errors=errors,
        choices=values,
    )


def load_spec(spec_dir: Path) -> Spec:
    """Load, validate and return the spec in `spec_dir`; raises SpecError naming file and place."""
    return build_spec(load_documents(spec_dir), spec_digest(spec_dir))
