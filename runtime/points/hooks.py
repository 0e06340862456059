"""The REST behaviour of the local-objects resources (spec/points.yaml): the hooks the spec names.

A hook answers values by property name, as every hook does; the object database (models.py) keeps the
state and BACnet's rules, texts.py and encoding.py the two forms of a value. The emulator's choices:
- a single property's BACnet error is an HTTP error naming it: 404 for `object: unknown-object` and
  `property: unknown-property`, 400 for the others (spec/points.yaml, errors);
- read- and write-property-multiple answer 200 with one element per reference in request order (instance
  -1 and property all expanded in place), each with its value, or with value null, `message` (the vendor
  page's field: BACnet's text of the error and why) and `error` {errorClass, errorCode}; on REST each
  reference stands alone (the others are applied), as the vendor's page describes;
- write-property-multiple does not expand instance -1 or property all (`object: unknown-object` and
  `property: unknown-property`): a write names what it writes;
- `encode` is text (the default) or asn;
- a write's `values: [{type, value}]` is its one value (several: an array's elements); a priority or
  arrayIndex in the body wins over the query's; -1 means none;
- a multiple request addresses at most MAX_REFERENCES properties once expanded (400 TooManyReferences).
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any, Iterable

from ...generated import handler as api

from ..core.stencil import FilledList, Stencil
from .datatypes import kebab
from .encoding import encode
from .errors import BacnetError
from .models import MAX_REMEMBERED_NAME, ObjectDatabase, PointDef
from . import objects as catalogue
from .texts import to_text

OBJECTS = "/protocols/bacnet/local/objects"
MAX_REFERENCES = 10_000  # properties one multiple request may address, instance -1 and property all expanded
ASN = "asn"
REQUIRED = ("Type", "Instance", "Property")  # the keys of every property reference
PROPERTY_NAMES = frozenset(p.name for t in catalogue.OBJECT_TYPES.values() for p in t.properties)  # not "all"


def api_error(error: BacnetError) -> api.ApiError:
    """The HTTP error of a BACnet error on a single property (spec/points.yaml)."""
    key = "bacnet_" + error.error_code.replace("-", "_")
    if key not in api.ERRORS:
        key = "bacnet_invalid_data_type"
    return api.ApiError(key, error=error.text, reason=error.reason or error.text)


def _error_result(result: dict[str, Any], error: BacnetError) -> dict[str, Any]:
    result.setdefault("Value", None)  # a write's answer keeps the value sent
    result.update(
        Message=f"{error.text} ({error.reason})" if error.reason else error.text,
        Error={"errorClass": error.error_class, "errorCode": error.error_code},
    )
    return result


class _TooMany(Exception):
    """A multiple request addresses more than MAX_REFERENCES properties."""


def _echo_values(type_name: str, instance: int, name: str, index: int) -> dict[str, Any]:
    """A read's answer but for its value: what the reference named, no error."""
    return {
        "Type": type_name,
        "Instance": instance,
        "Property": name,
        "ArrayIndex": index,
        "Message": None,
        "Error": None,
    }


def _stencil(type_name: str, instance: int, name: str, index: int) -> Stencil:
    return Stencil(_echo_values(type_name, instance, name, index), "Value")


# A client polls the same references again and again; devices share them.
_echo = lru_cache(maxsize=16_384)(_stencil)


def _written_value(body: dict[str, Any]) -> Any:
    """The value a write body gives: `value`, or `values: [{type, value}]`."""
    if "Value" in body:
        return body["Value"]
    values = [typed.get("Value") for typed in body.get("Values") or ()]
    if not values:
        raise api.ApiError("invalid_body", object="BacnetPropertyWrite", reason="it gives no value")
    return values[0] if len(values) == 1 else values


def _optional(value: int | None) -> int | None:
    return None if value is None or value < 0 else value


