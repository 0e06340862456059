"""Alarms and events: the intrinsic reporting of a point that declares eventEnable.

- An analog point goes to high-limit above highLimit and to low-limit below lowLimit (each as limitEnable
  allows), and back to normal once past the limit by its deadband; a binary input goes offnormal at its
  alarmValue; a reliability other than no-fault-detected is the fault state, at once. Other states are
  taken after the condition held timeDelay seconds. Out of service, the value a client wrote is the one
  judged (BACnet: what depends on presentValue responds to it as if it came from the input).
- Each transition sets eventState (statusFlags' in-alarm follows) and clears the transition's bit of
  ackedTransitions when the notification class requires an acknowledgement; when eventEnable allows the
  transition, a notification routed by the point's notificationClass (its priority and ackRequired for
  that transition) is kept in the device's notifications, newest last, at most MAX_NOTIFICATIONS (the
  oldest dropped, and counted).
- Writing ackedTransitions acknowledges (as REST clients do; BACnet's own service is 6/7's).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..points.models import ObjectDatabase, PointDef
from ..points.texts import to_text

MAX_NOTIFICATIONS = 1000
NORMAL, FAULT, OFFNORMAL, HIGH, LOW = 0, 1, 2, 3, 4
STATE_NAMES = {NORMAL: "normal", FAULT: "fault", OFFNORMAL: "offnormal", HIGH: "highLimit", LOW: "lowLimit"}
TO_OFFNORMAL, TO_FAULT, TO_NORMAL = 0, 1, 2  # the bits of eventEnable, ackedTransitions, ackRequired


def transition(to_state: int) -> int:
    return TO_NORMAL if to_state == NORMAL else TO_FAULT if to_state == FAULT else TO_OFFNORMAL


@dataclass(frozen=True)
class Notification:
    uuid: str
    time_stamp: str
    object_type: str
    instance: int
    event_type: str
    message: str
    from_state: int
    to_state: int
    ack_required: bool
    notification_class: int
    priority: int

    def document(self) -> dict[str, Any]:
        """The values of the EventNotification object (spec/building.yaml)."""
        return {
            "Uuid": self.uuid,
            "EventInfo": {
                "TimeStamp": self.time_stamp,
                "EventObjectIdentifier": f"{self.object_type},{self.instance}",
                "EventType": self.event_type,
                "MessageText": self.message,
                "NotifyType": "alarm",
                "FromState": STATE_NAMES[self.from_state],
                "ToState": STATE_NAMES[self.to_state],
                "AckRequired": self.ack_required,
                "NotificationClass": self.notification_class,
                "Priority": self.priority,
            },
        }


class Alarms:
    """The intrinsic reporting of one device's points and the notifications it made."""

    def __init__(self, db: ObjectDatabase, points: tuple[PointDef, ...], seed: int) -> None:
        self.db = db
        self.seed = seed
        self.points = points  # those with intrinsic reporting
        self.pending: dict[tuple[int, int], tuple[int, float]] = {}  # a condition and since when
        self.notifications: deque[Notification] = deque(maxlen=MAX_NOTIFICATIONS)
        self.made = 0  # every notification ever made (the dropped ones: made - kept)
        self.resets = (
            0  # part of each notification's Uuid: one made after a reset never repeats an earlier one
        )

    def dropped(self) -> int:
        return self.made - len(self.notifications)

    def step(self, at: float, local: datetime) -> None:
        for point in self.points:
            self._judge(point, at, local)

    def _condition(self, point: PointDef, current: int) -> int:
        db = self.db
        if db.stored(point, "reliability") != 0:
            return FAULT
        value = db.value(point, point.by_name["presentValue"])
        if point.kind.name.startswith("binary"):
            alarm = db.stored(point, "alarmValue") if point.property("alarmValue") is not None else None
            return OFFNORMAL if alarm is not None and value == alarm else NORMAL
        high = db.stored(point, "highLimit") if point.property("highLimit") is not None else None
        low = db.stored(point, "lowLimit") if point.property("lowLimit") is not None else None
        deadband = db.stored(point, "deadband") if point.property("deadband") is not None else 0.0
        low_on, high_on = db.stored(point, "limitEnable") if point.property("limitEnable") else (True, True)
        if current == HIGH and high is not None and high_on and value > high - deadband:
            return HIGH
        if current == LOW and low is not None and low_on and value < low + deadband:
            return LOW
        if high is not None and high_on and value > high:
            return HIGH
        if low is not None and low_on and value < low:
            return LOW
        return NORMAL

    def _judge(self, point: PointDef, at: float, local: datetime) -> None:
        current = self.db.stored(point, "eventState")
        condition = self._condition(point, current)
        if condition == current:
            self.pending.pop(point.key, None)
            return
        held, since = self.pending.get(point.key, (None, at))
        if held != condition:
            self.pending[point.key] = (condition, at)
            since = at
        if condition != FAULT and at - since < self.db.stored(point, "timeDelay"):
            return
        self.pending.pop(point.key, None)
        self._transit(point, current, condition, local)

    def _transit(self, point: PointDef, from_state: int, to_state: int, local: datetime) -> None:
        db, bit = self.db, transition(to_state)
        nc = db.points.by_key.get((15, db.stored(point, "notificationClass")))
        ack_required = bool(nc is not None and db.stored(nc, "ackRequired")[bit])
        db.set_stored(point, "eventState", to_state)
        acked = list(db.stored(point, "ackedTransitions"))
        acked[bit] = not ack_required
        db.set_stored(point, "ackedTransitions", tuple(acked))
        if nc is None or not db.stored(point, "eventEnable")[bit]:
            return
        self.made += 1
        digest = hashlib.sha256(
            f"{self.seed}:{db.device_instance()}:{self.resets}:{self.made}".encode()
        ).digest()
        self.notifications.append(
            Notification(
                uuid=str(uuid.UUID(bytes=digest[:16], version=4)),
                time_stamp=local.replace(microsecond=0).isoformat(),
                object_type=point.kind.name,
                instance=point.instance,
                event_type=(
                    "changeOfReliability"
                    if FAULT in (to_state, from_state)
                    else "changeOfState" if point.kind.name.startswith("binary") else "outOfRange"
                ),
                message=self._message(point, bit, from_state, to_state),
                from_state=from_state,
                to_state=to_state,
                ack_required=ack_required,
                notification_class=nc.instance,
                priority=db.stored(nc, "priority")[bit],
            )
        )

    def _message(self, point: PointDef, bit: int, from_state: int, to_state: int) -> str:
        db = self.db
        given = db.stored(point, "eventMessageTexts")[bit]
        if given:
            return str(given)
        prop = point.by_name["presentValue"]
        value = to_text(prop.datatype, db.value(point, prop))
        name = db.stored(point, "objectName")
        return f"{name}: {STATE_NAMES[from_state]} to {STATE_NAMES[to_state]} (value {value})"

    def reset(self) -> None:
        self.pending.clear()
        self.notifications.clear()
        self.made = 0
        self.resets += 1
