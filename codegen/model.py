"""The spec as plain objects: what the templates render, validated on the way in."""

from __future__ import annotations

import keyword
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .loader import LocatedDict, LocatedList, SpecError, load_documents, spec_digest

PRIMITIVE_TYPES = {"integer": int, "number": (int, float), "string": str, "boolean": bool}
TYPES = (*PRIMITIVE_TYPES, "array")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REVISION = re.compile(r"^\d+\.\d+$")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
OPERATION = re.compile(r"^[a-z][a-z0-9_]*$")
PATH_PARAMETER = re.compile(r"\{([^{}]*)\}")
PARAMETER_FORMATS = {"uuid", None}
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
# Keyword arguments the generated client and handler already use beside path parameters.
RESERVED_PARAMETERS = {"self", "name", "select", "body", "timeout", "interval", "on_progress", "sleep"}
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
)
CHOICES = {
    "running_status": str,
    "failure_status": str,
    "cancelled_status": str,
    "backup_job_type": str,
    "default_job_duration": (int, float),
    "error_object": str,
    "deprecation_date": int,
}


def revision_tuple(revision: str) -> tuple[int, int]:
    major, minor = revision.split(".")
    return int(major), int(minor)


def snake_case(name: str) -> str:
    """`ApiRevision` -> `api_revision`: the Python name of a property or parameter (`from_` for `From`)."""
    attr = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
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
    items: str | None = None
    format: str | None = None
    minimum: int | None = None
    maximum: int | None = None

    @property
    def attr(self) -> str:
        return snake_case(self.name)


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

    @property
    def attr(self) -> str:
        return snake_case(self.name)


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

    @property
    def is_entity(self) -> bool:
        """A GET of an object: its properties, $select and $value are served too."""
        return self.method == "GET" and self.response is not None

    @property
    def revision(self) -> tuple[int, int]:
        return revision_tuple(self.from_revision)


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
        line = self.node.key_lines.get(key, self.node.line) if isinstance(self.node, LocatedDict) else None
        if isinstance(self.node, LocatedList) and isinstance(key, int):
            line = self.node.item_lines[key]
        if key is None:
            place = self.place
        elif isinstance(self.node, LocatedList):
            place = f"{self.place}[{key}]"
        else:
            place = f"{self.place}.{key}" if self.place else str(key)
        return SpecError(self.node.file, line, place, problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., choices: Any = None) -> Any:
        if key not in self.node:
            if default is ...:
                raise self.fail(None, f"missing field {key!r}")
            return default
        value = self.node[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
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


def _check_value(checker: _Checker, key: str, value: Any, type_: str, items: str | None) -> None:
    if type_ == "array":
        if not isinstance(value, list) or not all(_is_type(v, items) for v in value):
            raise checker.fail(key, f"{value!r} is not an array of {items}")
    elif not _is_type(value, type_):
        raise checker.fail(key, f"{value!r} is not of type {type_}")


def _is_type(value: Any, type_: str | None) -> bool:
    return isinstance(value, PRIMITIVE_TYPES[type_]) and (type_ == "boolean" or not isinstance(value, bool))


def _property(checker: _Checker) -> Property:
    checker.only(set(Property.__dataclass_fields__) - {"json_order", "xml_order"} | {"order"})
    name = checker.get("name", str)
    if not IDENTIFIER.match(name):
        raise checker.fail("name", f"{name!r} is not an identifier")
    type_ = checker.get("type", str, choices=TYPES)
    items = checker.get("items", str, None, choices=PRIMITIVE_TYPES) if type_ == "array" else None
    if type_ == "array" and items is None:
        raise checker.fail("type", "an array needs `items`")
    order = checker.child("order")
    order.only({"json", "xml"})
    methods = checker.get("methods", LocatedList)
    for index, method in enumerate(methods):
        if method not in HTTP_METHODS:
            raise checker.child("methods", LocatedList).fail(index, f"unknown method {method!r}")
    prop = Property(
        name=name,
        type=type_,
        description=checker.get("description", str),
        methods=tuple(methods),
        json_key=checker.get("json_key", str),
        xml_element=checker.get("xml_element", str),
        json_order=order.get("json", int),
        xml_order=order.get("xml", int),
        default=checker.node.get("default"),
        example=checker.node.get("example"),
        items=items,
        format=checker.get("format", str, None, choices=PARAMETER_FORMATS),
        minimum=checker.get("minimum", int, None),
        maximum=checker.get("maximum", int, None),
    )
    for key in ("default", "example"):
        if key not in checker.node:
            raise checker.fail(None, f"missing field {key!r}")
        value = checker.node[key]
        _check_value(checker, key, value, type_, items)
        if prop.minimum is not None and type_ in ("integer", "number") and value < prop.minimum:
            raise checker.fail(key, f"{value} is below the minimum {prop.minimum}")
        if prop.maximum is not None and type_ in ("integer", "number") and value > prop.maximum:
            raise checker.fail(key, f"{value} is above the maximum {prop.maximum}")
    if not XML_NAME.match(prop.xml_element):
        raise checker.fail("xml_element", f"{prop.xml_element!r} is not an XML element name")
    return prop


def _unique(checker: _Checker, values: list[tuple[int, str]], what: str) -> None:
    seen: dict[str, int] = {}
    for index, value in values:
        if value in seen:
            raise checker.fail(index, f"duplicate {what} {value!r} (also item {seen[value]})")
        seen[value] = index


def _object(checker: _Checker, name: str) -> Object:
    checker.only({"xml_element", "description", "properties"})
    props_checker = checker.child("properties", LocatedList)
    if not props_checker.node:
        raise props_checker.fail(None, "an object needs at least one property")
    props = [_property(props_checker.child(i)) for i in range(len(props_checker.node))]
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
            pc.only(set(Parameter.__dataclass_fields__))
            invalid = pc.get("invalid_error", str, "invalid_parameter")
            if invalid not in errors:
                raise pc.fail("invalid_error", f"no error {invalid!r} in errors")
            name = pc.get("name", str)
            if not IDENTIFIER.match(name):
                raise pc.fail("name", f"{name!r} is not an identifier")
            if snake_case(name) in RESERVED_PARAMETERS:
                raise pc.fail("name", f"{name!r} clashes with the client's own argument {snake_case(name)!r}")
            parameters.append(
                Parameter(
                    name=name,
                    type=pc.get("type", str, choices=("string",)),
                    description=pc.get("description", str),
                    format=pc.get("format", str, None, choices=PARAMETER_FORMATS),
                    invalid_error=invalid,
                )
            )
    in_path = PATH_PARAMETER.findall(path)
    declared = [p.name for p in parameters]
    if sorted(in_path) != sorted(declared):
        raise checker.fail("parameters", f"path parameters {in_path} do not match the declared {declared}")
    revision = checker.get("from_revision", str)
    xml_body_revision = checker.get("xml_body_from_revision", str, None)
    for key, value in (("from_revision", revision), ("xml_body_from_revision", xml_body_revision)):
        if value is not None and not REVISION.match(value):
            raise checker.fail(key, f"{value!r} is not a revision like 4.0")
    examples = checker.get("examples", LocatedDict, {})
    method = checker.get("method", str, choices=HTTP_METHODS)
    resource_errors = checker.get("errors", LocatedList, [])
    for index, key in enumerate(resource_errors):
        if key not in errors:
            raise checker.child("errors", LocatedList).fail(index, f"no error {key!r} in errors")
    return Resource(
        operation=operation,
        method=method,
        path=path,
        from_revision=revision,
        deprecated=checker.get("deprecated", bool, False),
        summary=checker.get("summary", str),
        description=checker.get("description", str),
        parameters=tuple(parameters),
        request=object_ref("request", False),
        response=object_ref("response", method == "GET"),
        not_found_error=error_key("not_found_error", "not_found"),
        successor=checker.get("successor", str, None),
        xml_body_from_revision=xml_body_revision,
        examples=dict(examples),
        errors=tuple(resource_errors),
    )


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
    root.only({"api", "encodings", "query_options", "status_codes", "objects", "resources", "errors", "choices"})
    api = root.child("api")
    api.only({"title", "description", "base_path", "default_revision", "server_header", "session_cookie", "auth_realm", "success_status"})
    for key in ("title", "description", "base_path", "server_header", "session_cookie", "auth_realm", "success_status"):
        api.get(key, str)
    if not REVISION.match(api.get("default_revision", str)):
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
    for key, fields in (("encode", ("name",)), ("select", ("name", "all", "separator")), ("value", ("segment", "content_type"))):
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
    for name in objects_checker.node:
        if not IDENTIFIER.match(str(name)):
            raise objects_checker.fail(name, f"{name!r} is not an identifier")
        objects[name] = _object(objects_checker.child(name), name)

    resources_checker = root.child("resources", LocatedList)
    resources = [
        _resource(resources_checker.child(i), objects, errors) for i in range(len(resources_checker.node))
    ]
    indexed = list(enumerate(resources))
    _unique(resources_checker, [(i, r.operation) for i, r in indexed], "operation")
    _unique(resources_checker, [(i, f"{r.method} {r.path.rstrip('/')}") for i, r in indexed], "method and path")
    by_operation = {r.operation: r for r in resources}
    for index, resource in indexed:
        if resource.successor is None:
            continue
        successor = by_operation.get(resource.successor)
        if successor is None:
            raise resources_checker.child(index).fail("successor", f"no operation {resource.successor!r}")
        # The Link to the successor is filled with this resource's parameters, matched case-insensitively.
        if sorted(p.name.casefold() for p in successor.parameters) != sorted(p.name.casefold() for p in resource.parameters):
            raise resources_checker.child(index).fail("successor", "its path parameters differ from this resource's")

    choices = root.child("choices")
    choices.only(set(CHOICES) | {"state_properties"})
    values = {key: choices.get(key, kind) for key, kind in CHOICES.items()}
    # The properties that tell how a job ended, in order of preference (optional; default: Status).
    values["state_properties"] = choices.get("state_properties", list, ["Status"])
    if not all(isinstance(name, str) for name in values["state_properties"]):
        raise choices.fail("state_properties", "expected a list of property names")
    error_object = objects.get(values["error_object"])
    if error_object is None or {p.name for p in error_object.properties} != {"Code", "Message"}:
        raise choices.fail("error_object", "must name an object of objects with the properties Code and Message")

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