class PointHooks:
    """The hooks of the points feature; `objects` is the device's ObjectDatabase."""

    objects: ObjectDatabase

    def _href(self, *parts: object) -> str:
        return api.BASE_PATH + OBJECTS + "".join(f"/{part}" for part in parts)

    def _find(self, object_type_: str, instance: int) -> PointDef:
        try:
            return self.objects.find(object_type_, instance)
        except BacnetError as error:
            raise api_error(error) from None

    def bacnet_objects(self, **_: Any) -> dict[str, Any]:
        types = [{"Href": self._href(kind.kebab), "Name": kind.name} for kind in self.objects.types()]
        return {"BacnetObjectTypes": types}

    def bacnet_objects_of_type(self, object_type: str, **_: Any) -> list[dict[str, Any]]:
        kind = catalogue.object_type(object_type)
        if kind is None:
            raise api_error(
                BacnetError("object", "unknown-object", f"there is no object type {object_type!r}")
            )
        instances = [self._instance_of(p) for p in self.objects.instances(kind.name)]
        return [{"Href": self._href(kind.kebab, i), "Name": f"{kind.name}_{i}"} for i in instances]

    def bacnet_object(self, object_type: str, object_instance: int, **_: Any) -> dict[str, Any]:
        point = self._find(object_type, object_instance)
        return {
            "Type": point.kind.name,
            "Instance": object_instance,
            "BacnetProperties": {
                "href": self._href(point.kind.kebab, object_instance, "properties"),
                "name": "bacnetProperties",
            },
        }

    def bacnet_properties(self, object_type: str, object_instance: int, **_: Any) -> list[dict[str, Any]]:
        point = self._find(object_type, object_instance)
        return [
            {
                "Href": self._href(point.kind.kebab, object_instance, "properties", kebab(p.name)),
                "Name": p.name,
            }
            for p in point.properties
        ]

    def _property_document(
        self, object_type: str, instance: int, name: str, array_index: int | None
    ) -> dict[str, Any]:
        try:
            point = self.objects.find(object_type, instance)
            prop = self.objects.property_def(point, name)
            datatype, value = self.objects.read(object_type, instance, name, _optional(array_index))
        except BacnetError as error:
            raise api_error(error) from None
        return {
            "Value": to_text(datatype, value),
            "AsnValue": base64.b64encode(encode(datatype, value)).decode("ascii"),
            "IsArray": datatype.is_array,
            "Implementation": "",
            "Name": prop.name,
        }

    def bacnet_property(
        self,
        object_type: str,
        object_instance: int,
        property_name: str,
        array_index: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        return self._property_document(object_type, object_instance, property_name, array_index)

    def write_bacnet_property(
        self,
        body: dict[str, Any],
        object_type: str,
        object_instance: int,
        property_name: str,
        priority: int | None = None,
        array_index: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        priority = body.get("BodyPriority", priority)
        array_index = body.get("BodyArrayIndex", array_index)
        try:
            self.objects.write(
                object_type,
                object_instance,
                property_name,
                _written_value(body),
                _optional(priority),
                _optional(array_index),
            )
        except BacnetError as error:
            raise api_error(error) from None
        return self._property_document(object_type, object_instance, property_name, array_index)

    # The multiple requests

    def _references(self, body: dict[str, Any], request: str) -> list[dict[str, Any]]:
        references = body.get("PropertyReferences") or []
        for index, reference in enumerate(references):
            missing = [key for key in REQUIRED if key not in reference]
            if missing:
                raise api.ApiError(
                    "invalid_body",
                    object=request,
                    reason=f"propertyReferences[{index}] has no {', '.join(m.lower() for m in missing)}",
                )
        return references

    def _expanded(self, reference: dict[str, Any]) -> list[tuple[int, str]]:
        """The (instance, property) pairs a read reference addresses; one pair for a reference that will
        fail (its error is its answer)."""
        instance, name = reference["Instance"], reference["Property"]
        if instance == -1:
            kind = catalogue.object_type(reference["Type"])
            points = self.objects.instances(kind.name) if kind is not None else []
            instances = [self._instance_of(p) for p in points] or [-1]
        else:
            instances = [instance]
        if name.strip().lower() != "all":
            return [(i, name) for i in instances]
        pairs: list[tuple[int, str]] = []
        for i in instances:
            try:
                pairs.extend((i, p.name) for p in self.objects.find(reference["Type"], i).properties)
            except BacnetError:
                pairs.append((i, name))
        return pairs

    def _instance_of(self, point: PointDef) -> int:
        return self.objects.device_instance() if point.kind.name == "device" else point.instance

    def read_property_multiple(self, body: dict[str, Any], **_: Any) -> FilledList:
        references = body.get("PropertyReferences") or []
        try:
            return self._read_many(references, body.get("Encode") == ASN)
        except (KeyError, _TooMany):
            # Refused whole: a reference without a type, instance or property first, then the number of
            # properties the request addresses, all expanded (worked out only now: it is rare).
            self._references(body, "ReadPropertyMultiple")
            count = sum(len(self._expanded(reference)) for reference in references)
            if count > MAX_REFERENCES:
                raise api.ApiError("too_many_references", limit=MAX_REFERENCES, count=count) from None
            raise

    def _read_many(self, references: list[dict[str, Any]], asn: bool) -> FilledList:
        count = len(references)  # properties addressed, instance -1 and property all expanded
        if count > MAX_REFERENCES:
            raise _TooMany
        self.objects.sync()  # once: the request is answered at one instant
        read, answer = self.objects.read_synced, FilledList()
        rows = answer.rows
        for reference in references:
            type_name, instance, name = reference["Type"], reference["Instance"], reference["Property"]
            index = reference.get("ArrayIndex", -1)
            if instance != -1 and (name in PROPERTY_NAMES or name.strip().lower() != "all"):
                pairs: Iterable[tuple[int, str]] = ((instance, name),)  # the usual: one property as named
            else:
                pairs = self._expanded(reference)
                count += len(pairs) - 1
                if count > MAX_REFERENCES:
                    raise _TooMany
            for instance, name in pairs:
                try:
                    datatype, value = read(type_name, instance, name, None if index < 0 else index)
                except BacnetError as error:
                    rows.append((None, _error_result(_echo_values(type_name, instance, name, index), error)))
                    continue
                if len(type_name) + len(name) <= MAX_REMEMBERED_NAME:
                    stencil = _echo(type_name, instance, name, index)
                else:  # a spelling too long to keep
                    stencil = _stencil(type_name, instance, name, index)
                if asn:
                    rows.append((stencil, base64.b64encode(encode(datatype, value)).decode("ascii")))
                else:
                    rows.append((stencil, to_text(datatype, value)))
        return answer

    def write_property_multiple(self, body: dict[str, Any], **_: Any) -> list[dict[str, Any]]:
        asn = body.get("Encode") == ASN
        references = self._references(body, "WritePropertyMultiple")
        if len(references) > MAX_REFERENCES:
            raise api.ApiError("too_many_references", limit=MAX_REFERENCES, count=len(references))
        results = []
        for reference in references:
            priority, index = reference.get("Priority", -1), reference.get("ArrayIndex", -1)
            result = {
                "Type": reference["Type"],
                "Instance": reference["Instance"],
                "Property": reference["Property"],
                "ArrayIndex": index,
                "Priority": priority,
            }
            try:
                value = _written_value(reference)
                result["Value"] = value if isinstance(value, str) or value is None else str(value)
                self.objects.write(
                    reference["Type"],
                    reference["Instance"],
                    reference["Property"],
                    value,
                    _optional(priority),
                    _optional(index),
                    asn,
                )
            except BacnetError as error:
                _error_result(result, error)
            except api.ApiError:
                _error_result(
                    result, BacnetError("property", "invalid-data-type", "the reference gives no value")
                )
            else:
                result["Message"] = result["Error"] = None
            results.append(result)
        return results
