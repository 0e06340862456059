"""An OpenAPI 3.1 description of the device API, built from the same spec as the code."""

from __future__ import annotations

import json
from typing import Any

from .model import Object, Property, Resource, Spec

JSON_TYPES = {"integer": "integer", "number": "number", "string": "string", "boolean": "boolean"}
# Errors each kind of operation can answer, besides its parameters' and not-found errors.
ENTITY_ERRORS = ("invalid_query", "unknown_select", "property_not_found", "not_found", "not_acceptable", "unauthorized")
ACTION_ERRORS = ("invalid_query", "invalid_body", "unsupported_media_type", "body_too_large", "not_acceptable", "unauthorized")


def _schema(prop: Property) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": prop.description}
    if prop.type == "array":
        schema.update(type="array", items={"type": JSON_TYPES[prop.items]})
    else:
        schema["type"] = JSON_TYPES[prop.type]
    for key in ("format", "minimum", "maximum"):
        if getattr(prop, key) is not None:
            schema[key] = getattr(prop, key)
    schema["xml"] = {"name": prop.xml_element}
    schema["example"] = prop.example
    return schema


def _object_schema(obj: Object) -> dict[str, Any]:
    # `$select` may leave any property out, so none is required.
    return {
        "type": "object",
        "description": obj.description,
        "properties": {p.json_key: _schema(p) for p in obj.properties},
        "xml": {"name": obj.xml_element},
    }


def _content(spec: Spec, obj: Object, examples: dict[str, str]) -> dict[str, Any]:
    content = {}
    for encoding in spec.encodings:
        media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{obj.name}"}}
        if encoding.name in examples:
            text = examples[encoding.name]
            media["example"] = json.loads(text) if encoding.name == "json" else text.strip()
        content[encoding.media_types[0]] = media
    return content


def _errors(spec: Spec, resource: Resource) -> dict[str, Any]:
    keys = [*(ENTITY_ERRORS if resource.is_entity else ACTION_ERRORS), resource.not_found_error]
    keys += [p.invalid_error for p in resource.parameters]
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


def _parameters(spec: Spec, resource: Resource) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": p.name,
            "in": "path",
            "required": True,
            "description": p.description,
            "schema": {"type": p.type, **({"format": p.format} if p.format else {})},
        }
        for p in resource.parameters
    ]
    encode = spec.query_options["encode"]
    params.append(
        {
            "name": encode["name"],
            "in": "query",
            "description": encode["description"],
            "schema": {"type": "string", "enum": [e.name for e in spec.encodings]},
        }
    )
    return params


def _operation(spec: Spec, resource: Resource, suffix: str, extra: list[dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": resource.operation + suffix,
        "summary": resource.summary,
        "description": resource.description + f" From API revision {resource.from_revision}.",
        "parameters": _parameters(spec, resource) + extra,
        "responses": {},
        "x-from-revision": resource.from_revision,
    }
    if resource.deprecated:
        operation["deprecated"] = True
    return operation


def _paths(spec: Spec, resource: Resource) -> dict[str, dict[str, Any]]:
    method = resource.method.lower()
    main = _operation(spec, resource, "", [])
    if resource.response is None:
        main["responses"] = {"204": {"description": "Done"}}
    else:
        main["responses"] = {"200": {"description": "OK", "content": _content(spec, resource.response, resource.examples)}}
    if resource.request is not None:
        main["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{resource.request.name}"}}},
        }
    if not resource.is_entity:
        main["responses"].update(_errors(spec, resource))
        return {resource.path: {method: main}}
    select = spec.query_options["select"]
    main["parameters"].append(
        {
            "name": select["name"],
            "in": "query",
            "description": select["description"],
            "schema": {"type": "string"},
            "example": ",".join(p.name.lower() for p in resource.response.properties),
        }
    )
    main["responses"].update(_errors(spec, resource))
    names = [p.name.lower() for p in resource.response.properties]
    property_param = {
        "name": "property",
        "in": "path",
        "required": True,
        "description": "A property of the object, matched case-insensitively.",
        "schema": {"type": "string", "enum": names},
    }
    base = resource.path.rstrip("/")
    prop = _operation(spec, resource, "_property", [property_param])
    prop["responses"] = {"200": {"description": "OK", "content": _content(spec, resource.response, {})}}
    prop["responses"].update(_errors(spec, resource))
    value = _operation(spec, resource, "_property_value", [property_param])
    value["responses"] = {
        "200": {"description": "The raw value", "content": {"text/plain": {"schema": {"type": "string"}}}},
        **_errors(spec, resource),
    }
    segment = spec.query_options["value"]["segment"]
    return {
        resource.path: {method: main},
        f"{base}/{{property}}": {method: prop},
        f"{base}/{{property}}/{segment}": {method: value},
    }


def build_openapi(spec: Spec) -> dict[str, Any]:
    """The OpenAPI 3.1 document; its first key names the generator and the spec's hash."""
    paths: dict[str, Any] = {}
    for resource in spec.resources:
        for path, operations in _paths(spec, resource).items():
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
            "schemas": {name: _object_schema(obj) for name, obj in spec.objects.items()},
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
    }
