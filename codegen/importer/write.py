"""Writing page files: all pages read and merged first, the spec loaded with them, then written
(or nothing, naming the problem)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

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

    from .. import __main__ as cli

    parser = argparse.ArgumentParser(
        prog=prog, description="Turn copies of the vendor's API pages into spec YAML."
    )
    parser.add_argument("pages", nargs="+", type=Path, help="text copies of vendor pages")
    cli.add_output_folder(parser, "--into", "spec", "the spec folder to write into")
    args = parser.parse_args(argv)
    return run(args.pages, args.into)
