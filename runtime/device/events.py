"""Device-level events: what happens to a device as a whole, for whoever needs to know.

A feature subscribes to what concerns it (the jobs fail their running jobs on a reboot); the layers above
the device (the fleet, serving, protocols) emit and subscribe without any feature importing them.

    device.events.subscribe(REBOOT, simulator.fail_running)
    device.events.emit(REBOOT, kind="cold")
"""

from __future__ import annotations

from typing import Any, Callable

REBOOT = "reboot"  # the device restarts, kind="cold" or "warm": what was running stops, sessions end
OFFLINE = "offline"  # the device leaves the network
ONLINE = "online"  # the device is back on the network
RESET = "reset"  # the control API's reset: each feature forgets what tests did to it
CHANGED = "changed"  # a stored value changed: path=the state path


class Events:
    """Subscribers by event name, called in the order they subscribed, in the emitter's thread."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Callable[..., object]]] = {}

    def subscribe(self, event: str, subscriber: Callable[..., object]) -> None:
        """Call `subscriber(**details)` on each `event` (what it answers is not used)."""
        self._subscribers.setdefault(event, []).append(subscriber)

    def emit(self, event: str, **details: Any) -> None:
        for subscriber in self._subscribers.get(event, ()):
            subscriber(**details)
