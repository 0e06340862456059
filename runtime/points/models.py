"""A device's BACnet objects: the point list's definitions (shared by every device that loads the same file)
and the device's own changes to them, with BACnet's rules on every write. State only: no bytes, no text.

A refused write raises a BacnetError and changes nothing. Choices where the standard leaves room:
- `propertyList` lists every property of the object but itself (the ECLYPSE sample
  `{Object Identifier,Object Name,Present Value,Units}` shows objectIdentifier and objectName in it);
- statusFlags is derived: in-alarm when eventState is not normal, fault when reliability is not
  no-fault-detected, overridden never, out-of-service from outOfService;
- an input's presentValue is its physical value (the control API sets it) unless it is out of service:
  then the value written, starting from the physical value when outOfService became true;
- a NULL written to the presentValue of an object without a priority array changes nothing and succeeds
  (ASHRAE 135 15.9.2); NULL anywhere else is `invalid-data-type`;
- arrayIndex 0 reads an array's length; a write of one element replaces it (index 0 is not writable).
"""

from __future__ import annotations

import base64
import binascii
import threading
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Callable, Mapping, Protocol

from . import datatypes as dt
from . import priority
from .encoding import value_of
from .errors import (
    invalid_array_index,
    invalid_data_type,
    not_an_array,
    unknown_object,
    unknown_property,
    value_out_of_range,
    write_access_denied,
)
from .objects import COMMAND_PROPERTIES, OBJECT_TYPES, ObjectType, PropertyDef, object_type
from .errors import BacnetError
from .texts import parse, to_text

# Properties a point has only when its definition gives them a value (BACnet's optional ones).
OPTIONAL = frozenset(
    (
        "minPresValue",
        "maxPresValue",
        "highLimit",
        "lowLimit",
        "deadband",
        "limitEnable",
        "eventEnable",
        "ackedTransitions",
        "alarmValue",
        "exceptionSchedule",
        "logDeviceObjectProperty",
    )
)
# Properties whose value the database works out rather than stores.
DERIVED = frozenset(
    ("statusFlags", "propertyList", "currentCommandPriority", "objectIdentifier", "objectType", "objectList")
)
# The services the emulated device answers (protocolServicesSupported's bit numbers): subscribeCOV 5,
# readProperty 12, readPropertyMultiple 14, writeProperty 15, writePropertyMultiple 16, i-am 26, i-have 27,
# who-has 33, who-is 34, readRange 35.
SERVICES = frozenset((5, 12, 14, 15, 16, 26, 27, 33, 34, 35))
SERVICE_BITS = tuple(bit in SERVICES for bit in range(41))
OBJECT_TYPE_BITS = tuple(number in {t.number for t in OBJECT_TYPES.values()} for number in range(28))


@lru_cache(maxsize=None)  # one per object type: every point of the type shares it
def defaults(kind: ObjectType) -> dict[str, Any]:
    """A new object's values where its definition says nothing (but its name, `<type>_<instance>`, and a
    notification class's number, its instance). Never changed: a write replaces a value."""
    analog = kind.name.startswith("analog")
    binary = kind.name.startswith("binary")
    values: dict[str, Any] = {
        "description": "",
        "eventState": 0,
        "reliability": 0,
        "outOfService": False,
        "notificationClass": 1,
        "timeDelay": 0,
        "eventDetectionEnable": False,
        "eventMessageTexts": ["", "", ""],
        "priorityArray": priority.EMPTY,
    }
    if analog:
        values.update(presentValue=0.0, units=95, covIncrement=0.1, relinquishDefault=0.0)
    elif binary:
        values.update(
            presentValue=0, polarity=0, inactiveText="Inactive", activeText="Active", relinquishDefault=0
        )
    elif kind.name.startswith("multiState"):
        values.update(presentValue=1, numberOfStates=2, stateText=["State 1", "State 2"], relinquishDefault=1)
    elif kind.name == "schedule":
        wild = (255, 255, 255, 255)
        values.update(
            presentValue=0.0,
            effectivePeriod=(wild, wild),
            weeklySchedule=[[] for _ in range(7)],
            scheduleDefault=0.0,
            listOfObjectPropertyReferences=[],
            priorityForWriting=16,
        )
    elif kind.name == "calendar":
        values.update(presentValue=False, dateList=[])
    elif kind.name == "trendLog":
        values.update(
            enable=True,
            stopWhenFull=False,
            bufferSize=1000,
            recordCount=0,
            totalRecordCount=0,
            loggingType=0,
            logInterval=6000,
        )
    elif kind.name == "device":
        values.update(
            systemStatus=0,
            vendorName="Distech Controls",
            vendorIdentifier=364,
            modelName="ECY-S1000",
            firmwareRevision="1.15.3.12",
            applicationSoftwareVersion="1.15.3.12",
            location="",
            protocolVersion=1,
            protocolRevision=14,
            protocolServicesSupported=SERVICE_BITS,
            protocolObjectTypesSupported=OBJECT_TYPE_BITS,
            maxApduLengthAccepted=1476,
            segmentationSupported=0,
            apduTimeout=3000,
            numberOfApduRetries=3,
            deviceAddressBinding=[],
            databaseRevision=1,
            localDate=(126, 1, 1, 4),
            localTime=(0, 0, 0, 0),
            utcOffset=0,
        )
    elif kind.name == "notificationClass":
        values.update(priority=[100, 100, 200], ackRequired=(False, False, False))
        values["recipientList"] = []
    return values


