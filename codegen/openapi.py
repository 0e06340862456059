"""An OpenAPI 3.1 description of the device API, built from the same spec as the code."""

from __future__ import annotations

import functools
import json
from typing import Any

from ..runtime.core.codec import FORMATS, Kind
from .model import Object, Property, Resource, Spec

JSON_TYPES = {"integer": "integer", "number": "number", "string": "string", "boolean": "boolean"}
# Errors each kind of operation can answer, besides its parameters' and not-found errors.
ENTITY_ERRORS = (
    "invalid_query",
    "unknown_select",
    "property_not_found",
    "not_found",
    "not_acceptable",
    "unauthorized",
)
ACTION_ERRORS = (
    "invalid_query",
    "invalid_body",
    "unsupported_media_type",
    "body_too_large",
    "not_acceptable",
    "unauthorized",
)
# The patterns below say exactly what the handler accepts, in the regular-expression syntax that ECMA-262 and
# Python's `re` read alike: it strips whitespace (str.strip) around `encode` and around each `$select` name,
# matches `encode` and property names case-insensitively in ASCII only (`ſtatus` is not `status`).
# Every character that is whitespace lies in the Basic Multilingual Plane.
BMP = 0x10000


def _regex_char(char: str) -> str:
    """One character as a pattern, also inside a character class."""
    if char.isascii() and char.isalnum():
        return char
    if char in "^$\\.*+?()[]{}|/":
        return "\\" + char
    if char.isascii() and char.isprintable() and char not in " -":
        return char
    return f"\\u{ord(char):04x}"


def _char_class(chars: list[str] | tuple[str, ...]) -> str:
    """A character class of `chars` (a run of three or more code points as a range)."""
    codes = sorted({ord(c) for c in chars})
    if len(codes) == 1:
        return _regex_char(chr(codes[0]))
    parts, start = [], 0
    for end in range(len(codes)):
        if end + 1 == len(codes) or codes[end + 1] != codes[end] + 1:
            run = [chr(c) for c in codes[start : end + 1]]
            parts.append(
                f"{_regex_char(run[0])}-{_regex_char(run[-1])}"
                if len(run) > 2
                else "".join(map(_regex_char, run))
            )
            start = end + 1
    return "[" + "".join(parts) + "]"


@functools.cache
def _whitespace() -> str:
    """What str.strip() strips, as a repeated character class."""
    return _char_class([chr(c) for c in range(BMP) if chr(c).isspace()]) + "*"


def _request_schema(resource: Resource) -> dict[str, Any]:
    """The request object's schema, and where the spec says some properties exclude each other, a schema of
    the request's own: no two of a group given together (by any spelling of their keys)."""
    schema = {"$ref": f"#/components/schemas/{resource.reads.name}"}
    if not resource.exclusive:
        return schema
    keys = {p.name: p.json_key for p in resource.reads.properties}

    def given(name: str) -> dict[str, Any]:  # the body has a key that names the property
        return {"not": {"patternProperties": {f"^{_caseless(keys[name])}$": False}}}

    pairs = [(a, b) for group in resource.exclusive for i, a in enumerate(group) for b in group[i + 1 :]]
    together = [{"allOf": [given(a), given(b)]} for a, b in pairs]
    return {"allOf": [schema, {"not": {"anyOf": together}}]}


def _caseless(text: str) -> str:
    """A pattern of every spelling of `text` that differs in the case of its ASCII letters (`[Ss]tatus`): the
    handler matches names in ASCII only (codec.ascii_fold)."""
    return "".join(
        f"[{c.upper()}{c.lower()}]" if c.isascii() and c.isalpha() else _regex_char(c) for c in text
    )


def _names_pattern(obj: Object) -> str:
    """The object's property names, matched as the handler matches them."""
    return "|".join(_caseless(p.name) for p in obj.properties)


