"""The OpenAPI 3.1 description: valid, complete, served, and schemathesis finds nothing wrong with it.

`generated/openapi.json` is built from spec/ by codegen/openapi.py. These tests check it against the spec
(every resource, its parameters, both media types with the seed's examples, errors, `deprecated`,
security), validate it with openapi-spec-validator, and let schemathesis loose on a live emulator with
every check it has: examples, coverage, fuzzing and stateful runs (following the document's links from a
created backup to its job), deterministic and bounded in time.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote

import hypothesis
import jsonschema
import pytest
from hypothesis import strategies as st
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import ignored_auth

from eclypse_emulator.codegen.model import load_spec
from eclypse_emulator.generated.handler import BASE_PATH, PARAMETER_FORMATS, Request, handle
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.device.emulator import Emulator

from _support import basic, call

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = json.loads((ROOT / "generated" / "openapi.json").read_text(encoding="utf-8"))
SPEC = load_spec(ROOT / "spec")
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
USER, PASSWORD = "admin", "s3cret"
SEED = 20240501
MAX_EXAMPLES = 25  # per operation in the fuzzing phase; examples and coverage cases come on top


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (path, method, operation)."""
    return {
        op["operationId"]: (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


OPERATIONS = operations(DOCUMENT)


def operation_ids(resource) -> list[str]:
    suffixes = ("", "_property", "_property_value") if resource.serves_properties else ("",)
    return [resource.operation + suffix for suffix in suffixes]


# --- the document is valid OpenAPI 3.1 -------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT)  # picks the validator by the `openapi` field
    assert list(OpenAPIV31SpecValidator(DOCUMENT).iter_errors()) == []


def test_the_validator_is_not_a_rubber_stamp():
    path, method, _ = OPERATIONS["get_info"]
    breakages = [
        lambda d: d["paths"][path][method]["parameters"][0].update({"in": "body"}),  # OpenAPI 2 only
        lambda d: d["info"].pop("title"),
        lambda d: d["components"]["securitySchemes"]["basic"].update({"type": "password"}),
    ]
    for breakage in breakages:
        broken = copy.deepcopy(DOCUMENT)
        breakage(broken)
        assert list(OpenAPIV31SpecValidator(broken).iter_errors()), breakage


# --- the document covers every resource of the spec ------------------------------------------------------


@pytest.mark.parametrize("resource", SPEC.resources, ids=lambda r: r.operation)
def test_every_resource_has_its_operations(resource):
    base = resource.path.rstrip("/")
    expected_paths = [resource.path]
    if resource.is_entity:
        expected_paths += [f"{base}/{{property}}", f"{base}/{{property}}/$value"]
    for operation_id, expected_path in zip(operation_ids(resource), expected_paths):
        path, method, operation = OPERATIONS[operation_id]
        assert (path, method) == (expected_path, resource.method.lower())
        assert operation["summary"] == resource.summary
        assert operation["x-from-revision"] == resource.from_revision
        assert operation.get("deprecated", False) is resource.deprecated


def test_nothing_but_the_spec_is_described():
    expected = {op for resource in SPEC.resources for op in operation_ids(resource)}
    assert set(OPERATIONS) == expected


@pytest.mark.parametrize("resource", SPEC.resources, ids=lambda r: r.operation)
def test_parameters(resource):
    for operation_id in operation_ids(resource):
        _, _, operation = OPERATIONS[operation_id]
        params = {(p["in"], p["name"]): p for p in operation["parameters"]}
        for parameter in resource.parameters:
            declared = params[(parameter.location, parameter.name)]
            assert declared["required"] is (parameter.location == "path")
            if parameter.format == "uuid":
                assert declared["schema"]["format"] == "uuid"
                assert declared["schema"]["pattern"] == f"^{PARAMETER_FORMATS['uuid']}$"
        # A file's own URL also takes encode=bin (its bytes); its properties' URLs do not.
        binary = resource.binary and operation_id == resource.operation
        assert params[("query", "encode")]["schema"]["examples"] == ["json", "xml"] + ["bin"] * binary
        has_select = ("query", "$select") in params
        assert has_select is (resource.is_entity and operation_id == resource.operation)
        if operation_id != resource.operation:
            assert params[("path", "property")]["schema"]["examples"] == [
                p.name.lower() for p in resource.response.properties
            ]


def test_select_and_encode_on_the_backup_job():
    _, _, operation = OPERATIONS["get_backup_job"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["$select"]["example"] == "progress,status"
    assert "$select" in params and "encode" in params and "JobId" in params


@pytest.mark.parametrize("resource", [r for r in SPEC.resources if r.response], ids=lambda r: r.operation)
def test_both_media_types_with_the_seeds_examples(resource):
    _, _, operation = OPERATIONS[resource.operation]
    content = operation["responses"]["200"]["content"]
    schema = {"$ref": f"#/components/schemas/{resource.response.name}"}
    if resource.response_shape == "array":  # a bare array, wrapped in XML
        schema = {"type": "array", "items": schema, "xml": {"name": resource.xml_root, "wrapped": True}}
    for media_type in ("application/json", "application/xml", "text/xml"):
        assert content[media_type]["schema"] == schema
    if "json" in resource.examples:
        assert content["application/json"]["example"] == json.loads(resource.examples["json"])
    if "xml" in resource.examples:
        assert content["application/xml"]["example"] == resource.examples["xml"].strip()
        assert content["text/xml"]["example"] == resource.examples["xml"].strip()


def test_the_seed_examples_are_there_verbatim():
    content = OPERATIONS["get_backup_job"][2]["responses"]["200"]["content"]
    assert content["application/json"]["example"] == {"progress": 100, "status": "OK"}
    assert content["application/xml"]["example"] == (
        '<?xml version="1.0" encoding="utf-8"?>\n<Job>\n<Status>OK</Status>\n<Progress>100</Progress>\n</Job>'
    )


def test_the_raw_value_is_text():
    for operation_id in (
        "get_backup_job_property_value",
        "get_job_property_value",
        "get_info_property_value",
    ):
        content = OPERATIONS[operation_id][2]["responses"]["200"]["content"]
        assert set(content) == {"text/plain"}


@pytest.mark.parametrize("resource", SPEC.resources, ids=lambda r: r.operation)
def test_error_responses(resource):
    responses = OPERATIONS[resource.operation][2]["responses"]
    keys = ["invalid_query", "not_acceptable", "unauthorized", resource.not_found_error]
    keys += [p.invalid_error for p in resource.parameters] + list(resource.errors)
    keys += ["unknown_select", "property_not_found"] if resource.is_entity else []
    keys += ["invalid_body", "unsupported_media_type", "body_too_large"] if resource.request else []
    for key in keys:
        error = SPEC.errors[key]
        response = responses[str(error.status)]
        assert error.code in response["description"], (key, response["description"])
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        assert response["content"]["application/xml"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_cancelling_a_job_that_ended_is_a_documented_conflict():
    assert "Conflict" in OPERATIONS["cancel_job"][2]["responses"]["409"]["description"]


def test_the_deprecated_resource_is_marked_and_its_header_documented():
    deprecated = {name for name, (_, _, op) in OPERATIONS.items() if op.get("deprecated")}
    assert deprecated == {"get_backup_job", "get_backup_job_property", "get_backup_job_property_value"}
    for name in deprecated:
        headers = OPERATIONS[name][2]["responses"]["200"]["headers"]
        assert headers["Deprecation"]["required"] is True
        assert re.fullmatch(
            headers["Deprecation"]["schema"]["pattern"], f"@{SPEC.choices['deprecation_date']}"
        )
        assert "Link" in headers


def test_the_basic_security_scheme():
    assert DOCUMENT["components"]["securitySchemes"] == {"basic": {"type": "http", "scheme": "basic"}}
    assert "security" not in DOCUMENT, "auth is off unless users are configured"


def test_a_created_backup_links_to_its_job():
    links = OPERATIONS["create_backup"][2]["responses"]["200"]["links"]
    assert links["get_backup_job"] == {
        "operationId": "get_backup_job",
        "parameters": {"JobId": "$response.body#/jobId"},
    }
    assert links["get_job"]["parameters"] == {"jobId": "$response.body#/jobId"}
    assert links["cancel_job"]["parameters"] == {"jobId": "$response.body#/jobId"}


def test_the_request_body_schema_refuses_what_the_server_refuses():
    backup = DOCUMENT["components"]["schemas"]["Backup"]
    assert backup["additionalProperties"] is False
    assert OPERATIONS["create_backup"][2]["requestBody"]["required"] is True


# --- the patterns of the document say what the handler accepts -------------------------------------------


def parameter_pattern(operation_id: str, name: str) -> re.Pattern[str]:
    params = {p["name"]: p for p in OPERATIONS[operation_id][2]["parameters"]}
    return re.compile(params[name]["schema"]["pattern"])


# Characters that matter to the handler: whitespace it strips, the separator, `*`, letters of the names in
# every case, and characters that Unicode case folding turns into ASCII (ſ, ß, K, ﬆ), which never match.
ALPHABET = st.sampled_from(
    list(" \t\n\x1c\u2003\u3000,*_-xX") + list("progressPROGRESStatusTATUS") + list("ſßẞKﬆﬅjsonJSONxmlXML")
)
NAMES = st.sampled_from(["progress", "Status", "STATUS", "ſtatus", "progreß", "ﬆatus", "*", " ", "", "type"])


@pytest.fixture(scope="module")
def emulator():
    emulator = Emulator(clock="manual")
    yield emulator
    emulator.close()


def status_of(emulator: Emulator, target: str) -> int:
    return handle(Request("GET", target, {}), emulator).status


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(value=st.one_of(st.text(ALPHABET, max_size=12), st.lists(NAMES, max_size=4).map(",".join)))
def test_the_select_pattern_is_what_the_handler_accepts(emulator, value):
    pattern = parameter_pattern("get_info", "$select")
    accepted = status_of(emulator, f"{BASE_PATH}/info?$select={quote(value, safe='')}") == 200
    assert bool(pattern.search(value)) == accepted, value


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(value=st.text(ALPHABET, max_size=8))
def test_the_encode_pattern_is_what_the_handler_accepts(emulator, value):
    pattern = parameter_pattern("get_info", "encode")
    accepted = status_of(emulator, f"{BASE_PATH}/info?encode={quote(value, safe='')}") == 200
    assert bool(pattern.search(value)) == accepted, value


@pytest.mark.parametrize(
    "value", ["json", "XML", " Json\t", "\u3000xml\u2003", "jsn", "", "json,xml", "ｊｓｏｎ"]
)
def test_the_encode_pattern_on_chosen_values(emulator, value):
    accepted = status_of(emulator, f"{BASE_PATH}/info?encode={quote(value, safe='')}") == 200
    assert bool(parameter_pattern("get_info", "encode").search(value)) == accepted


@pytest.mark.parametrize(
    "value", ["apirevision", "ApiRevision", "APIREVISION", "apireviſion", "api_revision", "apirevision ", "x"]
)
def test_the_property_pattern_is_what_the_handler_accepts(emulator, value):
    params = {p["name"]: p for p in OPERATIONS["get_info_property"][2]["parameters"]}
    pattern = re.compile(params["property"]["schema"]["pattern"])
    accepted = status_of(emulator, f"{BASE_PATH}/info/{quote(value, safe='')}") == 200
    assert bool(pattern.search(value)) == accepted


# --- /_emulator/openapi.json ------------------------------------------------------------------------------


def test_the_emulator_serves_the_document():
    with EmbeddedServer(port=0, api_revision="6.0") as server:
        answer = call("GET", server.control_url + "/openapi.json")
    assert answer.status == 200
    assert answer.header("content-type").startswith("application/json")
    served = answer.json()
    assert served["info"]["version"] == "6.0", "the served document names the revision served"
    assert "security" not in served
    expected = copy.deepcopy(DOCUMENT)
    expected["info"]["version"] = "6.0"
    assert served == expected
    validate(served)


def test_with_users_the_served_document_requires_basic_auth():
    with EmbeddedServer(port=0, users={USER: PASSWORD}) as server:
        refused = call("GET", server.control_url + "/openapi.json")
        answer = call("GET", server.control_url + "/openapi.json", {"Authorization": basic(USER, PASSWORD)})
    assert refused.status == 401
    assert answer.status == 200
    served = answer.json()
    assert served["security"] == [{"basic": []}]
    assert served["components"]["securitySchemes"]["basic"] == {"type": "http", "scheme": "basic"}
    validate(served)


# --- schemathesis against a live emulator ----------------------------------------------------------------

load_all_checks()
ALL_CHECKS = [check for check in CHECKS.get_all() if callable(check) and not isinstance(check, type)]


def test_every_check_of_schemathesis_is_run():
    names = {check.__name__ for check in ALL_CHECKS}
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
        "object_level_authorization",
    } <= names


def _xml_objects(document: dict[str, Any]) -> dict[str, dict[str, tuple[str, dict[str, Any]]]]:
    """Root element -> {child element -> (JSON key, property schema)}, from the document's `xml` names."""
    objects: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
    for schema in document["components"]["schemas"].values():
        fields = objects.setdefault(schema["xml"]["name"], {})
        for key, prop in schema["properties"].items():
            fields[prop["xml"]["name"]] = (key, prop)
    return objects


XML_OBJECTS = _xml_objects(DOCUMENT)
# The root element of each bare-array answer -> the schema of its items.
XML_ARRAYS = {
    media["schema"]["xml"]["name"]: media["schema"]["items"]
    for operations in DOCUMENT["paths"].values()
    for operation in operations.values()
    for response in operation["responses"].values()
    for media in response.get("content", {}).values()
    if media["schema"].get("type") == "array"
}


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema, through its $ref (alone or in allOf)."""
    ref = schema.get("$ref") or next((s["$ref"] for s in schema.get("allOf", ()) if "$ref" in s), None)
    return DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def _xml_value(element: ET.Element, schema: dict[str, Any]) -> Any:
    text = element.text or ""
    schema = _resolved(schema)
    kind = schema.get("type")
    if kind == "array":
        return [_xml_value(item, schema["items"]) for item in element]
    if kind == "object":  # a nested object or a link: its children by their xml names
        fields = {prop["xml"]["name"]: (key, prop) for key, prop in schema["properties"].items()}
        return {fields[child.tag][0]: _xml_value(child, fields[child.tag][1]) for child in element}
    if kind == "integer" and re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text  # a wrong type stays text, which the schema then refuses


@schemathesis.deserializer("application/xml", "text/xml")
def xml_as_json(ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> Any:
    """An XML answer as the JSON document it stands for (the document's `xml` names map one onto the other),
    so that schemathesis validates XML answers against the same schemas and follows links out of them."""
    root = ET.fromstring(response.content)
    if root.tag in XML_ARRAYS:
        return [_xml_value(child, XML_ARRAYS[root.tag]) for child in root]
    if root.tag not in XML_OBJECTS:
        raise ValueError(f"unexpected XML root element <{root.tag}>")
    fields, document = XML_OBJECTS[root.tag], {}
    for child in root:
        if child.tag not in fields:
            raise ValueError(f"unexpected element <{child.tag}> in <{root.tag}>")
        key, schema = fields[child.tag]
        document[key] = _xml_value(child, schema)
    return document


def served_document(users: dict[str, str] | None) -> dict[str, Any]:
    """What /_emulator/openapi.json serves with these users (test_the_emulator_serves_* check the wire)."""
    emulator = Emulator(users=users)
    try:
        return json.loads(emulator.openapi())
    finally:
        emulator.close()


def load_schema(users: dict[str, str] | None) -> schemathesis.BaseSchema:
    """The served document, as schemathesis loads it: seeded, derandomized, a modest number of examples.
    (Loaded from the document the server serves rather than from its URL, because a lazily loaded schema
    (`schemathesis.pytest.from_fixture`) does not work with pytest 9.2; the base URL comes with each call.)"""
    config: dict[str, Any] = {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "request-timeout": 10,
    }
    if users:
        ((user, password),) = users.items()
        config["auth"] = {"basic": {"username": user, "password": password}}
    return schemathesis.openapi.from_dict(
        served_document(users), config=schemathesis.Config.from_dict(config)
    )


# A restart takes the server down until its manual clock moves (tests/test_reboot.py tests them).
RESTARTS = ["cold_start", "warm_start"]
# With users, a change of a user (user 1 is the fuzzer's own admin) could lock the fuzzer out: every later
# request would be a 401 (tests/test_users.py tests them).
USER_CHANGES = ["set_user", "replace_user", "delete_user"]
OPEN_SCHEMA = load_schema(None).exclude(operation_id=RESTARTS)
AUTH_SCHEMA = load_schema({USER: PASSWORD}).exclude(operation_id=RESTARTS + USER_CHANGES)


@pytest.fixture(scope="module")
def open_server():
    """A live emulator without users (manual clock, so that jobs stay running for cancels), with a USB key
    inserted: the target USB is then as valid as Device (without a key, it is the vendor's 400)."""
    with EmbeddedServer(port=0, clock="manual", usb_key=True) as server:
        yield server


@pytest.fixture(scope="module")
def auth_server():
    with EmbeddedServer(port=0, clock="manual", users={USER: PASSWORD}, usb_key=True) as server:
        yield server


def test_schemathesis_loads_what_the_servers_serve(open_server, auth_server):
    assert call("GET", open_server.control_url + "/openapi.json").json() == OPEN_SCHEMA.raw_schema
    answer = call("GET", auth_server.control_url + "/openapi.json", {"Authorization": basic(USER, PASSWORD)})
    assert answer.json() == AUTH_SCHEMA.raw_schema


SETTINGS = hypothesis.settings(
    deadline=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)


# Rules beyond a JSON schema, where a request the schema allows may get a 400: the users' (a creation names a
# user and a password; a password is base64 of UTF-8 text of bounded length; a name has no colon), the host
# name's (RFC 1123), and BACnet's (a value of the property's datatype, read-only properties, references that
# name type, instance and property), a firmware image's (a zip of a version, for this model). The clock's
# are in its schema: its date-time POST is checked in full.
BEYOND_SCHEMA = {
    "update_firmware",
    "create_user",
    "set_user",
    "replace_user",
    "set_web_server",
    "write_bacnet_property",
    "read_property_multiple",
    "write_property_multiple",
}
# A GET of .../objects/read-property-multiple is GET .../objects/{objectType} (a 404: no such type), so the
# Allow of a 405 there rightly lists GET, which the POST-only path of the document cannot say.
SHARED_PATHS = {"read_property_multiple", "write_property_multiple"}


def checks_for(case: Any) -> list[Any]:
    operation = case.operation.definition.raw.get("operationId")
    skipped = set()
    if operation in BEYOND_SCHEMA:
        skipped.add("positive_data_acceptance")
    if operation in SHARED_PATHS:
        skipped.add("allow_header_conformance")
    return [check for check in ALL_CHECKS if check.__name__ not in skipped]


@OPEN_SCHEMA.parametrize()
@SETTINGS
def test_schemathesis_finds_nothing(case, open_server):
    case.call_and_validate(base_url=open_server.url, checks=checks_for(case))


@AUTH_SCHEMA.parametrize()
@SETTINGS
def test_schemathesis_finds_nothing_with_basic_auth(case, auth_server):
    case.call_and_validate(base_url=auth_server.url, checks=checks_for(case))


WORKFLOW_PATHS = r"^/(system/backup|jobs)/"


@pytest.mark.parametrize("mode", ["open", "basic-auth"])
def test_schemathesis_stateful_finds_nothing(mode, request):
    """Follow the document's links: create a backup, then read, select, cancel and re-read its job."""
    # The backup workflow's operations, whose links this follows (the others' links would dilute the walk).
    schema = (OPEN_SCHEMA if mode == "open" else AUTH_SCHEMA).include(path_regex=WORKFLOW_PATHS)
    server = request.getfixturevalue("open_server" if mode == "open" else "auth_server")
    server.clear_requests()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            return {"base_url": server.url}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=checks_for(case),
                additional_checks=additional_checks,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Machine.run(settings=hypothesis.settings(SETTINGS, max_examples=MAX_EXAMPLES, stateful_step_count=8))
    seen = {(entry["method"], entry["path"].split("/")[4], entry["status"]) for entry in server.requests()}
    # The links were followed: backups were created, and their jobs read (200) and cancelled (204).
    assert ("POST", "system", 200) in seen
    assert ("GET", "system", 200) in seen and ("GET", "jobs", 200) in seen
    assert ("POST", "jobs", 204) in seen


def test_the_auth_checks_would_notice_a_server_that_ignores_them(open_server):
    """ignored_auth is live: the document with `security`, against an emulator without users, fails it."""
    case = AUTH_SCHEMA["/info"]["GET"].Case()
    with pytest.raises(FailureGroup, match="API accepts requests without authentication"):
        case.call_and_validate(base_url=open_server.url, checks=[ignored_auth])


def test_the_served_document_leaves_out_what_the_revision_does_not_have():
    """At revision 5.0 the successor job resource (from 6.0) does not exist, so it is not described."""
    document = json.loads(Emulator(api_revision="5.0").openapi())
    validate(document)
    assert not [path for path in document["paths"] if path.startswith("/jobs/")]
    assert "/system/backup/jobs/{JobId}/" in document["paths"] and document["info"]["version"] == "5.0"
    links = document["paths"]["/system/backup/create"]["post"]["responses"]["200"].get("links", {})
    assert all(link["operationId"] != "get_job" for link in links.values())


# --- request schemas of their own ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, valid",
    [
        ({"isoDateTime": "2026-07-01T09:00:00Z", "timeZone": "Etc/GMT"}, True),
        ({"time": "10:00:00", "date": "07-01-2026"}, True),
        ({"isoDateTime": "2026-07-01T09:00:00Z", "time": "10:00:00"}, False),
        ({"ISODATETIME": "2026-07-01T09:00:00Z", "Date": "07-01-2026"}, False),
    ],
)
def test_the_request_schema_says_which_properties_exclude_each_other(body, valid):
    """The date-time POST refuses ISODateTime with Time or Date; its schema says so, while the answer's
    schema (the same object) shows all of them."""

    pointer = "#/paths/~1system~1date-time/post/requestBody/content/application~1json/schema"
    validator = jsonschema.Draft202012Validator({**DOCUMENT, "$ref": pointer})
    assert validator.is_valid(body) == valid
    answer = {
        "time": "10:00:00",
        "date": "07-01-2026",
        "timeZone": "Etc/GMT",
        "isoDateTime": "2026-07-01T10:00:00Z",
    }
    assert jsonschema.Draft202012Validator({**DOCUMENT, "$ref": "#/components/schemas/DateTime"}).is_valid(
        answer
    )


@pytest.mark.parametrize(
    "format_name, valid",
    [
        ("date", "02-29-1972"),
        ("date", "12-31-2099"),
        ("time", "23:59:59"),
        ("iso-datetime", "2000-02-29T23:59:59+05:00"),
        ("uuid", "c83b7cd2-e5df-4dcc-9e9e-301927c76a30"),
        ("file-name", "nightly"),
    ],
)
def test_a_format_pattern_anchored_in_the_document_matches_what_the_codec_takes(format_name, valid):
    """The document writes each format as ^pattern$: a pattern with a top-level alternative would anchor
    only its first branch at the start and its last at the end."""
    from eclypse_emulator.runtime.core.codec import FORMATS

    anchored = re.compile(f"^{FORMATS[format_name].pattern}$")
    assert anchored.search(valid)
    for junk in (f"x{valid}", f"{valid}\u008e", f"\u00f6-{valid}"):
        assert bool(anchored.search(junk)) == bool(FORMATS[format_name].fullmatch(junk)), junk
