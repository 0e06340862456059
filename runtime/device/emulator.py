"""The emulator of one device, without any socket: the host the generated handler is given.

`Emulator(**options)` assembles the device from its features (FEATURES): each brings its hooks, its
control operations and its options. `Emulator.answer(request)` answers the device API (generated from
the spec); the control operations are methods of the Emulator, made from the features' declarations.
What the request path takes from the generated handler it looks up through the module (`api.handle`), so
that a spec reload (--reload) takes effect on the next request; what is fixed at start-up (the choices, the
revision) stays.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from pathlib import Path
from urllib.parse import unquote
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, TypeVar

from ...generated import handler as api
from ..auth.authenticator import Authenticator
from ..auth.feature import AuthFeature
from ..bacnet.feature import BacnetFeature
from ..building.feature import BuildingFeature
from ..backups.backups import Backups
from ..backups.feature import BackupsFeature
from ..clock.clocks import Clock
from ..clock.feature import ClockFeature
from ..core.deviceapi import Route, Upload, parse_revision
from ..core.negotiation import Negotiator
from ..core.options import share_out
from ..core.wire import Receiving, Request, Response
from ..faults.faults import FaultInjector, RequestJournal
from ..faults.feature import FaultsFeature
from ..firmware.feature import FirmwareFeature
from ..info.feature import InfoFeature
from ..jobs.feature import JobsFeature
from ..jobs.simulator import JobSimulator, StoreUnavailable
from ..points.feature import PointsFeature
from ..project.feature import ProjectFeature
from ..reboot.feature import RebootFeature
from ..users.feature import UsersFeature
from .behaviours import Behaviours
from .devicedata import device_seeds
from .events import CHANGED, RESET, Events
from .feature import Feature, Hook, LoopService, Operation
from .options import DeviceOptions
from .resources import Resource, resolve
from .store import RETRY_AFTER, SqliteStore, StateStore

logger = logging.getLogger("runtime")
F = TypeVar("F", bound=Feature)

# The device's features, in the order they are assembled (a feature may use those before it).
FEATURES: tuple[type[Feature], ...] = (
    ClockFeature,
    RebootFeature,
    JobsFeature,
    InfoFeature,
    BackupsFeature,
    FirmwareFeature,
    UsersFeature,
    AuthFeature,
    FaultsFeature,
    PointsFeature,
    ProjectFeature,
    BuildingFeature,
    BacnetFeature,
)


def _hide_newer_operations(document: dict[str, Any], revision: tuple[int, int]) -> None:
    """Drop the operations (and the links to them) whose x-from-revision is above `revision`."""
    hidden = set()
    for path, operations in list(document["paths"].items()):
        for method, operation in list(operations.items()):
            if parse_revision(operation["x-from-revision"]) > revision:
                hidden.add(operation["operationId"])
                del operations[method]
        if not operations:
            del document["paths"][path]
    for operations in document["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                links = response.get("links", {})
                for name in [n for n, link in links.items() if link["operationId"] in hidden]:
                    del links[name]


def openapi_path() -> Path:
    """The OpenAPI document of the spec being served (--spec and --reload move the generated folder)."""
    return Path(api.__file__).parent / "openapi.json"


def option_kinds() -> list[type]:
    """The options dataclasses of a device: its own, then its features'."""
    return [DeviceOptions, *(f.options for f in FEATURES if f.options is not None)]


