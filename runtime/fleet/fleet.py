"""A fleet: many controllers in one process, each with its own Emulator, address and condition.

On the asyncio core every device is a listener of one LoopHub (one loop, one thread, one sweep), and a
device can fail as a whole: offline (its listening socket closed: connections refused), hung (it accepts
and never answers), rebooting (its connections dropped and new ones refused for some seconds of its clock,
its running jobs failed, then 503 from its device API while it starts: runtime/reboot/) and back online.
A device's own coldStart or warmStart reboots it the same way. The threads core keeps its model, a server and its
threads per device, without device faults.

    with Fleet([DeviceConfig(0), DeviceConfig(1)], clock="manual") as fleet:
        fleet.offline(1)
        fleet.reboot(0, seconds=30)
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import math
import ssl
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ...generated import handler as api
from ..clock.clocks import ManualClock
from ..clock.feature import ClockFeature
from ..control.emulator import PREFIX
from ..control.fleet import ACTIONS, FleetControl
from ..core.options import OPTION, names, share_out
from ..core.wire import Receiving, Request, Response
from ..device.emulator import Emulator, option_kinds
from ..device.events import OFFLINE, ONLINE, REBOOT
from ..faults.feature import FaultsFeature
from ..reboot.feature import MAX_SECONDS, RebootFeature
from ..serving.embedded import DeviceAddress, server_options
from ..serving.evloop import SILENT, Listener, LoopHub
from ..serving.options import ServingOptions
from ..serving.threads import AcceptHub, EmulatorHTTPServer
from ..serving.tls import TlsOptions, tls_context
from .identity import with_identity

MAX_REBOOT_SECONDS = MAX_SECONDS  # a day: longer is a device offline
# A device's own reboot (coldStart) goes down once its answer is out: real seconds it is given.
ANSWER_GRACE = 0.1
# Every device journals the requests it answered (8 MiB at most, runtime/faults/): a fleet shares JOURNAL_BYTES
# among its devices instead, each at least MIN_JOURNAL_BYTES, so that polling a thousand devices for an hour
# does not keep gigabytes of request bodies.
JOURNAL_BYTES = 256 << 20
MIN_JOURNAL_BYTES = 16 << 10


@dataclass(frozen=True)
class ScheduledFault:
    """`action` at `at` seconds of the device's clock after the fleet started; `seconds`: a reboot's boot time."""

    at: float
    action: str
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"a device fault is one of {', '.join(ACTIONS)}, not {self.action!r}")
        for name in ("at", "seconds"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")
        if self.seconds > MAX_REBOOT_SECONDS:
            raise ValueError(f"a reboot takes 0 to {MAX_REBOOT_SECONDS} seconds, not {self.seconds!r}")


def device_option_kinds() -> list[type]:
    """The options dataclasses each device of a fleet has: its Emulator's, and its TLS files."""
    return [*option_kinds(), TlsOptions]


def _device_config() -> type:
    """DeviceConfig: a device's place in the fleet, and every option a device has (its features' included,
    so that an option a feature declares is a device's option with nothing added here)."""
    fields: list[Any] = [
        ("index", int),
        ("host", str, dataclasses.field(default="127.0.0.1")),
        ("port", int, dataclasses.field(default=0)),
        ("schedule", tuple[ScheduledFault, ...], dataclasses.field(default=())),
    ]
    for kind in device_option_kinds():
        for option in dataclasses.fields(kind):
            if OPTION in option.metadata:
                fields.append(
                    (
                        option.name,
                        option.type,
                        dataclasses.field(
                            default=option.default,
                            default_factory=option.default_factory,
                            metadata=option.metadata,
                        ),
                    )
                )
    own = {"index", "host", "port", "schedule"}

    def device_options(self: Any) -> dict[str, Any]:
        """The options of the device's Emulator."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in own and f.name not in names(TlsOptions)
        }

    config = dataclasses.make_dataclass("DeviceConfig", fields, namespace={"device_options": device_options})
    config.__doc__ = """One controller of a fleet. `index` is its place in the whole fleet (all shards), `host`
    and `port` its address, `schedule` its device faults; the rest are a device's options, as the command
    line, the fleet file and EmbeddedServer give them (e.g. users, api_revision, jobs: the default job
    scenario, device_data: initial values by device path, usb_key, tls_cert and tls_key)."""
    config.__module__ = __name__
    return config


DeviceConfig: Any = _device_config()


class WatchedClock(ManualClock):
    """A manual clock that says when it moves, so that a device's schedule follows it."""

    def __init__(self) -> None:
        super().__init__()
        self.moved: Callable[[], None] = lambda: None

    def advance(self, seconds: float) -> float:
        now = super().advance(seconds)
        self.moved()
        return now


