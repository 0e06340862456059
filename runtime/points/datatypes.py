"""BACnet's datatypes and enumerations, as data: what a property's value is, whatever form it is shown in.

Values are plain Python: NULL None, BOOLEAN bool, Unsigned/Signed/Enumerated int, REAL/Double float,
CharacterString str, OctetString bytes, BitString a tuple of bools, Date (year, month, day, weekday) and Time
(hour, minute, second, hundredths) with 255 as the wildcard, ObjectIdentifier (type number, instance), an
array or list a list. Numbers and names are BACnet's (BACNET-FACTS.md sections 1, 4 and 5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def fold(name: str) -> str:
    """`degrees-celsius`, `degreesCelsius` and `Degrees Celsius` all fold to `degreescelsius`."""
    return _NOT_ALNUM.sub("", name.lower())


def camel(name: str) -> str:
    """`analog-value` -> `analogValue`."""
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def kebab(name: str) -> str:
    """`analogValue` -> `analog-value`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


@dataclass(frozen=True)
class Enumeration:
    """A BACnet enumeration: hyphenated names (BACnet's) to numbers; any spelling of a name is accepted."""

    name: str
    members: dict[str, int]
    numbers: dict[int, str] = field(init=False, repr=False)
    folded: dict[str, int] = field(init=False, repr=False)
    # The largest number a device may hold beyond the named ones (vendor ranges), or the largest named one.
    maximum: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "numbers", {number: name for name, number in self.members.items()})
        object.__setattr__(self, "folded", {fold(name): number for name, number in self.members.items()})

    def number(self, name: str) -> int | None:
        """The number of `name` in any spelling (or a number's text), None if it names nothing valid."""
        text = name.strip()
        if text.isascii() and text.isdigit():
            number = int(text)
            return number if self.valid(number) else None
        return self.folded.get(fold(text))

    def valid(self, number: int) -> bool:
        return number in self.numbers or (self.maximum is not None and 0 <= number <= self.maximum)


OBJECT_TYPE = Enumeration(
    "objectType",
    {
        "analog-input": 0,
        "analog-output": 1,
        "analog-value": 2,
        "binary-input": 3,
        "binary-output": 4,
        "binary-value": 5,
        "calendar": 6,
        "command": 7,
        "device": 8,
        "event-enrollment": 9,
        "file": 10,
        "group": 11,
        "loop": 12,
        "multi-state-input": 13,
        "multi-state-output": 14,
        "notification-class": 15,
        "program": 16,
        "schedule": 17,
        "averaging": 18,
        "multi-state-value": 19,
        "trend-log": 20,
        "trend-log-multiple": 27,
        "network-port": 56,
    },
    maximum=1023,
)

ENGINEERING_UNITS = Enumeration(
    "engineeringUnits",
    {
        "amperes": 3,
        "volts": 5,
        "kilowatt-hours": 19,
        "hertz": 27,
        "percent-relative-humidity": 29,
        "luxes": 37,
        "watts": 47,
        "kilowatts": 48,
        "btus-per-hour": 50,
        "tons-refrigeration": 52,
        "pascals": 53,
        "kilopascals": 54,
        "bars": 55,
        "pounds-force-per-square-inch": 56,
        "inches-of-water": 58,
        "degrees-celsius": 62,
        "degrees-kelvin": 63,
        "degrees-fahrenheit": 64,
        "hours": 71,
        "minutes": 72,
        "seconds": 73,
        "meters-per-second": 74,
        "cubic-feet-per-minute": 84,
        "liters-per-second": 87,
        "liters-per-minute": 88,
        "us-gallons-per-minute": 89,
        "no-units": 95,
        "parts-per-million": 96,
        "parts-per-billion": 97,
        "percent": 98,
        "delta-degrees-fahrenheit": 120,
        "delta-degrees-kelvin": 121,
        "hectopascals": 133,
        "cubic-meters-per-hour": 135,
    },
    # The standard's units go up to 255 (not all named here); 256-65535 are the vendors'.
    maximum=65535,
)

EVENT_STATE = Enumeration(
    "eventState",
    {"normal": 0, "fault": 1, "offnormal": 2, "high-limit": 3, "low-limit": 4, "life-safety-alarm": 5},
)

RELIABILITY = Enumeration(
    "reliability",
    {
        "no-fault-detected": 0,
        "no-sensor": 1,
        "over-range": 2,
        "under-range": 3,
        "open-loop": 4,
        "shorted-loop": 5,
        "no-output": 6,
        "unreliable-other": 7,
        "process-error": 8,
        "multi-state-fault": 9,
        "configuration-error": 10,
        "communication-failure": 12,
        "member-fault": 13,
        "monitored-object-fault": 14,
        "tripped": 15,
    },
)

BINARY_PV = Enumeration("binaryPV", {"inactive": 0, "active": 1})
POLARITY = Enumeration("polarity", {"normal": 0, "reverse": 1})
LOGGING_TYPE = Enumeration("loggingType", {"polled": 0, "cov": 1, "triggered": 2})
DEVICE_STATUS = Enumeration(
    "deviceStatus",
    {
        "operational": 0,
        "operational-read-only": 1,
        "download-required": 2,
        "download-in-progress": 3,
        "non-operational": 4,
        "backup-in-progress": 5,
    },
)
SEGMENTATION = Enumeration(
    "segmentation",
    {"segmented-both": 0, "segmented-transmit": 1, "segmented-receive": 2, "no-segmentation": 3},
)

