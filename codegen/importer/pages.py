"""Read text copies of the vendor's API pages into plain dataclasses (no spec knowledge here).

A page: a first line `METHOD /path`, optionally `FROM API REVISION x.y` and `DEPRECATED`, prose, one or
more property tables (each optionally after `Object Name: X`), and `URL Example:` lines each followed by
a JSON or XML example. Copies are often cut off (`[... this copy ends here ...]`), inside a table row or
an example; what was cut is recorded, never guessed. One file may hold two copies of one page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lenient import parse_json_lenient, parse_xml_lenient

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE)\s+(/\S*)\s*$")
REVISION_LINE = re.compile(r"^FROM API REVISION\s+(\d+\.\d+)\s*$", re.IGNORECASE)
OBJECT_LINE = re.compile(r"^Object Name\s*:\s*(\S.*?)\s*$", re.IGNORECASE)
EXAMPLE_LINE = re.compile(r"^(?:URL|Url|url) Example\s*:\s*(\S*)\s*$")
CUT_MARK = re.compile(r"^\[\.\.\. this copy ends here \.\.\.\]\s*$")
COPY_MARK = re.compile(r"^# =+ copy \S+ =+\s*$")
SEPARATOR = re.compile(r"^\s*-{3,}\s*(\|\s*-{3,}\s*)+\|?\s*$")
# Header cells, lowercased and without spaces, of the four columns.
HEADER_CELLS = (("propertyname",), ("type",), ("description",), ("method", "methods", "get"))
TYPE_CELL = re.compile(
    r"^(Integer|Number|String|Boolean|Object|Array|empty)(?:\s*<\s*([A-Za-z][A-Za-z0-9]*)\s*>)?$"
)
RANGE = re.compile(r"Min\s*:\s*(-?\d+)\s*Max\s*:\s*(-?\d+)", re.IGNORECASE)


class PageError(Exception):
    """A page the importer cannot read: the file and line at fault."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        self.file, self.line, self.problem = file, line, problem
        super().__init__(f"{file}:{line}: {problem}")


@dataclass
class Row:
    """One property row of a table, as written (cells stripped)."""

    name: str
    type: str  # the type cell as written, e.g. "Array <String>" or "empty"; "" when cut off before it
    description: str
    methods: tuple[str, ...]  # () when the page does not say (cut off or left empty)
    line: int
    required: bool | None = None  # "Value required" / "ArrayIndex optional"
    cut_off: bool = False

    @property
    def base_type(self) -> str:
        match = TYPE_CELL.match(self.type)
        return match.group(1) if match else ""

    @property
    def item_name(self) -> str | None:
        """X of `Array <X>`."""
        match = TYPE_CELL.match(self.type)
        return match.group(2) if match else None


@dataclass
class Table:
    name: str | None  # None: the table has no `Object Name:` line
    line: int
    rows: list[Row] = field(default_factory=list)
    cut_off: bool = False


@dataclass
class Example:
    url: str
    line: int
    kind: str  # "json", "xml" or "none" (a URL with no body)
    text: str  # as written, lines stripped of trailing spaces
    value: Any = None  # parsed JSON (as far as it goes) or an XmlElement
    cut_off: bool = False


@dataclass
class Page:
    file: str
    line: int  # of the request line
    method: str
    path: str
    revision: str | None
    deprecated: bool
    prose: list[str]
    tables: list[Table]
    examples: list[Example]
    cut_off: bool  # the copy ends before the page does
    copies: int = 1

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"\{([^{}]+)\}", self.path)

    @property
    def name(self) -> str:
        return Path(self.file).name


