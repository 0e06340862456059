"""The points in the control API (/_emulator/points/{type}/{instance}) and on the embedded server: what a test
does to a point that BACnet's rules forbid a client: set a sensor's physical value, a reliability fault, an
out-of-service state, an event state, or any stored property, in the values' text (or JSON) forms."""

from __future__ import annotations

from typing import Any, Mapping

from .errors import BacnetError
from .models import ObjectDatabase
from .texts import to_text


def point_document(objects: ObjectDatabase, type_name: str, instance: int) -> dict[str, Any]:
    """An object as the control API shows it: its type, instance and every property's text form."""
    point = objects.find(type_name, instance)
    properties = {}
    for prop in point.properties:
        try:
            properties[prop.name] = to_text(*objects.read(type_name, instance, prop.name))
        except BacnetError as error:
            properties[prop.name] = error.text
    return {"type": point.kind.name, "instance": instance, "properties": properties}


def set_point(
    objects: ObjectDatabase, type_name: str, instance: int, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Force `values` (physicalValue, reliability, outOfService, eventState, ...) without the write rules;
    all or nothing. Answers the object as point_document does."""
    objects.force(type_name, instance, values)
    return point_document(objects, type_name, instance)