class FleetDevice(DeviceAddress):
    """One device of a fleet: what its listener serves (the Emulator, unless the device is failing)."""

    def __init__(self, config: Any, emulator: Emulator, tls: ssl.SSLContext | None) -> None:
        self.config, self.index, self.emulator, self.tls = config, config.index, emulator, tls
        self.listener: Listener | None = None  # the asyncio core's
        self.host, self.port = config.host, config.port
        self.scheme = "https" if tls is not None else "http"
        self.hung = False
        self.reboots = emulator.feature(RebootFeature)
        self.down = False  # closed by a reboot, until its down time has passed
        emulator.events.subscribe(REBOOT, self._rebooting)
        self.schedule = sorted(config.schedule, key=lambda event: event.at)
        self.started = 0.0  # the clock's time when the fleet started: the schedule counts from it

    @property
    def blocking(self) -> bool:
        return self.emulator.blocking

    @property
    def device_data(self) -> Mapping[str, Any]:
        return self.config.device_data

    @property
    def condition(self) -> str:
        phase = self.reboots.phase()
        if phase != "up":
            return "rebooting" if phase == "down" else "booting"
        if self.listener is not None and not self.listener.listening:
            return "offline"
        return "hung" if self.hung else "online"

    def answer(self, request: Request) -> tuple[Response | None, float]:
        if self.hung:
            if not request.target.startswith(PREFIX):
                self.emulator.feature(FaultsFeature).journal.record(request, 0)
            return SILENT, 0.0
        return self.emulator.answer(request)  # 503 while it starts after a reboot (runtime/reboot/)

    def streams(self, method: str, target: str) -> bool:
        return self.emulator.streams(method, target)

    def receive(self, request: Request) -> Receiving | tuple[Response | None, float]:
        """An upload's head (the Emulator's), unanswered by a hung device."""
        if self.hung:
            return self.answer(request)
        return self.emulator.receive(request)

    # Device faults: on the loop's thread (Fleet runs them there).

    @property
    def listening(self) -> Listener:
        """The device's listener, which device faults need (the asyncio core's)."""
        if self.listener is None:
            raise RuntimeError("device faults need the asyncio core, serving")
        return self.listener

    def go_offline(self) -> None:
        self.hung = False
        self.listening.close()
        self.emulator.events.emit(OFFLINE)

    def hang(self) -> None:
        self.hung = True

    def reboot(self, seconds: float) -> None:
        """The reboot fault (a power cycle: a cold start), down for `seconds` of its clock."""
        if not 0 <= seconds <= MAX_REBOOT_SECONDS:
            raise ValueError(f"a reboot takes 0 to {MAX_REBOOT_SECONDS} seconds, not {seconds!r}")
        self.reboots.reboot("cold", seconds)  # REBOOT: what was running stops
        self.go_down()

    def _rebooting(self, **_: Any) -> None:
        """A reboot began (a coldStart request, or the fault): down once its answer is out."""
        if self.listener is not None:
            loop = self.listener.hub.loop
            loop.call_soon_threadsafe(loop.call_later, ANSWER_GRACE, self.go_down)

    def go_down(self) -> None:
        """The socket part of a reboot (on the loop's thread): connections dropped and refused until the
        device's clock passes the reboot's end (the clock's moves or a loop timer bring it back)."""
        if self.reboots.phase() != "down":
            return
        self.hung, self.down = False, True
        self.listening.close()
        if not isinstance(self.emulator.clock, WatchedClock):
            wait = self.reboots.down_until - self.emulator.clock.now()
            self.listening.hub.loop.call_later(max(0.0, wait), self.back_up)

    def back_up(self) -> None:
        """Listen again once a reboot's down time has passed (the rest of its start is the device's 503)."""
        if self.down and self.reboots.phase() != "down":
            self.down = False
            if not self.listening.listening:
                self.listening.reopen()

    def go_online(self) -> None:
        if self.hung:  # the requests it swallowed stay unanswered: their connections go
            self.listening.drop_connections()
        self.hung = self.down = False
        self.reboots.cancel()
        if not self.listening.listening:
            self.listening.reopen()
        self.emulator.events.emit(ONLINE)

    def apply(self, action: str, seconds: float = 0.0) -> None:
        if action == "reboot":
            self.reboot(seconds)
        else:
            {"offline": self.go_offline, "hang": self.hang, "online": self.go_online}[action]()

    def due(self) -> list[ScheduledFault]:
        """The scheduled faults whose time has come, taken off the schedule."""
        now = self.emulator.clock.now() - self.started
        taken = [event for event in self.schedule if event.at <= now]
        del self.schedule[: len(taken)]
        return taken

    def describe(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "address": f"{self.host}:{self.port}",
            "url": self.url,
            "condition": self.condition,
            "apiRevision": self.emulator.api_revision,
        }