def kind_schema(kind: Kind) -> dict[str, Any]:
    """The JSON Schema of a value of `kind`."""
    if kind.type == "object":
        return {"$ref": f"#/components/schemas/{kind.object}"}
    if kind.type == "array":
        return {"type": "array", "items": kind_schema(kind.item_kind), "xml": {"wrapped": True}}
    if kind.type == "link":
        return {
            "type": "object",
            # In XML a link's parts are <Href> and <Name>, as the vendor's examples show.
            "properties": {
                "href": {"type": "string", "xml": {"name": "Href"}},
                "name": {"type": "string", "xml": {"name": "Name"}},
            },
            "xml": {"name": "Link"},
        }
    if kind.type == "enum":
        return {"type": "string", "enum": list(kind.values)}
    if kind.type == "any":
        return {}
    schema: dict[str, Any] = {"type": JSON_TYPES[kind.type]}
    if kind.format is not None:
        schema.update(_FORMATS.get(kind.format, {"format": kind.format}))
    for key in ("minimum", "maximum"):
        if getattr(kind, key) is not None:
            schema[key] = getattr(kind, key)
    if kind.values:  # an integer of a closed list
        schema["enum"] = list(kind.values)
    return schema


def _schema(prop: Property) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": prop.description, **kind_schema(prop.kind)}
    if "$ref" in schema:  # a $ref stands alone in older tools; wrap it so the description stays
        schema = {"description": prop.description, "allOf": [{"$ref": schema["$ref"]}]}
    if not prop.writable:
        schema["readOnly"] = True
    schema["xml"] = {**schema.get("xml", {}), "name": prop.xml_element}
    schema["example"] = prop.example
    return schema


def _object_schema(obj: Object, request: bool) -> dict[str, Any]:
    # `$select` may leave any property out, so none is required.
    schema: dict[str, Any] = {
        "type": "object",
        "description": obj.description,
        "properties": {p.json_key: _schema(p) for p in obj.properties},
        "xml": {"name": obj.xml_element},
    }
    if request:
        # A request body's keys match case-insensitively; any other key, and a read-only one, is refused.
        schema["patternProperties"] = {
            f"^{_caseless(p.json_key)}$": _schema(p) for p in obj.properties if p.writable
        }
        schema["additionalProperties"] = False
    return schema


def _content(
    spec: Spec, obj: Object, examples: dict[str, str], array_root: str | None = None
) -> dict[str, Any]:
    """The answer's content in each encoding: the object, or (with `array_root`) a bare array of it, which
    XML wraps in <array_root>."""
    content = {}
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{obj.name}"}
    if array_root is not None:
        schema = {"type": "array", "items": schema, "xml": {"name": array_root, "wrapped": True}}
    for encoding in spec.encodings:
        media: dict[str, Any] = {"schema": schema}
        if encoding.name in examples:
            text = examples[encoding.name]
            media["example"] = json.loads(text) if encoding.name == "json" else text.strip()
        # The answer carries the media type the request negotiated, so each is described.
        for media_type in encoding.media_types:
            content[media_type] = media
    return content


def _errors(spec: Spec, resource: Resource) -> dict[str, Any]:
    keys = [*(ENTITY_ERRORS if resource.is_entity else ACTION_ERRORS), resource.not_found_error]
    keys += [p.invalid_error for p in resource.parameters] + list(resource.errors)
    by_status: dict[int, list[str]] = {}
    for key in keys:
        error = spec.errors[key]
        codes = by_status.setdefault(error.status, [])
        if error.code not in codes:
            codes.append(error.code)
    return {
        str(status): {
            "description": f"{spec.status_codes.get(status, 'Error')} (codes: {', '.join(codes)})",
            "content": _content(spec, spec.error_object, {}),
        }
        for status, codes in sorted(by_status.items())
    }


