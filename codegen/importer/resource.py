"""A page's resource: operation, revision, parameters, request and response, and what answers it
(an entity, a collection seeded from its example, or a job)."""

from __future__ import annotations

import re
from typing import Any

from ..emit import Notes
from .names import operation_name
from .objects import link_member, table_named, top_level
from .pages import Example, Page, Table
from .properties import FORMAT_SAMPLES, RUNTIME_OWNED, UUID, fits_kind
from .samples import key_overlap, url_segments
from .state import Report, State

# Last path segments that say a job is started rather than what it does (`/system/backup/create`).
JOB_VERBS = {"create", "start", "run", "launch"}
IMPLIED = "the page documents only its"
# First words of a last path segment that name an action rather than settings (`read-property-multiple`).
ACTION_WORDS = JOB_VERBS | {
    "read",
    "write",
    "discover",
    "scan",
    "reset",
    "restart",
    "reboot",
    "stop",
    "cancel",
    "send",
    "apply",
    "execute",
    "export",
    "import",
    "restore",
    "upload",
    "download",
    "delete",
}


def build_resource(
    page: Page,
    report: Report,
    names: dict[int, str],
    local: dict[str, str],
    state: State,
    objects: dict[str, Notes],
) -> Notes:
    """The page's resource; a collection replaces its list table in `objects` by the members' object."""
    resource, notes = Notes(), {}
    resource["operation"] = operation_name(page.method, page.path)
    resource["method"] = page.method
    resource["path"] = page.path
    sibling = state.revision_of(page.path)
    if page.revision:
        resource["from_revision"] = page.revision
    elif sibling:
        resource["from_revision"] = sibling
        notes["from_revision"] = "inferred: the page names no revision; that of the path's other methods"
        report.inferred.append(
            f"from_revision {sibling}: the page names none; the path's other methods have it"
        )
    else:
        resource["from_revision"] = "1.0"
        notes["from_revision"] = "inferred: the page names no revision; assumed the first"
        report.inferred.append("from_revision 1.0: the page names no revision")
    if page.deprecated:
        resource["deprecated"] = True
    resource["summary"] = f"{page.method} {page.path}, imported from {page.name}"
    notes["summary"] = "TODO: rewrite in our own words"
    segments = url_segments(page)
    parameters = []
    for parameter in page.parameters:
        param = _parameter(parameter, segments.get(parameter), state.parameter_of(page.path, parameter))
        param["description"] = f"The {parameter} path parameter, imported from {page.name}"
        param.notes["description"] = "TODO: rewrite in our own words"
        param["in"] = "path"
        parameters.append(param)
    if parameters:
        resource["parameters"] = parameters
    tops = top_level(page, names)
    first_json = next((e for e in page.examples if e.kind == "json"), None)
    if page.method == "GET":
        response = None
        if first_json and isinstance(first_json.value, dict):
            scored = [
                (key_overlap({r.name.lower() for r in t.rows}, list(first_json.value)), names[i])
                for i, t in enumerate(page.tables)
            ]
            scored = [s for s in scored if s[0] > 0]
            response = max(scored, key=lambda s: s[0])[1] if scored else None
        if response is None and tops:
            response = tops[0]
            if len(tops) > 1:
                report.inferred.append(f"response {response}: the first of the tables {', '.join(tops)}")
        if response:
            resource["response"] = local[response]
        table = next((t for i, t in enumerate(page.tables) if names[i] == response), None)
        sole_array = table is not None and len(table.rows) == 1 and table.rows[0].base_type == "Array"
        shows_object = first_json is not None and isinstance(first_json.value, dict)
        bare_list = first_json is not None and isinstance(first_json.value, list)
        if response and (bare_list or (sole_array and not shows_object)):
            _collection(resource, notes, page, table, response, local, objects, report)
        else:
            resource["behaviour"] = {"kind": "entity"}
            if sole_array:
                notes["behaviour"] = (
                    f"inferred: the table {response} is one list, the JSON example an object: the example wins"
                )
                report.inferred.append("behaviour entity: " + notes["behaviour"][len("inferred: ") :])
    else:
        starter = next(
            (n for n in tops if any(r.name.lower() == "jobid" for r in table_named(page, names, n).rows)),
            None,
        )
        others = [n for n in tops if n != starter]
        if starter:
            if others:
                resource["request"] = local[others[0]]
            resource["response"] = local[starter]
            job_type = _job_type(page.path)
            resource["behaviour"] = {"kind": "job", "type": job_type}
            notes["behaviour"] = (
                f"inferred: the page answers a JobId; the job's type {job_type} from the path"
            )
            report.inferred.append(f"behaviour job of type {job_type}: the page answers a JobId")
            _job_id_is_uuid(objects.get(local[starter]), report)
        elif tops:
            resource["request"] = local[tops[0]]
            resource["response"] = local[tops[0]]
            notes["response"] = "inferred: the page shows one object for the body and the answer"
            report.inferred.append(f"response {tops[0]}: the same object as the request")
            resource["behaviour"] = {"kind": "entity"}
            if page.path in state.gets:
                notes["behaviour"] = "inferred: a POST to a path that has a GET sets the entity"
            elif is_settings(page):
                notes["behaviour"] = (
                    f"inferred: sets the entity that a GET of the path shows (none documented)"
                )
            else:  # an echo answers every body the page describes; a hook may replace it
                notes["behaviour"] = "inferred: no GET of this path; the entity answers what the body set"
            report.inferred.append("behaviour " + resource["behaviour"]["kind"])
    if "request" in resource:
        _xml_bodies(resource, notes, page, report)
    examples: dict[str, Any] = {}
    for example in page.examples:
        if example.cut_off:
            report.unsaid.append(f"the {example.kind} example at line {example.line} was cut off: not kept")
            continue
        if example.kind in ("json", "xml") and example.kind not in examples:
            examples.setdefault("url", example.url)
            examples[example.kind] = example.text
    if examples:
        resource["examples"] = examples
    resource.notes = notes
    return resource


