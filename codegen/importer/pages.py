"""Read text copies of the vendor's API pages into plain dataclasses (no spec knowledge here).

A page: a first line `METHOD /path` (or `METHOD` and `/path` on two lines), optionally `FROM API REVISION x.y` and `DEPRECATED`, prose, one or
more property tables (each optionally after `Object Name: X`), and `URL Example:` lines each followed by
a JSON or XML example. Copies are often cut off (`[... this copy ends here ...]`), inside a table row or
an example; what was cut is recorded, never guessed. One file may hold two copies of one page.

A page is a user's file and may hold anything: what the importer cannot take (a path with dot segments or
control characters, examples nested deeper than any real answer, numbers no device sends) is a `PageError`
naming the file and line, found in time linear in the page's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lenient import ExampleError, parse_json_lenient, parse_xml_lenient

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE)\s+(/\S*)\s*$")
# The request line split in two: the method alone on its line, the path alone on the next.
METHOD_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE)\s*$")
PATH_LINE = re.compile(r"^\s*(/\S*)\s*$")
# A path segment: a name, or a {parameter} with literals (or nothing) around it.
PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]*(?:\{[A-Za-z][A-Za-z0-9]*\})?[A-Za-z0-9._~-]*")
# Bounds no real page comes near; beyond them a page is refused rather than imported into odd files.
MAX_SEGMENT = 100
MAX_PATH = 200
MAX_DIGITS = 18  # of a `Min :` or `Max :` bound (a 64-bit integer)
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
XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")
RANGE = re.compile(r"Min\s*:\s*(-?\d+)\s*Max\s*:\s*(-?\d+)", re.IGNORECASE)
SUPPORTED = re.compile(r"Supported values\s*:\s*((?:\*\s*-?\d{1,18}\s*)+)", re.IGNORECASE)
BOUND = re.compile(r"(?:Min|Max)\s*:\s*-?(\d+)", re.IGNORECASE)


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
    type_missing: bool = False  # the row has three cells: its type cell is missing

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
    starts = [i for i in range(len(lines)) if request_at(lines, i)]
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


def request_at(lines: list[str], i: int) -> tuple[str, str, int] | None:
    """The method and path of the request line at `i` (or of `METHOD` at `i` and `/path` at `i + 1`), and
    the index of the line after it; None when no request line starts at `i`."""
    if match := REQUEST_LINE.match(lines[i]):
        return match.group(1), match.group(2), i + 1
    if (match := METHOD_LINE.match(lines[i])) and i + 1 < len(lines):
        if path := PATH_LINE.match(lines[i + 1]):
            return match.group(1), path.group(1), i + 2
    return None


def check_path(path: str, file: str, line: int) -> None:
    """A page's path as the spec can hold it: names and {parameter}s, no dot or empty segment."""
    control = next((c for c in path if ord(c) < 32 or ord(c) == 127), None)
    if control is not None:
        raise PageError(file, line, f"the path holds the control character {control!r}")
    inner = path[1:-1] if path.endswith("/") else path[1:]
    for segment in inner.split("/") if inner else []:
        if segment in (".", ".."):
            raise PageError(file, line, f"the path {path!r} has a dot segment {segment!r}")
        if not segment:
            raise PageError(file, line, f"the path {path!r} has an empty segment")
        if len(segment) > MAX_SEGMENT:
            raise PageError(
                file, line, f"a segment of the path is {len(segment)} characters long (at most {MAX_SEGMENT})"
            )
        if not PATH_SEGMENT.fullmatch(segment):
            raise PageError(
                file,
                line,
                f"the path segment {segment!r} is not letters, digits and . _ ~ - with at most one"
                " {parameter} (a name of letters and digits)",
            )
    if len(path) > MAX_PATH:
        raise PageError(file, line, f"the path is {len(path)} characters long (at most {MAX_PATH})")


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
    found = request_at(lines, start)
    if found is None:  # the pages are split at their request lines: each starts with one
        raise ValueError(f"{file}: line {start + 1} is no request line")
    method, path, after = found
    check_path(path, file, after)  # the line of the path
    revision, deprecated = None, False
    prose: list[str] = []
    tables: list[Table] = []
    examples: list[Example] = []
    cut_off = False
    pending_name: tuple[str, int] | None = None
    i = after
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
            if not XML_NAME.fullmatch(m.group(1)):
                raise PageError(file, i + 1, f"the object name {m.group(1)!r} is not an XML element name")
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
            example, i, cut = _parse_example(lines, i, end, m.group(1), file)
            examples.append(example)
            if cut:
                cut_off = True
                break
            continue
        elif line.strip():
            prose.append(line.strip())
        i += 1
    if not tables:  # the runtime answers and takes objects: a page of none has nothing to serve
        raise PageError(
            file, start + 1, f"the page has no property table: its {method} takes and answers nothing"
        )
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
    bars = 0  # the `|` of the parts so far: a row is joined once, when it is whole (linear in its lines)
    row_line = 0
    while i < end:
        line = lines[i]
        if _structural(line) or (not line.strip() and not parts):
            break
        if not parts:
            row_line = i + 1
        parts.append(line.strip())
        bars += parts[-1].count("|")
        if parts[-1].endswith("|") and (bars >= 4 or bars == 3 and _lost_type(" ".join(parts))):
            table.rows.append(_row(" ".join(parts), row_line, file, cut=False))
            parts, bars = [], 0
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
    type_missing = len(cells) == 3 and not TYPE_CELL.match(type_cell) and bool(_methods(cells[2]))
    if type_missing:  # "Starts | How many times ... | GET |": the type cell is missing, the others slid left
        type_cell, description, method_cell = "", cells[1], cells[2]
    if type_cell and not TYPE_CELL.match(type_cell):
        if not (cut and len(cells) == 2):  # "Array <Bbm" at a cut is a partial type
            raise PageError(file, line, f"unknown type {type_cell!r} of property {words[0]}")
        type_cell = ""
    for bound in BOUND.finditer(description):
        if len(bound.group(1)) > MAX_DIGITS:
            raise PageError(
                file,
                line,
                f"a Min or Max of {len(bound.group(1))} digits for {words[0]} (at most {MAX_DIGITS})",
            )
    methods = tuple(w.upper() for w in method_cell.split())
    if not methods and _methods(description):  # "Implementation | String | GET | |": the cells slid left
        description, methods = "", _methods(description)
    if method_cell and not _methods(method_cell):
        raise PageError(file, line, f"cannot read the method cell {method_cell!r} of property {words[0]}")
    incomplete = cut or (len(cells) < 4 and not type_missing)
    return Row(words[0], type_cell, description, methods, line, required, incomplete, type_missing)


