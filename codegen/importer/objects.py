"""A page's objects: one per table (named by `Object Name:` or inferred), with the keys only its example
shows, in the example's order."""

from __future__ import annotations

from ..emit import Notes
from .names import camel, lower_camel, object_name, property_name
from .pages import Example, Page, Row, Table
from .properties import infer_property
from .samples import Samples, find_samples, key_overlap, walk_json
from .state import Report


def name_tables(page: Page, report: Report) -> dict[int, str]:
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
                        for candidate in walk_json(example.value):
                            items = next((v for k, v in candidate.items() if k.lower() == key), None)
                            if isinstance(items, list) and items and isinstance(items[0], dict):
                                if key_overlap(rows, list(items[0])) * 2 >= len(rows):
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


def page_objects(
    page: Page, report: Report, names: dict[int, str], local: dict[str, str]
) -> dict[str, Notes]:
    objects: dict[str, Notes] = {}
    tops = top_level(page, names)
    for index, table in enumerate(page.tables):
        page_name = names[index]
        samples = find_samples(table, page, tops == [page_name], report, page_name)
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
    rows = table.rows
    if samples.adopted and not samples.json_cut:  # a complete example of other keys: it wins for the wire
        rows = []
        for row in table.rows:
            report.inferred.append(
                f"{page_name}.{row.name}: in the table, not in the complete example (which names none of the"
                " table's rows): left out"
            )
    properties = [infer_property(r, page_name, samples, page, local, report, page.method) for r in rows]
    known = {r.name.lower() for r in rows}
    for key in [k for k in samples.json or {} if k.lower() not in known]:
        row = Row(property_name(key), "", "", (), table.line)
        prop = infer_property(row, page_name, samples, page, local, Report(), page.method)
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


def top_level(page: Page, names: dict[int, str]) -> list[str]:
    referenced = {r.item_name for t in page.tables for r in t.rows if r.item_name}
    return [names[i] for i, t in enumerate(page.tables) if names[i] not in referenced]


def link_member(
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
    name = object_name(item) + ("Link" if is_link else "")
    objects[name] = _object(Table(item, 0, rows), item, name, samples, page, {}, report)
    reason = "its members in the example are links" if sample else "taken as links"
    objects[name].notes["xml_element"] = f"inferred: no table defines {item}; {reason}"
    report.inferred.append(f"object {name}: no table defines {item}; {reason}")
    return name


def table_named(page: Page, names: dict[int, str], name: str) -> Table:
    return next(t for i, t in enumerate(page.tables) if names[i] == name)
