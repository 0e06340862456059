"""The spec as plain objects: what the templates render (built and validated by codegen/model/build.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...runtime.core.codec import Kind
from ...runtime.core.deviceapi import parse_revision
from .names import snake_case


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
    # Groups of request properties (by name) of which one body gives at most one: the device refuses
    # them together, and the OpenAPI request schema says so.
    exclusive: tuple[tuple[str, ...], ...] = ()
    # Another GET takes {path}/{parameter} (GET /objects beside GET /objects/{objectType}): no properties.
    shadowed: bool = False
    # The multipart/form-data field whose file the resource takes, streamed to its hook (None: none).
    upload: str | None = None

    @property
    def is_entity(self) -> bool:
        """A GET of one object: its properties, $select and $value are served too."""
        return self.method == "GET" and self.response is not None and self.response_shape == "object"

    @property
    def serves_properties(self) -> bool:
        """Whether {path}/{property} and its $value are served: below the API's root, a path names a
        resource or nothing, so the root (path "/") serves none."""
        return self.is_entity and self.path != "/" and not self.shadowed

    @property
    def path_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def query_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "query")

    @property
    def revision(self) -> tuple[int, int]:
        return parse_revision(self.from_revision)

    @property
    def answers(self) -> Object:
        """The object the resource answers (one that answers values has it: the loader sees to it)."""
        if self.response is None:
            raise TypeError(f"{self.operation} answers no object")
        return self.response

    @property
    def reads(self) -> Object:
        """The object of the resource's request body (one that takes a body has it)."""
        if self.request is None:
            raise TypeError(f"{self.operation} takes no body")
        return self.request


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
    # Differences from the vendor's pages that the spec accepts (`python -m codegen pages --check`): the
    # difference ("METHOD /path Object.Property") and the reason.
    page_differences: dict[str, str] = field(default_factory=dict)
    error_object: Object = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "error_object", self.objects[self.choices["error_object"]])
