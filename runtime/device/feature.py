"""The feature mechanism: a device is assembled from features, each an area of the API in a package of its
own (jobs, backups, clock, info, auth, faults), which brings:

- its hooks: the functions that resources of kind `hook` name in the spec (`behaviour: {kind: hook,
  hook: NAME}`), by that name;
- its control operations (`Operation`): each is a route of the control API (/_emulator/), a method of
  `Emulator` and a method of `EmbeddedServer`, all three made from the one declaration;
- its options: a dataclass (runtime/core/options.py) that the command line, the fleet file and the
  embedded server build alike.

A feature sees the device through `Device`: its state store, its events, its options, and the features
assembled before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Protocol, TypeVar

from ..core.deviceapi import Route
from ..core.multipart import FileSink
from ..core.wire import ApiError
from .events import Events
from .options import DeviceOptions
from .store import SqliteStore, StateStore

F = TypeVar("F", bound="Feature")


@dataclass(frozen=True, slots=True)
class HookCall:
    """What a hook is called with: the route, the request body's values by property name (None without a
    body), whether raw bytes are asked for (encode=bin), and the path and query parameters by their
    Python names (`job_id`)."""

    route: Route
    body: dict[str, Any] | None
    binary: bool
    parameters: Mapping[str, Any]


# What a hook answers: the values of the response's object by property name (a list of them for an array;
# None: no such entity), the bytes asked for, or an upload route's sink, which its file streams to.
HookResult = dict[str, Any] | list[dict[str, Any]] | bytes | FileSink | None
Hook = Callable[[HookCall], HookResult]


class Device(Protocol):
    """What a feature sees of the device it is part of."""

    state: StateStore
    file: SqliteStore | None  # the state file, which features may keep their own state in
    events: Events
    options: DeviceOptions
    api_revision: str

    def feature(self, kind: type[F]) -> F: ...


JsonType = type | tuple[type, ...]


@dataclass(frozen=True)
class BodyField:
    """A field of a control operation's JSON body: its JSON name, the method's keyword, its JSON type
    (`list`: of strings, given to the method as a tuple), the reason given when its value has the wrong
    type (by default `NAME has the wrong type`), and whether the body must give it."""

    name: str
    keyword: str
    type: JsonType
    message: str | None = None
    required: bool = False


def whole_number(text: str) -> int:
    """A path parameter that is a whole number (ASCII digits only); ValueError otherwise."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"not a whole number: {text!r}")
    return int(text)


def not_found(path: str, parameters: Mapping[str, Any]) -> ApiError:
    """The error of an operation whose method answers None or False: nothing at the request's path."""
    return ApiError("not_found", path=path)


@dataclass(frozen=True)
class Operation:
    """A control operation, declared once by its feature.

    `method` and `path` (below /_emulator/; a `{name}` segment is the method's keyword `name`, `{name*}`
    the rest of the path) make its route; `function` names the feature's method, which `Emulator` and
    `EmbeddedServer` offer by that name. `parameters` convert path parameters (a ValueError: `missing`).
    `body` declares the JSON body's fields (`strict`: others are refused; `document`: the whole body is
    one JSON value, the method's keyword `value`); `what` names the body in errors, and `refused` (as a
    format of the arguments) what the method's ValueError refused. `status` and `shows(feature, result)`
    make the answer (`shows` None: 204 without a body); a method answering None or False is `missing`'s
    error; a LookupError is a 404 naming `where` (a format of the arguments); a RuntimeError a 409.
    """

    method: str
    path: str
    function: str
    body: tuple[BodyField, ...] = ()
    strict: bool = True
    document: bool = False
    what: str = "body"
    refused: str | None = None
    parameters: Mapping[str, Callable[[str], Any]] | None = None
    status: int = 200
    shows: Callable[[Any, Any], Any] | None = None
    missing: Callable[[str, Mapping[str, Any]], ApiError] | None = None
    where: str | None = None


class LoopService(Protocol):
    """Something a feature serves on the serving layer's event loop besides HTTP (BACnet/IP's UDP port):
    `bind(host)` takes its address on the device's host at once, in the caller's thread (OSError saying
    which address is taken), `start()` serves on the loop, `close()` lets the address go."""

    def bind(self, host: str) -> None: ...

    async def start(self) -> None: ...

    def close(self) -> None: ...


class Feature:
    """One area of the device. Subclasses set `options` (their dataclass, or None) and `operations`, take
    `(device, options)` when the device assembles itself, and answer their hooks by name."""

    options: ClassVar[type | None] = None
    operations: ClassVar[tuple[Operation, ...]] = ()
    # The hooks that only read their body, keeping and changing nothing of it: a body read before may be
    # handed to them as it is, shared by the requests that sent the same bytes (no copy made).
    reading_hooks: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, device: Device, options: Any) -> None:
        """Made when the device assembles itself: `options` are an instance of the `options` dataclass."""

    def hooks(self) -> Mapping[str, Hook]:
        """The hooks this feature provides, by the name the spec gives them."""
        return {}

    def services(self) -> tuple[LoopService, ...]:
        """What this feature serves on an event loop besides the device API (none unless it says)."""
        return ()

    def busy(self) -> bool:
        """Whether an answer may take long now (an event loop then answers in a worker thread)."""
        return False

    def settle(self) -> None:
        """Before each request: let happen what the clock has brought about since (an install that ended
        reboots the device). Called only of the features that override it; it must be cheap."""