@dataclass(frozen=True)
class PointDef:
    """One object as a point list defines it: immutable, shared by every device using the list."""

    kind: ObjectType
    instance: int
    values: Mapping[str, Any]  # by property name, every stored property
    properties: tuple[PropertyDef, ...]  # the object's, in order
    commandable: bool
    settable: bool = True  # False: presentValue is read-only (an EDE's settable N)
    cov: bool = True  # whether COV subscriptions are accepted (BACnet/IP, 6/7)
    by_name: Mapping[str, PropertyDef] = field(repr=False, default_factory=dict)
    key: tuple[int, int] = field(init=False, repr=False)  # (type number, instance)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.kind.number, self.instance))

    def value(self, name: str) -> Any:
        """The value the definition gives, else the type's default."""
        values = self.values
        return values[name] if name in values else defaults(self.kind)[name]

    def property(self, name: str) -> PropertyDef | None:
        found = self.kind.property(name)
        return found if found is not None and found.name in self.by_name else None

    @cached_property
    def present_value(self) -> Any:
        """presentValue as the definition gives it: a commandable object's priority array over its
        relinquish default, else its own (what a device shows until something changes the object)."""
        if self.commandable:
            return priority.present_value(self.value("priorityArray"), self.value("relinquishDefault"))
        return self.value("presentValue")


def define(
    kind: ObjectType,
    instance: int,
    given: Mapping[str, Any],
    commandable: bool | None = None,
    settable: bool = True,
    cov: bool = True,
) -> PointDef:
    """A point of `kind` from the values a point list gives (already of their datatypes). Commandable AOs,
    BOs and MSOs always are; AVs, BVs and MSVs when `commandable` says so (default: they are)."""
    if not 0 <= instance <= 4194302:
        raise ValueError(f"instance {instance} is outside 0..4194302")
    if kind.commandable == "always":
        commandable = True
    elif kind.commandable == "never":
        commandable = False
    elif commandable is None:
        commandable = True
    # Only what differs from the type's defaults is kept: a point costs little more than what its file says.
    values = dict(given)
    values.setdefault(
        "objectName", f"ECLYPSE-{instance}" if kind.name == "device" else f"{kind.name}_{instance}"
    )
    if kind.name == "notificationClass":
        values.setdefault("notificationClass", instance)
    if "eventEnable" in given:  # intrinsic reporting: the acknowledgements go with it
        values.setdefault("ackedTransitions", (True, True, True))
    if "stateText" in given and "numberOfStates" not in given:
        values["numberOfStates"] = len(given["stateText"])
    if commandable and "presentValue" in given and "relinquishDefault" not in given:
        values["relinquishDefault"] = given["presentValue"]
    texts, states = _given(kind, values, "stateText"), _given(kind, values, "numberOfStates")
    if texts is not None and len(texts) != states:
        raise ValueError(f"stateText has {len(texts)} texts for {states} states")
    properties, by_name = _shape(kind, commandable, frozenset(OPTIONAL & set(values)))
    return PointDef(kind, instance, values, properties, commandable, settable, cov, by_name)


