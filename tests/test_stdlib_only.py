"""The server and the client run on a bare Python: runtime/ and generated/ import only the standard library,
but for BACnet/IP (runtime/bacnet/), which imports its extra's bacpypes3 and which only --bacnet loads
(tests/test_layers.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OWN_PACKAGES = {"runtime", "generated"}
FACE_MODULES = {"checkout"}  # eclypse_emulator.checkout: standard library only
# The face package: its `checkout` module aliases the checkout's names, and imports the standard library only.
FACE = "eclypse_emulator"
EXTRAS = {Path("runtime/bacnet"): {"bacpypes3"}}  # a package of an optional extra, and what it may import
SOURCES = sorted(
    path.relative_to(ROOT) for package in OWN_PACKAGES for path in (ROOT / package).rglob("*.py")
)


def imported_modules(path: Path) -> set[str]:
    """The top-level names a source file imports absolutely; a package of the project (`eclypse_emulator.generated`)
    by its own name. Relative imports stay within the project (tests/test_layers.py checks which may import
    which)."""
    names = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            parts = node.module.split(".")
            names.add(parts[1] if parts[0] == FACE and len(parts) > 1 else parts[0])
    return names


def test_there_are_sources_to_check():
    assert {path.parts[0] for path in SOURCES} == OWN_PACKAGES
    assert Path("runtime/serving/embedded.py") in SOURCES and Path("generated/client.py") in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=str)
def test_imports_only_the_standard_library_and_the_project(path):
    extra = set().union(*(names for package, names in EXTRAS.items() if package in path.parents))
    outside = imported_modules(path) - set(sys.stdlib_module_names) - OWN_PACKAGES - FACE_MODULES - extra
    assert not outside, f"{path} imports {sorted(outside)}, which Python does not ship"


def test_the_generator_loads_neither_the_runtime_nor_the_generated_code():
    """`python -m codegen` imports the face package too; its runtime names come only when asked for, so a
    runtime broken by a spec change cannot stop the generator that would repair it."""
    probe = (
        "import sys, eclypse_emulator.codegen.__main__\n"
        "print(sorted(m for m in sys.modules if m.split('.')[-1] in ('runtime', 'generated')))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"


def test_the_generators_help_needs_neither_pyyaml_nor_jinja2():
    """`python -S` keeps site-packages out: `--help` still answers, and a run names the extra to install."""

    def codegen(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-S", "-m", "codegen", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert codegen("--help").stdout.startswith("usage: python -m codegen ")
    run = codegen("--check")  # writes nothing, whatever it finds
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "pip install 'eclypse-emulator[codegen]'" in run.stderr, run.stderr
