"""bacpypes3's Application with every service answered from the points database (the one store of 3/7):
bacpypes3 decodes and encodes the wire, segments long answers and retries confirmed requests; what a value
is, whether a write is allowed and what error it gets are the database's (the same rules as REST).

The emulator's choices where the standard leaves room: a ReadPropertyMultiple of an unknown object answers
its error inside the ACK; `all` and `required` leave out propertyList (clause 12.1.1.4.1); a
WritePropertyMultiple stops at its first failure, the writes before it applied (clause 15.10.1.3.1);
ReinitializeDevice accepts coldstart and warmstart (5/7's reboots) whatever the password, the other states
are `services: optional-functionality-not-supported`; Who-Has of a name matches objectName exactly.
"""

from __future__ import annotations

import functools

import datetime
from typing import Any, Protocol, Sequence

from bacpypes3.apdu import (
    IAmRequest,
    IHaveRequest,
    ReadPropertyACK,
    ReadPropertyMultipleACK,
    ReadRangeACK,
    SimpleAckPDU,
    WritePropertyMultipleError,
)
from bacpypes3.app import Application
from bacpypes3.basetypes import (
    ErrorType,
    ObjectPropertyReference,
    ReadAccessResult,
    ReadAccessResultElement,
    ReadAccessResultElementChoice,
)
from bacpypes3.errors import ExecutionError
from bacpypes3.vendor import get_vendor_info

from ..points.errors import BacnetError
from ..points.models import ObjectDatabase, PointDef
from .cov import Subscriptions
from .readrange import TrendLogs, answer, not_a_list, select
from .values import execution_error, property_name, tags_text, to_any

ALL, REQUIRED, OPTIONAL = 8, 105, 80  # property identifiers that stand for several
MAX_APDU = 1476


class DeviceSide(Protocol):
    """What the application needs of its device (service.py)."""

    objects: ObjectDatabase
    subscriptions: Subscriptions
    trend_logs: TrendLogs

    def set_time(self, moment: datetime.datetime) -> None: ...

    def reinitialize(self, kind: str) -> None: ...

    def met(self, peer: Any) -> None: ...

    def subscribed(self) -> None: ...