def _parameters(spec: Spec, resource: Resource, binary: bool = False) -> list[dict[str, Any]]:
    """The operation's parameters; `binary`: encode also takes the value that asks for raw bytes."""
    params: list[dict[str, Any]] = [
        {
            "name": p.name,
            "in": "path",
            "required": True,
            "description": p.description,
            "schema": kind_schema(p.kind),
        }
        for p in resource.path_parameters
    ]
    params += [
        {
            "name": p.name,
            "in": "query",
            "required": False,
            "description": p.description,
            "schema": kind_schema(p.kind),
        }
        for p in resource.query_parameters
    ]
    encode = spec.query_options["encode"]
    names = [e.name for e in spec.encodings] + ([encode["binary_value"]] if binary else [])
    space = _whitespace()
    params.append(
        {
            "name": encode["name"],
            "in": "query",
            "description": encode["description"] + f" One of {', '.join(names)}, in any case.",
            "schema": {
                "type": "string",
                "pattern": f"^{space}(?:{'|'.join(_caseless(n) for n in names)}){space}$",
                "examples": names,
            },
        }
    )
    return params


# String formats, with the patterns the handler and the codec check (runtime/core/codec.py FORMATS).
_FORMATS = {
    name: {**({"format": name} if name in ("uuid",) else {}), "pattern": f"^{pattern.pattern}$"}
    for name, pattern in FORMATS.items()
}


