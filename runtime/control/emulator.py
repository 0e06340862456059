"""The control API under /_emulator/: what a test does to the emulator that no device allows.

Like moto's /moto-api/, it lives outside the device's namespace and speaks JSON only. Its routes are the
control operations the device and its features declare (runtime/device/feature.py `Operation`), served
through the same router as the device API. Importing this module makes every Emulator answer it, beside
its device API, behind the same authentication.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from ...generated.handler import CONTENT_TYPES, error_response
from ...generated.handler import JSON as JSON_MEDIA_TYPE
from ..core.codec import BodyError, has_type, parse_json
from ..core.router import Router, segments_of
from ..core.wire import ApiError, Request, Response
from ..device.emulator import Emulator, operations, performer
from ..device.feature import BodyField, Feature, JsonType, Operation, not_found

PREFIX = "/_emulator"
JSON = CONTENT_TYPES[JSON_MEDIA_TYPE]
Params = dict[str, str]  # a route's path parameters by name
Action = Callable[[Emulator, Request, Params], Response]


def json_response(status: int, document: Any) -> Response:
    return Response(status, json.dumps(document, allow_nan=False).encode(), JSON)


def json_body(request: Request, what: str) -> dict[str, Any]:
    """A request's JSON object ({} for an empty body); ApiError invalid_body naming `what` otherwise."""
    if not request.body.strip():
        return {}
    try:
        document = parse_json(request.body)
    except BodyError as error:
        raise ApiError("invalid_body", object=what, reason=str(error)) from None
    if not isinstance(document, dict):
        raise ApiError("invalid_body", object=what, reason="expected a JSON object")
    return document


def json_type(value: Any, kind: JsonType) -> bool:
    """Whether a JSON value is of `kind` (`list`: of strings)."""
    if kind is list:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return has_type(value, kind)


def body_arguments(document: Mapping[str, Any], operation: Operation) -> dict[str, Any]:
    """Keyword arguments of an operation's method from its JSON body, checked for type. A strict body
    refuses fields it does not declare; another reads only those it declares."""
    fields = {field.name: field for field in operation.body}
    if operation.strict:
        given: list[tuple[BodyField, Any]] = []
        for key, value in document.items():
            if key not in fields:
                known = ", ".join(fields)
                raise ApiError(
                    "invalid_body", object=operation.what, reason=f"unknown field {key!r} (known: {known})"
                )
            given.append((fields[key], value))
    else:
        given = [
            (f, document.get(f.name))
            for f in operation.body
            if f.required or document.get(f.name) is not None
        ]
    arguments = {}
    for field, value in given:
        if not json_type(value, field.type):
            reason = field.message or f"{field.name} has the wrong type"
            raise ApiError("invalid_body", object=operation.what, reason=reason)
        arguments[field.keyword] = tuple(value) if field.type is list else value
    return arguments


def action(kind: type[Feature] | None, operation: Operation) -> Action:
    """The control route of an operation: its arguments from the request, its method's answer as JSON."""
    method_of = performer(kind, operation)
    converters = operation.parameters or {}

    def act(emulator: Emulator, request: Request, params: Params) -> Response:
        path = request.target.partition("?")[0].rstrip("/")
        missing = operation.missing or not_found
        arguments: dict[str, Any] = {}
        for name, text in params.items():
            try:
                arguments[name] = converters[name](text) if name in converters else text
            except ValueError:
                raise missing(path, params) from None
        if operation.document:
            try:
                arguments["value"] = parse_json(request.body)
            except BodyError as error:
                raise ApiError("invalid_body", object=operation.what, reason=str(error)) from None
        elif operation.body:
            arguments.update(body_arguments(json_body(request, operation.what), operation))
        try:
            result = method_of(emulator)(**arguments)
        except (ValueError, OverflowError) as error:  # OverflowError: an integer too large for a float
            refused = (operation.refused or operation.what).format(**arguments)
            raise ApiError("invalid_body", object=refused, reason=str(error)) from None
        except LookupError as error:
            where = (operation.where or operation.path).format(**arguments)
            raise ApiError("not_found", path=f"{PREFIX}{where}: {error}") from None
        except RuntimeError as error:
            raise ApiError("conflict", reason=str(error)) from None
        if operation.missing is not None and (result is None or result is False):
            raise operation.missing(path, params)
        if operation.shows is None:
            return Response(204)
        document = operation.shows(emulator if kind is None else emulator.feature(kind), result)
        if isinstance(document, bytes):
            return Response(operation.status, document, JSON)
        return json_response(operation.status, document)

    return act


# (method, path below PREFIX with {parameters}, action): the same router as the device API's.
ROUTES: tuple[tuple[str, str, Action], ...] = tuple(
    (operation.method, operation.path, action(kind, operation)) for kind, operation in operations()
)
ROUTER = Router()
for _method, _path, _action in ROUTES:
    ROUTER.add(_method, segments_of(_path), _action)


def respond(emulator: Emulator, request: Request) -> Response:
    """Answer a request whose path starts with PREFIX."""
    path = request.target.partition("?")[0]
    try:
        act, params = ROUTER.resolve(request.method, path[len(PREFIX) :], path.rstrip("/"))
        return act(emulator, request, params)
    except ApiError as error:
        return error_response(error.key, headers=error.headers, **error.fields)


Emulator.serve_beside(PREFIX, respond)  # the device answers its control API beside its own