class DeviceApplication(Application):
    """One emulated device's BACnet/IP application (made by service.py, which binds its layers)."""

    side: DeviceSide

    @property
    def objects(self) -> ObjectDatabase:
        return self.side.objects

    def _point(self, identifier: Any) -> PointDef:
        return self.objects.find(str(int(identifier[0])), int(identifier[1]))

    def _identifier(self, point: PointDef) -> tuple[int, int]:
        return self.objects.value(point, point.by_name["objectIdentifier"])

    def _read(self, point: PointDef, name: str, index: int | None) -> Any:
        datatype, value = self.objects.read(point.kind.name, self._instance(point), name, index)
        return to_any(datatype, value)

    def _instance(self, point: PointDef) -> int:
        return self._identifier(point)[1]

    async def indication(self, apdu: Any) -> None:
        self.side.met(apdu.pduSource)
        await super().indication(apdu)

    # Discovery

    def i_am(self, address: Any = None) -> None:
        """An I-Am to `address` (unicast: on loopback there is no broadcast to send it to)."""
        device = self.objects.points.device
        stored = self.objects.stored
        self.request(
            IAmRequest(
                iAmDeviceIdentifier=("device", self.objects.device_instance()),
                maxAPDULengthAccepted=stored(device, "maxApduLengthAccepted"),
                segmentationSupported=stored(device, "segmentationSupported"),
                vendorID=stored(device, "vendorIdentifier"),
                destination=address,
            )
        )

    async def do_WhoIsRequest(self, apdu: Any) -> None:
        low, high = apdu.deviceInstanceRangeLowLimit, apdu.deviceInstanceRangeHighLimit
        instance = self.objects.device_instance()
        if (low is None) != (high is None) or low is not None and not low <= instance <= high:
            return
        self.i_am(apdu.pduSource)

    async def do_WhoHasRequest(self, apdu: Any) -> None:
        instance = self.objects.device_instance()
        limits = apdu.limits
        if limits is not None and not (
            limits.deviceInstanceRangeLowLimit <= instance <= limits.deviceInstanceRangeHighLimit
        ):
            return
        wanted = apdu.object
        point = None
        if wanted.objectIdentifier is not None:
            try:
                point = self._point(wanted.objectIdentifier)
            except BacnetError:
                return
        elif wanted.objectName is not None:
            point = self._named(str(wanted.objectName))
        if point is None:
            return
        self.request(
            IHaveRequest(
                deviceIdentifier=("device", instance),
                objectIdentifier=self._identifier(point),
                objectName=self.objects.stored(point, "objectName"),
                destination=apdu.pduSource,
            )
        )

    def _named(self, name: str) -> PointDef | None:
        for point in (self.objects.points.device, *self.objects.points.points):
            if self.objects.stored(point, "objectName") == name:
                return point
        return None

    # Reading

    async def do_ReadPropertyRequest(self, apdu: Any) -> None:
        try:
            point = self._point(apdu.objectIdentifier)
            value = self._read(point, property_name(apdu.propertyIdentifier), apdu.propertyArrayIndex)
        except BacnetError as error:
            raise execution_error(error) from None
        await self.response(
            ReadPropertyACK(
                objectIdentifier=self._identifier(point),
                propertyIdentifier=apdu.propertyIdentifier,
                propertyArrayIndex=apdu.propertyArrayIndex,
                propertyValue=value,
                context=apdu,
            )
        )

    async def do_ReadPropertyMultipleRequest(self, apdu: Any) -> None:
        results = []
        for spec in apdu.listOfReadAccessSpecs:
            identifier = spec.objectIdentifier
            try:
                point: PointDef | None = self._point(identifier)
            except BacnetError as error:
                point, missing = None, error
            elements = []
            for reference in spec.listOfPropertyReferences:
                number, index = int(reference.propertyIdentifier), reference.propertyArrayIndex
                if point is None:
                    elements.append(_element(number, index, missing))
                elif number in (ALL, REQUIRED, OPTIONAL):
                    elements.extend(
                        _element(p.number, None, self._result(point, p.name, None))
                        for p in _expanded(point, number)
                    )
                else:
                    try:
                        result = self._result(point, property_name(number), index)
                    except BacnetError as error:
                        result = error
                    elements.append(_element(number, index, result))
            shown = self._identifier(point) if point is not None else identifier
            results.append(ReadAccessResult(objectIdentifier=shown, listOfResults=elements))
        await self.response(ReadPropertyMultipleACK(listOfReadAccessResults=results, context=apdu))

    def _result(self, point: PointDef, name: str, index: int | None) -> Any:
        try:
            return self._read(point, name, index)
        except BacnetError as error:
            return error

    # Writing

    async def do_WritePropertyRequest(self, apdu: Any) -> None:
        try:
            point = self._point(apdu.objectIdentifier)
            self._write(
                point, apdu.propertyIdentifier, apdu.propertyArrayIndex, apdu.propertyValue, apdu.priority
            )
        except BacnetError as error:
            raise execution_error(error) from None
        await self.response(SimpleAckPDU(context=apdu))

    def _write(
        self, point: PointDef, identifier: Any, index: int | None, value: Any, priority: int | None
    ) -> None:
        name = property_name(identifier)
        self.objects.write(
            point.kind.name, self._instance(point), name, tags_text(value), priority, index, True
        )

    async def do_WritePropertyMultipleRequest(self, apdu: Any) -> None:
        for spec in apdu.listOfWriteAccessSpecs:
            for written in spec.listOfProperties:
                try:
                    self._write(
                        self._point(spec.objectIdentifier),
                        written.propertyIdentifier,
                        written.propertyArrayIndex,
                        written.value,
                        written.priority,
                    )
                except BacnetError as error:
                    failed = ObjectPropertyReference(
                        objectIdentifier=spec.objectIdentifier, propertyIdentifier=written.propertyIdentifier
                    )
                    if written.propertyArrayIndex is not None:
                        failed.propertyArrayIndex = written.propertyArrayIndex
                    wrong = execution_error(error)
                    await self.response(
                        WritePropertyMultipleError(
                            errorType=ErrorType(errorClass=wrong.errorClass, errorCode=wrong.errorCode),
                            firstFailedWriteAttempt=failed,
                            context=apdu,
                        )
                    )
                    return
        await self.response(SimpleAckPDU(context=apdu))

    # COV

    async def do_SubscribeCOVRequest(self, apdu: Any) -> None:
        try:
            point = self._point(apdu.monitoredObjectIdentifier)
            process, source = apdu.subscriberProcessIdentifier, apdu.pduSource
            if apdu.issueConfirmedNotifications is None and apdu.lifetime is None:
                self.side.subscriptions.cancel(source, process, point)
                await self.response(SimpleAckPDU(context=apdu))
                return
            self.side.subscriptions.check(source, process, point)
            await self.response(SimpleAckPDU(context=apdu))  # the initial notification follows the ACK
            self.side.subscriptions.subscribe(
                source, process, point, bool(apdu.issueConfirmedNotifications), apdu.lifetime or 0
            )
            self.side.subscribed()
        except BacnetError as error:
            raise execution_error(error) from None

    # Trend logs

    async def do_ReadRangeRequest(self, apdu: Any) -> None:
        try:
            point = self._point(apdu.objectIdentifier)
            name = property_name(apdu.propertyIdentifier)
            if point.kind.name != "trendLog" or name != "logBuffer":
                raise not_a_list(name)
        except BacnetError as error:
            raise execution_error(error) from None
        records = self.side.trend_logs.records(point.instance)
        by, reference, count = None, None, 0
        asked = apdu.range
        if asked is not None and asked.byPosition is not None:
            by, reference, count = "position", asked.byPosition.referenceIndex, asked.byPosition.count
        elif asked is not None and asked.bySequenceNumber is not None:
            chosen = asked.bySequenceNumber
            by, reference, count = "sequence", chosen.referenceSequenceNumber, chosen.count
        elif asked is not None and asked.byTime is not None:
            by, reference, count = "time", _moment(asked.byTime.referenceTime), asked.byTime.count
        start, end = select(records, by, reference, count)
        await self.response(
            ReadRangeACK(
                objectIdentifier=apdu.objectIdentifier,
                propertyIdentifier=apdu.propertyIdentifier,
                context=apdu,
                **answer(records, start, end),
            )
        )

    # The device as a whole

    async def do_TimeSynchronizationRequest(self, apdu: Any) -> None:
        self.side.set_time(_moment(apdu.time))

    async def do_UTCTimeSynchronizationRequest(self, apdu: Any) -> None:
        self.side.set_time(_moment(apdu.time).replace(tzinfo=datetime.timezone.utc))

    async def do_ReinitializeDeviceRequest(self, apdu: Any) -> None:
        state = int(apdu.reinitializedStateOfDevice)
        if state not in (0, 1):
            raise ExecutionError(errorClass="services", errorCode="optionalFunctionalityNotSupported")
        await self.response(SimpleAckPDU(context=apdu))
        self.side.reinitialize("cold" if state == 0 else "warm")


