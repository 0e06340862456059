"""`python bench/codegen_scale.py [TOTAL]`: how `python -m codegen` fares at TOTAL resources (default 1,000).

Two specs of bench/bigspec.py: GET entities answering the Info object, and GET/POST pairs of an object of
their own each (as imported pages are). For each: the seconds to load and validate the spec, to render and
format it (black) and to write the OpenAPI document, and the generated Python lines per added resource. A
figure to report, not a test: tests/test_codegen_scale.py asserts the lines per resource.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bigspec import RESOURCES, write_big_spec
from common import ROOT

from codegen.model import load_spec
from codegen.render import render


def python_lines(files: dict[str, str]) -> int:
    return sum(text.count("\n") for name, text in files.items() if name.endswith(".py"))


def measure(total: int, objects: bool) -> dict[str, float]:
    """Seconds to load and to render a big spec, and its generated lines per added resource."""
    base = python_lines(render(load_spec(ROOT / "spec")))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "spec"
        added = write_big_spec(folder, total, objects=objects)
        start = time.perf_counter()
        spec = load_spec(folder)
        loaded = time.perf_counter()
        files = render(spec)
        rendered = time.perf_counter()
    return {
        "load_s": loaded - start,
        "render_s": rendered - loaded,
        "lines_per_resource": (python_lines(files) - base) / added,
    }


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else RESOURCES
    for objects in (False, True):
        kind = "GET/POST pairs, an object each" if objects else "GET entities of the Info object"
        figures = measure(total, objects)
        print(
            f"{total} resources ({kind}): load {figures['load_s']:.1f} s, render and format"
            f" {figures['render_s']:.1f} s, {figures['lines_per_resource']:.1f} generated lines per resource"
        )


if __name__ == "__main__":
    main()