def _operation(spec: Spec, resource: Resource, suffix: str, extra: list[dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": resource.operation + suffix,
        "summary": resource.summary,
        "description": resource.description + f" From API revision {resource.from_revision}.",
        "parameters": _parameters(spec, resource, resource.binary and not suffix) + extra,
        "responses": {},
        "x-from-revision": resource.from_revision,
    }
    if resource.deprecated:
        operation["deprecated"] = True
    return operation


def _deprecation_headers(spec: Spec, resource: Resource, responses: dict[str, Any]) -> None:
    """A deprecated resource's successful answers say so (RFC 9745), and name the successor (RFC 8594)."""
    if not resource.deprecated:
        return
    headers: dict[str, Any] = {
        "Deprecation": {
            "description": "RFC 9745: the resource is deprecated, since this date.",
            "required": True,
            "schema": {
                "type": "string",
                "pattern": "^@-?[0-9]+$",
                "examples": [f"@{spec.choices['deprecation_date']}"],
            },
        }
    }
    if resource.successor:
        headers["Link"] = {
            "description": f'The successor resource ({resource.successor}), with rel="successor-version", '
            "where the API revision serves it.",
            "schema": {"type": "string"},
        }
    for status, response in responses.items():
        if status.startswith("2"):
            response["headers"] = headers


# Case-folded parameter name -> the resources (in the spec's order) with such a parameter, and its name.
ParameterIndex = dict[str, list[tuple[Resource, str]]]


def parameter_index(spec: Spec) -> ParameterIndex:
    index: ParameterIndex = {}
    for resource in spec.resources:
        for name in dict.fromkeys(p.name for p in resource.path_parameters):  # a link fills path parameters
            users = index.setdefault(name.casefold(), [])
            if not users or users[-1][0] is not resource:  # a resource's first parameter of that name
                users.append((resource, name))
    return index


def _links(index: ParameterIndex, resource: Resource) -> dict[str, Any]:
    """Links from an answer to the operations whose path parameter one of its properties fills (a
    created backup's jobId is the JobId of its job), so that a client or a fuzzer can follow them."""
    links = {}
    for prop in resource.response.properties if resource.response else ():
        for other, param in index.get(prop.name.casefold(), ()):
            if other is resource:
                continue
            for suffix in ("", "_property", "_property_value") if other.serves_properties else ("",):
                links[other.operation + suffix] = {
                    "operationId": other.operation + suffix,
                    "parameters": {param: f"$response.body#/{prop.json_key}"},
                }
    return links


def _paths(spec: Spec, resource: Resource, index: ParameterIndex) -> dict[str, dict[str, Any]]:
    method = resource.method.lower()
    main = _operation(spec, resource, "", [])
    if resource.response is None:
        main["responses"] = {"204": {"description": "Done"}}
    else:
        array_root = resource.xml_root if resource.response_shape == "array" else None
        content = _content(spec, resource.response, resource.examples, array_root)
        if resource.binary:  # encode=bin: the file's bytes
            encode = spec.query_options["encode"]
            content[encode["binary_media_type"]] = {"schema": {"type": "string", "format": "binary"}}
        main["responses"] = {str(resource.status): {"description": "OK", "content": content}}
        if links := _links(index, resource):
            main["responses"][str(resource.status)]["links"] = links
    _deprecation_headers(spec, resource, main["responses"])
    if resource.request is not None:
        main["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _request_schema(resource)}},
        }
    if resource.upload is not None:  # a form whose one field is the file, streamed
        form = {"type": "object", "properties": {resource.upload: {"type": "string", "format": "binary"}}}
        form["required"] = [resource.upload]
        main["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
        main["responses"].update(_errors(spec, resource))
        return {resource.path: {method: main}}
    if not resource.is_entity:
        main["responses"].update(_errors(spec, resource))
        return {resource.path: {method: main}}
    select = spec.query_options["select"]
    space, sep = _whitespace(), "".join(map(_regex_char, select["separator"]))
    item = f"{space}(?:{''.join(map(_regex_char, select['all']))}|{_names_pattern(resource.answers)})?{space}"
    main["parameters"].append(
        {
            "name": select["name"],
            "in": "query",
            "description": select["description"]
            + " Names match case-insensitively; an unknown one is refused.",
            "schema": {"type": "string", "pattern": f"^{item}(?:{sep}{item})*$"},
            "example": ",".join(p.name.lower() for p in resource.answers.properties),
        }
    )
    main["responses"].update(_errors(spec, resource))
    if not resource.serves_properties:
        return {resource.path: {method: main}}
    names = [p.name.lower() for p in resource.answers.properties]
    property_param = {
        "name": "property",
        "in": "path",
        "required": True,
        "description": f"A property of the object ({', '.join(names)}), matched case-insensitively.",
        "schema": {
            "type": "string",
            "pattern": f"^(?:{_names_pattern(resource.answers)})$",
            "examples": names,
        },
    }
    base = resource.path.rstrip("/")
    prop = _operation(spec, resource, "_property", [property_param])
    prop["responses"] = {"200": {"description": "OK", "content": _content(spec, resource.answers, {})}}
    _deprecation_headers(spec, resource, prop["responses"])
    prop["responses"].update(_errors(spec, resource))
    value = _operation(spec, resource, "_property_value", [property_param])
    value["responses"] = {
        "200": {"description": "The raw value", "content": {"text/plain": {"schema": {"type": "string"}}}},
        **_errors(spec, resource),
    }
    _deprecation_headers(spec, resource, value["responses"])
    segment = spec.query_options["value"]["segment"]
    return {
        resource.path: {method: main},
        f"{base}/{{property}}": {method: prop},
        f"{base}/{{property}}/{segment}": {method: value},
    }


def build_openapi(spec: Spec) -> dict[str, Any]:
    """The OpenAPI 3.1 document; its first key names the generator and the spec's hash."""
    paths: dict[str, Any] = {}
    requests = {r.request.name for r in spec.resources if r.request is not None}
    index = parameter_index(spec)
    for resource in spec.resources:
        for path, operations in _paths(spec, resource, index).items():
            paths.setdefault(path, {}).update(operations)
    return {
        "x-generated-by": f"codegen from spec/ (sha256 {spec.digest}); do not edit",
        "openapi": "3.1.0",
        "info": {
            "title": spec.api["title"],
            "version": spec.api["default_revision"],
            "description": spec.api["description"],
        },
        "servers": [{"url": spec.api["base_path"]}],
        "paths": paths,
        "components": {
            "schemas": {name: _object_schema(obj, name in requests) for name, obj in spec.objects.items()},
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
    }