class Emulator:
    """One emulated ECLYPSE controller: its state, its features and its device API.

    The keyword arguments are the options of the device and of its features (`option_kinds()`): those
    of the command line and of `EmbeddedServer`, e.g. api_revision, clock, job_duration, users, usb_key.
    """

    if TYPE_CHECKING:  # the control operations, made from the features' declarations below the class

        def __getattr__(self, name: str) -> Any: ...

    # APIs answered beside the device API, by path prefix (see serve_beside).
    beside: ClassVar[dict[str, Callable[[Emulator, Request], Response]]] = {}

    def __init__(self, **options: Any) -> None:
        own, *shares = share_out(option_kinds(), options)
        self.options = DeviceOptions(**own)
        self.api_revision = self.options.api_revision or api.DEFAULT_REVISION
        self.revision = parse_revision(self.api_revision)
        seeds = device_seeds(self.options.device_data)  # before the state file opens: a bad file leaves none
        self.events = Events()
        # One state file for the device: its resources and its features' (the jobs').
        self.file = SqliteStore(self.options.state_file) if self.options.state_file is not None else None
        self.state = StateStore(seeds, self.file, lambda path: self.events.emit(CHANGED, path=path))
        self._features: dict[type[Feature], Feature] = {}
        kinds = iter(shares)
        try:
            for kind in FEATURES:
                given = kind.options(**next(kinds)) if kind.options is not None else None
                self._features[kind] = kind(self, given)
        except BaseException:
            self.close()
            raise
        # The features that may be busy (those overriding Feature.busy): asked on every request.
        self._busy = [f for f in self._features.values() if type(f).busy is not Feature.busy]
        # The features that settle what the clock brought about before each request.
        self._settling = [f for f in self._features.values() if type(f).settle is not Feature.settle]
        self.behaviours = Behaviours(self._hooks(), self.state, self.feature(JobsFeature).start)
        self._reading = frozenset().union(*(type(f).reading_hooks for f in self._features.values()))
        self.negotiate = Negotiator(api.MEDIA_TYPES).negotiate
        self._openapi: bytes | None = None

    def _hooks(self) -> dict[str, Hook]:
        hooks: dict[str, Hook] = {}
        for feature in self._features.values():
            for name, hook in feature.hooks().items():
                if name in hooks:
                    raise ValueError(f"two features provide the hook {name!r}")
                hooks[name] = hook
        return hooks

    def services(self) -> list[LoopService]:
        """What the device's features serve on an event loop besides its API (BACnet/IP)."""
        return [service for feature in self._features.values() for service in feature.services()]

    def feature(self, kind: type[F]) -> F:
        """The device's feature of this class (KeyError: not assembled yet, or not a feature of it)."""
        return self._features[kind]  # type: ignore[return-value]  # keyed by its own class

    # The features' parts that tests and scripts reach for, by their names.

    @property
    def clock(self) -> Clock:
        return self.feature(ClockFeature).clock

    @property
    def simulator(self) -> JobSimulator:
        return self.feature(JobsFeature).simulator

    @property
    def backups(self) -> Backups:
        return self.feature(BackupsFeature).backups

    @property
    def auth(self) -> Authenticator | None:
        return self.feature(AuthFeature).authenticator

    @property
    def faults(self) -> FaultInjector:
        return self.feature(FaultsFeature).injector

    @property
    def journal(self) -> RequestJournal:
        return self.feature(FaultsFeature).journal

    @property
    def blocking(self) -> bool:
        """Whether an answer may take long: a change may block on file I/O, and a feature may be busy (a read
        of the backup files settles the backups that ended, thousands maybe). An event loop then answers in
        a worker thread."""
        return self.file is not None or any(feature.busy() for feature in self._busy)

    # Answering

    def invoke(self, route: Route, kwargs: dict[str, Any], body: dict[str, Any] | None, binary: bool) -> Any:
        """The values answering `route`, by its behaviour kind (the generated request path calls this)."""
        return self.behaviours.invoke(route, kwargs, body, binary)

    def shares_body(self, route: Route) -> bool:
        """Whether the route's hook only reads its body (a feature's `reading_hooks`)."""
        return route.behaviour["kind"] == "hook" and route.behaviour["hook"] in self._reading

    def respond(self, request: Request) -> Response | None:
        """Answer one request, waiting out an injected latency in the calling thread (the threaded
        server's way); None: hang up (an injected fault)."""
        response, delay = self.answer(request)
        if delay:
            time.sleep(delay)
        return response

    @classmethod
    def serve_beside(cls, prefix: str, respond: Callable[[Emulator, Request], Response]) -> None:
        """Answer the paths below `prefix` by `respond`, beside the device API (the control API registers
        /_emulator so, in runtime/control/emulator.py): authenticated as the device API is, neither
        faulted nor journaled."""
        cls.beside[prefix] = respond

    def _beside(self, target: str) -> Callable[[Emulator, Request], Response] | None:
        for prefix, respond in self.beside.items():
            if target.startswith(prefix + "/") or target == prefix:
                return respond
        return None

    def streams(self, method: str, target: str) -> bool:
        """Whether the request's body is streamed (an upload route's, runtime/core/deviceapi.py)."""
        return api.API.streams(method, target)

    def receive(self, request: Request) -> Receiving | tuple[Response | None, float]:
        """A streamed request's head: what takes its body, or (the answer, its delay) refusing it at once
        (None: hang up). It is authenticated, faulted and journaled as `answer` does (the journal shows
        status 100 for a body being received)."""
        opened: list[Upload] = []

        def open_upload() -> Response:
            upload = api.API.open_upload(request, self)
            if isinstance(upload, Response):
                return upload
            opened.append(upload)
            return Response(RECEIVING)

        response, delay = self.answer(request, open_upload)
        if opened and response is not None and response.status == RECEIVING:
            return GuardedUpload(opened[0], response.headers)
        for upload in opened:  # opened, then refused on the way out
            upload.abort()
        return response, delay

    def answer(
        self, request: Request, handle: Callable[[], Response] | None = None
    ) -> tuple[Response | None, float]:
        """The answer to one request, and the seconds an injected latency holds it back (an event loop
        waits them out without blocking); None: hang up. Device-API requests go into the journal,
        refused ones included; an API served beside the device's answers those below its prefix.
        `handle` answers the device API instead of the generated handler (an upload's head)."""
        faults = self.feature(FaultsFeature)
        other = self._beside(request.target)
        delay = 0.0
        for feature in self._settling:  # what the clock brought about happens first (an install's end)
            feature.settle()
        if other is None:  # a rebooting device's API is down, then starting (its control API answers)
            rebooting, instead = self.feature(RebootFeature).unavailable(request, self)
            if rebooting:
                faults.journal.record(request, 0 if instead is None else instead.status)
                return instead, 0.0
        response: Response | None
        try:
            added = self.feature(AuthFeature).authenticate(request)
            if added is None:
                challenge = [("WWW-Authenticate", f'basic realm="{api.AUTH_REALM}"')]
                response = api.negotiated_error(request, self, "unauthorized", challenge)
            elif other is not None:
                response = other(self, request)
            else:
                response, delay = faults.answer(request, handle or (lambda: api.handle(request, self)), self)
            if response is not None and added:
                response.headers.extend(added)
        except StoreUnavailable as error:  # the state file is locked by another process: retry later
            retry = [("Retry-After", str(RETRY_AFTER))]
            response = api.negotiated_error(request, self, "unavailable", retry, reason=error.reason)
        except Exception as error:  # a bug of the emulator: log it, answer in the API's own words
            logger.exception("error answering %s %s", request.method, request.target)
            response = api.error_response("internal_error", reason=type(error).__name__)
        if other is None:
            faults.journal.record(request, 0 if response is None else response.status)
        return response, delay

    def api_reloaded(self) -> None:
        """Take up a regenerated handler: its media types and OpenAPI document may have changed."""
        self.negotiate = Negotiator(api.MEDIA_TYPES).negotiate
        self._openapi = None

    def close(self) -> None:
        """Release the state file, if any."""
        if self.file is not None:
            self.file.close()

    def openapi(self) -> bytes:
        """The generated OpenAPI document, with the revision this emulator serves and, when it has
        users, Basic authentication required of every operation; operations newer than the revision
        served are left out, as they do not exist."""
        if self._openapi is None:
            document = json.loads(openapi_path().read_text(encoding="utf-8"))
            document["info"]["version"] = self.api_revision
            _hide_newer_operations(document, self.revision)
            if self.feature(AuthFeature).authenticator is not None:
                document["security"] = [{name: []} for name in document["components"]["securitySchemes"]]
            self._openapi = json.dumps(document, indent=2).encode()
        return self._openapi

    # The device's own control operations (OPERATIONS below); the features' follow the class.

    def reset(self) -> int:
        """Forget every job, fault and journal entry, and restore every resource's seed; answers how many
        jobs there were."""
        self.state.reset()
        self.events.emit(RESET)
        return self.feature(JobsFeature).simulator.reset()  # the jobs answer how many there were

    def _resource(self, path: str) -> Resource:
        found = resolve(path, self.revision)
        if found is None:
            raise LookupError(f"no entity or collection at {path} (API revision {self.api_revision})")
        return found

    def get_state(self, path: str) -> Any:
        """The stored value of the entity, collection or member at a device path (below the base path),
        as the device's JSON shows it; LookupError when there is none."""
        resource = self._resource(path)
        values = resource.read(self.state.get)
        if values is None:
            raise LookupError(f"no member {resource.member!r} in the collection {resource.path}")
        return resource.document(values)

    def set_state(self, path: str, value: Any) -> Any:
        """Replace the stored value at a device path with a JSON document (the device's keys), checked as
        the device checks a body (ValueError saying why; read-only properties may be given); answers
        the new value as get_state does."""
        resource = self._resource(path)
        values = resource.parse(value)
        resource.write(self.state, values)
        return resource.document(values)

    def restore_state(self, path: str) -> None:
        """Put the seed (the spec's defaults and the device data) back at a device path."""
        self._resource(path).restore(self.state)


