"""`python -m codegen pages --check DIR...`: the committed spec compared with the vendor's pages.

Each page's method and path must be in the spec, and each property and type the page documents must be there
as the page states it: the importer reads the page as it would import it and compares it with the spec, the
whole spec taken as written by hand (nothing is written). A difference is an accepted choice when the spec
lists it in `page_differences` with its reason, else a defect. An accepted difference that a page checked
here no longer shows is a defect too, so that the list stays true.

Exit codes: 0 no defect, 1 defects, 2 a page or the spec cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..loader import SpecError
from ..model import load_spec
from .merge import import_page
from .pages import Page
from .state import Report, State, load_state, same_path
from .write import read_all


@dataclass(frozen=True)
class Difference:
    """One thing a page documents that the spec lacks or states otherwise."""

    page: Page
    place: str  # "MstpPort.Id" (a property or a word of it); "" for the resource itself
    text: str  # "on the page, not in the spec"

    @property
    def key(self) -> str:
        """How spec/ names it in `page_differences`: `METHOD /path`, then the place if any."""
        return " ".join(filter(None, (self.page.method, self.page.path, self.place)))

    def line(self, verdict: str) -> str:
        return f"{verdict}: {self.page.file}:{self.page.line}: {self.key}: {self.text}"


def differences(pages: list[Page], spec_dir: Path) -> list[Difference]:
    """What each page documents that the spec in `spec_dir` lacks or states otherwise."""
    loaded = load_state(spec_dir)
    resources = loaded.hand_resources + [r for doc in loaded.page_docs.values() for r in doc["resources"]]
    objects = dict(loaded.hand_objects)
    for doc in loaded.page_docs.values():
        objects.update(doc["objects"])
    found = []
    for page in pages:
        if not any(r.get("method") == page.method and same_path(r.get("path"), page.path) for r in resources):
            found.append(Difference(page, "", "documented, not in the spec"))
            continue
        report = Report()
        import_page(page, State(resources, objects, {}), report)  # compared, as a hand-written resource is
        found += [Difference(page, *what.split(": ", 1)) for what in report.differs]
    return found


def check(files: list[Path], spec_dir: Path, out: Callable[[str], None], err: Callable[[str], None]) -> int:
    try:
        accepted = load_spec(spec_dir).page_differences
    except SpecError as error:
        err(f"spec error: {error}")
        return 2
    pages, failures = read_all(files)
    for failure in failures:
        err(f"page error: {failure}")
    found = differences(pages, spec_dir)
    defects = taken = 0
    for difference in found:
        if difference.key in accepted:
            out(difference.line("accepted") + f" ({accepted[difference.key]})")
            taken += 1
        else:
            out(difference.line("defect"))
            defects += 1
    shown = {d.key for d in found}
    checked = {f"{p.method} {p.path}" for p in pages}
    for key in sorted(set(accepted) - shown):
        if any(key == where or key.startswith(where + " ") for where in checked):
            out(
                f"defect: {spec_dir}: page_differences lists {key!r}, which its page no longer shows: remove it"
            )
            defects += 1
    out(f"{len(pages)} page(s), {len(found)} difference(s): {taken} accepted, {defects} defect(s)")
    return 2 if failures else 1 if defects else 0


def page_files(paths: list[Path]) -> list[Path]:
    """The page files given, and the `*.txt` files of each folder given."""
    return [file for path in paths for file in (sorted(path.glob("*.txt")) if path.is_dir() else [path])]


def main(argv: list[str], prog: str, spec_dir: Path) -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description="Compare the spec with the vendor's pages; list each difference."
    )
    parser.add_argument("--check", action="store_true", required=True, help="compare (the only mode)")
    parser.add_argument("pages", nargs="+", type=Path, help="page files, or folders of them (*.txt)")
    parser.add_argument("--spec", type=Path, default=spec_dir, help="the spec folder (default: %(default)s)")
    args = parser.parse_args(argv)
    return check(page_files(args.pages), args.spec, print, lambda text: print(text, file=sys.stderr))