def read_pages(path: Path) -> list[Page]:
    """The pages of one file (several copies of one page are merged into one)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise PageError(str(path), line, "not UTF-8 text") from None
    return parse_text(text, str(path))


def parse_text(text: str, file: str) -> list[Page]:
    lines = [line.rstrip() for line in text.splitlines()]
    starts = [i for i, line in enumerate(lines) if REQUEST_LINE.match(line)]
    first = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
    if first is None:
        raise PageError(file, 1, "no `METHOD /path` line: the file holds no page")
    if not starts or starts[0] != first:
        raise PageError(
            file, first + 1, f"expected `METHOD /path` (one of {', '.join(METHODS)}), got {lines[first]!r}"
        )
    pages: list[Page] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        pages.append(_parse_page(lines, start, end, file))
    merged: dict[tuple[str, str], Page] = {}
    for page in pages:
        key = (page.method, page.path)
        merged[key] = _merge_copies(merged[key], page) if key in merged else page
    return list(merged.values())


def _merge_copies(first: Page, second: Page) -> Page:
    """Two copies of one page: the one that goes further wins, row by row and example by example."""

    def weight(page: Page) -> int:
        return sum(len(r.description) + 10 * len(r.methods) for t in page.tables for r in t.rows) + sum(
            len(e.text) for e in page.examples
        )

    base, other = (first, second) if weight(first) >= weight(second) else (second, first)
    tables = []
    for table in base.tables:
        twin = next((t for t in other.tables if t.name == table.name), None)
        rows = []
        for row in table.rows:
            twin_row = next((r for r in twin.rows if r.name == row.name), None) if twin else None
            better = twin_row if twin_row and (row.cut_off and not twin_row.cut_off) else row
            if (
                twin_row
                and row.cut_off
                and twin_row.cut_off
                and len(twin_row.description) > len(row.description)
            ):
                better = twin_row
            rows.append(better)
        if twin:
            rows += [r for r in twin.rows if r.name not in {x.name for x in rows}]
        tables.append(Table(table.name, table.line, rows, table.cut_off and (twin is None or twin.cut_off)))
    tables += [t for t in other.tables if t.name not in {x.name for x in tables}]
    examples = list(base.examples)
    for example in other.examples:
        same = [i for i, e in enumerate(examples) if e.url == example.url and e.kind == example.kind]
        if not same:
            examples.append(example)
        elif examples[same[0]].cut_off and not example.cut_off:
            examples[same[0]] = example
    return Page(
        base.file,
        first.line,
        base.method,
        base.path,
        first.revision or second.revision,
        first.deprecated or second.deprecated,
        base.prose,
        tables,
        examples,
        first.cut_off and second.cut_off,
        first.copies + second.copies,
    )


def _parse_page(lines: list[str], start: int, end: int, file: str) -> Page:
    method, path = REQUEST_LINE.match(lines[start]).groups()
    if path.count("{") != path.count("}") or re.search(r"\{[^{}]*\{|\{\}", path):
        raise PageError(file, start + 1, f"unbalanced or empty {{parameter}} in path {path!r}")
    revision, deprecated = None, False
    prose: list[str] = []
    tables: list[Table] = []
    examples: list[Example] = []
    cut_off = False
    pending_name: tuple[str, int] | None = None
    i = start + 1
    while i < end:
        line = lines[i]
        if CUT_MARK.match(line):
            cut_off = True
            break
        if COPY_MARK.match(line) or (line.startswith("# ") and not prose and not tables):
            i += 1
            continue
        if (m := REVISION_LINE.match(line)) and not tables:
            revision = m.group(1)
        elif line.strip().upper() == "DEPRECATED" and not tables:
            deprecated = True
        elif m := OBJECT_LINE.match(line):
            pending_name = (m.group(1), i + 1)
        elif _is_header(line):
            if i + 1 < end and SEPARATOR.match(lines[i + 1]):
                table_line = pending_name[1] if pending_name else i + 1
                table = Table(pending_name[0] if pending_name else None, table_line)
                pending_name = None
                i, cut = _parse_rows(lines, i + 2, end, table, file)
                tables.append(table)
                if cut:
                    cut_off = True
                    break
                continue
        elif m := EXAMPLE_LINE.match(line):
            example, i, cut = _parse_example(lines, i, end, m.group(1))
            examples.append(example)
            if cut:
                cut_off = True
                break
            continue
        elif line.strip():
            prose.append(line.strip())
        i += 1
    return Page(file, start + 1, method, path, revision, deprecated, prose, tables, examples, cut_off)


def _is_header(line: str) -> bool:
    cells = [c.strip().lower().replace(" ", "") for c in line.strip().strip("|").split("|")]
    return len(cells) == 4 and all(cell in names for cell, names in zip(cells, HEADER_CELLS))


def _structural(line: str) -> bool:
    return bool(
        OBJECT_LINE.match(line) or EXAMPLE_LINE.match(line) or _is_header(line) or CUT_MARK.match(line)
    ) or bool(REQUEST_LINE.match(line))


def _parse_rows(lines: list[str], i: int, end: int, table: Table, file: str) -> tuple[int, bool]:
    """Rows until the next structural line; a row may span lines until its fourth `|`."""
    parts: list[str] = []
    row_line = 0
    while i < end:
        line = lines[i]
        if _structural(line) or (not line.strip() and not parts):
            break
        if not parts:
            row_line = i + 1
        parts.append(line.strip())
        joined = " ".join(parts)
        if joined.count("|") >= 4 and joined.endswith("|"):
            table.rows.append(_row(joined, row_line, file, cut=False))
            parts = []
        i += 1
    cut = i < end and bool(CUT_MARK.match(lines[i]))
    if parts:  # a row that stops early: at a cut, or before the next block (its method cell unsaid)
        joined = " ".join(parts)
        if "|" in joined:
            table.rows.append(_row(joined, row_line, file, cut=True))
        else:
            table.cut_off = True  # the start of a line that the cut made unreadable ("UR")
    if cut:
        table.cut_off = True
    return i, cut


def _row(joined: str, line: int, file: str, cut: bool) -> Row:
    cells = [c.strip() for c in joined.split("|")]
    if cells and cells[-1] == "":
        cells.pop()
    name_cell, type_cell = cells[0], cells[1] if len(cells) > 1 else ""
    description = " ".join(cells[2:3])
    method_cell = cells[3] if len(cells) > 3 else ""
    words = name_cell.split()
    if not words:
        raise PageError(file, line, "a table row without a property name")
    required = None
    if len(words) == 2 and words[1].lower() in ("required", "optional"):
        required = words[1].lower() == "required"
    elif len(words) != 1:
        raise PageError(file, line, f"cannot read the property name cell {name_cell!r}")
    if type_cell and not TYPE_CELL.match(type_cell):
        if not (cut and len(cells) == 2):  # "Array <Bbm" at a cut is a partial type
            raise PageError(file, line, f"unknown type {type_cell!r} of property {words[0]}")
        type_cell = ""
    methods = tuple(w.upper() for w in method_cell.split())
    if not methods and _methods(description):  # "Implementation | String | GET | |": the cells slid left
        description, methods = "", _methods(description)
    if method_cell and not _methods(method_cell):
        raise PageError(file, line, f"cannot read the method cell {method_cell!r} of property {words[0]}")
    incomplete = cut or len(cells) < 4
    return Row(words[0], type_cell, description, methods, line, required, incomplete)


def _methods(cell: str) -> tuple[str, ...]:
    words = cell.upper().split()
    return tuple(words) if words and all(w in METHODS for w in words) else ()


def _parse_example(lines: list[str], i: int, end: int, url: str) -> tuple[Example, int, bool]:
    line_no = i + 1
    body: list[str] = []
    i += 1
    cut = False
    while i < end:
        if CUT_MARK.match(lines[i]):
            cut = True
            break
        if _structural(lines[i]) or COPY_MARK.match(lines[i]):
            break
        body.append(lines[i])
        i += 1
    while body and not body[-1].strip():
        body.pop()
    text = "\n".join(body) + ("\n" if body else "")
    head = text.lstrip()[:1]
    if head in ("{", "["):
        value, partial = parse_json_lenient(text)
        return Example(url, line_no, "json", text, value, cut or partial), i, cut
    if head == "<":
        value, partial = parse_xml_lenient(text)
        return Example(url, line_no, "xml", text, value, cut or partial), i, cut
    return Example(url, line_no, "none", text, None, cut), i, cut


def description_values(description: str, cut: bool = False) -> tuple[list[str], str | None]:
    """The closed list "... : - OK - WARNING_X - ..." of a description, and the value a cut dropped.

    Items are single words (letters, digits, `_ / + - .`), each optionally followed by ` : explanation`.
    When the description was cut off, a last item without explanation may have lost letters: it is
    dropped and returned as the second value.
    """
    match = re.search(r"(?:^|\s|:)-\s+(\S.*)$", description)
    if not match:
        return [], None
    values, last_bare = [], False
    for item in re.split(r"\s+-\s+", " " + match.group(1).strip()):
        item = item.strip()
        if not item:
            continue
        word = item.split(" : ")[0].split(" ")[0].strip()
        if not re.fullmatch(r"[A-Za-z0-9_/+.\-]+", word) or word in values:
            return [], None
        values.append(word)
        last_bare = item == word
    if cut and values and last_bare:
        return values[:-1], values[-1]
    return values, None


def description_range(description: str) -> tuple[int, int] | None:
    match = RANGE.search(description)
    return (int(match.group(1)), int(match.group(2))) if match else None


def description_format(description: str) -> str | None:
    squeezed = re.sub(r"\s+", "", description)
    if "Format:HH:mm:ss" in squeezed:
        return "time"
    if "Format:MM-dd-yyyy" in squeezed:
        return "date"
    if "Format:yyyy-MM-dd'T'HH" in squeezed:
        return "iso-datetime"
    return None
