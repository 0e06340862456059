"""The fleet control API (`--fleet-control HOST:PORT`), on an address of its own: a device's own
/_emulator/ is unreachable while the device is offline or hung, this one is not.

    GET    /_fleet/devices[?offset=&limit=]     the devices this process serves, with their condition
    GET    /_fleet/devices/{index}              one device, with its device data
    POST   /_fleet/devices/{index}/offline      connections refused (its listening socket closed)
    POST   /_fleet/devices/{index}/hang         accepts, never answers
    POST   /_fleet/devices/{index}/reboot       {"seconds": N}: drops connections, fails running jobs,
                                                503 for N seconds of its clock
    POST   /_fleet/devices/{index}/online       back to normal
    GET    /_fleet/requests[?device=&limit=]    the journal of every device, naming the device
    DELETE /_fleet/requests
    POST   /_fleet/clock/advance                {"seconds": N}: every device's manual clock
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Protocol, Sequence, overload
from urllib.parse import parse_qs

from ...generated.handler import error_response
from ..core.codec import finite_number
from ..core.router import Router, segments_of
from ..core.wire import ApiError, Request, Response
from .emulator import Params, json_body, json_response, json_type

NUMBER = (int, float)


class Device(Protocol):
    """What the fleet control API sees of a device of the fleet (runtime/fleet/fleet.py FleetDevice)."""

    index: int

    @property
    def device_data(self) -> Mapping[str, Any]: ...

    def describe(self) -> dict[str, Any]: ...

    def apply(self, action: str, seconds: float = 0.0) -> None: ...


class Fleet(Protocol):
    """What the fleet control API sees of the fleet (runtime/fleet/fleet.py Fleet)."""

    @property
    def devices(self) -> Sequence[Device]: ...

    @property
    def by_index(self) -> Mapping[int, Device]: ...

    def device(self, index: int) -> Device: ...

    def requests(self, index: int | None = None, limit: int = 1000) -> list[dict[str, Any]]: ...

    def clear_requests(self) -> None: ...

    def advance(self, seconds: float) -> float: ...


PREFIX = "/_fleet"
PAGE = 1000  # devices or journal entries in one answer unless `limit` says otherwise
MAX_DIGITS = 9  # of a number in the query or the path: beyond any fleet's size, and cheap to convert
logger = logging.getLogger("runtime")


def _whole_number(text: str) -> int | None:
    """`text` as a whole number >= 0 of at most MAX_DIGITS digits; None when it is not one."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    return None


@overload
def _query(request: Request, name: str, default: int) -> int: ...


@overload
def _query(request: Request, name: str, default: None) -> int | None: ...


def _query(request: Request, name: str, default: int | None) -> int | None:
    """A query option that is a whole number, or `default` when the query does not give it."""
    values = parse_qs(request.target.partition("?")[2]).get(name)
    if not values:
        return default
    number = _whole_number(values[-1])
    if number is None:
        raise ApiError(
            "invalid_body",
            object="query",
            reason=f"{name} must be a whole number from 0 to {'9' * MAX_DIGITS}",
        )
    return number


def _seconds(request: Request, what: str) -> float:
    seconds = json_body(request, what).get("seconds")
    if not (
        isinstance(seconds, (int, float))
        and json_type(seconds, NUMBER)
        and finite_number(seconds)
        and seconds >= 0
    ):
        raise ApiError("invalid_body", object=what, reason="seconds must be a finite number >= 0")
    return float(seconds)


class FleetControl:
    """The host of the fleet control API's listener: answers on the loop, never blocks."""

    blocking = False

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def answer(self, request: Request) -> tuple[Response, float]:
        path = request.target.partition("?")[0]
        try:
            action, params = ROUTER.resolve(request.method, path, path.rstrip("/"))
            return action(self, request, params), 0.0
        except ApiError as error:
            return error_response(error.key, headers=error.headers, **error.fields), 0.0
        except Exception as error:  # a bug of the emulator: log it, answer in the API's words, keep serving
            logger.exception("error answering %s %s", request.method, request.target)
            return error_response("internal_error", reason=type(error).__name__), 0.0

    def _device(self, params: Params) -> Device:
        index = _whole_number(params["index"])
        if index is None or index not in self.fleet.by_index:
            raise ApiError("not_found", path=f"{PREFIX}/devices/{params['index'][:40]}")
        return self.fleet.device(index)

    def devices(self, request: Request, params: Params) -> Response:
        offset, limit = _query(request, "offset", 0), _query(request, "limit", PAGE)
        page = self.fleet.devices[offset : offset + limit]
        return json_response(200, {"total": len(self.fleet.devices), "devices": [d.describe() for d in page]})

    def device(self, request: Request, params: Params) -> Response:
        device = self._device(params)
        return json_response(200, {**device.describe(), "deviceData": device.device_data})

    def act(self, request: Request, params: Params) -> Response:
        device, action = self._device(params), params["action"]
        if action not in ACTIONS:
            raise ApiError("not_found", path=f"{PREFIX}/devices/{params['index']}/{action}")
        seconds = _seconds(request, "reboot") if action == "reboot" else 0.0
        try:
            device.apply(action, seconds)  # on the loop's thread, where this answers
        except ValueError as error:
            raise ApiError("invalid_body", object=action, reason=str(error)) from None
        return json_response(200, device.describe())

    def requests(self, request: Request, params: Params) -> Response:
        index = _query(request, "device", None)
        if index is not None and index not in self.fleet.by_index:
            raise ApiError("not_found", path=f"{PREFIX}/devices/{index}")
        return json_response(200, {"requests": self.fleet.requests(index, _query(request, "limit", PAGE))})

    def clear_requests(self, request: Request, params: Params) -> Response:
        self.fleet.clear_requests()
        return Response(204)

    def advance(self, request: Request, params: Params) -> Response:
        seconds = _seconds(request, "clock advance")
        try:
            return json_response(200, {"now": self.fleet.advance(seconds)})
        except RuntimeError as error:
            raise ApiError("conflict", reason=str(error)) from None
        except ValueError as error:  # beyond the manual clock's range
            raise ApiError("invalid_body", object="clock advance", reason=str(error)) from None


Action = Callable[[FleetControl, Request, Params], Response]
ACTIONS = ("offline", "hang", "reboot", "online")
# (method, path with {parameters}, action): the router of the device and control APIs.
ROUTES: tuple[tuple[str, str, Action], ...] = (
    ("GET", "/devices", FleetControl.devices),
    ("GET", "/devices/{index}", FleetControl.device),
    ("POST", "/devices/{index}/{action}", FleetControl.act),
    ("GET", "/requests", FleetControl.requests),
    ("DELETE", "/requests", FleetControl.clear_requests),
    ("POST", "/clock/advance", FleetControl.advance),
)
ROUTER = Router()
for _method, _path, _action in ROUTES:
    ROUTER.add(_method, segments_of(PREFIX + _path), _action)
