"""The control API under /_emulator/: what a test does to the emulator that no device allows.

Like moto's /moto-api/, it lives outside the device's namespace and speaks JSON only.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote

from .. import generated
from ..generated.handler import CONTENT_TYPES, ApiError, Request, Response, error_response
from ..generated.handler import JSON as JSON_MEDIA_TYPE
from .core.codec import has_type
from .core.router import Router, segments_of
from ..generated.serializers import BodyError, parse_json

from .core.camel import camel_keys
from .clock import ManualClock
from .faults import Fault, fault_document

if TYPE_CHECKING:
    from .app import Emulator
    from .simulator import Job, JobState

PREFIX = "/_emulator"
JSON = CONTENT_TYPES[JSON_MEDIA_TYPE]


def openapi_path() -> Path:
    """The OpenAPI document of the spec being served (--spec and --reload move the generated folder)."""
    return Path(generated.__path__[0]) / "openapi.json"


NUMBER = (int, float)
Params = dict[str, str]  # a route's path parameters by name
# The fields of a body: JSON name -> (keyword of the Emulator method, JSON type).
Fields = dict[str, tuple[str, type | tuple[type, ...]]]
SCENARIO_FIELDS: Fields = {
    "duration": ("duration", NUMBER),
    "status": ("status", str),
    "failAt": ("fail_at", int),
    "neverFinish": ("never_finish", bool),
    "dataTypes": ("data_types", list),  # of strings
    # A backup job that leaves this file when it ends OK (the device API's create body).
    "fileName": ("file_name", str),
    "target": ("target", str),
}
FAULT_FIELDS: Fields = {
    "path": ("path", str),
    "method": ("method", str),
    "latency": ("latency", NUMBER),
    "latencyMax": ("latency_max", NUMBER),
    "errorRate": ("error_rate", NUMBER),
    "status": ("status", int),
    "retryAfter": ("retry_after", int),
    "dropRate": ("drop_rate", NUMBER),
}


def job_document(job: Job, state: JobState) -> dict[str, Any]:
    """A job as the control API shows it (camelCase keys, like the device API's JSON)."""
    scenario = {key: value for key, value in asdict(job.scenario).items() if value is not None}
    return {
        "jobId": job.id,
        "progress": state.progress,
        "status": state.status,
        "running": state.running,
        "dataTypes": list(job.data_types),
        "startedAt": job.started,
        "scenario": camel_keys(scenario),
    }


def _json(status: int, document: Any) -> Response:
    return Response(status, json.dumps(document, allow_nan=False).encode(), JSON)


def _body(request: Request, what: str) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        document = parse_json(request.body)
    except BodyError as error:
        raise ApiError("invalid_body", object=what, reason=str(error)) from None
    if not isinstance(document, dict):
        raise ApiError("invalid_body", object=what, reason="expected a JSON object")
    return document


def _has_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    if kind is list:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return has_type(value, kind)


def keyword_arguments(document: dict[str, Any], fields: Fields, what: str) -> dict[str, Any]:
    """Keyword arguments of an Emulator method from a control-API body, checked for type."""
    arguments = {}
    for key, value in document.items():
        if key not in fields:
            known = ", ".join(fields)
            raise ApiError("invalid_body", object=what, reason=f"unknown field {key!r} (known: {known})")
        name, kind = fields[key]
        if not _has_type(value, kind):
            raise ApiError("invalid_body", object=what, reason=f"{key} has the wrong type")
        arguments[name] = tuple(value) if kind is list else value
    return arguments


def _call(what: str, method: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Call an Emulator method; its ValueError is the body's fault."""
    try:
        return method(**arguments)
    except (ValueError, OverflowError) as error:  # OverflowError: an integer too large for a float
        raise ApiError("invalid_body", object=what, reason=str(error)) from None


def _create_job(emulator: Emulator, request: Request, params: Params) -> Response:
    arguments = keyword_arguments(_body(request, "scenario"), SCENARIO_FIELDS, "scenario")
    return _json(201, emulator.job(_call("scenario", emulator.create_job, arguments)))


def _list_jobs(emulator: Emulator, request: Request, params: Params) -> Response:
    return _json(200, {"jobs": emulator.jobs()})


def _get_job(emulator: Emulator, request: Request, params: Params) -> Response:
    job = emulator.job(params["id"])
    if job is None:
        raise ApiError("job_not_found", value=params["id"])
    return _json(200, job)


def _reset(emulator: Emulator, request: Request, params: Params) -> Response:
    return _json(200, {"removedJobs": emulator.reset()})


def _clock(emulator: Emulator, request: Request, params: Params) -> Response:
    return _json(200, {"manual": isinstance(emulator.clock, ManualClock), "now": emulator.clock.now()})


def _advance(emulator: Emulator, request: Request, params: Params) -> Response:
    seconds = _body(request, "clock advance").get("seconds")
    if not _has_type(seconds, NUMBER):
        raise ApiError("invalid_body", object="clock advance", reason="seconds must be a number >= 0")
    try:
        return _json(
            200, {"manual": True, "now": _call("clock advance", emulator.advance, {"seconds": seconds})}
        )
    except RuntimeError as error:
        raise ApiError("conflict", reason=str(error)) from None


def _list_faults(emulator: Emulator, request: Request, params: Params) -> Response:
    return _json(200, {"faults": emulator.faults.describe()})


def _add_fault(emulator: Emulator, request: Request, params: Params) -> Response:
    fault = _call("fault", Fault, keyword_arguments(_body(request, "fault"), FAULT_FIELDS, "fault"))
    return _json(201, fault_document(emulator.faults.add(fault), fault))


def _clear_faults(emulator: Emulator, request: Request, params: Params) -> Response:
    emulator.clear_faults()
    return Response(204)


def _remove_fault(emulator: Emulator, request: Request, params: Params) -> Response:
    fault_id = params["id"]
    if not (fault_id.isascii() and fault_id.isdigit() and emulator.remove_fault(int(fault_id))):
        raise ApiError("not_found", path=f"{PREFIX}/faults/{fault_id}")
    return Response(204)


def _list_requests(emulator: Emulator, request: Request, params: Params) -> Response:
    return _json(200, {"requests": emulator.requests()})


def _clear_requests(emulator: Emulator, request: Request, params: Params) -> Response:
    emulator.clear_requests()
    return Response(204)


def _state_call(emulator: Emulator, method: Callable[..., Any], params: Params, *value: Any) -> Any:
    """An Emulator state method on the device path the route matched; its LookupError is a 404, its
    ValueError the body's fault (a 400 naming why)."""
    path = "/" + unquote(params["path"], errors="replace")
    try:
        return method(path, *value)
    except LookupError as error:
        raise ApiError("not_found", path=f"{PREFIX}/state{path}: {error}") from None
    except ValueError as error:
        raise ApiError("invalid_body", object=f"state of {path}", reason=str(error)) from None


def _get_state(emulator: Emulator, request: Request, params: Params) -> Response:
    return _json(200, _state_call(emulator, emulator.get_state, params))


def _set_state(emulator: Emulator, request: Request, params: Params) -> Response:
    try:
        document = parse_json(request.body)
    except BodyError as error:
        raise ApiError("invalid_body", object="state", reason=str(error)) from None
    return _json(200, _state_call(emulator, emulator.set_state, params, document))


def _restore_state(emulator: Emulator, request: Request, params: Params) -> Response:
    _state_call(emulator, emulator.restore_state, params)
    return Response(204)


def _usb(emulator: Emulator, request: Request, params: Params) -> Response:
    if request.method == "POST":
        inserted = _body(request, "USB key").get("inserted")
        if not isinstance(inserted, bool):
            raise ApiError("invalid_body", object="USB key", reason="inserted must be true or false")
        emulator.set_usb_key(inserted)
    return _json(200, {"inserted": emulator.backups.usb_key})


def _set_backup_file(emulator: Emulator, request: Request, params: Params) -> Response:
    level = _body(request, "backup file").get("compatibility")
    if not isinstance(level, str):
        raise ApiError("invalid_body", object="backup file", reason="compatibility must be a string")
    target, name = params["target"], params["name"]
    document = _call(
        "backup file", emulator.set_backup_compatibility, {"name": name, "level": level, "target": target}
    )
    if document is None:
        raise ApiError("not_found", path=f"{PREFIX}/backups/{target}/{name}")
    return _json(200, document)


def _openapi(emulator: Emulator, request: Request, params: Params) -> Response:
    return Response(200, emulator.openapi(), JSON)


Action = Callable[["Emulator", Request, Params], Response]
# (method, path below PREFIX with {parameters}, action): the same router as the device API's.
ROUTES: tuple[tuple[str, str, Action], ...] = (
    ("GET", "/jobs", _list_jobs),
    ("POST", "/jobs", _create_job),
    ("GET", "/jobs/{id}", _get_job),
    ("POST", "/reset", _reset),
    ("GET", "/clock", _clock),
    ("POST", "/clock/advance", _advance),
    ("GET", "/faults", _list_faults),
    ("POST", "/faults", _add_fault),
    ("DELETE", "/faults", _clear_faults),
    ("DELETE", "/faults/{id}", _remove_fault),
    ("GET", "/requests", _list_requests),
    ("DELETE", "/requests", _clear_requests),
    ("GET", "/openapi.json", _openapi),
    ("GET", "/state/{path*}", _get_state),  # path*: the rest of the path, a device path
    ("PUT", "/state/{path*}", _set_state),
    ("DELETE", "/state/{path*}", _restore_state),
    ("GET", "/usb", _usb),
    ("POST", "/usb", _usb),
    ("POST", "/backups/{target}/{name}", _set_backup_file),
)
ROUTER = Router()
for _method, _path, _action in ROUTES:
    ROUTER.add(_method, segments_of(_path), _action)


def respond(emulator: Emulator, request: Request) -> Response:
    """Answer a request whose path starts with PREFIX."""
    path = request.target.partition("?")[0]
    try:
        action, params = ROUTER.resolve(request.method, path[len(PREFIX) :], path.rstrip("/"))
        return action(emulator, request, params)
    except ApiError as error:
        return error_response(error.key, headers=error.headers, **error.fields)
