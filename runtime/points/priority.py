"""Command prioritization (ASHRAE 135 clause 19.2), in one small piece.

A commandable object's presentValue is the value of its highest-priority non-NULL slot (1 is the highest),
else its relinquishDefault; currentCommandPriority is that slot's number, or NULL.
"""

from __future__ import annotations

from typing import Any

from .errors import BacnetError, write_access_denied

SLOTS = 16
DEFAULT_PRIORITY = 16  # a write without a priority (clause 19.2.1)
MINIMUM_ON_OFF = 6  # reserved for the Minimum On/Off algorithm: no write may use it
EMPTY: tuple[Any, ...] = (None,) * SLOTS


def check_priority(priority: int) -> None:
    """Refuse priority 6 (write-access-denied, as bacnet-stack answers) and anything outside 1..16.

    Outside 1..16 the emulator answers `services: parameter-out-of-range` (bacnet-stack's answer; bacpypes3
    answers invalid-array-index): the emulator's choice."""
    if not 1 <= priority <= SLOTS:
        raise BacnetError("services", "parameter-out-of-range", f"a priority is 1 to 16, not {priority}")
    if priority == MINIMUM_ON_OFF:
        raise write_access_denied("priority 6 is reserved for the Minimum On/Off algorithm")


def command(slots: tuple[Any, ...], value: Any, priority: int) -> tuple[Any, ...]:
    """The slots after writing `value` (None relinquishes) at `priority`."""
    check_priority(priority)
    return slots[: priority - 1] + (value,) + slots[priority:]


def active(slots: tuple[Any, ...]) -> int | None:
    """The number of the highest-priority non-NULL slot, None when every slot is NULL."""
    for index, value in enumerate(slots):
        if value is not None:
            return index + 1
    return None


def present_value(slots: tuple[Any, ...], relinquish_default: Any) -> Any:
    if slots == EMPTY:  # the usual case, compared in C
        return relinquish_default
    slot = active(slots)
    return relinquish_default if slot is None else slots[slot - 1]