# The property identifiers the emulator's objects have (ASHRAE 135 numbers, as bacpypes3 lists them).
PROPERTY_IDENTIFIER = Enumeration(
    "propertyIdentifier",
    {
        "acked-transitions": 0,
        "ack-required": 1,
        "active-text": 4,
        "alarm-value": 6,
        "all": 8,
        "apdu-timeout": 11,
        "application-software-version": 12,
        "cov-increment": 22,
        "date-list": 23,
        "deadband": 25,
        "description": 28,
        "device-address-binding": 30,
        "effective-period": 32,
        "event-enable": 35,
        "event-state": 36,
        "exception-schedule": 38,
        "firmware-revision": 44,
        "high-limit": 45,
        "log-device-object-property": 132,
        "inactive-text": 46,
        "limit-enable": 52,
        "list-of-object-property-references": 54,
        "local-date": 56,
        "local-time": 57,
        "location": 58,
        "low-limit": 59,
        "max-apdu-length-accepted": 62,
        "max-pres-value": 65,
        "min-pres-value": 69,
        "model-name": 70,
        "notification-class": 17,
        "number-of-apdu-retries": 73,
        "number-of-states": 74,
        "object-identifier": 75,
        "object-list": 76,
        "object-name": 77,
        "object-type": 79,
        "out-of-service": 81,
        "polarity": 84,
        "present-value": 85,
        "priority": 86,
        "priority-array": 87,
        "priority-for-writing": 88,
        "protocol-object-types-supported": 96,
        "protocol-services-supported": 97,
        "protocol-version": 98,
        "recipient-list": 102,
        "reliability": 103,
        "relinquish-default": 104,
        "segmentation-supported": 107,
        "state-text": 110,
        "status-flags": 111,
        "system-status": 112,
        "time-delay": 113,
        "units": 117,
        "utc-offset": 119,
        "vendor-identifier": 120,
        "vendor-name": 121,
        "weekly-schedule": 123,
        "buffer-size": 126,
        "log-buffer": 131,
        "enable": 133,
        "log-interval": 134,
        "protocol-revision": 139,
        "record-count": 141,
        "stop-when-full": 144,
        "total-record-count": 145,
        "database-revision": 155,
        "schedule-default": 174,
        "logging-type": 197,
        "event-message-texts": 351,
        "event-detection-enable": 353,
        "property-list": 371,
        "current-command-priority": 431,
    },
    maximum=4194303,
)


@dataclass(frozen=True)
class Datatype:
    """What a property's value is: a primitive (its application tag's name), or an array/list of one."""

    name: str  # null, boolean, unsigned, signed, real, double, octetString, characterString, bitString,
    # enumerated, date, time, objectIdentifier, array, list, weeklySchedule, dateRange
    enum: Enumeration | None = None
    element: Datatype | None = None  # an array's or list's elements
    size: int | None = None  # a fixed-size array's length
    bits: tuple[str, ...] = ()  # a bit string's bits, by name (BACnet's), first bit first
    nullable: bool = False  # NULL is a value too (a priority array's slots, currentCommandPriority)

    @property
    def is_array(self) -> bool:
        return self.name == "array"

    @property
    def element_type(self) -> Datatype:
        """An array's or list's element datatype (DatatypeError for any other: a bug in a datatype table)."""
        if self.element is None:
            raise DatatypeError(f"a {self.name} has no element datatype")
        return self.element

    @property
    def enumeration(self) -> Enumeration:
        """An enumerated's enumeration (DatatypeError for any other: a bug in a datatype table)."""
        if self.enum is None:
            raise DatatypeError(f"a {self.name} has no enumeration")
        return self.enum


class DatatypeError(Exception):
    """A datatype lacks the part its name needs (an element, an enumeration): a bug, not bad input, so
    deliberately not a ValueError or TypeError that parsing turns into `invalid-data-type`."""


NULL = Datatype("null")
BOOLEAN = Datatype("boolean")
UNSIGNED = Datatype("unsigned")
SIGNED = Datatype("signed")
REAL = Datatype("real")
DOUBLE = Datatype("double")
OCTETS = Datatype("octetString")
STRING = Datatype("characterString")
DATE = Datatype("date")
TIME = Datatype("time")
OBJECT_ID = Datatype("objectIdentifier")
STATUS_FLAGS = Datatype("bitString", bits=("in-alarm", "fault", "overridden", "out-of-service"))
EVENT_TRANSITION_BITS = Datatype("bitString", bits=("to-offnormal", "to-fault", "to-normal"))
LIMIT_ENABLE = Datatype("bitString", bits=("low-limit-enable", "high-limit-enable"))
# A weekly schedule: 7 days from Monday, each a list of (Time, value) pairs (the value REAL or NULL).
WEEKLY_SCHEDULE = Datatype("weeklySchedule")
DATE_RANGE = Datatype("dateRange")  # a start and an end Date
# An exception schedule: SpecialEvents (period, time values, event priority); see runtime/points/special.py.
EXCEPTION_SCHEDULE = Datatype("exceptionSchedule")


def enumerated(enum: Enumeration) -> Datatype:
    return Datatype("enumerated", enum=enum)


def array(element: Datatype, size: int | None = None) -> Datatype:
    return Datatype("array", element=element, size=size)


def list_of(element: Datatype) -> Datatype:
    return Datatype("list", element=element)


def nullable(datatype: Datatype) -> Datatype:
    return Datatype(datatype.name, datatype.enum, datatype.element, datatype.size, datatype.bits, True)


def priority_array(element: Datatype) -> Datatype:
    """The 16 slots of a commandable object's priority array: each NULL or a present value."""
    return array(nullable(element), 16)