class Fleet:
    """Serves devices in a background thread of this process: one event loop for all of them on the
    asyncio core (the default), a server per device on the threads core. `options`: the serving options
    (idle_timeout, request_timeout, write_timeout, max_body_size), and any device option (e.g. max_jobs,
    seed, faults) for every device, over its DeviceConfig's; `control_address`: where the fleet control
    API listens (None: nowhere); `clock`: every device's, "real" or "manual"."""

    def __init__(
        self,
        devices: Sequence[Any],
        *,
        clock: str = "real",
        core: str = "asyncio",
        quiet: bool = True,
        control_address: tuple[str, int] | None = None,
        **options: Any,
    ) -> None:
        serving, *device_shares = share_out(
            [ServingOptions, *device_option_kinds()], {**options, "core": core}
        )
        every_device = {name: value for share in device_shares for name, value in share.items()}
        limits = ServingOptions(**serving).limits()
        if core not in ("asyncio", "threads"):
            raise ValueError(f"core must be asyncio or threads, not {core!r}")
        if core == "threads" and (control_address is not None or any(d.schedule for d in devices)):
            raise ValueError("device faults (a fleet control API, a schedule) need the asyncio core")
        if clock not in ("real", "manual"):
            raise ValueError(f"clock must be 'real' or 'manual', not {clock!r}")
        self.core, self.clock_kind, self.control_address = core, clock, control_address
        self._server_options = server_options(quiet, **limits)
        contexts: dict[tuple[str, str], ssl.SSLContext] = {}  # one per certificate, however many devices
        self.devices: list[FleetDevice] = []
        self._journal_bytes = max(MIN_JOURNAL_BYTES, JOURNAL_BYTES // max(1, len(devices)))
        for config in devices:
            config = replace(config, **every_device)
            # What the device data does not give is generated from the index in the whole fleet and the seed.
            data = with_identity(config.device_data or {}, config.index, config.seed)
            config = replace(config, device_data=data)
            tls = None
            if (config.tls_cert is None) != (config.tls_key is None):
                raise ValueError(f"device {config.index}: HTTPS needs both a TLS certificate and its key")
            if config.tls_cert is not None:
                pair = (config.tls_cert, config.tls_key)
                tls = contexts[pair] = contexts.get(pair) or tls_context(*pair)
            self.devices.append(FleetDevice(config, self._emulator(config, tls), tls))
        self.by_index = {device.index: device for device in self.devices}
        self.hub: LoopHub | None = None
        self.failed: FleetDevice | None = None  # the device whose address could not be listened on
        self.control_listener: Listener | None = None
        self._servers: list[EmulatorHTTPServer] = []
        self.accepter: AcceptHub | None = None  # the threads core's one accepting thread
        self._threads: list[threading.Thread] = []

    def _emulator(self, config: Any, tls: ssl.SSLContext | None) -> Emulator:
        clock = WatchedClock() if self.clock_kind == "manual" else "real"
        emulator = Emulator(**{**config.device_options(), "clock": clock, "secure": tls is not None})
        emulator.journal.max_bytes = min(emulator.journal.max_bytes, self._journal_bytes)
        return emulator

    # Serving

    def start(self) -> Fleet:
        """Listen on every address (OSError naming none: see FleetDevice.host/port of the one that failed,
        `failed`), then serve."""
        try:
            if self.core == "threads":
                self._start_threads()
            else:
                self._start_loop()
        except OSError:
            self.stop()
            raise
        return self

    def _start_loop(self) -> None:
        hub = self.hub = LoopHub(**self._server_options)
        for device in self.devices:
            self.failed = device
            device.listener = hub.listen((device.host, device.port), device, device.tls)
            device.port = device.listener.server_address[1]
            for service in device.emulator.services():  # BACnet/IP: on the same loop
                hub.attach(service, device.host)
        if self.control_address is not None:
            self.failed = None
            self.control_listener = hub.listen(self.control_address, FleetControl(self))
        self.failed = None
        thread = threading.Thread(target=hub.serve_forever, name="eclypse-fleet", daemon=True)
        self._threads.append(thread)
        thread.start()
        if not hub.wait_serving():
            raise OSError("the fleet's event loop stopped before it served")
        hub.call(self._arm_schedules)

    def _start_threads(self) -> None:
        options = self._server_options
        for device in self.devices:
            self.failed = device
            server = EmulatorHTTPServer(
                (device.host, device.port), device.emulator, tls=device.tls, **options
            )
            self._servers.append(server)
            device.port = server.server_address[1]
        self._serve_services()
        self.failed = None
        self.accepter = AcceptHub(self._servers)
        thread = threading.Thread(
            target=self.accepter.serve_forever, name="eclypse-fleet-accept", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _serve_services(self) -> None:
        """The threads core's devices serve BACnet/IP on one loop of their own."""
        hub = self.hub = LoopHub(**self._server_options)  # stop() closes what it bound if one fails
        for device in self.devices:
            self.failed = device
            for service in device.emulator.services():
                hub.attach(service, device.host)
        if not hub.services:
            self.hub = None
            return
        thread = threading.Thread(target=hub.serve_forever, name="eclypse-fleet-services", daemon=True)
        self._threads.append(thread)
        thread.start()
        hub.wait_serving()

    def stop(self) -> None:
        serving = bool(self._threads)  # a failed start listened, but did not serve
        if self.hub is not None:
            if serving:
                self.hub.shutdown()
            self.hub.server_close()
        if serving and self.accepter is not None:
            self.accepter.shutdown()
        self.accepter = None
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._servers, self._threads, self.hub = [], [], None
        for device in self.devices:
            device.emulator.close()

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def control_url(self) -> str | None:
        if self.control_listener is None:
            return None
        host, port = self.control_listener.server_address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    # Schedules: a device's next fault waits on a loop timer (real clock) or on its clock's moves
    # (manual clock); a device without a schedule costs nothing.

    def _arm_schedules(self) -> None:
        for device in self.devices:
            device.started = device.emulator.clock.now()
            clock = device.emulator.clock
            if isinstance(clock, WatchedClock):
                clock.moved = functools.partial(self._moved, device)
            self._run_due(device)

    def _moved(self, device: FleetDevice) -> None:
        if self.hub is not None and (device.schedule or device.down):
            self.hub.call(lambda: self._run_due(device))

    def _run_due(self, device: FleetDevice) -> None:
        device.back_up()
        for event in device.due():
            device.apply(event.action, event.seconds)
        if device.schedule and self.hub is not None and not isinstance(device.emulator.clock, WatchedClock):
            wait = device.schedule[0].at - (device.emulator.clock.now() - device.started)
            self.hub.loop.call_later(max(0.0, wait), self._run_due, device)

    # Device faults, from Python (on the loop's thread, where the listeners live)

    def device(self, index: int) -> FleetDevice:
        """The device of this index in the whole fleet; KeyError when this process does not serve it."""
        return self.by_index[index]

    def _act(self, index: int, action: str, seconds: float = 0.0) -> None:
        device = self.device(index)
        if self.hub is None:
            raise RuntimeError("device faults need the asyncio core, serving")
        self.hub.call(lambda: device.apply(action, seconds))

    def offline(self, index: int) -> None:
        """Close the device's listening socket (connections are refused) and drop its connections."""
        self._act(index, "offline")

    def hang(self, index: int) -> None:
        """The device accepts connections and answers nothing."""
        self._act(index, "hang")

    def reboot(self, index: int, seconds: float) -> None:
        """Reboot the device: its connections dropped and refused for `seconds` of its clock, its running
        jobs failed, then 503 for its starting_seconds."""
        self._act(index, "reboot", seconds)

    def online(self, index: int) -> None:
        """Back to normal: listening and answering."""
        self._act(index, "online")

    def advance(self, seconds: float) -> float:
        """Move every device's manual clock forward; answers the latest device time."""
        return max(device.emulator.feature(ClockFeature).advance(seconds) for device in self.devices)

    def requests(self, index: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """The device-API requests of every device (or one), the latest `limit`, oldest first, each
        naming the device that answered it."""
        devices = self.devices if index is None else [self.device(index)]
        entries = (
            {"device": device.index, "address": f"{device.host}:{device.port}", **entry}
            for device in devices
            for entry in device.emulator.feature(FaultsFeature).requests()
        )
        latest = heapq.nlargest(limit, entries, key=lambda entry: entry["time"])
        return latest[::-1]

    def clear_requests(self) -> None:
        for device in self.devices:
            device.emulator.feature(FaultsFeature).clear_requests()


def state_file(state: str | Path | None, index: int, devices: int) -> str | None:
    """The state file of one device of a fleet: jobs.db -> jobs-1.db, jobs-2.db, ... (by index + 1)."""
    if state is None or devices == 1:
        return None if state is None else str(state)
    path = Path(state)
    return str(path.with_name(f"{path.stem}-{index + 1}{path.suffix}"))


# Descriptors a fleet needs beyond one listening socket per device: the interpreter's own, the fleet
# control API, and some connections.
SPARE_DESCRIPTORS = 256


def raise_descriptor_limit(devices: int) -> str | None:
    """Raise the soft limit of open files to the hard one; a message when that is too few for one
    listening socket per device and some connections (None: enough)."""
    try:
        import resource
    except ImportError:  # not on POSIX: nothing to raise
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass  # keep the soft limit, checked below
    needed = devices + SPARE_DESCRIPTORS
    if hard != resource.RLIM_INFINITY and soft < needed:
        return (
            f"{devices} devices need at least {needed} open files (a listening socket each, and connections), "
            f"but this process may open {soft} (hard limit {hard}): raise it, e.g. `ulimit -n {needed}` "
            f"(as root, or `docker run --ulimit nofile={needed}`), or serve fewer devices per process (--shard)"
        )
    return None
