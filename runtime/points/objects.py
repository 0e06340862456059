"""The object types the emulator serves and their properties, as data (the way BACpypes3 declares them).

Each type lists its properties in the order `propertyList`, the properties resource and `property all` show
them, each with its datatype and whether a WriteProperty may change it. presentValue's access depends on
the object: commandable (through the priority array), an input's (only while out of service), or plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import datatypes as dt
from .datatypes import Datatype, camel, enumerated, fold

READ, WRITE = False, True


@dataclass(frozen=True)
class PropertyDef:
    name: str  # camelCase, as the REST API names it
    datatype: Datatype
    writable: bool

    @property
    def number(self) -> int:
        return dt.PROPERTY_IDENTIFIER.members[dt.kebab(self.name)]


@dataclass(frozen=True, eq=False)  # one instance per type: compared and hashed by identity
class ObjectType:
    name: str  # camelCase: analogValue
    number: int
    properties: tuple[PropertyDef, ...]
    is_input: bool = False  # presentValue writable only while out of service
    commandable: str = "never"  # always (AO, BO, MSO), optional (AV, BV, MSV) or never

    @property
    def kebab(self) -> str:
        return dt.kebab(self.name)

    def property(self, name: str) -> PropertyDef | None:
        return _property(self.name, name)


def _p(name: str, datatype: Datatype, writable: bool = READ) -> PropertyDef:
    return PropertyDef(name, datatype, writable)


IDENTITY = (
    _p("objectIdentifier", dt.OBJECT_ID),
    _p("objectName", dt.STRING, WRITE),
    _p("objectType", enumerated(dt.OBJECT_TYPE)),
    _p("description", dt.STRING, WRITE),
)
PROPERTY_LIST = _p("propertyList", dt.array(enumerated(dt.PROPERTY_IDENTIFIER)))
STATUS = (
    _p("statusFlags", dt.STATUS_FLAGS),
    _p("eventState", enumerated(dt.EVENT_STATE)),
    # Set by the device (the control API); BACnet allows writing it only out of service: read-only here.
    _p("reliability", enumerated(dt.RELIABILITY)),
    _p("outOfService", dt.BOOLEAN, WRITE),
)
ALARMING = (
    _p("notificationClass", dt.UNSIGNED, WRITE),
    _p("timeDelay", dt.UNSIGNED, WRITE),
    _p("eventDetectionEnable", dt.BOOLEAN, WRITE),
    _p("eventMessageTexts", dt.array(dt.STRING, 3)),
    # Intrinsic reporting, where a point declares eventEnable. ackedTransitions is writable: clients
    # acknowledge by writing it over REST (BACNET-FACTS.md section 0; BACnet keeps it read-only).
    _p("eventEnable", dt.EVENT_TRANSITION_BITS, WRITE),
    _p("ackedTransitions", dt.EVENT_TRANSITION_BITS, WRITE),
)


def _commanded(value: Datatype) -> tuple[PropertyDef, ...]:
    return (
        _p("priorityArray", dt.priority_array(value)),
        _p("relinquishDefault", value, WRITE),
        _p("currentCommandPriority", dt.nullable(dt.UNSIGNED)),
    )


def _analog(commanded: bool) -> tuple[PropertyDef, ...]:
    return (
        *IDENTITY,
        _p("presentValue", dt.REAL, WRITE),
        *STATUS,
        _p("units", enumerated(dt.ENGINEERING_UNITS), WRITE),
        _p("minPresValue", dt.REAL),
        _p("maxPresValue", dt.REAL),
        _p("covIncrement", dt.REAL, WRITE),
        _p("highLimit", dt.REAL, WRITE),
        _p("lowLimit", dt.REAL, WRITE),
        _p("deadband", dt.REAL, WRITE),
        _p("limitEnable", dt.LIMIT_ENABLE, WRITE),
        *ALARMING,
        *(_commanded(dt.REAL) if commanded else ()),
        PROPERTY_LIST,
    )


def _binary(commanded: bool) -> tuple[PropertyDef, ...]:
    value = enumerated(dt.BINARY_PV)
    return (
        *IDENTITY,
        _p("presentValue", value, WRITE),
        *STATUS,
        _p("polarity", enumerated(dt.POLARITY), WRITE),
        _p("inactiveText", dt.STRING, WRITE),
        _p("activeText", dt.STRING, WRITE),
        _p("alarmValue", value, WRITE),
        *ALARMING,
        *(_commanded(value) if commanded else ()),
        PROPERTY_LIST,
    )


def _multistate(commanded: bool) -> tuple[PropertyDef, ...]:
    return (
        *IDENTITY,
        _p("presentValue", dt.UNSIGNED, WRITE),
        *STATUS,
        _p("numberOfStates", dt.UNSIGNED),
        _p("stateText", dt.array(dt.STRING), WRITE),
        *ALARMING,
        *(_commanded(dt.UNSIGNED) if commanded else ()),
        PROPERTY_LIST,
    )


DEVICE = (
    *IDENTITY[:3],
    _p("systemStatus", enumerated(dt.DEVICE_STATUS)),
    _p("vendorName", dt.STRING),
    _p("vendorIdentifier", dt.UNSIGNED),
    _p("modelName", dt.STRING),
    _p("firmwareRevision", dt.STRING),
    _p("applicationSoftwareVersion", dt.STRING),
    _p("location", dt.STRING, WRITE),
    IDENTITY[3],
    _p("protocolVersion", dt.UNSIGNED),
    _p("protocolRevision", dt.UNSIGNED),
    _p("protocolServicesSupported", Datatype("bitString")),
    _p("protocolObjectTypesSupported", Datatype("bitString")),
    _p("objectList", dt.array(dt.OBJECT_ID)),
    _p("maxApduLengthAccepted", dt.UNSIGNED),
    _p("segmentationSupported", enumerated(dt.SEGMENTATION)),
    _p("apduTimeout", dt.UNSIGNED, WRITE),
    _p("numberOfApduRetries", dt.UNSIGNED, WRITE),
    _p("deviceAddressBinding", dt.list_of(dt.OBJECT_ID)),
    _p("databaseRevision", dt.UNSIGNED),
    _p("localDate", dt.DATE),
    _p("localTime", dt.TIME),
    _p("utcOffset", dt.SIGNED),
    PROPERTY_LIST,
)

SCHEDULE = (
    *IDENTITY,
    _p("presentValue", dt.REAL),
    _p("effectivePeriod", dt.DATE_RANGE, WRITE),
    _p("weeklySchedule", dt.WEEKLY_SCHEDULE, WRITE),
    _p("exceptionSchedule", dt.EXCEPTION_SCHEDULE, WRITE),
    _p("scheduleDefault", dt.REAL, WRITE),
    _p("listOfObjectPropertyReferences", dt.list_of(dt.OBJECT_ID)),
    _p("priorityForWriting", dt.UNSIGNED, WRITE),
    *STATUS[:1],
    *STATUS[2:],
    PROPERTY_LIST,
)

CALENDAR = (
    *IDENTITY,
    _p("presentValue", dt.BOOLEAN),
    _p("dateList", dt.list_of(dt.DATE), WRITE),
    PROPERTY_LIST,
)

TREND_LOG = (
    *IDENTITY,
    _p("enable", dt.BOOLEAN, WRITE),
    _p("logDeviceObjectProperty", dt.OBJECT_ID, WRITE),
    _p("stopWhenFull", dt.BOOLEAN, WRITE),
    _p("bufferSize", dt.UNSIGNED, WRITE),
    _p("recordCount", dt.UNSIGNED, WRITE),
    _p("totalRecordCount", dt.UNSIGNED),
    # Read with the trend resource (BACnet's ReadRange): ReadProperty answers read-access-denied, as
    # bacnet-stack does (BACNET-FACTS.md section 7).
    _p("logBuffer", dt.list_of(dt.REAL)),
    _p("loggingType", enumerated(dt.LOGGING_TYPE), WRITE),
    _p("logInterval", dt.UNSIGNED, WRITE),
    *STATUS[:3],
    PROPERTY_LIST,
)

NOTIFICATION_CLASS = (
    *IDENTITY,
    _p("notificationClass", dt.UNSIGNED),
    _p("priority", dt.array(dt.UNSIGNED, 3), WRITE),
    _p("ackRequired", dt.EVENT_TRANSITION_BITS, WRITE),
    _p("recipientList", dt.list_of(dt.OBJECT_ID)),
    PROPERTY_LIST,
)


def _type(name: str, properties: tuple[PropertyDef, ...], **flags: object) -> ObjectType:
    return ObjectType(name, dt.OBJECT_TYPE.members[dt.kebab(name)], properties, **flags)  # type: ignore[arg-type]


# Commandable AV, BV and MSV (the ECLYPSE's AVs list relinquishDefault) and their plain variants share a
# type; a point says which it is (`commandable`), and the plain one has no priority-array properties.
OBJECT_TYPES: dict[str, ObjectType] = {
    t.name: t
    for t in (
        _type("analogInput", _analog(False), is_input=True),
        _type("analogOutput", _analog(True), commandable="always"),
        _type("analogValue", _analog(True), commandable="optional"),
        _type("binaryInput", _binary(False), is_input=True),
        _type("binaryOutput", _binary(True), commandable="always"),
        _type("binaryValue", _binary(True), commandable="optional"),
        _type("multiStateInput", _multistate(False), is_input=True),
        _type("multiStateOutput", _multistate(True), commandable="always"),
        _type("multiStateValue", _multistate(True), commandable="optional"),
        _type("device", DEVICE),
        _type("schedule", SCHEDULE),
        _type("calendar", CALENDAR),
        _type("trendLog", TREND_LOG),
        _type("notificationClass", NOTIFICATION_CLASS),
    )
}
_PROPERTIES = {t.name: {fold(p.name): p for p in t.properties} for t in OBJECT_TYPES.values()}
COMMAND_PROPERTIES = frozenset(("priorityArray", "relinquishDefault", "currentCommandPriority"))
_BY_FOLDED = {fold(name): t for name, t in OBJECT_TYPES.items()}
_BY_NUMBER = {t.number: t for t in OBJECT_TYPES.values()}


@lru_cache(maxsize=4096)  # a poll names the same few spellings again and again
def _property(type_name: str, name: str) -> PropertyDef | None:
    return _PROPERTIES[type_name].get(fold(name))


@lru_cache(maxsize=1024)
def object_type(name: str) -> ObjectType | None:
    """The type a client names in any spelling (`analog-value`, `analogValue`, `analogvalue`,
    `multistate-value`) or by its number."""
    text = name.strip()
    if text.isascii() and text.isdigit():
        return _BY_NUMBER.get(int(text))
    return _BY_FOLDED.get(fold(text))
