"""The clocks: the emulator's (real, or manual for tests) and the device's own (/system/date-time), with
their hooks, control operations and options (--clock, --device-time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ...generated import handler as api
from ..core.options import option
from ..device.feature import BodyField, Device, Feature, Hook, HookCall, HookResult, Operation
from .clocks import Clock, ManualClock, RealClock
from .device_clock import DateTimeError, DeviceClock, parse_instant

NUMBER = (int, float)


def instant_text(text: str) -> str:
    """--device-time: an ISO 8601 date and time, as given; ValueError saying what is wrong."""
    parse_instant(text)
    return text


def clock_rate(text: str) -> float:
    """--clock-rate: a finite number > 0; ValueError otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise ValueError(f"not a rate > 0: {text!r}")
    return value


@dataclass(frozen=True)
class ClockOptions:
    clock: str | Clock = option(
        "real",
        flag="--clock",
        choices=("real", "manual"),
        help="manual: time moves only through the control API (default: real)",
    )
    clock_rate: float = option(
        1.0,
        flag="--clock-rate",
        parse=clock_rate,
        metavar="N",
        help="the real clock runs N times faster (soak tests of the living building; default: 1)",
    )
    device_time: str | None = option(
        flag="--device-time",
        parse=instant_text,
        metavar="ISO8601",
        help="the device's clock at start, e.g. 2026-12-01T10:00:00Z (default: the host's time); "
        "the host's clock is never changed",
    )


def make_clock(clock: str | Clock, rate: float = 1.0) -> Clock:
    if clock == "real":
        return RealClock(rate)
    if clock == "manual":
        return ManualClock()
    if isinstance(clock, str):
        raise ValueError(f"clock must be 'real', 'manual' or a Clock, not {clock!r}")
    return clock


def _default_time_zone() -> str:
    """The time zone of a new device: the DateTime object's default (spec/date-time.yaml)."""
    codec = api.CODECS.get("DateTime")
    field = codec.field("TimeZone") if codec is not None else None
    return str(field.default) if field is not None else "Etc/GMT"


class ClockFeature(Feature):
    """`clock`: where the emulator's time comes from; `device_clock`: the time the device shows."""

    options = ClockOptions

    def __init__(self, device: Device, options: ClockOptions) -> None:
        self.clock = make_clock(options.clock, options.clock_rate)
        start = None if options.device_time is None else parse_instant(options.device_time)
        self.device_clock = DeviceClock(self.clock, device.state, _default_time_zone, start)

    def hooks(self) -> Mapping[str, Hook]:
        return {"date_time": self.date_time, "set_date_time": self.set_date_time}

    def date_time(self, call: HookCall) -> HookResult:
        return self.device_clock.values()

    def set_date_time(self, call: HookCall) -> HookResult:
        try:
            self.device_clock.set(call.body or {})
        except DateTimeError as error:
            raise api.ApiError("invalid_date_time", reason=str(error)) from None
        return self.device_clock.values()

    # Control operations

    def clock_reading(self) -> dict[str, Any]:
        """Whether the emulator's clock is manual, and its time."""
        return {"manual": isinstance(self.clock, ManualClock), "now": self.clock.now()}

    def advance(self, seconds: float) -> float:
        """Move the manual clock forward; answers the new time."""
        if not isinstance(self.clock, ManualClock):
            raise RuntimeError(
                "the clock is real: start the emulator with --clock manual (EmbeddedServer(clock='manual') embedded)"
            )
        return self.clock.advance(seconds)

    operations = (
        Operation("GET", "/clock", "clock_reading", shows=lambda _, reading: reading),
        Operation(
            "POST",
            "/clock/advance",
            "advance",
            body=(BodyField("seconds", "seconds", NUMBER, "seconds must be a number >= 0", required=True),),
            strict=False,
            what="clock advance",
            shows=lambda _, now: {"manual": True, "now": now},
        ),
    )
