"""Merging a page into the spec: checked against a hand-written resource, merged into its page file,
an object name that another path uses for another shape qualified."""

from __future__ import annotations

from typing import Any

from ..emit import PROPERTY_KEYS, Notes, ordered
from .names import object_name, qualify
from .objects import name_tables, page_objects
from .pages import Page
from .resource import build_resource, implied, is_settings, settings_reader
from .state import same_path, Report, State, guessed, page_file_name

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

# The words that go with a property's type, and its values: replaced together when the type is.
KIND_KEYS = ("values", "object", "items", "xml_item", "format", "minimum", "maximum", "default", "example")


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


def _unsaid(mapping: dict, key: str) -> bool:
    """Inferred for want of the page saying it (not where an example contradicts the table)."""
    return guessed(mapping, key) and "wins" not in getattr(mapping, "notes", {})[key]


def _merge_mapping(
    existing: dict[str, Any],
    produced: Notes,
    place: str,
    report: Report,
    keys_checked: tuple[str, ...] = COMPARED,
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
                note = produced.notes.get(key) if note and guessed(produced, key) else None
        elif guessed(existing, key) and not guessed(produced, key):
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
    names = name_tables(page, report)
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
        (
            r
            for r in state.hand_resources
            if r.get("method") == page.method and same_path(r.get("path"), page.path)
        ),
        None,
    )
    file_name = page_file_name(page.path)
    doc = state.page_docs.get(file_name, {"resources": [], "objects": {}})
    if hand is not None:
        local: dict[str, str] = {n: object_name(n) for n in names.values()}
        probe = build_resource(
            page, Report(), names, local, state, page_objects(page, Report(), names, local)
        )
        for role in ("response", "request"):
            if probe.get(role) and hand.get(role):
                local[probe[role]] = hand[role]
        objects = page_objects(page, Report(), names, local)
        # what the page's resource does to its objects (a collection's members replace its list)
        build_resource(page, Report(), names, local, state, objects)
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
    local = {}
    chosen: set[str] = set()
    for index in sorted(names):
        name = names[index]
        spec_name = object_name(name)
        if spec_name != name:
            report.took.append(
                f"object {name} is named {spec_name} in the spec (a Python name); the wire keeps <{name}>"
            )
        if spec_name not in mine and spec_name in owners and page.path not in owners[spec_name]:

            def taken(candidate: str) -> bool:
                return (candidate in owners and candidate not in mine) or candidate in chosen

            users = owners[spec_name]
            spec_name = qualify(spec_name, page.path, users, taken)
            report.took.append(
                f"object {name} is named {spec_name} in the spec ({object_name(name)} is used by"
                f" {', '.join(sorted(users)) or 'the spec'}); the wire keeps <{name}>"
            )
        local[name] = spec_name
        chosen.add(spec_name)
    objects = page_objects(page, report, names, local)
    resource = build_resource(page, report, names, local, state, objects)
    resources = list(doc["resources"])
    if page.path not in state.gets and resource["behaviour"] == {"kind": "entity"} and is_settings(page):
        resources.append(settings_reader(page, resource, report))
        state.gets.add(page.path)
    at = next(
        (i for i, r in enumerate(resources) if r.get("method") == page.method and r.get("path") == page.path),
        None,
    )
    if at is None:
        resources.append(resource)
    elif implied(resources[at]):  # the page documents the GET that another page implied: all of it replaced
        resources[at] = resource
        report.took.append(f"GET {page.path}: the page replaces the GET that a settings page implied")
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
