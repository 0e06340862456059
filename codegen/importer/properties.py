"""A property from a table row and its example value: type, values, format, range, wire names, default."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..emit import Notes
from ...runtime.core.codec import FORMATS, BodyError, Kind, check_primitive
from .names import lower_camel
from .lenient import XmlElement
from .pages import Page, Row, description_format, description_range, description_supported, description_values
from .samples import Samples, value_type, xml_value
from .state import Report

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

# A default for a formatted string the page gives no example of (the spec checks defaults by format).
FORMAT_SAMPLES = {
    "uuid": "00000000-0000-4000-8000-000000000000",
    "date": "01-01-2026",
    "time": "00:00:00",
    "datetime": "01/01/2026 00:00:00",
    "iso-datetime": "2026-01-01T00:00:00Z",
}


def infer_property(
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
    sample = (samples.json or {})[sample_key] if sample_key is not None else None
    element = next(
        (c for c in (samples.xml.children if samples.xml else []) if c.name.lower() == row.name.lower()), None
    )
    table_type = TABLE_TYPES.get(row.base_type)
    seen_type = value_type(sample)
    if seen_type is None and element is not None:
        seen_type = "link" if {c.name for c in element.children} >= {"Href"} else None
    prop["name"] = row.name
    kind = table_type
    if row.type_missing:  # the row lost its type cell: the example's value tells, else untyped as a string
        kind = seen_type or "string"
        shown = f"{seen_type} from the example value {sample!r}" if seen_type and sample is not None else None
        shown = shown or (
            f"{seen_type} from the XML example" if seen_type else "no example shows it: a string"
        )
        infer("type", f"the row has no type cell; {shown}")
    elif not row.type:
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
    supported = description_supported(row.description)
    if supported and prop["type"] == "integer":
        prop["values"] = supported
        report.took.append(f"{place}: values {', '.join(map(str, supported))}, as the page supports")
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


def _items(
    row: Row,
    sample: Any,
    element: XmlElement | None,
    values: list[str],
    dropped: str | None,
    local: dict[str, str],
    infer: Callable[[str, str], None],
    report: Report,
    place: str,
) -> tuple[Any, str | None]:
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


def _sample_values(
    prop: Notes,
    sample: Any,
    sample_key: str | None,
    element: XmlElement | None,
    infer: Callable[[str, str], None],
    report: Report,
    place: str,
) -> None:
    kind = prop["type"]
    if sample_key in RUNTIME_OWNED:
        prop.notes["default"] = f"not from the example: {RUNTIME_OWNED[sample_key]}"
        report.took.append(f"{place}: example value {sample!r} not taken ({RUNTIME_OWNED[sample_key]})")
        sample, element = None, None
        value = None
    elif sample is not None:
        value = sample
    elif element is not None and kind in ("integer", "number", "boolean", "string", "enum"):
        value = xml_value(element, kind)
    else:
        value = None
    if value is not None and kind == "link":
        value = (
            {"href": value.get("href", ""), "name": value.get("name", "")}
            if isinstance(value, dict)
            else None
        )
    if value is not None and kind == "array" and not all(not isinstance(v, (dict, list)) for v in value):
        # links are the default the example shows; other members (objects) are not a default
        links = prop.get("items") == {"type": "link"} and all(_is_link(v) for v in value)
        value = value if links else None
    if value is not None:
        prop["default"], prop["example"] = value, value
        return
    defaults = {"integer": prop.get("minimum", 0), "number": 0, "string": "", "boolean": False, "array": []}
    if kind in ("enum", "integer") and prop.get("values"):
        prop["default"] = prop["values"][0]
    elif kind == "string" and prop.get("format") in FORMAT_SAMPLES:  # a valid value of its format
        prop["default"] = FORMAT_SAMPLES[prop["format"]]
    elif kind in defaults:
        prop["default"] = defaults[kind]
    else:
        return
    if "default" not in prop.notes:
        infer("default", "no example value")


def fits_kind(prop: Mapping[str, Any], value: Any) -> bool:
    """Whether an example's value is one of the property's kind, as the spec's loader checks it."""
    if prop["type"] == "link":
        return isinstance(value, dict) and set(value) == {"href", "name"}
    if prop["type"] == "array":
        items = prop.get("items")
        return (
            isinstance(value, list)
            and isinstance(items, str)
            and all(fits_kind({"type": items}, v) for v in value)
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


def _is_link(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"href", "name"}
        and all(isinstance(v, str) for v in value.values())
    )