def _given(kind: ObjectType, values: Mapping[str, Any], name: str) -> Any:
    return values[name] if name in values else defaults(kind).get(name)


@lru_cache(maxsize=None)  # points of one type and options share their property list
def _shape(
    kind: ObjectType, commandable: bool, optional: frozenset[str]
) -> tuple[tuple[PropertyDef, ...], Mapping[str, PropertyDef]]:
    properties = tuple(
        p
        for p in kind.properties
        if (commandable or p.name not in COMMAND_PROPERTIES)
        and (p.name not in OPTIONAL or p.name in optional)
    )
    return properties, {p.name: p for p in properties}


@dataclass(frozen=True)
class Project:
    """The engineering project a point file names (an EDE's PROJECT_NAME and TIMESTAMP_OF_LAST_CHANGE):
    texts as given, the time of the last change free text (an EDE's may read `19. Dez 05`)."""

    name: str
    last_change: str = ""


@dataclass(frozen=True)
class Declared:
    """A program a point list declares (runtime/building/programs.py reads it): its keys and values as
    written, and where each stands in its file (`at[None]`: the entry itself), for errors."""

    values: Mapping[str, Any]
    at: Mapping[str | None, str]


@dataclass(frozen=True)
class PointList:
    """Every object of a device but the device object's live values: what a point file defines."""

    points: tuple[PointDef, ...]
    device: PointDef
    source: str = "the default building"
    instance_given: bool = False  # the file names the device instance (an EDE always does)
    project: Project | None = None  # the project the file names, if it names one
    programs: tuple[Declared, ...] = ()  # the behaviours of the living building (none: static)
    by_key: Mapping[tuple[int, int], PointDef] = field(repr=False, default_factory=dict)
    # (type, instance, property) as clients name them -> what they name: ObjectDatabase.locate's memory,
    # shared by the devices that share the list (a fleet polled alike remembers each name once).
    located: dict[tuple[str, int, str], tuple[PointDef, PropertyDef]] = field(
        repr=False, compare=False, default_factory=dict
    )
    max_located: int = field(init=False, repr=False, compare=False)  # its bound: a few names per object

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {p.key: p for p in self.points})
        object.__setattr__(self, "max_located", LOCATED_PER_OBJECT * len(self.points) + MIN_LOCATED)


class DeviceLink(Protocol):
    """The device object's properties the device itself holds (/info/bacnet, its clock): `values()` by
    property name (and `instance`), `update(name, value)` True when it keeps that property."""

    def values(self) -> Mapping[str, Any]: ...

    def update(self, name: str, value: Any) -> bool: ...


class Store(Protocol):
    """Where changes persist (the device's StateStore, written through to --state)."""

    def get(self, path: str, seed: Callable[[], Any]) -> Any: ...

    def put(self, path: str, value: Any) -> None: ...

    def paths(self, prefix: str) -> list[str]: ...


# Bounds of a written value (beyond: value-out-of-range): its text, and a list's or array's elements.
MAX_VALUE_CHARS = 4096
MAX_VALUE_ITEMS = 1024
MAX_TREND_RECORDS = 100_000  # a trend log's bufferSize at most: its buffer lives in memory
# The (type, instance, property) names locate remembers for a point list: a few per object (a client polls
# presentValue, statusFlags and units, say), and some.
LOCATED_PER_OBJECT = 4
MIN_LOCATED = 1024
MAX_REMEMBERED_NAME = 64  # characters of a type and property name, together, worth remembering
STATE_PREFIX = "/_points"  # a device's changes, by /_points/<type number>/<instance>, in their text forms


# Hears of each property a write or a forced value changed: (the object, the property's name).
Listener = Callable[[PointDef, str], None]


