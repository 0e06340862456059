"""The control API under /_emulator/: what a test does to the emulator that no device allows.

Like moto's /moto-api/, it lives outside the device's namespace and speaks JSON only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import generated
from generated.handler import ApiError, Request, Response, error_response

from .clock import ManualClock

if TYPE_CHECKING:
    from .app import Emulator

PREFIX = "/_emulator"
JSON = "application/json;charset=UTF-8"
OPENAPI = Path(generated.__file__).with_name("openapi.json")
# Fields of a scenario in a request body, with their JSON types, as Scenario takes them.
SCENARIO_FIELDS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "duration": ("duration", (int, float)),
    "status": ("status", str),
    "failAt": ("fail_at", int),
    "neverFinish": ("never_finish", bool),
    "dataTypes": ("data_types", list),  # of strings
}


def _json(status: int, document: Any) -> Response:
    return Response(status, json.dumps(document).encode(), JSON)


def _body(request: Request, what: str) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        document = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ApiError("invalid_body", object=what, reason=f"not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ApiError("invalid_body", object=what, reason="expected a JSON object")
    return document


def _has_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    if kind is list:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def scenario_arguments(document: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of Emulator.create_job from a control-API body, checked for type."""
    arguments = {}
    for key, value in document.items():
        if key not in SCENARIO_FIELDS:
            known = ", ".join(SCENARIO_FIELDS)
            raise ApiError("invalid_body", object="scenario", reason=f"unknown field {key!r} (known: {known})")
        name, kind = SCENARIO_FIELDS[key]
        if not _has_type(value, kind):
            raise ApiError("invalid_body", object="scenario", reason=f"{key} has the wrong type")
        arguments[name] = tuple(value) if kind is list else value
    return arguments


def _create_job(emulator: Emulator, request: Request, match: re.Match[str]) -> Response:
    try:
        job_id = emulator.create_job(**scenario_arguments(_body(request, "scenario")))
    except ValueError as error:
        raise ApiError("invalid_body", object="scenario", reason=str(error)) from None
    return _json(201, emulator.job(job_id))


def _list_jobs(emulator: Emulator, request: Request, match: re.Match[str]) -> Response:
    return _json(200, {"jobs": emulator.jobs()})


def _get_job(emulator: Emulator, request: Request, match: re.Match[str]) -> Response:
    job = emulator.job(match.group("id"))
    if job is None:
        raise ApiError("job_not_found", value=match.group("id"))
    return _json(200, job)


def _reset(emulator: Emulator, request: Request, match: re.Match[str]) -> Response:
    return _json(200, {"removedJobs": emulator.reset()})


def _clock(emulator: Emulator, request: Request, match: re.Match[str]) -> Response:
    return _json(200, {"manual": isinstance(emulator.clock, ManualClock), "now": emulator.clock.now()})


def _advance(emulator: Emulator, request: Request, match: re.Match[str]) -> Response:
    seconds = _body(request, "clock advance").get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds >= 0:
        raise ApiError("invalid_body", object="clock advance", reason="seconds must be a number >= 0")
    try:
        return _json(200, {"manual": True, "now": emulator.advance(seconds)})
    except RuntimeError as error:
        raise ApiError("conflict", reason=str(error)) from None


def _openapi(emulator: Emulator, request: Request, match: re.Match[str]) -> Response:
    return Response(200, emulator.openapi(), JSON)


Action = Callable[["Emulator", Request, re.Match[str]], Response]
ROUTES: tuple[tuple[str, re.Pattern[str], Action], ...] = (
    ("GET", re.compile(r"^/jobs$"), _list_jobs),
    ("POST", re.compile(r"^/jobs$"), _create_job),
    ("GET", re.compile(r"^/jobs/(?P<id>[^/]+)$"), _get_job),
    ("POST", re.compile(r"^/reset$"), _reset),
    ("GET", re.compile(r"^/clock$"), _clock),
    ("POST", re.compile(r"^/clock/advance$"), _advance),
    ("GET", re.compile(r"^/openapi\.json$"), _openapi),
)


def respond(emulator: Emulator, request: Request) -> Response:
    """Answer a request whose path starts with PREFIX."""
    path = request.target.partition("?")[0][len(PREFIX) :].rstrip("/")
    try:
        matches = [(method, action, m) for method, pattern, action in ROUTES if (m := pattern.match(path))]
        if not matches:
            raise ApiError("not_found", path=PREFIX + path)
        method = "GET" if request.method == "HEAD" else request.method
        for allowed, action, match in matches:
            if allowed == method:
                return action(emulator, request, match)
        allow = ", ".join(sorted({m for m, _, _ in matches}))
        raise ApiError("method_not_allowed", (("Allow", allow),), method=request.method, path=PREFIX + path, allowed=allow)
    except ApiError as error:
        return error_response(error.key, "json", error.headers, **error.fields)