# The status a journaled upload head shows while its body is being received.
RECEIVING = 100


class GuardedUpload:
    """An upload's Receiving as the serving cores use it: what goes wrong inside is answered as `answer`
    answers it (the state file locked: 503; a bug: 500, logged), and the authentication's headers (a
    session cookie) go with its answer."""

    def __init__(self, upload: Upload, headers: list[tuple[str, str]]) -> None:
        self.upload, self.headers = upload, headers

    def _guarded(self, step: Callable[[], Response | None]) -> Response | None:
        try:
            response = step()
        except StoreUnavailable as error:
            self.upload.abort()
            retry = [("Retry-After", str(RETRY_AFTER))]
            response = api.error_response("unavailable", headers=retry, reason=error.reason)
        except Exception as error:
            logger.exception("error receiving an upload")
            self.upload.abort()
            response = api.error_response("internal_error", reason=type(error).__name__)
        if response is not None:
            response.headers.extend(self.headers)
        return response

    def write(self, data: bytes) -> Response | None:
        return self._guarded(lambda: self.upload.write(data))

    def finish(self) -> Response:
        response = self._guarded(self.upload.finish)
        assert response is not None
        return response

    def abort(self) -> None:
        self.upload.abort()


def state_path(text: str) -> str:
    """The device path of the control API's /state/{path*}: the rest of the request's path, decoded."""
    return "/" + unquote(text, errors="replace")


