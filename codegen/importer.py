"""`python -m codegen import PAGE.txt [...] [--into DIR]`: turn vendor pages into spec YAML.

One file per path (`path.<segments>.yaml`, GET and POST of a path together) in the spec folder. A
resource already in a hand-written spec file is checked against the page, differences are reported and
nothing of it is written; a resource already in a page file is merged: what the spec holds is kept,
what the page adds is added, differences are reported. Every inference is printed and marked with a
`# inferred: ...` comment. A page that cannot be read is an error naming file and line, exit 2, and
nothing is written.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .emit import PROPERTY_KEYS, Notes, document, ordered
from .loader import SpecError
from .model import load_spec
from ..runtime.core.codec import FORMATS, BodyError, Kind, check_primitive
from .pages import (
    Example,
    Page,
    PageError,
    Row,
    Table,
    XmlElement,
    description_format,
    description_range,
    description_values,
    read_pages,
)

PAGE_FILE_PREFIX = "path."
TABLE_TYPES = {
    "Integer": "integer",
    "Number": "number",
    "String": "string",
    "Boolean": "boolean",
    "Object": "object",
    "Array": "array",
}
# Values the runtime serves whatever an example says (JSON keys of any object).
RUNTIME_OWNED = {"apiRevision": "the runtime serves --api-revision"}
# The spec's string formats that an example's shape tells, as the codec checks them (a file name's does not).
INFERRED_FORMATS = {name: FORMATS[name] for name in ("uuid", "datetime", "date", "time", "iso-datetime")}
UUID = FORMATS["uuid"]
COMPARED = (
    "type",
    "values",
    "object",
    "items",
    "format",
    "minimum",
    "maximum",
    "methods",
    "json_key",
    "xml_element",
)
# Last path segments that say a job is started rather than what it does (`/system/backup/create`).
JOB_VERBS = {"create", "start", "run", "launch"}
# The words that go with a property's type, and its values: replaced together when the type is.
KIND_KEYS = ("values", "object", "items", "xml_item", "format", "minimum", "maximum", "default", "example")
HEADER = [
    "Imported from the vendor's pages by `python -m codegen import`; checked and kept by a person.",
    "`# inferred:` marks what the page did not say; descriptions are placeholders to rewrite in our words.",
]


# A default for a formatted string the page gives no example of (the spec checks defaults by format).
FORMAT_SAMPLES = {
    "uuid": "00000000-0000-4000-8000-000000000000",
    "date": "01-01-2026",
    "time": "00:00:00",
    "datetime": "01/01/2026 00:00:00",
    "iso-datetime": "2026-01-01T00:00:00Z",
}


@dataclass
class Report:
    took: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)
    unsaid: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)
    result: str = ""


@dataclass
class State:
    """The spec folder as the importer sees it: hand-written files and page files."""

    hand_resources: list[dict]
    hand_objects: dict[str, dict]
    page_docs: dict[str, dict]  # file name -> {"resources": [...], "objects": {...}}
    gets: set[str] = field(default_factory=set)  # paths with a GET in the spec or this run

    def siblings(self, path: str) -> list[dict]:
        """The resources of `path` (other methods) already in the spec."""
        every = self.hand_resources + [r for d in self.page_docs.values() for r in d["resources"]]
        return [r for r in every if r.get("path", "").rstrip("/") == path.rstrip("/")]

    def revision_of(self, path: str) -> str | None:
        """The from-revision a page stated for another method of `path` (None: no page stated one)."""
        stated = [
            r for r in self.siblings(path) if r.get("from_revision") and not _guessed(r, "from_revision")
        ]
        return stated[0]["from_revision"] if stated else None

    def parameter_of(self, path: str, name: str) -> dict | None:
        """The declaration of the path parameter `name` by another method of `path`."""
        declared = [
            p for r in self.siblings(path) for p in r.get("parameters") or [] if p.get("name") == name
        ]
        return declared[0] if declared else None

    def owners(self) -> dict[str, set[str]]:
        """Object name -> the paths whose resources use it (directly or nested)."""
        result: dict[str, set[str]] = {}
        for resource in self.hand_resources:
            for name in (resource.get("request"), resource.get("response")):
                for reached in _reach(name, self.hand_objects):
                    result.setdefault(reached, set()).add(resource.get("path", ""))
        for name in self.hand_objects:
            result.setdefault(name, set())
        for doc in self.page_docs.values():
            paths = {r.get("path", "") for r in doc["resources"]}
            for name in doc["objects"]:
                result.setdefault(name, set()).update(paths)
        return result


def _reach(name: str | None, objects: dict[str, dict]) -> set[str]:
    seen: set[str] = set()
    todo = [name] if name else []
    while todo:
        current = todo.pop()
        if current in seen or current not in objects:
            continue
        seen.add(current)
        for prop in objects[current].get("properties") or []:
            items = prop.get("items")
            todo += [
                n for n in (prop.get("object"), items.get("object") if isinstance(items, dict) else None) if n
            ]
    return seen


def page_file_name(path: str) -> str:
    segments = [s for s in path.strip("/").split("/") if s]
    words = [f"_{s[1:-1]}_" if s.startswith("{") else s for s in segments] or ["root"]
    return PAGE_FILE_PREFIX + ".".join(words) + ".yaml"


def camel(word: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_.]", word) if part)


def lower_camel(name: str) -> str:
    """`DeviceInstance` -> `deviceInstance`, `ISODateTime` -> `isoDateTime`."""
    match = re.match(r"^([A-Z]+)(?=[A-Z][a-z])|^[A-Z]", name)
    return (match.group(0).lower() + name[match.end() :]) if match else name


def operation_name(method: str, path: str) -> str:
    words = [method.lower()]
    for segment in [s for s in path.strip("/").split("/") if s]:
        if segment.startswith("{"):
            words.append("by_" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", segment[1:-1]).lower())
        else:
            words.append(re.sub(r"[^a-z0-9]+", "_", segment.lower()).strip("_"))
    return "_".join(w for w in words if w)


def load_state(spec_dir: Path) -> State:
    hand_resources: list[dict] = []
    hand_objects: dict[str, dict] = {}
    page_docs: dict[str, dict] = {}
    for path in sorted(spec_dir.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if path.name.startswith(PAGE_FILE_PREFIX):
            data = with_notes(text) or {}
            page_docs[path.name] = {
                "resources": data.get("resources") or [],
                "objects": data.get("objects") or {},
            }
        else:
            data = yaml.safe_load(text) or {}
            hand_resources += data.get("resources") or []
            hand_objects.update(data.get("objects") or {})
    state = State(hand_resources, hand_objects, page_docs)
    for resource in hand_resources + [r for d in page_docs.values() for r in d["resources"]]:
        if resource.get("method") == "GET":
            state.gets.add(resource.get("path", ""))
    return state


def with_notes(text: str) -> Any:
    """A page file's YAML with each mapping a `Notes` holding the `# ...` comment on each key's line, so
    that a later import knows what was inferred (and a person who deleted the comment confirmed it)."""
    lines = text.splitlines()

    def build(node: yaml.Node, value: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            result = Notes(value)
            for key_node, value_node in node.value:
                key, line = key_node.value, lines[key_node.start_mark.line]
                same_line = value_node.end_mark.line == key_node.start_mark.line
                tail = line[value_node.end_mark.column if same_line else key_node.end_mark.column + 1 :]
                tail = tail.strip().lstrip("|2").strip()
                if tail.startswith("#"):
                    result.notes[key] = tail[1:].strip()
                result[key] = build(value_node, value[key])
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(n, v) for n, v in zip(node.value, value)]
        return value

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return build(node, yaml.safe_load(text)) if node is not None else None


# --- from a page to spec data ----------------------------------------------------------------------


def _value_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "link" if set(value) >= {"href"} else "object"
    if isinstance(value, list):
        return "array"
    return None


def _walk_json(value: Any) -> list[dict]:
    found = []
    if isinstance(value, dict):
        found.append(value)
        for member in value.values():
            found += _walk_json(member)
    elif isinstance(value, list):
        for member in value:
            found += _walk_json(member)
    return found


def _walk_xml(element: XmlElement | None) -> list[XmlElement]:
    if element is None:
        return []
    found = [element]
    for child in element.children:
        found += _walk_xml(child)
    return found


def _score(names: set[str], keys: list[str]) -> int:
    return len(names & {k.lower() for k in keys})


@dataclass
class Samples:
    json: dict | None
    json_cut: bool
    xml: XmlElement | None


def _samples(table: Table, page: Page, sole: bool, report: Report, table_name: str) -> Samples:
    """The JSON object and XML element of the examples that show `table` (`sole`: the page's one answer)."""
    names = {row.name.lower() for row in table.rows}
    best, best_score, best_cut = None, 0, False
    for example in page.examples:
        if example.kind != "json":
            continue
        for candidate in _walk_json(example.value):
            score = _score(names, list(candidate))
            if score > best_score:
                best, best_score, best_cut = candidate, score, example.cut_off
    first = next((e for e in page.examples if e.kind == "json"), None)
    if best is None and sole and first is not None and isinstance(first.value, dict) and first.value:
        best, best_cut = first.value, first.cut_off
        report.inferred.append(
            f"{table_name}: the JSON example at line {first.line} names none of its rows; taken as its example"
        )
    xml_best, xml_score = None, 0
    for example in page.examples:
        if example.kind != "xml":
            continue
        for element in _walk_xml(example.value):
            score = _score(names, [c.name for c in element.children]) + (
                2 if element.name == table.name else 0
            )
            if score > xml_score:
                xml_best, xml_score = element, score
    return Samples(best, best_cut, xml_best)


def _xml_value(element: XmlElement, kind: str) -> Any:
    text = (element.text or "").strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return text.lower() == "true"
    return text


def _name_tables(page: Page, report: Report) -> dict[int, str]:
    """The page name of each table: its `Object Name:`, or inferred for a table without one."""
    names: dict[int, str] = {}
    defined = {t.name for t in page.tables if t.name}
    wanted = [r.item_name for t in page.tables for r in t.rows if r.item_name and r.item_name not in defined]
    for index, table in enumerate(page.tables):
        if table.name:
            names[index] = table.name
    for index, table in enumerate(page.tables):
        if index in names:
            continue
        rows = {r.name.lower() for r in table.rows}
        choice, reason = None, ""
        for want in wanted:
            if want in names.values():
                continue
            for table_ in page.tables:  # a property `Array <want>` whose example items match this table
                for row in table_.rows:
                    if row.item_name != want:
                        continue
                    key = lower_camel(row.name).lower()
                    for example in page.examples:
                        for candidate in _walk_json(example.value):
                            items = next((v for k, v in candidate.items() if k.lower() == key), None)
                            if isinstance(items, list) and items and isinstance(items[0], dict):
                                if _score(rows, list(items[0])) * 2 >= len(rows):
                                    choice, reason = (
                                        want,
                                        f"the items of {row.name} (Array <{want}>) match it",
                                    )
            if choice:
                break
        if not choice:
            base = camel(
                next((s for s in reversed(page.path.split("/")) if s and not s.startswith("{")), "Root")
            )
            choice = base if base not in names.values() else f"{base}{index + 1}"
            reason = "named after the path"
        names[index] = choice
        report.inferred.append(f"the table at line {table.line} has no Object Name: {choice} ({reason})")
    return names


def _property(
    row: Row,
    table_name: str,
    samples: Samples,
    page: Page,
    local: dict[str, str],
    report: Report,
    method: str,
) -> Notes:
    prop, notes = Notes(), {}
    place = f"{table_name}.{row.name}"

    def infer(key: str, text: str) -> None:
        notes[key] = f"inferred: {text}"
        report.inferred.append(f"{place}.{key}: {text}")

    sample_key = next((k for k in (samples.json or {}) if k.lower() == row.name.lower()), None)
    sample = samples.json[sample_key] if sample_key is not None else None
    element = next(
        (c for c in (samples.xml.children if samples.xml else []) if c.name.lower() == row.name.lower()), None
    )
    table_type = TABLE_TYPES.get(row.base_type)
    seen_type = _value_type(sample)
    if seen_type is None and element is not None:
        seen_type = "link" if {c.name for c in element.children} >= {"Href"} else None
    prop["name"] = row.name
    kind = table_type
    if not row.type:
        kind = seen_type or "string"
        unsaid = "the page was cut before the type" if row.cut_off else "the table does not list it"
        infer("type", f"{unsaid}; {'from the example' if seen_type else 'assumed string'}")
    elif table_type is None:  # "empty"
        if seen_type:
            kind = seen_type
            infer("type", f"the table says {row.type!r}; {seen_type} from the example")
        elif len(description_values(row.description, row.cut_off)[0]) >= 2:
            kind = "string"  # an enum of the values below
            report.took.append(f"{place}: the table says {row.type!r}; an enum of the description's values")
        else:
            kind = "string"
            infer("type", f"the table says {row.type!r} and no example shows it; assumed string")
    elif seen_type and seen_type != table_type:
        if (table_type, seen_type) in (("number", "integer"),):
            pass
        else:
            kind = seen_type
            infer("type", f"the table says {row.type}, the example shows {seen_type}: the example wins")
    values, dropped = description_values(row.description, row.cut_off)
    if dropped:
        report.unsaid.append(
            f"{place}: the value list was cut off; dropped the partial last value {dropped!r}"
        )
    if kind == "string" and len(values) >= 2:
        prop["type"] = "enum"
        prop["values"] = values
        if dropped:
            notes["values"] = "inferred: the list on the page was cut off; it may be incomplete"
    elif kind == "array":
        prop["type"] = "array"
        items, xml_item = _items(row, sample, element, values, dropped, local, infer, report, place)
        prop["items"] = items
        if xml_item:
            prop["xml_item"] = xml_item
    elif kind == "object":
        prop["type"] = "link"
        infer("type", "the table says Object and no table of the page defines it: a link (href, name)")
    else:
        prop["type"] = kind
    if isinstance(sample, str) and prop["type"] == "string":
        for name, pattern in INFERRED_FORMATS.items():
            if pattern.fullmatch(sample):
                prop["format"] = name
                infer("format", f"{name}, from the example value {sample!r}")
                break
    if prop["type"] == "string" and "format" not in prop and description_format(row.description):
        prop["format"] = description_format(row.description)
        report.took.append(f"{place}: format {prop['format']} from the description")
    bounds = description_range(row.description)
    if bounds:
        prop["minimum"], prop["maximum"] = bounds
        report.took.append(f"{place}: range {bounds[0]}..{bounds[1]}")
    prop["description"] = f"{row.name} ({row.type or 'type cut off'}), imported from {page.name}"
    notes["description"] = "TODO: rewrite in our own words"
    if row.methods:
        prop["methods"] = list(row.methods)
    else:
        prop["methods"] = ["GET"] if method == "GET" else [method]
        infer("methods", "the page does not say (cut off or left out)")
    if sample_key is not None:
        prop["json_key"] = sample_key
    else:
        prop["json_key"] = lower_camel(row.name)
        infer("json_key", "not in a JSON example")
    if element is not None:
        prop["xml_element"] = element.name
    else:
        prop["xml_element"] = row.name[:1].upper() + row.name[1:]
        infer("xml_element", "not in an XML example")
    prop.notes = notes
    if row.required is not None:
        report.took.append(f"{place}: marked {'required' if row.required else 'optional'} by the page")
    _sample_values(prop, sample, sample_key, element, infer, report, place)
    return prop


def _items(row, sample, element, values, dropped, local, infer, report, place) -> tuple[Any, str | None]:
    item = row.item_name
    xml_item = element.children[0].name if element is not None and element.children else None
    if item in TABLE_TYPES or item == "String":
        kind = TABLE_TYPES.get(item, "string")
        if kind == "string" and len(values) >= 2:
            return {"type": "enum", "values": values}, xml_item
        return kind, xml_item
    if isinstance(sample, dict):
        return {"type": "link"}, xml_item
    if item and item in local:
        return {"type": "object", "object": local[item]}, xml_item or item
    members = sample if isinstance(sample, list) else []
    if members and all(isinstance(m, dict) and "href" in m for m in members):
        reason = (
            f"no table defines {item}; its members in the example are links" if item else "members are links"
        )
        infer("items", reason)
        return {"type": "link"}, xml_item
    if members and all(isinstance(m, str) for m in members):
        infer("items", "strings, from the example")
        return "string", xml_item
    infer("items", f"no table defines {item}: taken as links" if item else "the page does not say: strings")
    return ({"type": "link"} if item else "string"), xml_item or item


def _sample_values(prop: Notes, sample, sample_key, element, infer, report: Report, place: str) -> None:
    kind = prop["type"]
    if sample_key in RUNTIME_OWNED:
        prop.notes["default"] = f"not from the example: {RUNTIME_OWNED[sample_key]}"
        report.took.append(f"{place}: example value {sample!r} not taken ({RUNTIME_OWNED[sample_key]})")
        sample, element = None, None
        value = None
    elif sample is not None:
        value = sample
    elif element is not None and kind in ("integer", "number", "boolean", "string", "enum"):
        value = _xml_value(element, kind)
    else:
        value = None
    if value is not None and kind == "link":
        value = (
            {"href": value.get("href", ""), "name": value.get("name", "")}
            if isinstance(value, dict)
            else None
        )
    if value is not None and kind == "array" and not all(not isinstance(v, (dict, list)) for v in value):
        value = None  # members are objects or links: the example is not a default
    if value is not None:
        prop["default"], prop["example"] = value, value
        return
    defaults = {"integer": prop.get("minimum", 0), "number": 0, "string": "", "boolean": False, "array": []}
    if kind == "enum":
        prop["default"] = prop["values"][0]
    elif kind == "string" and prop.get("format") in FORMAT_SAMPLES:  # a valid value of its format
        prop["default"] = FORMAT_SAMPLES[prop["format"]]
    elif kind in defaults:
        prop["default"] = defaults[kind]
    else:
        return
    if "default" not in prop.notes:
        infer("default", "no example value")


def _page_objects(
    page: Page, report: Report, names: dict[int, str], local: dict[str, str]
) -> dict[str, Notes]:
    objects: dict[str, Notes] = {}
    tops = _top_level(page, names)
    for index, table in enumerate(page.tables):
        page_name = names[index]
        samples = _samples(table, page, tops == [page_name], report, page_name)
        objects[local[page_name]] = _object(table, page_name, local[page_name], samples, page, local, report)
    return objects


def _object(
    table: Table,
    page_name: str,
    spec_name: str,
    samples: Samples,
    page: Page,
    local: dict[str, str],
    report: Report,
) -> Notes:
    """The spec object of one table: its rows, and the keys its example shows that the table lacks."""
    obj = Notes()
    obj["xml_element"] = page_name
    obj["description"] = f"{page_name}, imported from {page.name}"
    obj.notes["description"] = "TODO: rewrite in our own words"
    if spec_name != page_name:
        obj.notes["xml_element"] = f"qualified: the page calls it {page_name}; the wire keeps <{page_name}>"
    properties = [_property(r, page_name, samples, page, local, report, page.method) for r in table.rows]
    known = {r.name.lower() for r in table.rows}
    for key in [k for k in samples.json or {} if k.lower() not in known]:
        row = Row(key[:1].upper() + key[1:], "", "", (), table.line)
        prop = _property(row, page_name, samples, page, local, Report(), page.method)
        prop["description"] = f"{row.name}, in the example of {page.name} but not in its table"
        prop.notes["name"] = "inferred: from the example; the table does not list it"
        properties.append(prop)
        report.inferred.append(f"{page_name}.{row.name}: in the example, not in the table: added")
    _orders(properties, samples, report, page_name)
    obj["properties"] = properties
    if table.cut_off:
        report.unsaid.append(f"{page_name}: the table was cut off after {len(table.rows)} rows")
    for row in table.rows:
        if row.cut_off:
            report.unsaid.append(f"{page_name}.{row.name}: the row was cut off or left its method cell empty")
    return obj


def _orders(properties: list[Notes], samples: Samples, report: Report, object_name: str) -> None:
    json_keys = list(samples.json or {})
    xml_names = [c.name for c in samples.xml.children] if samples.xml else []
    json_next = len(json_keys) + 1
    xml_next = len(xml_names) + 1
    inferred = []
    for prop in properties:
        order = {}
        if prop["json_key"] in json_keys:
            order["json"] = json_keys.index(prop["json_key"]) + 1
        else:
            order["json"], json_next = json_next, json_next + 1
            inferred.append("json")
        if prop["xml_element"] in xml_names:
            order["xml"] = xml_names.index(prop["xml_element"]) + 1
        else:
            order["xml"], xml_next = xml_next, xml_next + 1
            inferred.append("xml")
        prop["order"] = order
        unknown = [
            k
            for k, known in (
                ("json", prop["json_key"] in json_keys),
                ("xml", prop["xml_element"] in xml_names),
            )
            if not known
        ]
        if unknown:
            prop.notes["order"] = (
                f"inferred: {' and '.join(unknown)} order from the table (not in the example)"
            )
    if inferred:
        report.inferred.append(f"{object_name}: some orders follow the table, not an example")


def _top_level(page: Page, names: dict[int, str]) -> list[str]:
    referenced = {r.item_name for t in page.tables for r in t.rows if r.item_name}
    return [names[i] for i, t in enumerate(page.tables) if names[i] not in referenced]


def _build_resource(
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
    tops = _top_level(page, names)
    first_json = next((e for e in page.examples if e.kind == "json"), None)
    if page.method == "GET":
        response = None
        if first_json and isinstance(first_json.value, dict):
            scored = [
                (_score({r.name.lower() for r in t.rows}, list(first_json.value)), names[i])
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
            (n for n in tops if any(r.name.lower() == "jobid" for r in _table(page, names, n).rows)), None
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
            else:  # an echo answers every body the page describes; a hook may replace it
                notes["behaviour"] = "inferred: no GET of this path; the entity answers what the body set"
            report.inferred.append("behaviour " + resource["behaviour"]["kind"])
    if "request" in resource:
        _xml_bodies(resource, notes, page, report)
    examples = {}
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
    prop = next((p for p in (answer or {}).get("properties", []) if p["name"].lower() == "jobid"), None)
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
    table: Table,
    table_name: str,
    local: dict[str, str],
    objects: dict[str, Notes],
    report: Report,
) -> None:
    """A GET answering a list: the members' object, the array shape, its XML root and the members' key."""
    first_json = next((e for e in page.examples if e.kind == "json"), None)
    bare = first_json is not None and isinstance(first_json.value, list)
    member = local[table_name]
    if len(table.rows) == 1 and table.rows[0].base_type == "Array":  # the table is the list itself
        item = table.rows[0].item_name or table_name
        if item in local and local[item] in objects:
            member = local[item]
        else:
            member = _link_member(item, table_name, page, first_json, objects, report)
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
            k: item[k] for k in props if k in item and k not in RUNTIME_OWNED and _fits(props[k], item[k])
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


def _fits(prop: Notes, value: Any) -> bool:
    """Whether an example's value is one of the property's kind, as the spec's loader checks it."""
    if prop["type"] == "link":
        return isinstance(value, dict) and set(value) == {"href", "name"}
    if prop["type"] == "array":
        items = prop.get("items")
        return (
            isinstance(value, list)
            and isinstance(items, str)
            and all(_fits({"type": items}, v) for v in value)
        )
    if prop["type"] == "object":
        return False  # a nested object's defaults stand
    kind = Kind(
        prop["type"], tuple(prop.get("values", ())), None, None, "Item", prop.get("format"),
        prop.get("minimum"), prop.get("maximum"),
    )  # fmt: skip
    try:
        check_primitive(kind, value, "item")
    except BodyError:
        return False
    return True


def _link_member(
    item: str, list_name: str, page: Page, example: Example | None, objects: dict[str, Notes], report: Report
) -> str:
    """The object of members that no table defines: links (href, name) unless the example shows other keys."""
    members = example.value if example is not None and isinstance(example.value, list) else []
    sample = next((m for m in members if isinstance(m, dict) and m), None)
    xml_list = next(
        (
            e.value
            for e in page.examples
            if e.kind == "xml" and e.value is not None and e.value.name == list_name
        ),
        None,
    )
    samples = Samples(
        sample,
        bool(example and example.cut_off),
        xml_list.children[0] if xml_list and xml_list.children else None,
    )
    is_link = sample is None or "href" in sample
    rows = [Row(n, "String", "", ("GET",), 0) for n in ("Href", "Name")] if is_link else []
    name = f"{item}Link" if is_link else item
    objects[name] = _object(Table(item, 0, rows), item, name, samples, page, {}, report)
    reason = "its members in the example are links" if sample else "taken as links"
    objects[name].notes["xml_element"] = f"inferred: no table defines {item}; {reason}"
    report.inferred.append(f"object {name}: no table defines {item}; {reason}")
    return name


def _table(page: Page, names: dict[int, str], name: str) -> Table:
    return next(t for i, t in enumerate(page.tables) if names[i] == name)


def url_segments(page: Page) -> dict[str, str]:
    """The path parameters' values in the first URL example of the page's path (by parameter name)."""
    wanted = [s for s in page.path.strip("/").split("/") if s]
    for example in page.examples:
        url = example.url.split("?")[0]
        tail = url.split("/api/rest/v1", 1)[-1] if "/api/rest/v1" in url else ""
        got = [s for s in tail.strip("/").split("/") if s]
        if len(got) == len(wanted):
            return {w[1:-1]: g for w, g in zip(wanted, got) if w.startswith("{")}
    return {}


# --- merging ---------------------------------------------------------------------------------------


def _qualify(name: str, path: str, other_paths: set[str], taken: Callable[[str], bool]) -> str:
    mine = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    other = sorted(other_paths)[0].strip("/").split("/") if other_paths else []
    other = [s for s in other if s and not s.startswith("{")]
    index = next((i for i, s in enumerate(mine) if i >= len(other) or other[i] != s), max(len(mine) - 1, 0))
    for end in range(index + 1, len(mine) + 1):
        candidate = "".join(camel(s) for s in mine[index:end]) + name
        if not taken(candidate):
            return candidate
    number = 2
    while taken(f"{name}{number}"):
        number += 1
    return f"{name}{number}"


def _compare(place: str, page_value: dict, spec_value: dict, report: Report) -> None:
    for key in COMPARED:
        if key not in page_value or key in getattr(page_value, "notes", {}):
            continue
        if key in spec_value and spec_value[key] != page_value[key]:
            report.differs.append(
                f"{place}.{key}: the page says {page_value[key]!r}, the spec {spec_value[key]!r}"
            )
        elif key not in spec_value:
            report.differs.append(f"{place}.{key}: the page says {page_value[key]!r}, the spec says nothing")
    page_order, spec_order = page_value.get("order"), spec_value.get("order")
    if (
        page_order
        and spec_order
        and "order" not in getattr(page_value, "notes", {})
        and page_order != spec_order
    ):
        report.differs.append(f"{place}.order: the page says {page_order}, the spec {spec_order}")


def _compare_object(name: str, produced: dict, spec_obj: dict, report: Report) -> None:
    spec_props = {p.get("name"): p for p in spec_obj.get("properties") or []}
    for prop in produced["properties"]:
        if prop["name"] not in spec_props:
            report.differs.append(f"{name}.{prop['name']}: on the page, not in the spec")
            continue
        _compare(f"{name}.{prop['name']}", prop, spec_props[prop["name"]], report)


def _guessed(mapping: dict, key: str) -> bool:
    return getattr(mapping, "notes", {}).get(key, "").startswith("inferred")


def _unsaid(mapping: dict, key: str) -> bool:
    """Inferred for want of the page saying it (not where an example contradicts the table)."""
    return _guessed(mapping, key) and "wins" not in mapping.notes[key]


def _merge_mapping(
    existing: dict, produced: Notes, place: str, report: Report, keys_checked=COMPARED
) -> Notes:
    """Existing values win (a person may have corrected them) unless they were inferred and the page states
    them; new keys are added; differences the page states are said."""
    result = Notes()
    for key, value in existing.items():
        if key not in produced or produced[key] == value:
            result[key] = value
            # a comment of a person (or a TODO) stays; a value both hold is inferred only if neither states it
            note = getattr(existing, "notes", {}).get(key)
            if key in produced and (note is None or note.startswith("inferred")):
                note = produced.notes.get(key) if note and _guessed(produced, key) else None
        elif _guessed(existing, key) and not _guessed(produced, key):
            result[key], note = produced[key], produced.notes.get(key)
            report.took.append(
                f"{place}.{key}: the page gives {produced[key]!r}, replacing the inferred {value!r}"
            )
        else:
            result[key], note = value, getattr(existing, "notes", {}).get(key)
            if key in keys_checked + ("order", "from_revision") and not _unsaid(produced, key):
                report.differs.append(
                    f"{place}.{key}: the page gives {produced[key]!r}, the spec keeps {value!r}"
                )
        if note:
            result.notes[key] = note
    for key, value in produced.items():
        if key not in result:
            result[key] = value
            if key in produced.notes:
                result.notes[key] = produced.notes[key]
    return result


def _merge_object(existing: Notes, produced: Notes, name: str, report: Report) -> Notes:
    merged = _merge_mapping(existing, produced, name, report)
    by_name = {p["name"]: p for p in produced["properties"]}
    properties = []
    for prop in existing.get("properties") or []:
        if prop.get("name") in by_name:
            produced_prop = by_name.pop(prop["name"])
            merged_prop = _merge_mapping(prop, produced_prop, f"{name}.{prop['name']}", report)
            if merged_prop.get("type") != prop.get("type"):  # a new kind brings its own words and values
                for key in KIND_KEYS:
                    merged_prop.pop(key, None)
                    if key in produced_prop:
                        merged_prop[key] = produced_prop[key]
                        merged_prop.notes.pop(key, None)
                        if key in produced_prop.notes:
                            merged_prop.notes[key] = produced_prop.notes[key]
                merged_prop = ordered(merged_prop, PROPERTY_KEYS)
            properties.append(merged_prop)
        else:
            properties.append(prop)
    for prop in by_name.values():  # what only this page lists comes after what the spec holds
        for encoding in ("json", "xml"):
            taken = {p.get("order", {}).get(encoding) for p in properties}
            if prop["order"][encoding] in taken:
                prop["order"] = {**prop["order"], encoding: max(n for n in taken if n is not None) + 1}
                prop.notes["order"] = "inferred: after the properties the spec held already"
        properties.append(prop)
    merged["properties"] = properties
    return merged


def import_page(page: Page, state: State, report: Report) -> str | None:
    """Merge one page into `state`; the page file it changed, or None."""
    names = _name_tables(page, report)
    report.took.append(
        f"{page.method} {page.path}"
        + (f", from revision {page.revision}" if page.revision else "")
        + (", deprecated" if page.deprecated else "")
        + f"; {len(page.tables)} table(s), {len(page.examples)} example(s)"
        + (f"; {page.copies} copies merged" if page.copies > 1 else "")
    )
    if page.cut_off:
        report.unsaid.append("the copy is cut off: what follows the cut is unknown")
    hand = next(
        (r for r in state.hand_resources if r.get("method") == page.method and r.get("path") == page.path),
        None,
    )
    file_name = page_file_name(page.path)
    doc = state.page_docs.get(file_name, {"resources": [], "objects": {}})
    if hand is not None:
        local = {n: n for n in names.values()}
        probe = _build_resource(
            page, Report(), names, local, state, _page_objects(page, Report(), names, local)
        )
        for role in ("response", "request"):
            if probe.get(role) and hand.get(role):
                local[probe[role]] = hand[role]
        objects = _page_objects(page, Report(), names, local)
        # what the page's resource does to its objects (a collection's members replace its list)
        _build_resource(page, Report(), names, local, state, objects)
        for spec_name, obj in objects.items():
            if spec_name in state.hand_objects and spec_name in {hand.get("request"), hand.get("response")}:
                report.took.append(f"checked {spec_name} against the spec")
                _compare_object(spec_name, obj, state.hand_objects[spec_name], report)
            else:
                report.unsaid.append(f"{spec_name}: not compared (the hand-written resource does not use it)")
        for key in ("from_revision", "deprecated", "xml_body_from_revision"):
            page_value = probe.get(key, False) if key == "deprecated" else probe.get(key)
            if key in probe.notes:
                continue
            if page_value != hand.get(key, False if key == "deprecated" else None):
                report.differs.append(f"{key}: the page says {page_value!r}, the spec {hand.get(key)!r}")
        report.result = "unchanged: the resource is written by hand in the spec; differences are listed"
        return None
    owners = state.owners()
    mine = set(doc["objects"])
    local: dict[str, str] = {}
    chosen: set[str] = set()
    for index in sorted(names):
        name = names[index]
        spec_name = name
        if name not in mine and name in owners and page.path not in owners[name]:

            def taken(candidate: str) -> bool:
                return (candidate in owners and candidate not in mine) or candidate in chosen

            spec_name = _qualify(name, page.path, owners[name], taken)
            report.took.append(
                f"object {name} is named {spec_name} in the spec ({name} is used by {', '.join(sorted(owners[name])) or 'the spec'});"
                f" the wire keeps <{name}>"
            )
        local[name] = spec_name
        chosen.add(spec_name)
    objects = _page_objects(page, report, names, local)
    resource = _build_resource(page, report, names, local, state, objects)
    resources = list(doc["resources"])
    at = next(
        (i for i, r in enumerate(resources) if r.get("method") == page.method and r.get("path") == page.path),
        None,
    )
    if at is None:
        resources.append(resource)
    else:
        resources[at] = _merge_mapping(
            resources[at], resource, resource["operation"], report, ("method", "path")
        )
    merged_objects = dict(doc["objects"])
    for name, obj in objects.items():
        merged_objects[name] = (
            _merge_object(merged_objects[name], obj, name, report) if name in merged_objects else obj
        )
    order = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
    resources.sort(key=lambda r: order.get(r.get("method"), 9))
    state.page_docs[file_name] = {"resources": resources, "objects": merged_objects}
    if page.method == "GET":
        state.gets.add(page.path)
    return file_name


def render_doc(doc: dict) -> str:
    objects = Notes(sorted(doc["objects"].items()))
    for name, obj in doc["objects"].items():
        note = getattr(obj, "notes", {}).get("xml_element", "")
        if note.startswith("qualified"):
            objects.notes[name] = note
    return document(HEADER, doc["resources"], objects)


def run(files: list[Path], spec_dir: Path, out=print, err=None) -> int:
    err = err or (lambda text: print(text, file=sys.stderr))
    pages: list[Page] = []
    try:
        for file in files:
            pages += read_pages(file)
    except PageError as error:
        err(f"page error: {error}")
        return 2
    except OSError as error:
        err(f"page error: {error.filename}:1: {error.strerror}")
        return 2
    if not spec_dir.is_dir():
        err(f"page error: {spec_dir}: not a spec folder")
        return 2
    state = load_state(spec_dir)
    before = {name: (spec_dir / name).read_text(encoding="utf-8") for name in state.page_docs}
    order = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
    changed: list[str] = []
    for page in sorted(pages, key=lambda p: (p.path, order.get(p.method, 9), p.file)):
        report = Report()
        name = import_page(page, state, report)
        if name and name not in changed:
            changed.append(name)
        out(f"{page.file}: {page.method} {page.path}")
        for title, items in (
            ("took", report.took),
            ("inferred", report.inferred),
            ("unsaid or cut off", report.unsaid),
            ("differs", report.differs),
        ):
            for item in items:
                out(f"  {title}: {item}")
        if report.result:
            out(f"  {report.result}")
    texts = {name: render_doc(state.page_docs[name]) for name in sorted(changed)}
    problem = load_problem(spec_dir, texts)
    if problem:
        err(f"import error: with these pages the spec would not load, so nothing was written: {problem}")
        return 2
    for name, text in texts.items():
        if before.get(name) == text:
            out(f"unchanged {spec_dir / name}")
            continue
        (spec_dir / name).write_text(text, encoding="utf-8")
        out(f"wrote {spec_dir / name}")
    return 0


def load_problem(spec_dir: Path, texts: dict[str, str]) -> str | None:
    """Why the spec folder would not load with `texts` written into it; None when it would, or when the
    folder holds no whole spec to begin with (the importer then checks only its own output)."""
    try:
        load_spec(spec_dir)
    except SpecError:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / spec_dir.name  # so that messages name the folder as the user knows it
        shutil.copytree(
            spec_dir, trial, ignore=lambda _, names: [n for n in names if not n.endswith(".yaml")]
        )
        for name, text in texts.items():
            (trial / name).write_text(text, encoding="utf-8")
        try:
            load_spec(trial)
        except SpecError as error:
            return str(error)
    return None


def main(argv: list[str], prog: str) -> int:
    import argparse

    from .folders import add_output_folder

    parser = argparse.ArgumentParser(
        prog=prog, description="Turn copies of the vendor's API pages into spec YAML."
    )
    parser.add_argument("pages", nargs="+", type=Path, help="text copies of vendor pages")
    add_output_folder(parser, "--into", "spec", "the spec folder to write into")
    args = parser.parse_args(argv)
    return run(args.pages, args.into)
