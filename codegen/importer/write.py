"""Writing page files: all pages read and merged first, the spec loaded with them, then written
(or nothing, naming the problem)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..emit import Notes, document
from ..loader import SpecError
from ..model import load_spec
from .merge import import_page
from .pages import Page, PageError, read_pages
from .state import Report, load_state

HEADER = [
    "Imported from the vendor's pages by `python -m codegen import`; checked and kept by a person.",
    "`# inferred:` marks what the page did not say; descriptions are placeholders to rewrite in our words.",
]


def render_doc(doc: dict) -> str:
    objects = Notes(sorted(doc["objects"].items()))
    for name, obj in doc["objects"].items():
        note = getattr(obj, "notes", {}).get("xml_element", "")
        if note.startswith("qualified"):
            objects.notes[name] = note
    return document(HEADER, doc["resources"], objects)


# The order pages are imported in: a path's GET first, so that its other methods find what it states.
METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


@dataclass
class Outcome:
    """One import of a set of pages into the spec folder as it is: the page files' texts and the report."""

    texts: dict[str, str]  # page file name -> its new text
    lines: list[str]  # the report, page by page
    sources: dict[str, list[Page]] = field(default_factory=dict)  # page file name -> the pages it holds


def run(
    files: list[Path],
    spec_dir: Path,
    out: Callable[[str], None] = print,
    err: Callable[[str], None] | None = None,
) -> int:
    """Import every page of `files` that can be; report each one that cannot (file, line, why) and exit 2
    then. Page files are written only once the spec loads with all of them, each whole or not at all."""
    err = err or (lambda text: print(text, file=sys.stderr))
    if not spec_dir.is_dir():
        err(f"page error: {spec_dir}: not a spec folder")
        return 2
    pages, failures = read_all(files)
    whole = _loads(spec_dir)  # a folder without a whole spec: only the importer's own output is checked
    while True:
        outcome = import_all(pages, spec_dir)
        problem = load_problem(spec_dir, outcome.texts) if whole else None
        if problem is None:
            break
        culprits = outcome.sources.get(Path(problem.file).name, [])
        if not culprits:  # not one page file's doing: none is written
            err(f"import error: with these pages the spec would not load, so nothing was written: {problem}")
            return 2
        for page in culprits:
            failures.append(f"{page.file}:{page.line}: with this page the spec would not load: {problem}")
        pages = [page for page in pages if all(page is not culprit for culprit in culprits)]
    for line in outcome.lines:
        out(line)
    try:
        write_texts(spec_dir, outcome.texts, out)
    except OSError as error:
        err(f"import error: cannot write into {spec_dir} ({error.strerror or error}): nothing was written")
        return 2
    for failure in failures:
        err(f"page error: {failure}")
    if failures:
        written = "nothing was written" if not outcome.texts else "the other pages were imported"
        err(f"{len(failures)} page(s) not imported; {written}")
    return 2 if failures else 0


def read_all(files: list[Path]) -> tuple[list[Page], list[str]]:
    """The pages of every file that can be read, and `file:line: why` for each that cannot."""
    pages: list[Page] = []
    failures: list[str] = []
    for file in files:
        try:
            pages += read_pages(file)
        except PageError as error:
            failures.append(str(error))
        except OSError as error:
            failures.append(f"{error.filename}:1: {error.strerror}")
    return pages, failures


def import_all(pages: list[Page], spec_dir: Path) -> Outcome:
    """Merge `pages` into the spec folder's page files (in memory)."""
    state = load_state(spec_dir)
    outcome = Outcome({}, [])
    for page in sorted(pages, key=lambda p: (p.path, METHOD_ORDER.get(p.method, 9), p.file)):
        report = Report()
        name = import_page(page, state, report)
        if name:
            outcome.sources.setdefault(name, []).append(page)
        outcome.lines.append(f"{page.file}: {page.method} {page.path}")
        for title, items in (
            ("took", report.took),
            ("inferred", report.inferred),
            ("unsaid or cut off", report.unsaid),
            ("differs", report.differs),
        ):
            outcome.lines += [f"  {title}: {item}" for item in items]
        if report.result:
            outcome.lines.append(f"  {report.result}")
    outcome.texts = {name: render_doc(state.page_docs[name]) for name in sorted(outcome.sources)}
    return outcome


def write_texts(spec_dir: Path, texts: dict[str, str], out: Callable[[str], None]) -> None:
    """Write the page files that changed: each to a scratch file first, then all moved into place, so that
    a failed write leaves none half-written."""
    changed = {}
    for name, text in texts.items():
        path = spec_dir / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            out(f"unchanged {path}")
        else:
            changed[name] = text
    scratch = {name: spec_dir / f".{name}.importing" for name in changed}
    try:
        for name, text in changed.items():
            scratch[name].write_text(text, encoding="utf-8")
    except OSError:
        for path in scratch.values():
            path.unlink(missing_ok=True)
        raise
    for name in changed:
        os.replace(scratch[name], spec_dir / name)
        out(f"wrote {spec_dir / name}")


def _loads(spec_dir: Path) -> bool:
    try:
        load_spec(spec_dir)
    except SpecError:
        return False
    return True


def load_problem(spec_dir: Path, texts: dict[str, str]) -> SpecError | None:
    """Why the spec folder would not load with `texts` written into it; None when it would."""
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
            return error
    return None


def main(argv: list[str], prog: str) -> int:
    import argparse

    from ..folders import add_output_folder

    parser = argparse.ArgumentParser(
        prog=prog, description="Turn copies of the vendor's API pages into spec YAML."
    )
    parser.add_argument("pages", nargs="+", type=Path, help="text copies of vendor pages")
    add_output_folder(parser, "--into", "spec", "the spec folder to write into")
    args = parser.parse_args(argv)
    return run(args.pages, args.into)