def as_it_is(_: object, document: Any) -> Any:
    """An operation's answer that is its method's result as it is."""
    return document


# The device's own control operations: its reset, its resources' state, its OpenAPI document.
OPERATIONS: tuple[Operation, ...] = (
    Operation("POST", "/reset", "reset", shows=lambda _, removed: {"removedJobs": removed}),
    Operation("GET", "/openapi.json", "openapi", shows=as_it_is),
    Operation(
        "GET",
        "/state/{path*}",
        "get_state",
        parameters={"path": state_path},
        shows=as_it_is,
        refused="state of {path}",
        where="/state{path}",
    ),
    Operation(
        "PUT",
        "/state/{path*}",
        "set_state",
        parameters={"path": state_path},
        document=True,
        what="state",
        refused="state of {path}",
        shows=as_it_is,
        where="/state{path}",
    ),
    Operation(
        "DELETE",
        "/state/{path*}",
        "restore_state",
        parameters={"path": state_path},
        refused="state of {path}",
        where="/state{path}",
    ),
)


def operations() -> Iterator[tuple[type[Feature] | None, Operation]]:
    """Every control operation of a device, with the feature declaring it (None: the device itself)."""
    yield from ((None, operation) for operation in OPERATIONS)
    for kind in FEATURES:
        yield from ((kind, operation) for operation in kind.operations)


def performer(kind: type[Feature] | None, operation: Operation) -> Callable[[Emulator], Callable[..., Any]]:
    """Where a device's operation is carried out: its feature's method (or the device's own)."""
    if kind is None:
        return lambda emulator: getattr(emulator, operation.function)
    return lambda emulator: getattr(emulator.feature(kind), operation.function)


def _offer(kind: type[Feature], operation: Operation) -> None:
    """Emulator.<function>: the feature's method, with its signature and its docstring."""
    method = getattr(kind, operation.function)

    @functools.wraps(method)
    def offered(self: Emulator, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.feature(kind), operation.function)(*args, **kwargs)

    if hasattr(Emulator, operation.function):
        raise TypeError(f"two control operations are named {operation.function}")
    setattr(Emulator, operation.function, offered)


for _kind in FEATURES:
    for _operation in _kind.operations:
        _offer(_kind, _operation)