class ObjectDatabase:
    """One device's objects: a shared PointList and this device's changes, under one lock; with a store,
    the changes persist (in the values' text forms) and are read back at start, skipping what the point
    list no longer has.

    The device's own programs (runtime/building/) keep what they set apart from the changes, in memory:
    `live` values (a simulated sensor's physicalValue, a trend log's counts) and `commands` (the priority
    slots a control program or a schedule commands). `sync`, when set, brings them up to date with the
    clock before every read and write; `subscribe` hears of every write and forced value (BACnet/IP's
    COV, the trend logs)."""

    def __init__(
        self, points: PointList, device: DeviceLink | None = None, store: Store | None = None
    ) -> None:
        self.points = points
        self.device = device
        self.store = store
        self.changes: dict[tuple[int, int], dict[str, Any]] = {}
        self.live: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[tuple[int, int], dict[int, Any]] = {}
        self.sync: Callable[[], None] = _nothing
        self.listeners: list[Listener] = []
        self.lock = threading.Lock()
        if store is not None:
            self._load(store)

    def subscribe(self, listener: Listener) -> None:
        """Call `listener(point, property name)` after each accepted write or forced value (outside the
        database's lock: the listener may read)."""
        self.listeners.append(listener)

    def _changed(self, point: PointDef, name: str) -> None:
        for listener in self.listeners:
            listener(point, name)

    def device_view(self) -> Mapping[str, Any]:
        return self.device.values() if self.device is not None else {}

    def _load(self, store: Store) -> None:
        for path in store.paths(STATE_PREFIX):
            number, _, instance = path[len(STATE_PREFIX) + 1 :].partition("/")
            point = self.points.by_key.get((int(number), int(instance))) if instance.isdigit() else None
            if point is None:
                continue
            for name, text in store.get(path, dict).items():
                datatype = self._datatype(point, name)
                try:
                    if datatype is not None:
                        self.changes.setdefault(point.key, {})[name] = parse(datatype, text)
                except BacnetError:
                    continue  # a value the point list's new definition refuses: the definition's stands

    def _datatype(self, point: PointDef, name: str) -> dt.Datatype | None:
        prop = point.by_name.get("presentValue" if name == "physicalValue" else name)
        if prop is None:
            return None
        return dt.nullable(prop.datatype) if name == "presentValue" else prop.datatype

    # Finding objects and properties

    def device_instance(self) -> int:
        return int(self.device_view().get("instance", self.points.device.instance))

    def find(self, type_name: str, instance: int) -> PointDef:
        """The object a client names (`type` in any spelling), or `object: unknown-object`."""
        kind = object_type(type_name)
        if kind is None:
            raise unknown_object(f"there is no object type {type_name!r}")
        if kind.name == "device":
            if instance in (self.device_instance(), 4194303):
                return self.points.device
        else:
            found = self.points.by_key.get((kind.number, instance))
            if found is not None:
                return found
        raise unknown_object(f"there is no {kind.name} {instance}")

    def instances(self, type_name: str) -> list[PointDef]:
        """Every object of a type (none for an unknown type), by instance."""
        kind = object_type(type_name)
        if kind is None:
            return []
        if kind.name == "device":
            return [self.points.device]
        return [p for p in self.points.points if p.kind is kind]

    def types(self) -> list[ObjectType]:
        """The types with at least one object, the device's first, then in BACnet's numbering."""
        present = {p.kind.number for p in self.points.points}
        return [self.points.device.kind] + [t for t in OBJECT_TYPES.values() if t.number in present]

    def locate(self, type_name: str, instance: int, name: str) -> tuple[PointDef, PropertyDef]:
        """`find` and `property_def` in one, remembered for the names clients poll again and again (the
        device object aside: its instance may change)."""
        key = (type_name, instance, name)
        located = self.points.located
        found = located.get(key)
        if found is None:
            point = self.find(type_name, instance)
            found = point, self.property_def(point, name)
            if point is not self.points.device and len(type_name) + len(name) <= MAX_REMEMBERED_NAME:
                if len(located) >= self.points.max_located:  # any spelling is a key: forget all
                    located.clear()
                located[key] = found
        return found

    def property_def(self, point: PointDef, name: str) -> PropertyDef:
        found = point.property(name)
        if found is None:
            raise unknown_property(f"{point.kind.name} {point.instance} has no property {name!r}")
        return found

    # Reading

    def stored(self, point: PointDef, name: str) -> Any:
        live = self.live.get(point.key)
        if live is not None and name in live:
            return live[name]
        if name == "priorityArray" and point.key in self.commands:
            slots = list(self._stored(point, name))
            for slot, value in self.commands[point.key].items():
                slots[slot - 1] = value
            return tuple(slots)
        return self._stored(point, name)

    def _stored(self, point: PointDef, name: str) -> Any:
        changed = self.changes.get(point.key)
        if changed is not None and name in changed:
            return changed[name]
        if point is self.points.device:
            view = self.device_view()
            if name in view:
                return view[name]
        return point.value(name)

    def value(self, point: PointDef, prop: PropertyDef) -> Any:
        """A property's current value (of its datatype)."""
        name = prop.name
        if name == "presentValue":
            key = point.key
            if key not in self.changes and key not in self.live and key not in self.commands:
                return point.present_value  # an object nothing changed: the usual case, asked for often
            return self._present_value(point)
        if name in DERIVED:
            return self._derived(point, name)
        if name == "logBuffer":
            raise BacnetError(
                "property",
                "read-access-denied",
                "a trend log's records are read with .../trend (BACnet's ReadRange), not ReadProperty",
            )
        return self.stored(point, name)

    def read(
        self, type_name: str, instance: int, name: str, array_index: int | None = None
    ) -> tuple[dt.Datatype, Any]:
        """(datatype, value) of a property, or of one element of an array (index 0: its length)."""
        self.sync()
        return self.read_synced(type_name, instance, name, array_index)

    def read_synced(
        self, type_name: str, instance: int, name: str, array_index: int | None = None
    ) -> tuple[dt.Datatype, Any]:
        """`read` without bringing the programs up to date first: a request reading many properties
        syncs once, the instant it is answered."""
        point, prop = self.points.located.get((type_name, instance, name)) or self.locate(
            type_name, instance, name
        )
        value = self.value(point, prop)
        if array_index is None or array_index < 0:
            return prop.datatype, value
        if not prop.datatype.is_array:
            raise not_an_array(f"{prop.name} is not an array")
        if array_index == 0:
            return dt.UNSIGNED, len(value)
        if array_index > len(value):
            raise invalid_array_index(f"{prop.name} has {len(value)} elements, not {array_index}")
        return prop.datatype.element_type, value[array_index - 1]

    def _present_value(self, point: PointDef) -> Any:
        if point.commandable:
            return priority.present_value(
                self.stored(point, "priorityArray"), self.stored(point, "relinquishDefault")
            )
        if point.kind.is_input:
            changed = self.changes.get(point.key, {})
            physical = self.physical_value(point)
            if changed["outOfService"] if "outOfService" in changed else point.value("outOfService"):
                return changed.get("presentValue", physical)
            return physical
        return self.stored(point, "presentValue")

    def physical_value(self, point: PointDef) -> Any:
        """An input's sensor: a value forced through the control API, else what a program sets, else the
        point list's."""
        changed = self.changes.get(point.key)
        if changed is not None and "physicalValue" in changed:
            return changed["physicalValue"]
        live = self.live.get(point.key)
        if live is not None and "physicalValue" in live:
            return live["physicalValue"]
        return point.value("presentValue")

    def _derived(self, point: PointDef, name: str) -> Any:
        if name == "objectIdentifier":
            return point.kind.number, (
                self.device_instance() if point is self.points.device else point.instance
            )
        if name == "objectType":
            return point.kind.number
        if name == "currentCommandPriority":
            return priority.active(self.stored(point, "priorityArray"))
        if name == "objectList":
            return self.object_list()
        if name == "propertyList":
            return [p.number for p in point.properties if p.name != "propertyList"]
        # statusFlags
        return (
            self.stored(point, "eventState") != 0,
            self.stored(point, "reliability") != 0,
            False,
            bool(self.stored(point, "outOfService")),
        )

    def object_list(self) -> list[tuple[int, int]]:
        return [(8, self.device_instance())] + [p.key for p in self.points.points]

    # Writing: BACnet's rules

    def write(
        self,
        type_name: str,
        instance: int,
        name: str,
        raw: Any,
        priority_: int | None = None,
        array_index: int | None = None,
        asn: bool = False,
    ) -> None:
        """A WriteProperty: `raw` is the value's text (or JSON value), or its application-tagged bytes when
        `asn`. A refused write raises BacnetError and changes nothing."""
        self.sync()
        point = self.find(type_name, instance)
        prop = self.property_def(point, name)
        self._check_writable(point, prop)
        if (
            isinstance(raw, str)
            and len(raw) > MAX_VALUE_CHARS
            or isinstance(raw, list)
            and len(raw) > MAX_VALUE_ITEMS
        ):
            raise value_out_of_range(
                f"a written value has at most {MAX_VALUE_CHARS} characters or {MAX_VALUE_ITEMS} elements"
            )
        if array_index is not None and array_index >= 0:
            self._write_element(point, prop, raw, array_index, asn)
        else:
            self._write_whole(point, prop, raw, priority_, asn)
        self._changed(point, prop.name)

    def _write_whole(
        self, point: PointDef, prop: PropertyDef, raw: Any, priority_: int | None, asn: bool
    ) -> None:
        commanded = prop.name == "presentValue" and point.commandable
        datatype = dt.nullable(prop.datatype) if commanded or prop.name == "presentValue" else prop.datatype
        value = _decoded(datatype, raw) if asn else parse(datatype, raw)
        with self.lock:
            if commanded:
                slot = priority.DEFAULT_PRIORITY if priority_ is None or priority_ < 0 else priority_
                priority.check_priority(slot)
                if value is not None:
                    self._check_range(point, prop, value)
                slots = priority.command(self._stored(point, "priorityArray"), value, slot)
                self._set(point, "priorityArray", slots)
                # A client's write of a slot a program commands takes the slot until the program's next.
                self.commands.get(point.key, {}).pop(slot, None)
                return
            if value is None:  # 15.9.2: NULL to a present value without a priority array is a no-op
                return
            self._check_range(point, prop, value)
            if prop.name == "presentValue" and point.kind.is_input:
                self._set(point, "presentValue", value)
            elif (
                prop.name == "outOfService"
                and point.kind.is_input
                and value
                and not self.stored(point, "outOfService")
            ):
                self._set(point, "presentValue", self._present_value(point))
                self._set(point, "outOfService", value)
            else:
                self._set(point, prop.name, value)
                self.live.get(point.key, {}).pop(prop.name, None)  # a program's value, replaced

    def _check_writable(self, point: PointDef, prop: PropertyDef) -> None:
        if (
            not prop.writable
            or prop.name == "presentValue"
            and not point.settable
            and not point.kind.is_input
        ):
            raise write_access_denied(f"{prop.name} is read-only")
        if prop.name == "presentValue" and point.kind.is_input and not self.stored(point, "outOfService"):
            raise write_access_denied(
                f"the presentValue of {point.kind.name} {point.instance} is writable only out of service"
            )

    def _write_element(self, point: PointDef, prop: PropertyDef, raw: Any, index: int, asn: bool) -> None:
        if not prop.datatype.is_array:
            raise not_an_array(f"{prop.name} is not an array")
        current = list(self.stored(point, prop.name))
        if not 1 <= index <= len(current):
            raise invalid_array_index(f"{prop.name} has {len(current)} elements, not {index}")
        element = prop.datatype.element_type
        current[index - 1] = _decoded(element, raw) if asn else parse(element, raw)
        with self.lock:
            self._set(point, prop.name, current)

    def _check_range(self, point: PointDef, prop: PropertyDef, value: Any) -> None:
        name = prop.name
        if name in ("presentValue", "relinquishDefault", "scheduleDefault"):
            if isinstance(value, float):
                low, high = point.values.get("minPresValue"), point.values.get("maxPresValue")
                if low is not None and value < low or high is not None and value > high:
                    raise value_out_of_range(f"{value} is outside {low}..{high}")
            if point.kind.name.startswith("multiState") and not 1 <= value <= self.stored(
                point, "numberOfStates"
            ):
                raise value_out_of_range(
                    f"state {value} is outside 1..{self.stored(point, 'numberOfStates')}"
                )
            if point.kind.name.startswith("binary") and value not in (0, 1):
                raise value_out_of_range(f"{value} is not inactive (0) or active (1)")
        if name == "recordCount" and value != 0:
            raise value_out_of_range("recordCount is written only to 0, which purges the log")
        if (
            name == "enable"
            and value
            and self.stored(point, "stopWhenFull")
            and self.stored(point, "recordCount") >= self.stored(point, "bufferSize")
        ):
            raise BacnetError(
                "object", "log-buffer-full", "the log is full and stops when full: purge it first"
            )
        if name == "bufferSize" and not 1 <= value <= MAX_TREND_RECORDS:
            raise value_out_of_range(f"a trend log keeps 1 to {MAX_TREND_RECORDS} records, not {value}")
        if name == "priorityForWriting" and not 1 <= value <= 16:
            raise value_out_of_range(f"a priority is 1 to 16, not {value}")
        if name == "stateText" and len(value) != self.stored(point, "numberOfStates"):
            raise value_out_of_range(f"{len(value)} texts for {self.stored(point, 'numberOfStates')} states")

    def _set(self, point: PointDef, name: str, value: Any) -> None:
        if point is self.points.device and self.device is not None and self.device.update(name, value):
            return
        changed = self.changes.setdefault(point.key, {})
        changed[name] = value
        if self.store is not None:
            texts: dict[str, str] = {}
            for changed_name, changed_value in changed.items():
                datatype = self._datatype(point, changed_name)
                # Every name set is one of the point's properties (or physicalValue): None is a bug.
                if datatype is None:
                    raise unknown_property(
                        f"{point.kind.name} {point.instance} has no property {changed_name!r}"
                    )
                texts[changed_name] = to_text(datatype, changed_value)
            self.store.put(f"{STATE_PREFIX}/{point.kind.number}/{point.instance}", texts)

    # The control API: a test drives the points without BACnet's rules

    def force(self, type_name: str, instance: int, values: Mapping[str, Any]) -> None:
        """Set `physicalValue` (an input's sensor), `reliability`, `outOfService`, `eventState` or any
        stored property, from their text (or JSON) forms, without the write rules. All or nothing."""
        self.sync()
        self.apply_forced(*self.forced(type_name, instance, values))

    def forced(
        self, type_name: str, instance: int, values: Mapping[str, Any]
    ) -> tuple[PointDef, dict[str, Any]]:
        """The object and the values `force` would set, checked and parsed (BacnetError: what is wrong)."""
        point = self.find(type_name, instance)
        parsed = {}
        for name, raw in values.items():
            prop = self.property_def(point, "presentValue" if name == "physicalValue" else name)
            if prop.name in DERIVED or prop.name == "presentValue" and point.commandable:
                raise write_access_denied(f"{prop.name} is worked out from other properties")
            datatype = prop.datatype
            if prop.name == "presentValue":
                name = "physicalValue" if point.kind.is_input else "presentValue"
            else:
                name = prop.name
            parsed[name] = parse(datatype, raw)
        return point, parsed

    def apply_forced(self, point: PointDef, parsed: Mapping[str, Any]) -> None:
        """Set what `forced` checked, and tell the listeners."""
        with self.lock:
            for name, value in parsed.items():
                self._set(point, name, value)
        for name in parsed:
            self._changed(point, "presentValue" if name == "physicalValue" else name)

    def relinquish_all(self) -> None:
        """Clear every commanded slot (a cold start): each commandable object's presentValue is its
        relinquishDefault again, and the store keeps it so."""
        with self.lock:
            for point in self.points.points:
                if point.commandable and priority.active(self._stored(point, "priorityArray")) is not None:
                    self._set(point, "priorityArray", priority.EMPTY)

    # The device's own programs (runtime/building/): no write rules, and no listeners (they set what they
    # themselves follow)

    def set_stored(self, point: PointDef, name: str, value: Any) -> None:
        """Set a stored property as the device does (an event state, a trend log disabled when full)."""
        with self.lock:
            self._set(point, name, value)

    def reset(self) -> None:
        """Back to the point list (the store's values are the store's to clear)."""
        with self.lock:
            self.changes.clear()
            self.live.clear()
            self.commands.clear()


def _nothing() -> None:
    """No programs to bring up to date."""


def _decoded(datatype: dt.Datatype, raw: Any) -> Any:
    """The value base64-encoded application tags give (an `encode: asn` write)."""
    try:
        return value_of(datatype, base64.b64decode(str(raw), validate=True))
    except (ValueError, binascii.Error, IndexError) as error:
        raise invalid_data_type(f"the asn value is not a {datatype.name} ({error})") from None
