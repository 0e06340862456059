"""The spec's `resources` section: each resource's path, objects, answer and behaviour."""

from __future__ import annotations

import re
from dataclasses import replace

from ..loader import LocatedDict, LocatedList
from .behaviours import read_behaviour, read_seed, share_seeds
from .checker import Checker, unique
from .names import HTTP_METHODS, OPERATION, PATH_PARAMETER, is_keyword, is_revision
from .parameters import read_parameters
from .spec import ErrorDef, Object, Resource

# A path segment with a parameter: one, with literals (or nothing) before and after it.
PARAMETER_SEGMENT = re.compile(r"[^{}]*\{[^{}]+\}[^{}]*")
RESPONSE_SHAPES = ("object", "array", "none")
SUCCESS_STATUSES = (200, 201, 204)


def read_resources(root: Checker, objects: dict[str, Object], errors: dict[str, ErrorDef]) -> list[Resource]:
    """Every resource of the section: operations and method-and-path unique, successors that exist."""
    resources_checker = root.child("resources", LocatedList)
    resources = [
        read_resource(resources_checker.child(i), objects, errors) for i in range(len(resources_checker.node))
    ]
    resources = share_seeds(resources_checker, resources)
    templated = {PATH_PARAMETER.sub("{}", r.path.rstrip("/")) for r in resources if r.method == "GET"}
    resources = [
        replace(r, shadowed=True) if PATH_PARAMETER.sub("{}", r.path.rstrip("/")) + "/{}" in templated else r
        for r in resources
    ]
    indexed = list(enumerate(resources))
    unique(resources_checker, [(i, r.operation) for i, r in indexed], "operation")
    unique(
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
    return resources


def read_path(checker: Checker) -> str:
    """A resource's path: from /, no empty or $ segment, at most one {parameter} a segment."""
    path = checker.get("path", str)
    if "//" in path or any(segment.startswith("$") for segment in path.split("/")):
        raise checker.fail("path", "a path has no empty segment and no $ segment")
    for segment in path.split("/"):
        if ("{" in segment or "}" in segment) and not PARAMETER_SEGMENT.fullmatch(segment):
            raise checker.fail(
                "path", f"{segment!r}: a segment holds at most one {{parameter}}, literals around it"
            )
    return path


def read_exclusive(checker: Checker, request: Object | None) -> tuple[tuple[str, ...], ...]:
    """`exclusive: [[A, B], ...]`: groups of two or more properties of the request object, each of which a
    body may give one of at most."""
    groups = checker.get("exclusive", LocatedList, [])
    if not groups:
        return ()
    if request is None:
        raise checker.fail("exclusive", "only a resource with a request object has exclusive properties")
    names = {p.name for p in request.properties}
    read = []
    for index, group in enumerate(groups):
        if not (isinstance(group, list) and len(group) >= 2 and all(isinstance(n, str) for n in group)):
            raise checker.child("exclusive", LocatedList).fail(
                index, "expected a list of two or more property names"
            )
        unknown = [name for name in group if name not in names]
        if unknown:
            raise checker.child("exclusive", LocatedList).fail(
                index, f"{request.name} has no property {unknown[0]!r}"
            )
        read.append(tuple(group))
    return tuple(read)


def read_resource(checker: Checker, objects: dict[str, Object], errors: dict[str, ErrorDef]) -> Resource:
    checker.only(set(Resource.__dataclass_fields__))
    path = read_path(checker)
    operation = checker.get("operation", str)
    if not OPERATION.match(operation):
        raise checker.fail("operation", f"{operation!r} is not a snake_case name")
    if is_keyword(operation):
        raise checker.fail(
            "operation", f"{operation!r} is a Python keyword, which cannot name a client method"
        )
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

    parameters = read_parameters(checker, errors)
    request = object_ref("request", False)
    for parameter in parameters:  # the client's method takes both as keyword arguments
        if request and parameter.attr in {p.attr for p in request.properties if p.writable}:
            raise checker.fail(
                "parameters", f"{parameter.name!r} is also a writable property of {request.name}, the request"
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
    behaviour = read_behaviour(checker, response)
    binary = checker.get("binary", bool, False)
    if binary and (method != "GET" or behaviour["kind"] != "hook" or shape != "object"):
        # The bytes come from a runtime function, beside the object that describes them.
        raise checker.fail("binary", "a binary resource is a GET of an object answered by a hook")
    upload = checker.get("upload", str, None)
    if upload is not None and (method not in ("POST", "PUT") or behaviour["kind"] != "hook" or request):
        # The file streams to a runtime function's sink; a JSON or XML request object would be another body.
        raise checker.fail(
            "upload", "an upload is a POST or PUT answered by a hook, without a request object"
        )
    return Resource(
        upload=upload,
        exclusive=read_exclusive(checker, request),
        seed=read_seed(checker, behaviour, response or request, objects),
        response_shape=shape,
        binary=binary,
        status=status,
        xml_root=checker.get(
            "xml_root", str, None if shape != "array" or response is None else f"{response.xml_element}s"
        ),
        behaviour=behaviour,
        operation=operation,
        method=method,
        path=path,
        from_revision=revision,
        deprecated=checker.get("deprecated", bool, False),
        summary=checker.get("summary", str),
        description=checker.get("description", str, checker.get("summary", str)),
        parameters=tuple(parameters),
        request=request,
        response=response,
        not_found_error=error_key("not_found_error", "not_found"),
        successor=checker.get("successor", str, None),
        xml_body_from_revision=xml_body_revision,
        examples=dict(examples),
        errors=tuple(resource_errors),
    )
