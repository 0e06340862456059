"""The device's reboots (POST .../management/coldStart and warmStart, a fleet's reboot fault).

A reboot has a timeline on the emulator's clock: for `reboot_seconds` the device is down (the serving
layer closes its listening socket and drops its connections: connections are refused), then for
`starting_seconds` it answers 503 with Retry-After while its services start, then it is back. The
feature keeps the timeline and answers the 503s; the device's REBOOT event (with `kind`: "cold" or
"warm") tells the rest of the device (running jobs fail, sessions end) and the serving layer, which does
the socket part and asks `down_until` when to listen again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from ...generated import handler as api
from ..clock.feature import ClockFeature
from ..core.options import option, seconds
from ..core.wire import Request, Response
from ..device.events import REBOOT, RESET
from ..device.feature import Device, Feature, Hook, HookCall, HookResult

MAX_SECONDS = 86_400.0  # a day: longer is a device offline
DEFAULT_REBOOT_SECONDS = 5.0  # the emulator's choice: a real controller takes longer, tests want less


def phase_seconds(text: str) -> float:
    """Seconds of a reboot's phase: 0 to a day; ValueError otherwise."""
    value = seconds(text)
    if value > MAX_SECONDS:
        raise ValueError(f"a reboot's phase takes 0 to {MAX_SECONDS:g} seconds, not {text}")
    return value


def phase_seconds_of(given: Any) -> float:
    """A fleet file's value: a number of seconds, 0 to a day."""
    if isinstance(given, bool) or not isinstance(given, (int, float)):
        raise ValueError(f"expected a number of seconds, not {given!r}")
    return phase_seconds(str(given))


@dataclass(frozen=True)
class RebootOptions:
    reboot_seconds: float = option(
        DEFAULT_REBOOT_SECONDS,
        flag="--reboot-seconds",
        parse=phase_seconds,
        metavar="SECONDS",
        help=f"seconds a reboot refuses connections (default: {DEFAULT_REBOOT_SECONDS:g}, the emulator's choice)",
        fleet=True,
        read=phase_seconds_of,
    )
    starting_seconds: float = option(
        0.0,
        flag="--starting-seconds",
        parse=phase_seconds,
        metavar="SECONDS",
        help="after a reboot's refused connections, seconds answering 503 with Retry-After (default: 0)",
        fleet=True,
        read=phase_seconds_of,
    )


class RebootFeature(Feature):
    """`down_until` and `up_until`: the end of the last reboot's phases on the emulator's clock."""

    options = RebootOptions

    def __init__(self, device: Device, options: RebootOptions) -> None:
        self.clock = device.feature(ClockFeature).clock
        self.events, self.settings = device.events, options
        self.down_until = self.up_until = -math.inf
        self.kind: str | None = None  # of the last reboot
        self.booted = self.clock.now()  # when the device last started: its start, then each reboot's end
        device.events.subscribe(RESET, self.cancel)

    def cancel(self) -> None:
        """The device is up at once (the control API's reset, a fleet device put online)."""
        self.down_until = self.up_until = -math.inf
        self.booted = min(self.booted, self.clock.now())  # a cancelled reboot's end is not a start

    def hooks(self) -> Mapping[str, Hook]:
        return {"cold_start": self.cold_start, "warm_start": self.warm_start}

    def cold_start(self, call: HookCall) -> HookResult:
        return self.reboot("cold")

    def warm_start(self, call: HookCall) -> HookResult:
        return self.reboot("warm")

    def reboot(self, kind: str, down_seconds: float | None = None, at: float | None = None) -> dict[str, Any]:
        """Begin a reboot of this kind ("cold" or "warm"), down for `down_seconds` (default: the option's),
        from `at` on the emulator's clock (default: now; earlier for what the clock brought about since,
        an install that ended)."""
        down = self.settings.reboot_seconds if down_seconds is None else down_seconds
        now = self.clock.now() if at is None else at
        self.down_until = now + down
        self.up_until = self.down_until + self.settings.starting_seconds
        self.kind = kind
        self.booted = self.down_until  # the system runs again once it stops refusing connections
        self.events.emit(REBOOT, kind=kind)
        return {}

    def uptime(self) -> int:
        """Whole seconds since the device last started, on the emulator's clock."""
        return max(0, int(self.clock.now() - self.booted))

    def phase(self) -> str:
        """ "down" (refusing connections), "starting" (503) or "up"."""
        now = self.clock.now()
        return "down" if now < self.down_until else "starting" if now < self.up_until else "up"

    def unavailable(self, request: Request, device: Any) -> tuple[bool, Response | None]:
        """Whether the device API may not answer `request` now, and what it answers instead: a 503 while
        the services start; None (hang up) while it is down (a connection the serving layer has not
        dropped yet)."""
        now = self.clock.now()
        if now < self.down_until:
            return True, None
        if now < self.up_until:
            retry = [("Retry-After", str(max(1, math.ceil(self.up_until - now))))]
            return True, api.negotiated_error(
                request, device, "unavailable", retry, reason="the device is starting"
            )
        return False, None