def _xml_bodies(resource: Notes, notes: dict[str, str], page: Page, report: Report) -> None:
    """From which revision the resource takes XML bodies: the one its prose names ("XML is currently not
    working ... fixed in the next revision (7.0)"), else its own (the device takes JSON and XML)."""
    prose = " ".join(page.prose)
    named = re.search(r"XML is currently not working.*?revision \((\d+\.\d+)\)", prose, re.IGNORECASE)
    if named:
        resource["xml_body_from_revision"] = named.group(1)
        report.took.append(f"XML bodies from revision {named.group(1)}, as the page's prose says")
    else:
        resource["xml_body_from_revision"] = resource["from_revision"]
        notes["xml_body_from_revision"] = "inferred: the page does not restrict XML bodies"


def _parameter(name: str, sample: str | None, sibling: dict | None) -> Notes:
    """A path parameter's kind: from the URL example, else as the path's other methods declare it."""
    param = Notes({"name": name})
    if sample is None and sibling is not None:
        for key in ("type", "format", "values", "minimum", "maximum"):
            if key in sibling:
                param[key] = sibling[key]
        param.notes["type"] = "inferred: no URL example; as the path's other methods declare it"
    elif sample is not None and sample.isdigit():
        param["type"] = "integer"
        param.notes["type"] = f"inferred: from the URL example ({sample})"
    else:
        param["type"] = "string"
        if sample is not None and UUID.fullmatch(sample):
            param["format"] = "uuid"
            param.notes["format"] = "inferred: from the URL example"
        elif sample is None:
            param.notes["type"] = "inferred: no URL example shows it"
    return param


def _job_type(path: str) -> str:
    """`/hvac/export` -> EXPORT, `/system/backup/create` -> BACKUP: what the job does, as the path says."""
    words = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    while len(words) > 1 and words[-1].lower() in JOB_VERBS:
        words.pop()
    return re.sub(r"[^A-Za-z0-9]+", "_", words[-1] if words else "job").upper()


def _job_id_is_uuid(answer: Notes | None, report: Report) -> None:
    """The runtime's job ids are UUIDs: a JobId the page gives no format of is one."""
    if answer is None:
        return
    prop = next((p for p in answer.get("properties", []) if p["name"].lower() == "jobid"), None)
    if prop is None or prop.get("format") or prop["type"] != "string":
        return
    prop["format"] = "uuid"
    prop.notes["format"] = "inferred: the job ids the emulator answers are UUIDs"
    if not (isinstance(prop.get("default"), str) and UUID.fullmatch(prop["default"])):
        prop["default"] = FORMAT_SAMPLES["uuid"]
    report.inferred.append(f"{answer['xml_element']}.{prop['name']}.format: uuid, as the emulator's job ids")


