"""COV subscriptions (SubscribeCOV) of one BACnet/IP device, and the notifications they get.

A subscription is for one object whose point list allows COV and which has a presentValue and statusFlags.
A notification (presentValue, statusFlags) goes out when presentValue moves by at least covIncrement from
the value last notified (an analog object; any change for the others) or statusFlags change: checked when
the database says an object changed (a write over either protocol, a value forced through the control
API), and every POLL_SECONDS for the values the device's programs move (a simulation), which the database
works out as it is read. The emulator's choices: a reboot or a reset forgets the subscriptions, as a
device's volatile memory would; beyond MAX_SUBSCRIPTIONS a new one is `resources:
no-space-to-add-list-element` (bacnet-stack's answer); beyond MAX_PENDING unanswered confirmed
notifications, a notification is not sent (the next change sends the value then).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from bacpypes3.apdu import ConfirmedCOVNotificationRequest, UnconfirmedCOVNotificationRequest
from bacpypes3.basetypes import PropertyValue
from bacpypes3.pdu import Address

from ..points.errors import BacnetError
from ..points.models import ObjectDatabase, PointDef
from .values import to_any

MAX_SUBSCRIPTIONS = 1000  # per device
MAX_PENDING = 64  # confirmed notifications awaiting their acknowledgement, per device
POLL_SECONDS = 1.0
Key = tuple[int, int]


@dataclass
class Subscription:
    address: Address
    process: int
    point: PointDef
    confirmed: bool
    expires: float  # on the loop's clock; inf: lifetime 0, until cancelled
    value: Any = None  # last notified
    flags: Any = None


class Subscriptions:
    """The subscriptions of one device; `send(apdu)` sends a request (answering a future for a confirmed
    one), `now()` is the loop's clock, `instance()` the device's instance."""

    def __init__(
        self,
        objects: ObjectDatabase,
        send: Callable[[Any], Any],
        now: Callable[[], float],
        instance: Callable[[], int],
    ) -> None:
        self.objects, self.send, self.now, self.instance = objects, send, now, instance
        self.by_key: dict[Key, dict[tuple[Address, int], Subscription]] = {}
        self.pending = 0

    def __len__(self) -> int:
        return sum(len(on_object) for on_object in self.by_key.values())

    def check(self, address: Address, process: int, point: PointDef) -> None:
        """Refuse a subscription that cannot be (BacnetError), before it is acknowledged."""
        names = {p.name for p in point.properties}
        if not point.cov or not {"presentValue", "statusFlags"} <= names:
            raise BacnetError(
                "services", "cov-subscription-failed", f"{point.kind.name} {point.instance}: no COV"
            )
        self.expire()
        if (address, process) not in self.by_key.get(point.key, {}) and len(self) >= MAX_SUBSCRIPTIONS:
            raise BacnetError(
                "resources", "no-space-to-add-list-element", f"{MAX_SUBSCRIPTIONS} subscriptions"
            )

    def subscribe(
        self, address: Address, process: int, point: PointDef, confirmed: bool, lifetime: int
    ) -> None:
        """Add or renew a subscription (checked) and send its initial notification."""
        expires = self.now() + lifetime if lifetime else math.inf
        subscription = Subscription(address, process, point, confirmed, expires)
        self.by_key.setdefault(point.key, {})[(address, process)] = subscription
        self.notify(subscription)

    def cancel(self, address: Address, process: int, point: PointDef) -> None:
        self.by_key.get(point.key, {}).pop((address, process), None)

    def clear(self) -> None:
        self.by_key.clear()

    def expire(self) -> None:
        now = self.now()
        for key, on_object in list(self.by_key.items()):
            for who, subscription in list(on_object.items()):
                if subscription.expires <= now:
                    del on_object[who]
            if not on_object:
                del self.by_key[key]

    def changed(self, key: Key | None) -> None:
        """Notify the subscribers of this object (None: of every object) whose values moved enough."""
        self.expire()
        keys = list(self.by_key) if key is None else [key] if key in self.by_key else []
        for each in keys:
            for subscription in list(self.by_key.get(each, {}).values()):
                self._check(subscription)

    def _check(self, subscription: Subscription) -> None:
        value, flags = self._values(subscription.point)
        last = subscription.value
        if flags == subscription.flags:
            if subscription.point.kind.name.startswith("analog"):
                increment = self.objects.stored(subscription.point, "covIncrement")
                if last is not None and not (value != value or abs(value - last) >= increment):
                    return
            elif value == last:
                return
        self.notify(subscription, value, flags)

    def _values(self, point: PointDef) -> tuple[Any, Any]:
        kind = point.kind.name
        value = self.objects.read(kind, point.instance, "presentValue")[1]
        return value, self.objects.read(kind, point.instance, "statusFlags")[1]

    def notify(self, subscription: Subscription, value: Any = None, flags: Any = None) -> None:
        if value is None:
            value, flags = self._values(subscription.point)
        if subscription.confirmed and self.pending >= MAX_PENDING:
            return
        subscription.value, subscription.flags = value, flags
        point = subscription.point
        values = [
            PropertyValue(propertyIdentifier=name, value=to_any(point.by_name[name].datatype, found))
            for name, found in (("presentValue", value), ("statusFlags", flags))
        ]
        left = subscription.expires - self.now()
        kind = (
            ConfirmedCOVNotificationRequest if subscription.confirmed else UnconfirmedCOVNotificationRequest
        )
        request = kind(
            subscriberProcessIdentifier=subscription.process,
            initiatingDeviceIdentifier=("device", self.instance()),
            monitoredObjectIdentifier=point.key,
            timeRemaining=0 if left == math.inf else max(0, int(left)),
            listOfValues=values,
            destination=subscription.address,
        )
        future = self.send(request)
        if subscription.confirmed:
            self.pending += 1
            future.add_done_callback(self._answered)

    def _answered(self, future: Any) -> None:
        self.pending -= 1
        if not future.cancelled():
            future.exception()  # an error, reject or timeout: nothing more to do, but retrieved
