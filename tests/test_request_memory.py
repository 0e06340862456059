"""What the device API remembers between requests to answer a polling client faster — a request's plan
(any method), the values of a body it read, the objects a name locates — changes no answer, hands each
request values of its own, and stays within its bounds."""

from __future__ import annotations

import json

import pytest

from generated import handler as api
from runtime import Emulator
from runtime.core import deviceapi
from runtime.core.wire import Request
from runtime.points import models
from runtime.points.feature import PointsFeature

OBJECTS = "/api/rest/v1/protocols/bacnet/local/objects"
RPM = OBJECTS + "/read-property-multiple"
JSON = {"Content-Type": "application/json"}


def rpm(*references: tuple[str, int, str]) -> bytes:
    return json.dumps(
        {"propertyReferences": [{"type": t, "instance": i, "property": p} for t, i, p in references]}
    ).encode()


@pytest.fixture
def device():
    emulator = Emulator(clock="manual")
    yield emulator
    emulator.close()


def test_a_post_s_plan_is_kept_and_each_body_is_still_read(device: Emulator) -> None:
    good = device.respond(Request("POST", RPM, JSON, rpm(("analogValue", 1, "presentValue"))))
    assert good.status == 200 and json.loads(good.body)[0]["error"] is None
    assert any(key[:2] == ("POST", RPM) for key in api.API._plans)
    bad = device.respond(Request("POST", RPM, JSON, b'{"propertyReferences": [{"type": 1}]}'))
    assert bad.status == 400 and json.loads(bad.body)["code"] == "InvalidBody"
    other = device.respond(Request("POST", RPM, JSON, rpm(("analogValue", 999999, "presentValue"))))
    assert json.loads(other.body)[0]["error"]["errorCode"] == "unknown-object"


def test_a_body_read_again_is_a_fresh_copy(device: Emulator) -> None:
    route = next(r for r in api.ROUTES if r.operation == "read_property_multiple")
    request = Request("POST", RPM, JSON, rpm(("analogValue", 1, "presentValue"), ("binaryValue", 1, "all")))
    first = api.API._read_body(request, route, device.revision)
    first["PropertyReferences"][0]["Instance"] = 42  # what a backend might do with what it is given
    first["PropertyReferences"].append({"Type": "x"})
    second = api.API._read_body(request, route, device.revision)
    assert second == api.API._read_body(
        Request("POST", RPM, JSON, request.body + b" "), route, device.revision
    )
    assert second["PropertyReferences"][0]["Instance"] == 1 and len(second["PropertyReferences"]) == 2


def test_the_bodies_kept_are_bounded_in_number_and_size(device: Emulator, monkeypatch) -> None:
    monkeypatch.setattr(deviceapi, "MAX_READ_BODIES", 5)
    monkeypatch.setattr(api.API, "_bodies", {})
    for instance in range(1, 13):
        answer = device.respond(Request("POST", RPM, JSON, rpm(("analogValue", instance, "objectName"))))
        assert answer.status == 200
        assert 1 <= len(api.API._bodies) <= 5
    api.API._bodies.clear()
    large = rpm(*[("analogValue", 1, "presentValue")] * 400)
    assert len(large) > deviceapi.MAX_READ_BODY
    assert device.respond(Request("POST", RPM, JSON, large)).status == 200
    assert api.API._bodies == {}


def test_the_names_located_are_bounded_and_shared_by_devices_of_one_list() -> None:
    first, second = Emulator(clock="manual"), Emulator(clock="manual")
    try:
        points = first.feature(PointsFeature).objects.points
        located = points.located
        assert second.feature(PointsFeature).objects.points.located is located
        assert points.max_located == models.LOCATED_PER_OBJECT * len(points.points) + models.MIN_LOCATED
        object.__setattr__(points, "max_located", 3)
        located.clear()  # the default building's list is loaded once per process: others used it
        spellings = ["presentValue", "present-value", "PRESENTVALUE", "presentvalue", "present_value"]
        texts = []
        for name in spellings:
            answer = first.respond(Request("POST", RPM, JSON, rpm(("analogValue", 1, name))))
            texts.append(json.loads(answer.body)[0]["value"])
            assert len(located) <= 3
        assert len(set(texts)) == 1 and texts[0] is not None
    finally:
        object.__setattr__(
            points, "max_located", models.LOCATED_PER_OBJECT * len(points.points) + models.MIN_LOCATED
        )
        first.close()
        second.close()


def test_a_body_shared_by_a_reading_hook_is_left_as_it_was_read(device: Emulator) -> None:
    """read-property-multiple is given the values an earlier request with the same bytes was given: after
    answers with expansions and errors, they are still what reading the bytes gives."""
    route = next(r for r in api.ROUTES if r.operation == "read_property_multiple")
    assert device.shares_body(route)
    assert not device.shares_body(next(r for r in api.ROUTES if r.operation == "write_property_multiple"))
    body = rpm(("analogValue", -1, "all"), ("analogValue", 1, "nosuch"), ("device", 4194303, "objectList"))
    request = Request("POST", RPM, JSON, body)
    answers = {device.respond(request).body for _ in range(3)}
    assert len(answers) == 1
    shared = api.API._read_body(request, route, device.revision, shared=True)
    assert shared is api.API._read_body(request, route, device.revision, shared=True)
    assert shared == api.API._read_body(Request("POST", RPM, JSON, body + b" "), route, device.revision)


def test_a_spelling_too_long_to_keep_is_answered_and_not_remembered(device: Emulator) -> None:
    from runtime.points.hooks import _echo

    located = device.feature(PointsFeature).objects.points.located
    long_name = "present" + "-" * 200 + "value"  # a valid spelling: what is not a letter or digit is ignored
    before = (_echo.cache_info().currsize, len(located))
    for name in (long_name, "nosuch" * 100):
        answer = device.respond(Request("POST", RPM, JSON, rpm(("analogValue", 1, name))))
        assert answer.status == 200
    good, bad = (
        json.loads(device.respond(Request("POST", RPM, JSON, rpm(("analogValue", 1, n)))).body)[0]
        for n in (long_name, "nosuch" * 100)
    )
    assert good["value"] is not None and good["property"] == long_name
    assert bad["error"]["errorCode"] == "unknown-property"
    assert (_echo.cache_info().currsize, len(located)) == before
