"""Physics and control: the programs a point list declares, stepped on the building's grid.

At each step: the closed forms (the outdoor air's daily swing) and the zones' temperatures are shown on
their sensors, noise is added to what they show, the control programs (followers, PI loops) command their
outputs from what the sensors show, and then each zone's temperature is integrated over the step from
what its heating output's presentValue is (an operator's override included):

    dT/dt = (outdoor - T) / tau + gain * heating / 100

A PI loop's output is gain * error + its integral (integral += gain * error * step / integral time), the
integral and the output held within low..high; error is setpoint - input (reverse acting, heating) or
input - setpoint (direct). A follower sets its object to its source's value (through `map` when given)
once the source has held it `delay` seconds. Noise is a function of the seed, the object and the step:
the same whatever reads it, and never part of a zone's state. Values shown are rounded to 0.01.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from ..points.models import ObjectDatabase, PointDef
from .programs import Plan, Program

MASK = (1 << 64) - 1


def noise(seed: int, point: PointDef, step: int) -> float:
    """A value in [-1, 1) from the seed, the object and the step (SplitMix64's finaliser)."""
    x = (
        seed * 0x9E3779B97F4A7C15 + point.key[0] * 0xBF58476D1CE4E5B9 + point.key[1] * 0x94D049BB133111EB
    ) & MASK
    x = (x + step * 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    x ^= x >> 31
    return x / (1 << 63) - 1.0


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


class Plant:
    """The state of one device's programs: zone temperatures, PI integrals, followers' pending values."""

    def __init__(self, db: ObjectDatabase, plan: Plan, seed: int, step: float) -> None:
        self.db, self.seed, self.step_seconds = db, seed, step
        self.daily, self.zones, self.loops = plan.kind("daily"), plan.kind("zone"), plan.kind("pi")
        self.followers, self.noisy, self.modelled = plan.kind("follow"), plan.kind("noise"), plan.modelled
        self.reset()

    def reset(self) -> None:
        self.temperatures = {id(z): float(z["object"].value("presentValue")) for z in self.zones}
        self.integrals = {id(loop): 0.0 for loop in self.loops}
        # A follower's (value shown, value pending, since when).
        self.following: dict[int, tuple[Any, Any, float]] = {}

    def show(self, step: int, local: datetime) -> None:
        """Set the sensors for this step: the closed forms, the zones' temperatures, their noise."""
        live = self.db.live
        hours = local.hour + local.minute / 60 + local.second / 3600
        for daily in self.daily:
            value = daily["mean"] + daily["swing"] * math.cos(2 * math.pi * (hours - daily["peak"]) / 24)
            live.setdefault(daily["object"].key, {})["physicalValue"] = value
        for zone in self.zones:
            live.setdefault(zone["object"].key, {})["physicalValue"] = self.temperatures[id(zone)]
        for noisy in self.noisy:
            point: PointDef = noisy["object"]
            shown = live.setdefault(point.key, {})
            # Around what a model shows this step, else the point list's value: never the last noisy value.
            base = (
                shown["physicalValue"] if point.key in self.modelled else float(point.value("presentValue"))
            )
            shown["physicalValue"] = base + noisy["amplitude"] * noise(self.seed, point, step)
        for program in (*self.daily, *self.zones, *self.noisy):
            shown = live[program["object"].key]
            shown["physicalValue"] = round(shown["physicalValue"], 2)

    def control(self, at: float) -> None:
        """The control programs command their outputs from what the sensors show."""
        for follower in self.followers:
            self._follow(follower, at)
        for loop in self.loops:
            self._regulate(loop)

    def integrate(self) -> None:
        """Each zone's temperature over one step, from its heating output and the outdoor air."""
        step = self.step_seconds
        for zone in self.zones:
            t = self.temperatures[id(zone)]
            outdoor = float(self._value(zone["outdoor"]))
            heating = float(self._value(zone["heating"]))
            self.temperatures[id(zone)] = t + step * (
                (outdoor - t) / zone["tau"] + zone["gain"] * heating / 100
            )

    def _value(self, point: PointDef) -> Any:
        return self.db.value(point, point.by_name["presentValue"])

    def _set(self, target: PointDef, priority: int, value: Any) -> None:
        if target.kind.is_input:
            self.db.live.setdefault(target.key, {})["physicalValue"] = value
        else:
            self.db.commands.setdefault(target.key, {})[priority] = value

    def _follow(self, follower: Program, at: float) -> None:
        source = self._value(follower["source"])
        shown, pending, since = self.following.get(id(follower), (None, None, at))
        if source != pending:
            pending, since = source, at
        if shown is None or at - since >= follower["delay"]:
            shown = pending
        self.following[id(follower)] = (shown, pending, since)
        if shown is None:
            return
        target: PointDef = follower["object"]
        value = follower["map"].get(int(shown), shown) if follower["map"] else shown
        is_analog = target.kind.name.startswith("analog")
        self._set(target, follower["priority"], float(value) if is_analog else int(value))

    def _regulate(self, loop: Program) -> None:
        measured, setpoint = float(self._value(loop["input"])), float(self._value(loop["setpoint"]))
        error = setpoint - measured if loop["action"] == "reverse" else measured - setpoint
        low, high = loop["low"], loop["high"]
        integral = self.integrals[id(loop)] + loop["gain"] * error * self.step_seconds / loop["integral"]
        self.integrals[id(loop)] = integral = _clamp(integral, low, high)
        output = _clamp(loop["gain"] * error + integral, low, high)
        self._set(loop["output"], loop["priority"], round(output, 1))
