"""BACnet's rules over the object database (runtime/points/models.py): command prioritization, inputs out of
service, read-only properties, range, type and state checks; a refused write changes nothing."""

from __future__ import annotations

import pytest

from runtime.points.errors import BacnetError
from runtime.points.models import ObjectDatabase, PointList, define
from runtime.points.objects import OBJECT_TYPES
from runtime.points.texts import to_text


def _db() -> ObjectDatabase:
    t = OBJECT_TYPES
    points = (
        define(t["analogValue"], 1, {"relinquishDefault": 20.0, "units": 62}),
        define(t["analogValue"], 2, {"minPresValue": 0.0, "maxPresValue": 100.0}, commandable=False),
        define(t["analogInput"], 1, {"presentValue": 21.5, "units": 62}),
        define(t["multiStateValue"], 1, {"stateText": ["Off", "Low", "High"]}),
        define(t["binaryValue"], 1, {}),
        define(t["analogOutput"], 1, {"minPresValue": 0.0, "maxPresValue": 100.0}),
    )
    return ObjectDatabase(PointList(points, define(t["device"], 1001, {})))


def _pv(db: ObjectDatabase, kind: str = "analogValue", instance: int = 1) -> str:
    datatype, value = db.read(kind, instance, "presentValue")
    return to_text(datatype, value)


def _error(call, *args, **kwargs) -> str:
    with pytest.raises(BacnetError) as caught:
        call(*args, **kwargs)
    return caught.value.text


def test_the_facts_priority_sequence():
    db = _db()
    db.write("analogValue", 1, "presentValue", "22", 8)
    assert (_pv(db), db.read("analogValue", 1, "currentCommandPriority")[1]) == ("22.0", 8)
    db.write("analogValue", 1, "presentValue", "25")  # no priority: slot 16
    assert _pv(db) == "22.0"
    db.write("analogValue", 1, "presentValue", "null", 8)
    assert _pv(db) == "25.0"
    db.write("analogValue", 1, "presentValue", "null", 16)
    assert (_pv(db), db.read("analogValue", 1, "currentCommandPriority")[1]) == ("20.0", None)
    assert db.read("analogValue", 1, "priorityArray", 0)[1] == 16


def test_the_priority_array_shows_each_slot():
    db = _db()
    db.write("analog-value", 1, "present-value", "22.5", 15)
    datatype, value = db.read("analogvalue", 1, "priorityArray")
    assert to_text(datatype, value) == "{" + ",".join(["null"] * 14 + ["22.5", "null"]) + "}"


def test_priority_6_and_outside_1_to_16_are_refused_and_change_nothing():
    db = _db()
    assert _error(db.write, "analogValue", 1, "presentValue", "30", 6) == "property: write-access-denied"
    assert _error(db.write, "analogValue", 1, "presentValue", "30", 17) == "services: parameter-out-of-range"
    assert _error(db.write, "analogValue", 1, "presentValue", "30", 0) == "services: parameter-out-of-range"
    assert _pv(db) == "20.0" and db.changes == {}


def test_a_priority_on_a_non_commandable_object_is_ignored():
    db = _db()
    db.write("analogValue", 2, "presentValue", "30", 8)
    assert _pv(db, "analogValue", 2) == "30.0"
    assert _error(db.read, "analogValue", 2, "priorityArray") == "property: unknown-property"
    db.write("analogValue", 2, "presentValue", "null")  # no priority array: NULL is a no-op
    assert _pv(db, "analogValue", 2) == "30.0"


def test_relinquish_default_written_moves_the_present_value():
    db = _db()
    db.write("analogValue", 1, "relinquishDefault", "18")
    assert _pv(db) == "18.0"


def test_an_input_takes_a_present_value_only_out_of_service():
    db = _db()
    assert _error(db.write, "analogInput", 1, "presentValue", "30") == "property: write-access-denied"
    db.write("analogInput", 1, "outOfService", "true")
    assert _pv(db, "analogInput", 1) == "21.5"  # the physical value at the time
    db.write("analogInput", 1, "presentValue", "30")
    assert _pv(db, "analogInput", 1) == "30.0"
    assert to_text(*db.read("analogInput", 1, "statusFlags")) == "{false,false,false,true}"
    db.write("analogInput", 1, "outOfService", "false")
    assert _pv(db, "analogInput", 1) == "21.5"


def test_read_only_properties_refuse_writes():
    db = _db()
    for name in ("objectIdentifier", "objectType", "statusFlags", "priorityArray", "propertyList"):
        assert _error(db.write, "analogValue", 1, name, "1") == "property: write-access-denied", name
    assert _error(db.write, "device", 1001, "objectList", "{}") == "property: write-access-denied"


def test_range_type_and_state_checks():
    db = _db()
    assert _error(db.write, "analogValue", 2, "presentValue", "101") == "property: value-out-of-range"
    assert _error(db.write, "analogOutput", 1, "presentValue", "-1", 8) == "property: value-out-of-range"
    assert _error(db.write, "analogValue", 1, "presentValue", "warm") == "property: invalid-data-type"
    assert _error(db.write, "multiStateValue", 1, "presentValue", "4") == "property: value-out-of-range"
    assert _error(db.write, "multiStateValue", 1, "presentValue", "0") == "property: value-out-of-range"
    assert _error(db.write, "analogValue", 1, "units", "99999") == "property: value-out-of-range"
    assert _error(db.write, "analogValue", 1, "outOfService", "maybe") == "property: invalid-data-type"
    assert _error(db.write, "analogValue", 1, "description", "null") == "property: invalid-data-type"
    assert db.changes == {}
    db.write("multiStateValue", 1, "presentValue", "3")
    assert _pv(db, "multiStateValue", 1) == "3"


def test_unknown_objects_and_properties():
    db = _db()
    assert _error(db.read, "analogValue", 99, "presentValue") == "object: unknown-object"
    assert _error(db.read, "pump", 1, "presentValue") == "object: unknown-object"
    assert _error(db.read, "analogValue", 1, "flavour") == "property: unknown-property"
    assert _error(db.read, "analogValue", 1, "units", 1) == "property: property-is-not-an-array"
    assert _error(db.read, "analogValue", 1, "priorityArray", 17) == "property: invalid-array-index"


def test_binary_texts_and_units():
    db = _db()
    db.write("binaryValue", 1, "presentValue", "Active")
    assert _pv(db, "binaryValue", 1) == "Active"
    db.write("binaryValue", 1, "presentValue", "inactive", 15)
    assert _pv(db, "binaryValue", 1) == "Inactive"  # slot 15 is above slot 16
    assert to_text(*db.read("analogValue", 1, "units")) == "Degrees Celsius"
    db.write("analogValue", 1, "units", "degreesFahrenheit")
    assert to_text(*db.read("analogValue", 1, "units")) == "Degrees Fahrenheit"


def test_property_list_and_object_list():
    db = _db()
    text = to_text(*db.read("analogValue", 2, "propertyList"))
    assert text.startswith("{Object Identifier,Object Name,Object Type,Description,Present Value,")
    assert "Priority Array" not in text and "Min Pres Value" in text
    assert to_text(*db.read("device", 1001, "objectList")).startswith("{(Device,1001),(Analog Value,1),")


def test_control_forces_a_sensor_and_a_fault_without_the_rules():
    db = _db()
    db.force("analogInput", 1, {"physicalValue": "23.25", "reliability": "over-range"})
    assert _pv(db, "analogInput", 1) == "23.25"
    assert to_text(*db.read("analogInput", 1, "statusFlags")) == "{false,true,false,false}"
    assert to_text(*db.read("analogInput", 1, "reliability")) == "Over Range"
