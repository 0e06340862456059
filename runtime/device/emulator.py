"""The emulator of one device, without any socket: the host the generated handler is given.

`Emulator.respond(request)` answers the device API (generated from the spec) and the control API;
the same object offers the control operations in Python. What the request path takes from the
generated handler it looks up through the module (`api.handle`), so that a spec reload (--reload) takes
effect on the next request; what is fixed at start-up (the choices, the revision) stays.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any, Mapping

from ..generated import handler as api
from .core.deviceapi import parse_revision
from ..generated.handler import CHOICES, DEFAULT_REVISION, SESSION_COOKIE, SUCCESS_STATUS, Request, Response

from . import control
from .auth import Authenticator
from .clock import Clock, ManualClock, RealClock
from .behaviours import Behaviours
from .backups import Backups
from .device import DeviceBackend
from .device_clock import DeviceClock, parse_instant
from .devicedata import device_seeds
from .faults import Fault, FaultInjector, RequestJournal
from .core.negotiation import Negotiator
from .simulator import JobSimulator, Scenario, StoreUnavailable
from .state import Resource, concrete_path, resolve
from .store import RETRY_AFTER, SqliteStore, StateStore

logger = logging.getLogger("runtime")
CONTROL_PREFIX = control.PREFIX + "/"


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


# The object of the device's identity, which a backup records (spec/info.yaml).
IDENTITY = "DeviceInfo"


def _default_time_zone() -> str:
    """The time zone of a new device: the DateTime object's default (spec/date-time.yaml)."""
    codec = api.CODECS.get("DateTime")
    return codec.field("TimeZone").default if codec is not None else "Etc/GMT"


def make_clock(clock: str | Clock) -> Clock:
    if clock == "real":
        return RealClock()
    if clock == "manual":
        return ManualClock()
    if isinstance(clock, str):
        raise ValueError(f"clock must be 'real', 'manual' or a Clock, not {clock!r}")
    return clock