def _collection(
    resource: Notes,
    notes: dict[str, str],
    page: Page,
    table: Table | None,
    table_name: str,
    local: dict[str, str],
    objects: dict[str, Notes],
    report: Report,
) -> None:
    """A GET answering a list: the members' object, the array shape, its XML root and the members' key."""
    first_json = next((e for e in page.examples if e.kind == "json"), None)
    bare = first_json is not None and isinstance(first_json.value, list)
    member = local[table_name]
    if table is not None and len(table.rows) == 1 and table.rows[0].base_type == "Array":  # the list itself
        item = table.rows[0].item_name or table_name
        if item in local and local[item] in objects:
            member = local[item]
        else:
            member = link_member(item, table_name, page, first_json, objects, report)
        del objects[local[table_name]]
        dropped = (f"{table_name}.", f"{table_name}:")  # what was inferred of the list table is not written
        report.inferred = [line for line in report.inferred if not line.startswith(dropped)]
        resource["xml_root"] = table_name
        notes["xml_root"] = f"inferred: the element of the table {table_name}, the list itself"
        report.took.append(
            f"{table_name} is the list itself: its members are {member}, its XML root <{table_name}>"
        )
    resource["response"] = member
    resource["response_shape"] = "array"
    notes["response_shape"] = (
        f"inferred: {'the JSON example is a bare list' if bare else 'the object is one list'}"
    )
    names = [p["name"] for p in objects[member]["properties"]]
    key = next((n for n in names if n.lower() in ("id", "name", "key")), names[0])
    resource["behaviour"] = {"kind": "collection", "key": key}
    notes["behaviour"] = f"inferred: a list of members; the page names no key, {key} assumed"
    report.inferred.append("behaviour collection: " + notes["behaviour"][len("inferred: ") :])
    _seed(resource, notes, first_json, objects[member], report)


def _seed(
    resource: Notes, notes: dict[str, str], example: Example | None, member: Notes, report: Report
) -> None:
    """The collection's initial members: the JSON example's, by the member object's JSON keys. Values the
    runtime owns, and values not of their property's kind, are left out (the member's defaults stand)."""
    if example is None or not isinstance(example.value, list):
        return
    members = example.value
    if example.cut_off:  # the members before the cut are whole; the last may not be
        members = members[:-1]
        report.unsaid.append(
            "seed: the JSON example was cut off; its last member, maybe incomplete, is left out"
        )
    props = {p["json_key"]: p for p in member["properties"]}
    key = next(p for p in props.values() if p["name"] == resource["behaviour"]["key"])
    seed, seen, left = [], set(), set()
    for item in filter(lambda m: isinstance(m, dict), members):
        values = {
            k: item[k] for k in props if k in item and k not in RUNTIME_OWNED and fits_kind(props[k], item[k])
        }
        left |= set(item) - set(values)
        identity = str(values.get(key["json_key"], key.get("default")))
        if identity not in seen:
            seen.add(identity)
            seed.append(values)
    if not seed:
        return
    resource["seed"] = seed
    notes["seed"] = "inferred: the members of the JSON example"
    report.inferred.append(
        f"seed: {len(seed)} member(s) of the JSON example"
        + (f" (left out: {', '.join(sorted(left))})" if left else "")
    )


def is_settings(page: Page) -> bool:
    """A POST or PUT whose path names a thing rather than an action: settings that a GET would show."""
    words = [s for s in page.path.strip("/").split("/") if s and not s.startswith("{")]
    last = words[-1] if words else ""
    return page.method in ("POST", "PUT") and re.split(r"[-_.]", last.lower())[0] not in ACTION_WORDS


def implied(resource: dict) -> bool:
    """Whether `resource` is a GET that the importer implied from a settings page (see settings_reader)."""
    return getattr(resource, "notes", {}).get("operation", "").startswith(f"inferred: {IMPLIED}")


def settings_reader(page: Page, setter: Notes, report: Report) -> Notes:
    """The GET that a settings page documenting only its POST or PUT implies: on this device what a POST or
    PUT sets, the next GET shows (DEVICE-FACTS.md), so the path answers a GET with the same object."""
    reader = Notes()
    reader["operation"] = operation_name("GET", page.path)
    reader["method"] = "GET"
    reader["path"] = page.path
    for key in ("from_revision", "deprecated", "parameters"):
        if key in setter:
            reader[key] = setter[key]
    reader["summary"] = f"GET {page.path}, implied by {page.name}"
    reader["response"] = setter["response"]
    reader["behaviour"] = {"kind": "entity"}
    why = f"{IMPLIED} {page.method}; what a {page.method} sets, the next GET shows"
    reader.notes = {
        "operation": f"inferred: {why}",
        "from_revision": setter.notes.get("from_revision", "inferred: that of the page"),
        "summary": "TODO: rewrite in our own words",
    }
    report.inferred.append(f"GET {page.path} made readable: {why}")
    return reader