def _moment(value: Any) -> datetime.datetime:
    """A BACnet DateTime as a naive datetime (its wildcards as the earliest value)."""
    year, month, day, _ = value.date
    hour, minute, second, hundredths = value.time
    wild = 255
    return datetime.datetime(
        1900 + year if year != wild else 1900,
        month if month != wild else 1,
        day if day != wild else 1,
        hour if hour != wild else 0,
        minute if minute != wild else 0,
        second if second != wild else 0,
        (hundredths if hundredths != wild else 0) * 10000,
    )


def _expanded(point: PointDef, number: int) -> Sequence[Any]:
    """The properties `all`, `required` or `optional` stand for (without propertyList but for optional)."""
    listed = [p for p in point.properties if p.name != "propertyList"]
    if number == ALL:
        return listed
    required = _required(point.kind.number)
    if number == REQUIRED:
        return [p for p in listed if p.name in required]
    return [p for p in listed if p.name not in required]


@functools.cache  # a fixed table: bacpypes3's classes do not change
def _required(type_number: int) -> frozenset[str]:
    """The properties the standard requires of an object type (as bacpypes3's classes list them)."""
    kind = get_vendor_info(0).get_object_class(type_number)
    names: set[str] = set()
    for cls in getattr(kind, "__mro__", ()):
        names.update(getattr(cls, "_required", ()))
    return frozenset(names)


def _element(number: int, index: int | None, result: Any) -> ReadAccessResultElement:
    choice = ReadAccessResultElementChoice()
    if isinstance(result, BacnetError):
        wrong = execution_error(result)
        choice.propertyAccessError = ErrorType(errorClass=wrong.errorClass, errorCode=wrong.errorCode)
    else:
        choice.propertyValue = result
    element = ReadAccessResultElement(propertyIdentifier=number, readResult=choice)
    if index is not None:
        element.propertyArrayIndex = index
    return element
