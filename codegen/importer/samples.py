"""Finding in a page's examples the values that show a table: the JSON object and the XML element."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .lenient import XmlElement
from .pages import Page, Table
from .state import Report


def value_type(value: Any) -> str | None:
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


def walk_json(value: Any) -> list[dict]:
    found = []
    if isinstance(value, dict):
        found.append(value)
        for member in value.values():
            found += walk_json(member)
    elif isinstance(value, list):
        for member in value:
            found += walk_json(member)
    return found


def _walk_xml(element: XmlElement | None) -> list[XmlElement]:
    if element is None:
        return []
    found = [element]
    for child in element.children:
        found += _walk_xml(child)
    return found


def key_overlap(names: set[str], keys: list[str]) -> int:
    return len(names & {k.lower() for k in keys})


@dataclass
class Samples:
    json: dict | None
    json_cut: bool
    xml: XmlElement | None
    # The JSON example names none of the table's rows and was taken as the table's example all the same.
    adopted: bool = False


def find_samples(table: Table, page: Page, sole: bool, report: Report, table_name: str) -> Samples:
    """The JSON object and XML element of the examples that show `table` (`sole`: the page's one answer)."""
    names = {row.name.lower() for row in table.rows}
    best, best_score, best_cut, adopted = None, 0, False, False
    for example in page.examples:
        if example.kind != "json":
            continue
        for candidate in walk_json(example.value):
            score = key_overlap(names, list(candidate))
            if score > best_score:
                best, best_score, best_cut = candidate, score, example.cut_off
    first = next((e for e in page.examples if e.kind == "json"), None)
    if best is None and sole and first is not None and isinstance(first.value, dict) and first.value:
        best, best_cut, adopted = first.value, first.cut_off, True
        report.inferred.append(
            f"{table_name}: the JSON example at line {first.line} names none of its rows; taken as its example"
        )
    xml_best, xml_score = None, 0
    for example in page.examples:
        if example.kind != "xml":
            continue
        for element in _walk_xml(example.value):
            score = key_overlap(names, [c.name for c in element.children]) + (
                2 if element.name == table.name else 0
            )
            if score > xml_score:
                xml_best, xml_score = element, score
    return Samples(best, best_cut, xml_best, adopted)


def xml_value(element: XmlElement, kind: str) -> Any:
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