def _lost_type(joined: str) -> bool:
    """Whether a row of three cells is whole with its type cell missing: `Name | description | GET |`."""
    cells = [c.strip() for c in joined.split("|")][:3]
    return not TYPE_CELL.match(cells[1]) and bool(_methods(cells[2]))


def _methods(cell: str) -> tuple[str, ...]:
    words = cell.upper().split()
    return tuple(words) if words and all(w in METHODS for w in words) else ()


def _parse_example(lines: list[str], i: int, end: int, url: str, file: str) -> tuple[Example, int, bool]:
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
    kind = {"{": "json", "[": "json", "<": "xml"}.get(head, "none")
    try:
        if kind == "json":
            value, partial = parse_json_lenient(text)
        elif kind == "xml":
            value, partial = parse_xml_lenient(text)
        else:
            value, partial = None, False
    except ExampleError as error:  # the example's first line follows the `URL Example:` line
        raise PageError(file, line_no + 1 + text.count("\n", 0, error.offset), error.problem) from None
    return Example(url, line_no, kind, text, value, cut or partial), i, cut


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


def description_supported(description: str) -> list[int]:
    """The integers of "Supported values : * 9600 * 19200 ..." in a description (none: an empty list)."""
    match = SUPPORTED.search(description)
    return [int(value) for value in re.findall(r"-?\d+", match.group(1))] if match else []


def description_format(description: str) -> str | None:
    squeezed = re.sub(r"\s+", "", description)
    if "Format:HH:mm:ss" in squeezed:
        return "time"
    if "Format:MM-dd-yyyy" in squeezed:
        return "date"
    if "Format:yyyy-MM-dd'T'HH" in squeezed:
        return "iso-datetime"
    return None
