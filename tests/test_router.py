"""The one router of the device API and the control API: a table keyed by literal segments, whose cost does not
grow with the number of resources. Regular-expression work is counted, not timed: every call of a compiled
pattern's methods (match, fullmatch, search, sub, ...) is seen by a profile hook, precompiled ones included.
"""

from __future__ import annotations

import dataclasses
import re
import sys

import pytest

from eclypse_emulator.generated import handler
from eclypse_emulator.runtime.core import router
from eclypse_emulator.runtime.core.deviceapi import DeviceApi
from eclypse_emulator.generated.handler import BASE_PATH, Request
from eclypse_emulator.runtime.core.router import Router, segments_of
from eclypse_emulator.runtime.core.wire import ApiError
from eclypse_emulator.runtime import Emulator
from eclypse_emulator.runtime.control import emulator as control

SEED = handler.ROUTES[0]  # GET /system/backup/jobs/{JobId}/


def regex_calls(function, *args):
    """`function(*args)`'s result and how many calls of a compiled pattern's methods it made."""
    calls = 0

    def hook(frame, event, arg):
        nonlocal calls
        if event == "c_call" and isinstance(getattr(arg, "__self__", None), re.Pattern):
            calls += 1

    sys.setprofile(hook)
    try:
        result = function(*args)
    finally:
        sys.setprofile(None)
    return result, calls


def synthetic_routes(count: int) -> tuple:
    """The spec's routes and more, up to `count`: siblings of the seed (same depth, same first segments) and
    kebab-case areas, each a distinct path."""
    extra = []
    for i in range(count - len(handler.ROUTES)):
        if i % 2:
            segments = (("system",), ("backup",), (f"jobs{i}",), "JobId")
        else:
            segments = ((f"area-{i}", f"area{i}"), ("things",), "JobId", ("detail",))
        extra.append(dataclasses.replace(SEED, operation=f"op{i}", segments=segments))
    return handler.ROUTES + tuple(extra)


def device_api(count: int) -> DeviceApi:
    return DeviceApi(
        base_path=BASE_PATH,
        encodings=handler.ENCODINGS,
        media_types=handler.MEDIA_TYPES,
        content_types=handler.CONTENT_TYPES,
        query=handler.QUERY_OPTIONS,
        errors=handler.ERRORS,
        error_codec=handler.ERROR_CODEC,
        routes=synthetic_routes(count),
        deprecation="@0",
    )


def test_the_router_module_uses_no_regular_expression():
    assert "re" not in vars(router)
    assert regex_calls(re.compile("a").match, "a")[1] == 1  # the counter sees a precompiled pattern


@pytest.mark.parametrize("count", [5, 1000])
def test_a_lookup_makes_no_regex_match_with_5_or_1000_routes(count):
    api = device_api(count)
    found, calls = regex_calls(api.router.lookup, "/system/backup/jobs/c83b7cd2-e5df-4dcc-9e9e-301927c76a30")
    assert calls == 0
    assert [entry[3][0].operation for entries, _ in found for entry in entries] == ["get_backup_job"]


def test_answering_the_seed_get_costs_the_same_regex_work_with_5_or_1000_resources():
    emulator = Emulator(clock="manual")
    job_id = emulator.create_job()
    request = Request("GET", f"{BASE_PATH}/system/backup/jobs/{job_id}", {"Accept": "application/json"})
    counts = {}
    for count in (5, 1000):
        response, counts[count] = regex_calls(device_api(count).handle, request, emulator)
        assert response.status == 200, response.body
    assert counts[5] == counts[1000] == 1  # the job id's format check; never a route's pattern


def test_a_literal_does_not_hide_a_parameter_and_own_paths_win_over_properties():
    table = Router()
    table.add("GET", segments_of("/a/{x}"), "a-x")
    table.add("POST", segments_of("/a/b"), "a-b")
    table.add("GET", segments_of("/jobs/{id}/{_property}"), "property", rank=1)
    table.add("POST", segments_of("/jobs/{id}/cancel"), "cancel")
    assert table.resolve("GET", "/a/b", "/a/b") == ("a-x", {"x": "b"})
    assert table.resolve("POST", "/a/b/", "/a/b") == ("a-b", {})
    with pytest.raises(ApiError) as refused:
        table.resolve("GET", "/jobs/1/cancel", "/jobs/1/cancel")
    assert refused.value.key == "method_not_allowed" and refused.value.headers == [("Allow", "POST")]
    assert table.resolve("HEAD", "/jobs/1/progress", "/x") == (
        "property",
        {"id": "1", "_property": "progress"},
    )
    with pytest.raises(ApiError) as missing:
        table.resolve("GET", "/a//", "/a//")
    assert missing.value.key == "not_found"


def test_kebab_and_camel_spellings_reach_the_same_route():
    table = Router()
    table.add("GET", (("analog-value", "analogValue"), "id"), "value")
    assert table.resolve("GET", "/analog-value/3", "") == table.resolve("GET", "/analogValue/3", "")


def test_the_control_api_goes_through_the_same_router():
    assert isinstance(control.ROUTER, Router)
    assert all(isinstance(path, str) and path.startswith("/") for _, path, _ in control.ROUTES)
    with pytest.raises(ApiError) as refused:
        control.ROUTER.resolve("PUT", "/faults", "/_emulator/faults")
    assert refused.value.headers == [("Allow", "DELETE, GET, HEAD, POST")]


def test_a_parameter_with_a_literal_after_it_and_one_taking_the_rest_of_the_path():
    table = Router()
    table.add("GET", (("files",), ("backup",), "{name}.ecybackup"), "archive")
    table.add("GET", (("files",), ("backup",), "property"), "property", rank=1)
    table.add("GET", segments_of("/state/{path*}"), "state")
    table.add("GET", (), "root")
    assert table.resolve("GET", "/files/backup/nightly_1.ecybackup", "") == ("archive", {"name": "nightly_1"})
    assert table.resolve("GET", "/files/backup/nightly_1", "") == ("property", {"property": "nightly_1"})
    assert table.resolve("GET", "/files/backup/.ecybackup", "")[0] == "property", "the name is not empty"
    assert table.resolve("GET", "/state/a/b/c/", "") == ("state", {"path": "a/b/c"})
    assert table.resolve("GET", "", "") == table.resolve("GET", "/", "") == ("root", {})
    with pytest.raises(ApiError):
        table.resolve("GET", "/state", "/state")  # the rest is at least one segment
    with pytest.raises(ValueError):
        Router().add("GET", segments_of("/{rest*}/more"), "nowhere")


@pytest.mark.parametrize("order", [1, -1], ids=["as-written", "reversed"])
def test_a_parameter_with_literals_before_and_after_it(order):
    """Where patterns overlap, the one whose literals match more of the path wins, in any order of adding."""
    table = Router()
    routes = [("{n}", "plain"), ("v{n}", "version"), ("v{n}.json", "document")]
    for template, target in routes[::order]:
        table.add("GET", (("api",), template), target)
    assert table.resolve("GET", "/api/v8", "") == ("version", {"n": "8"})
    assert table.resolve("GET", "/api/v8.json", "") == ("document", {"n": "8"})
    assert table.resolve("GET", "/api/w8.json", "") == ("plain", {"n": "w8.json"})
    narrow = Router()
    narrow.add("GET", (("api",), "v{n}"), "version")
    for path in ("/api/v", "/api/x8"):  # the parameter is never empty, the literals must match
        with pytest.raises(ApiError):
            narrow.resolve("GET", path, path)
