"""The local-objects resources over real HTTP, on both serving cores, in JSON and XML: the default building's
objects, properties and values, writes with BACnet's rules, read- and write-property-multiple, every spelling
clients use, and the flow of a home-automation integration (BACNET-FACTS.md section 0)."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET

import pytest

from runtime.points import datatypes as dt
from runtime.points.encoding import encode, value_of
from runtime.points.models import ObjectDatabase
from runtime.points.pointlists import default_building
from runtime.points.texts import parse, to_text

OBJECTS = "/protocols/bacnet/local/objects"
JSON_BODY = {"Content-Type": "application/json"}


def get(http, url: str, **headers: str):
    status, _, body = http("GET", url, headers)
    return status, json.loads(body) if body.startswith((b"{", b"[")) else body


def post(http, url: str, document, content_type: str = "application/json"):
    body = document if isinstance(document, (bytes, str)) else json.dumps(document)
    status, _, answer = http("POST", url, {"Content-Type": content_type}, body)
    return status, json.loads(answer) if answer.startswith((b"{", b"[")) else answer


def test_the_objects_page_links_each_type_present(base, http):
    status, page = get(http, base + OBJECTS)
    assert status == 200
    assert page["readPropertyMultipleController"]["href"].endswith("/objects/read-property-multiple")
    assert page["writePropertyMultipleController"]["name"] == "writePropertyMultipleController"
    types = {link["name"]: link["href"] for link in page["bacnetObjectTypes"]}
    assert types["analogValue"].endswith("/objects/analog-value")
    assert types["multiStateValue"].endswith("/objects/multi-state-value")
    assert {"device", "schedule", "calendar", "trendLog", "notificationClass", "binaryInput"} <= set(types)


@pytest.mark.parametrize("spelling", ["analog-value", "analogValue", "analogvalue", "ANALOG-VALUE"])
def test_a_type_lists_its_objects_in_every_spelling(base, http, spelling):
    status, objects = get(http, f"{base}{OBJECTS}/{spelling}")
    assert status == 200
    assert objects[0] == {
        "href": "/api/rest/v1/protocols/bacnet/local/objects/analog-value/1",
        "name": "analogValue_1",
    }
    assert [o["name"].split("_")[1] for o in objects] == [str(n) for n in range(1, len(objects) + 1)]


def test_multistate_value_is_also_spelled_without_the_hyphen(base, http):
    assert get(http, f"{base}{OBJECTS}/multistate-value")[1][0]["name"] == "multiStateValue_1"


def test_an_object_and_its_properties(base, http):
    status, page = get(http, f"{base}{OBJECTS}/analog-value/1/")
    assert (status, page["objectType"], page["objectInstance"]) == (200, "analogValue", 1)
    assert page["bacnetProperties"]["href"].endswith("/analog-value/1/properties")
    status, properties = get(http, f"{base}{OBJECTS}/analogValue/1/properties")
    names = [p["name"] for p in properties]
    assert {"presentValue", "priorityArray", "relinquishDefault", "statusFlags", "units"} <= set(names)
    assert properties[names.index("presentValue")]["href"].endswith(
        "/analog-value/1/properties/present-value"
    )


def test_a_property_in_json_and_xml_in_the_pages_orders(base, http):
    url = f"{base}{OBJECTS}/analog-value/2/properties/object-name"
    status, headers, body = http("GET", url)
    assert status == 200
    assert list(json.loads(body)) == ["value", "asnValue", "isArray", "implementation", "name"]
    assert json.loads(body)["value"] == "ZN1-SP" and json.loads(body)["name"] == "objectName"
    status, _, body = http("GET", url + "?encode=xml")
    root = ET.fromstring(body)
    assert [child.tag for child in root] == ["Name", "IsArray", "Implementation", "AsnValue", "Value"]
    assert root.findtext("Value") == "ZN1-SP" and b"<Implementation />" in body


def test_select_and_value(base, http):
    url = f"{base}{OBJECTS}/analogValue/2/properties/presentValue"
    assert get(http, url + "?$select=value")[1] == {"value": "21.0"}
    status, headers, body = http("GET", url + "/value/$value")
    assert (status, body) == (200, b"21.0")


def test_every_property_of_the_default_building_decodes_back_to_its_value(base, http):
    database = ObjectDatabase(default_building())
    for point in (database.points.device, *database.points.points):
        kind = point.kind.kebab
        instance = 1 if point is database.points.device else point.instance
        for prop in point.properties:
            status, answer = get(http, f"{base}{OBJECTS}/{kind}/{instance}/properties/{prop.name}")
            if prop.name == "logBuffer":  # read with .../trend, as bacnet-stack answers ReadProperty
                assert (status, answer["code"]) == (400, "ReadAccessDenied"), answer
                continue
            assert status == 200, (kind, prop.name, answer)
            data = base64.b64decode(answer["asnValue"])
            datatype = dt.nullable(prop.datatype) if prop.name == "currentCommandPriority" else prop.datatype
            if datatype.name in (
                "weeklySchedule",
                "dateRange",
                "exceptionSchedule",
            ):  # context-tagged: encode the text instead
                assert encode(datatype, parse(datatype, answer["value"])) == data, (kind, prop.name)
            else:
                assert to_text(datatype, value_of(datatype, data)) == answer["value"], (kind, prop.name)
            assert answer["isArray"] is datatype.is_array


def test_the_facts_priority_sequence_over_http(base, http):
    url = f"{base}{OBJECTS}/analog-value/3/properties/present-value"
    assert post(http, url + "?priority=8", {"value": "22"})[1]["value"] == "22.0"
    assert post(http, url, {"value": "25"})[1]["value"] == "22.0"  # slot 16
    assert post(http, url, {"value": "null", "priority": 8})[1]["value"] == "25.0"
    assert post(http, url + "?priority=16", {"value": "null"})[1]["value"] == "21.0"  # the relinquish default
    assert get(http, url.replace("present-value", "current-command-priority"))[1]["value"] == "null"
    assert get(http, url.replace("present-value", "priority-array") + "?arrayIndex=0")[1]["value"] == "16"


@pytest.mark.parametrize(
    "path,body,query,status,code",
    [
        ("analog-value/3/properties/present-value", {"value": "22"}, "?priority=6", 400, "WriteAccessDenied"),
        ("analog-value/3/properties/present-value", {"value": "warm"}, "", 400, "InvalidDataType"),
        ("analog-value/3/properties/present-value", {"value": "40"}, "", 400, "ValueOutOfRange"),
        ("analog-input/1/properties/present-value", {"value": "40"}, "", 400, "WriteAccessDenied"),
        ("analog-value/3/properties/object-type", {"value": "2"}, "", 400, "WriteAccessDenied"),
        ("multi-state-value/1/properties/present-value", {"value": "9"}, "", 400, "ValueOutOfRange"),
        ("analog-value/99/properties/present-value", {"value": "1"}, "", 404, "UnknownObject"),
        ("pump/1/properties/present-value", {"value": "1"}, "", 404, "UnknownObject"),
        ("analog-value/3/properties/flavour", {"value": "1"}, "", 404, "UnknownProperty"),
    ],
)
def test_a_refused_write_names_its_error_and_changes_nothing(base, http, path, body, query, status, code):
    before = get(http, f"{base}{OBJECTS}/analog-value/3/properties/present-value")[1]["value"]
    answer_status, answer = post(http, f"{base}{OBJECTS}/{path}{query}", body)
    assert (answer_status, answer["code"]) == (status, code)
    assert get(http, f"{base}{OBJECTS}/analog-value/3/properties/present-value")[1]["value"] == before


def test_xml_writes_and_errors(base, http):
    url = f"{base}{OBJECTS}/binaryValue/1/properties/presentValue?encode=xml"
    body = "<BacnetProperty><Value>Inactive</Value><Priority>8</Priority></BacnetProperty>"
    status, _, answer = http("POST", url, {"Content-Type": "application/xml"}, body)
    assert status == 200 and ET.fromstring(answer).findtext("Value") == "Inactive"
    status, _, answer = http("POST", url.replace("/1/", "/77/"), {"Content-Type": "application/xml"}, body)
    assert status == 404 and ET.fromstring(answer).findtext("Code") == "UnknownObject"


def test_a_write_without_content_type_is_415(base, http):
    status, _, _ = http(
        "POST", f"{base}{OBJECTS}/binaryValue/1/properties/presentValue", {}, '{"value": "Active"}'
    )
    assert status == 415


def test_the_values_form_and_a_structured_weekly_schedule(base, http):
    url = f"{base}{OBJECTS}/analogValue/4/properties/presentValue"
    assert (
        post(http, url, {"values": [{"type": "real", "value": 22.0}], "priority": 15})[1]["value"] == "22.0"
    )
    week = [{"timeValues": [{"time": "08:00", "type": "enumerated", "value": 2}]}] + [{"timeValues": []}] * 6
    status, answer = post(http, f"{base}{OBJECTS}/schedule/1/properties/weekly-schedule", {"value": week})
    assert status == 200 and answer["value"].startswith("{{(08:00:00,2.0)},{},")


def test_read_property_multiple_in_request_order_with_expansions_and_errors(base, http):
    references = [
        {"type": "analogvalue", "instance": -1, "property": "presentValue"},
        {"type": "analogValue", "instance": 1, "property": "all", "arrayIndex": -1},
        {"type": "analogValue", "instance": 1, "property": "bogus"},
        {"type": "binaryValue", "instance": 42, "property": "presentValue"},
        {"type": "analogValue", "instance": 1, "property": "priorityArray", "arrayIndex": 0},
    ]
    status, answer = post(
        http, f"{base}{OBJECTS}/read-property-multiple", {"encode": "text", "propertyReferences": references}
    )
    assert status == 200
    values = [a for a in answer if a["type"] == "analogvalue"]
    assert [a["instance"] for a in values] == [1, 2, 3, 4, 5, 6] and values[0]["value"] == "13.0"
    every = [
        a for a in answer if a["type"] == "analogValue" and a["property"] not in ("bogus", "priorityArray")
    ]
    assert every[0]["property"] == "objectIdentifier" and every[0]["value"] == "(Analog Value,1)"
    bogus, missing, length = answer[-3:]
    assert bogus["value"] is None and bogus["error"] == {
        "errorClass": "property",
        "errorCode": "unknown-property",
    }
    assert missing["message"].startswith("object: unknown-object")
    assert length["value"] == "16" and length["error"] is None


def test_read_property_multiple_in_asn_and_xml(base, http):
    body = {
        "encode": "asn",
        "propertyReferences": [{"type": "analogValue", "instance": 2, "property": "units"}],
    }
    assert post(http, f"{base}{OBJECTS}/read-property-multiple", body)[1][0]["value"] == "kT4="
    xml = (
        "<ReadPropertyMultiple><Encode>text</Encode><PropertyReferences><PropertyReference><Type>analogValue</Type>"
        "<Instance>2</Instance><Property>units</Property></PropertyReference>"
        "<PropertyReference><Type>analogValue</Type><Instance>2</Instance><Property>nope</Property>"
        "</PropertyReference></PropertyReferences></ReadPropertyMultiple>"
    )
    status, _, answer = http(
        "POST", f"{base}{OBJECTS}/read-property-multiple?encode=xml", {"Content-Type": "application/xml"}, xml
    )
    root = ET.fromstring(answer)
    assert status == 200 and root.tag == "PropertyReferences"
    first, second = root
    assert first.findtext("Value") == "Degrees Celsius"
    assert second.find("Error").findtext("ErrorCode") == "unknown-property"


def test_write_property_multiple_applies_each_reference_on_its_own(base, http):
    references = [
        {"type": "analogValue", "instance": 2, "property": "presentValue", "priority": 15, "value": "22"},
        {"type": "analogValue", "instance": 2, "property": "presentValue", "priority": 6, "value": "23"},
        {
            "type": "analog-value",
            "instance": 3,
            "property": "present-value",
            "values": [{"type": "real", "value": 19}],
        },
    ]
    status, answer = post(
        http, f"{base}{OBJECTS}/write-property-multiple", {"encode": "text", "propertyReferences": references}
    )
    assert status == 200
    assert answer[0]["value"] == "22" and answer[0]["error"] is None
    assert answer[1]["value"] == "23" and answer[1]["error"]["errorCode"] == "write-access-denied"
    assert answer[2]["error"] is None
    read = [{"type": "analogValue", "instance": i, "property": "presentValue"} for i in (2, 3)]
    values = post(
        http, f"{base}{OBJECTS}/read-property-multiple", {"encode": "text", "propertyReferences": read}
    )[1]
    assert [v["value"] for v in values] == ["22.0", "19.0"]


def test_a_multiple_request_without_a_required_field_is_400(base, http):
    body = {"encode": "text", "propertyReferences": [{"type": "analogValue", "property": "presentValue"}]}
    status, answer = post(http, f"{base}{OBJECTS}/read-property-multiple", body)
    assert status == 400 and "instance" in answer["message"]


def test_the_device_object_is_info_bacnet(base, http):
    info = get(http, base + "/info/bacnet")[1]
    instance = info["deviceInstance"]
    url = f"{base}{OBJECTS}/device/{instance}/properties"
    assert get(http, url + "/object-identifier")[1]["value"] == f"(Device,{instance})"
    assert get(http, url + "/location")[1]["value"] == info["location"]
    assert post(http, url + "/location", {"value": "Roof"})[0] == 200
    assert get(http, base + "/info/bacnet")[1]["location"] == "Roof"
    assert get(http, url + "/object-list")[1]["value"].startswith(f"{{(Device,{instance}),(Analog Input,1),")


def test_reset_restores_the_point_list(server, base, http):
    url = f"{base}{OBJECTS}/analog-value/2/properties/present-value"
    post(http, url, {"value": "25"})
    server.reset()
    assert get(http, url)[1]["value"] == "21.0"


def test_the_home_automation_flow(base, http):
    """Read the identity, list each type, RPM of propertyList/objectName/description, poll presentValue,
    statusFlags and units, write a setpoint at priority 15 as a string and read it back."""
    identity = get(http, base + "/info/device")[1]
    assert identity["modelName"] and identity["softwareVersion"]
    found = []
    for kind in (
        "analog-value",
        "analog-input",
        "analog-output",
        "binary-value",
        "binary-input",
        "binary-output",
        "multi-state-value",
    ):
        status, objects = get(http, f"{base}{OBJECTS}/{kind}")
        assert status == 200 and objects
        for entry in objects:
            camel_type, instance = entry["name"].split("_")
            found.append((camel_type, int(instance)))
    references = [
        {"type": t, "instance": i, "property": p}
        for t, i in found
        for p in ("propertyList", "objectName", "description")
    ]
    answer = post(
        http, f"{base}{OBJECTS}/read-property-multiple", {"encode": "text", "propertyReferences": references}
    )[1]
    assert all(a["error"] is None for a in answer)
    assert answer[0]["value"].startswith(
        "{Object Identifier,Object Name,Object Type,Description,Present Value,"
    )
    poll = [
        {"type": t, "instance": i, "property": p}
        for t, i in found
        for p in ("presentValue", "statusFlags", "units")
    ]
    answer = post(
        http, f"{base}{OBJECTS}/read-property-multiple", {"encode": "text", "propertyReferences": poll}
    )[1]
    by_key = {(a["type"], a["instance"], a["property"]): a for a in answer}
    assert by_key[("analogValue", 2, "units")]["value"] == "Degrees Celsius"
    assert by_key[("binaryValue", 1, "units")]["error"]["errorCode"] == "unknown-property"
    assert by_key[("analogInput", 1, "statusFlags")]["value"] == "{false,false,false,false}"
    url = f"{base}{OBJECTS}/analogValue/2/properties/presentValue?priority=15"
    assert post(http, url, {"value": "22.5"})[0] == 200
    assert get(http, f"{base}{OBJECTS}/analogValue/2/properties/presentValue")[1]["value"] == "22.5"


def test_bounds_of_a_multiple_request_and_of_a_written_value(base, http):
    references = [{"type": "analogValue", "instance": 1, "property": "presentValue"}] * 10_001
    status, answer = post(http, f"{base}{OBJECTS}/read-property-multiple", {"propertyReferences": references})
    assert (status, answer["code"]) == (400, "TooManyReferences")
    # Under the bound in references, over it in properties: refused whole, saying how many it addresses;
    # a reference without its keys is said first.
    one = [{"type": "analogValue", "instance": -1, "property": "all"}]
    each = len(post(http, f"{base}{OBJECTS}/read-property-multiple", {"propertyReferences": one})[1])
    status, answer = post(
        http, f"{base}{OBJECTS}/read-property-multiple", {"propertyReferences": one * 5_000}
    )
    assert (status, answer["code"]) == (400, "TooManyReferences") and str(each * 5_000) in answer["message"]
    broken = one * 5_000 + [{"type": "analogValue"}]
    status, answer = post(http, f"{base}{OBJECTS}/read-property-multiple", {"propertyReferences": broken})
    assert (status, answer["code"]) == (400, "InvalidBody") and "[5000] has no instance, property" in answer[
        "message"
    ]
    url = f"{base}{OBJECTS}/analogValue/1/properties/description"
    status, answer = post(http, url, {"value": "x" * 4097})
    assert (status, answer["code"]) == (400, "ValueOutOfRange")
    assert post(http, url, {"value": "x" * 4096})[0] == 200


def test_a_reference_without_type_instance_or_property_is_refused_whole(base, http):
    """Wherever it stands in the request (the others are read first), both multiple requests."""
    good = {"type": "analogValue", "instance": 1, "property": "presentValue"}
    for request in ("read-property-multiple", "write-property-multiple"):
        for missing, said in ((("property",), "property"), (("type", "instance"), "type, instance")):
            reference = {k: v for k, v in good.items() if k not in missing}
            references = [{**good, "value": "21"}, reference]
            status, answer = post(http, f"{base}{OBJECTS}/{request}", {"propertyReferences": references})
            assert (status, answer["code"]) == (400, "InvalidBody")
            assert f"propertyReferences[1] has no {said}" in answer["message"]