class Emulator:
    """One emulated ECLYPSE controller: its configuration, its jobs and its two APIs."""

    def __init__(
        self,
        *,
        api_revision: str = DEFAULT_REVISION,
        job_duration: float | None = None,
        clock: str | Clock = "real",
        users: Mapping[str, str] | None = None,
        secure: bool = False,
        state_file: str | Path | None = None,
        max_jobs: int = 1_000_000,
        seed: int | None = None,
        device_data: str | Path | Mapping[str, Any] | None = None,
        usb_key: bool = False,
        device_time: str | None = None,
    ) -> None:
        duration = CHOICES["default_job_duration"] if job_duration is None else job_duration
        if not (math.isfinite(duration) and duration >= 0):
            raise ValueError(f"job duration must be a number of seconds >= 0, not {job_duration!r}")
        if max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, not {max_jobs!r}")
        self.api_revision = api_revision
        self.revision = parse_revision(api_revision)
        self.clock = make_clock(clock)
        seeds = device_seeds(device_data)  # before the state file is opened: a bad file leaves nothing open
        # One state file for the device: its jobs and its resources.
        file = SqliteStore(state_file) if state_file is not None else None
        self.simulator = JobSimulator(
            self.clock,
            default_duration=duration,
            success_status=SUCCESS_STATUS,
            running_status=CHOICES["running_status"],
            failure_status=CHOICES["failure_status"],
            cancelled_status=CHOICES["cancelled_status"],
            max_jobs=max_jobs,
            store=file,
        )
        self.state = StateStore(seeds, file)
        self.device_clock = DeviceClock(
            self.clock,
            self.state,
            _default_time_zone,
            None if device_time is None else parse_instant(device_time),
        )
        self.backups = Backups(
            self.simulator,
            self.state,
            self.device_clock,
            identity=self._identity,
            job_type=CHOICES["backup_job_type"],
            timestamp_format=CHOICES["backup_timestamp_format"],
            usb_key=usb_key,
        )
        self.usb_key_at_start = usb_key
        self.backend = Behaviours(
            self.simulator,
            DeviceBackend(
                self.simulator, api_revision, CHOICES["backup_job_type"], self.backups, self.device_clock
            ),
            self.state,
        )
        self.negotiate = Negotiator(api.MEDIA_TYPES).negotiate
        self.auth = Authenticator(users, cookie_name=SESSION_COOKIE, secure=secure) if users else None
        self.faults = FaultInjector(seed)
        self.journal = RequestJournal()
        self._openapi: bytes | None = None

    def _identity(self) -> dict[str, Any]:
        """The device's identity (the DeviceInfo entity, JSON keys), as a backup records it."""
        route = next((r for r in api.ROUTES if r.response is not None and r.response.name == IDENTITY), None)
        if route is None:
            return {}
        values = self.state.get(concrete_path(route, {}), route.response.defaults)
        return route.response.json_value(values)

    @property
    def blocking(self) -> bool:
        """Whether answering a change may block on file I/O (an event loop then answers it in a thread)."""
        return self.simulator.store is not None

    def respond(self, request: Request) -> Response | None:
        """Answer one request, waiting out an injected latency in the calling thread (the threaded
        server's way); None: hang up (an injected fault)."""
        response, delay = self.answer(request)
        if delay:
            time.sleep(delay)
        return response

    def answer(self, request: Request) -> tuple[Response | None, float]:
        """The answer to one request of the device API or the control API, and the seconds an injected
        latency holds it back (an event loop waits them out without blocking); None: hang up.
        Device-API requests go into the journal, refused ones included."""
        to_control = request.target.startswith(CONTROL_PREFIX) or request.target == control.PREFIX
        delay = 0.0
        try:
            added = self.auth.authenticate(request.headers) if self.auth is not None else []
            if added is None:
                challenge = [("WWW-Authenticate", f'basic realm="{api.AUTH_REALM}"')]
                response = api.negotiated_error(request, self, "unauthorized", challenge)
            elif to_control:
                response = control.respond(self, request)
            else:
                response, delay = self._device_response(request)
            if response is not None and added:
                response.headers.extend(added)
        except StoreUnavailable as error:  # the state file is locked by another process: retry later
            retry = [("Retry-After", str(RETRY_AFTER))]
            response = api.negotiated_error(request, self, "unavailable", retry, reason=error.reason)
        except Exception as error:  # a bug of the emulator: log it, answer in the API's own words
            logger.exception("error answering %s %s", request.method, request.target)
            response = api.error_response("internal_error", reason=type(error).__name__)
        if not to_control:
            self.journal.record(request, 0 if response is None else response.status)
        return response, delay

    def _device_response(self, request: Request) -> tuple[Response | None, float]:
        """The device API's answer after the faults a test injected, and their delay."""
        decision = self.faults.decide(request)
        if decision.drop:
            return None, decision.delay
        if decision.error is None:
            return api.handle(request, self), decision.delay
        fault = decision.error
        retry = [("Retry-After", str(fault.retry_after))] if fault.retry_after is not None else []
        response = api.negotiated_error(
            request, self, "injected_fault", retry, reason=f"error rate {fault.error_rate}"
        )
        response.status = fault.status
        return response, decision.delay

    def api_reloaded(self) -> None:
        """Take up a regenerated handler: its media types and OpenAPI document may have changed."""
        self.negotiate = Negotiator(api.MEDIA_TYPES).negotiate
        self._openapi = None

    def close(self) -> None:
        """Release the state file, if any."""
        if self.simulator.store is not None:
            self.simulator.store.close()

    def openapi(self) -> bytes:
        """The generated OpenAPI document, with the revision this emulator serves and, when it has
        users, Basic authentication required of every operation; operations newer than the revision
        served are left out, as they do not exist."""
        if self._openapi is None:
            document = json.loads(control.openapi_path().read_text(encoding="utf-8"))
            document["info"]["version"] = self.api_revision
            _hide_newer_operations(document, self.revision)
            if self.auth is not None:
                document["security"] = [{name: []} for name in document["components"]["securitySchemes"]]
            self._openapi = json.dumps(document, indent=2).encode()
        return self._openapi

    # The control operations, in Python (the control API calls these too).

    def create_job(
        self,
        *,
        duration: float | None = None,
        status: str | None = None,
        fail_at: int | None = None,
        never_finish: bool = False,
        data_types: tuple[str, ...] = (),
        file_name: str | None = None,
        target: str = "Device",
    ) -> str:
        """Start a job that unfolds as the scenario says (status: the final one, by default the spec's
        success status); answers its id. With a `file_name`, a backup job that leaves that file on
        `target` when it ends OK, as one created through the device API does."""
        duration = self.simulator.default_scenario.duration if duration is None else duration
        status = self.simulator.success_status if status is None else status
        scenario = Scenario(duration, status, fail_at, never_finish)
        if scenario == self.simulator.default_scenario:
            scenario = self.simulator.default_scenario  # one object for every default job: 64 bytes a job
        if file_name is not None:
            body = {"FileName": file_name, "Target": target, "DataTypes": list(data_types)}
            return self.backups.create(body, scenario)
        return self.simulator.create(scenario, data_types).id

    def set_usb_key(self, inserted: bool) -> None:
        """Insert (True) or remove (False) the emulated USB key: the target USB needs one."""
        self.backups.usb_key = inserted

    def set_backup_compatibility(
        self, name: str, level: str, target: str = "device"
    ) -> dict[str, Any] | None:
        """Set a backup file's Compatibility (OK, WARNING_*, ERROR_*); answers the file as its resource
        shows it in JSON, None when there is no such file."""
        if target.lower() not in ("device", "usb"):
            raise ValueError(f"target must be device or usb, not {target!r}")
        if not self.backups.set_compatibility(target, name, level):
            return None
        return api.CODECS["BackupFile"].json_value(self.backups.file(target, name))

    def job(self, job_id: str) -> dict[str, Any] | None:
        """A job as the control API shows it."""
        job = self.simulator.get(job_id)
        return None if job is None else control.job_document(job, self.simulator.state(job))

    def jobs(self) -> list[dict[str, Any]]:
        return [control.job_document(job, self.simulator.state(job)) for job in self.simulator.jobs()]

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

    def reset(self) -> int:
        """Forget every job, fault and journal entry, and restore every resource's seed; answers how many
        jobs there were."""
        self.faults.clear()
        self.journal.clear()
        self.state.reset()
        self.backups.usb_key = self.usb_key_at_start
        return self.simulator.reset()

    def add_fault(self, **fault: Any) -> int:
        """Inject a fault (see faults.Fault: path, method, latency, latency_max, error_rate, status,
        retry_after, drop_rate); answers its id."""
        return self.faults.add(Fault(**fault))

    def remove_fault(self, fault_id: int) -> bool:
        return self.faults.remove(fault_id)

    def clear_faults(self) -> None:
        self.faults.clear()

    def requests(self) -> list[dict[str, Any]]:
        """The journal of device-API requests, oldest first."""
        return self.journal.entries()

    def clear_requests(self) -> None:
        self.journal.clear()

    def advance(self, seconds: float) -> float:
        """Move the manual clock forward; answers the new time."""
        if not isinstance(self.clock, ManualClock):
            raise RuntimeError(
                "the clock is real: start the emulator with --clock manual (EmbeddedServer(clock='manual') embedded)"
            )
        return self.clock.advance(seconds)
