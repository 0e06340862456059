"""The layers point one way, read from the sources' imports: a stdlib-only core, the generated code over it,
the device and its features over both, then control, serving and the fleet; the generator uses the core only.
And no module imports itself back through others (no import circle)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from eclypse_emulator.runtime.device.emulator import FEATURES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("runtime", "generated", "codegen")
FACE = "eclypse_emulator"  # the installed name; `eclypse_emulator.runtime` is `runtime`
# The face's alias helper (standard library only), which every package's `__init__` calls.
FACE_MODULES = {"eclypse_emulator.checkout"}

# The packages of the device's features, as the device assembles them.
FEATURE_PACKAGES = tuple(sorted({kind.__module__.split(".")[-2] for kind in FEATURES}))
# Each layer by the module-name prefixes it holds (the longest prefix decides), and the layers it may import.
# The device and its features are one layer; above them, each of control, serving and fleet uses those
# below it; the command line everything. A module of none of them has no layer, and fails.
LAYERS = {
    "core": ("runtime.core",),
    "generated": ("generated",),
    "device": ("runtime.device", *(f"runtime.{package}" for package in FEATURE_PACKAGES)),
    "control": ("runtime.control",),
    "serving": ("runtime.serving",),
    "fleet": ("runtime.fleet",),
    "command line": ("runtime.cli", "runtime.reload", "runtime.__main__"),
    "codegen": ("codegen",),
}
PACKAGES_OF_LAYERS = {"runtime": "command line"}  # a package's `__init__` whose subpackages are in others
MAY_IMPORT = {
    "core": {"core"},
    "generated": {"core", "generated"},
    "device": {"core", "generated", "device"},
    "control": {"core", "generated", "device", "control"},
    "serving": {"core", "generated", "device", "control", "serving"},
    "fleet": {"core", "generated", "device", "control", "serving", "fleet"},
    "command line": {"core", "generated", "device", "control", "serving", "fleet", "command line"},
    "codegen": {"core", "codegen"},
}
# What each layer may import from outside the standard library and the project.
THIRD_PARTY = {"codegen": {"jinja2", "yaml", "black"}}
# And what one package alone may import: BACnet/IP's library (the bacnet extra) is runtime/bacnet's only.
THIRD_PARTY_OF_PACKAGE = {"runtime.bacnet": {"bacpypes3"}}


def third_party(module: str, layer: str) -> set[str]:
    allowed = set(THIRD_PARTY.get(layer, set()))
    for package, names in THIRD_PARTY_OF_PACKAGE.items():
        if module == package or module.startswith(package + "."):
            allowed |= names
    return allowed


@dataclass(frozen=True)
class Import:
    target: (
        str  # a module of the project by its checkout name (`runtime.device.emulator`), or a top-level name
    )
    line: int
    runs: bool  # at module level or in a function when it is called; False: for type checkers only


def module_files() -> dict[str, Path]:
    """Every module of the three packages by its checkout name: `runtime.core.codec`, `generated`."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = module_files()


def own_name(name: str) -> str:
    """`eclypse_emulator.runtime.device.emulator` as the checkout names it, `runtime.device.emulator`."""
    return name.removeprefix(f"{FACE}.") if name.startswith(f"{FACE}.") and name not in FACE_MODULES else name


def imports_of(module: str) -> list[Import]:
    """What `module` imports: a project module by name (`from . import control` is `runtime.control`),
    anything else by its top-level name."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[Import] = []

    def add(name: str, node: ast.stmt, runs: bool) -> None:
        name = own_name(name)
        if name not in MODULES and name not in FACE_MODULES:
            name = name.split(".")[0]
        found.append(Import(name, node.lineno, runs))

    def visit(node: ast.AST, runs: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, False)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    add(alias.name, child, runs)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package[: len(package) - child.level + 1]  # `..` of runtime/ is the face
                    base = ".".join(parent + ([child.module] if child.module else []))
                for alias in child.names:
                    submodule = own_name(f"{base}.{alias.name}" if base else alias.name)
                    add(submodule if submodule in MODULES else base, child, runs)
            else:
                visit(child, runs)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), True)
    return found


def layer_of(module: str) -> str | None:
    """The layer holding a project module (the longest matching prefix), None for anything else."""
    if module in PACKAGES_OF_LAYERS:
        return PACKAGES_OF_LAYERS[module]
    matches = [
        (len(prefix), layer)
        for layer, prefixes in LAYERS.items()
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(matches)[1] if matches else None


def test_every_module_has_a_layer():
    assert {module: layer_of(module) for module in MODULES if layer_of(module) is None} == {}
    assert "runtime.core.codec" in MODULES and "generated.handler" in MODULES
    assert {"jobs", "backups", "clock", "info", "auth", "faults"} <= set(FEATURE_PACKAGES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    layer = layer_of(module)
    wrong = []
    for found in imports_of(module):
        target = layer_of(found.target)
        if found.target in FACE_MODULES:
            continue
        if target is None:
            if found.target not in sys.stdlib_module_names | third_party(module, layer):
                wrong.append(f"line {found.line}: {found.target} (neither the standard library nor allowed)")
        elif target not in MAY_IMPORT[layer]:
            wrong.append(f"line {found.line}: {found.target} (layer {target})")
    assert not wrong, f"{module} (layer {layer}) imports " + "; ".join(wrong)


def import_circles(imports: Callable[[str], list[Import]] = imports_of) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others, when imported."""
    graph = {
        module: {i.target for i in imports(module) if i.runs and i.target in MODULES} - {module}
        for module in MODULES
    }
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def strongly_connected(module: str) -> None:  # Tarjan's algorithm
        index[module] = lowest[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                strongly_connected(target)
                lowest[module] = min(lowest[module], lowest[target])
            elif target in stack:
                lowest[module] = min(lowest[module], index[target])
        if lowest[module] == index[module]:
            group = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            strongly_connected(module)
    return circles


def test_no_import_circles():
    """Imports that run (at module level, or in a function when it is called); those for type checkers only
    are left out (the layers keep them pointing down)."""
    assert import_circles() == []


def test_the_circle_finder_finds_a_circle():
    def with_a_circle(module: str) -> list[Import]:
        extra = [Import("runtime.core.deviceapi", 1, True)] if module == "runtime.core.codec" else []
        return imports_of(module) + extra

    circles = import_circles(with_a_circle)
    assert len(circles) == 1 and {"runtime.core.codec", "runtime.core.deviceapi"} <= set(circles[0])


# The packages' `__init__`s import lazily


def python(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_importing_the_core_loads_neither_the_emulator_nor_the_generated_code():
    probe = (
        "import sys, runtime.core.deviceapi, runtime.core.httpclient\n"
        "print(sorted(m for m in sys.modules if m.startswith(('runtime', 'generated', 'eclypse_emulator.'))"
        " and '.core' not in m))"
    )
    result = python("-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['eclypse_emulator.checkout', 'eclypse_emulator.runtime', 'runtime']"


def test_a_device_without_bacnet_loads_no_bacnet_library():
    """bacpypes3 (the bacnet extra) is imported by --bacnet alone: the core server stays standard-library only."""
    probe = (
        "import sys, runtime.device.emulator as e\n"
        "e.Emulator()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'bacpypes3' or m.endswith('bacnet.service')))"
    )
    result = python("-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_generator_runs_with_generated_deleted(tmp_path):
    """A checkout without generated/ regenerates it: the generator needs nothing it generates."""
    shutil.copy2(ROOT / "pyproject.toml", tmp_path)
    for name in ("spec", "codegen", "runtime", "eclypse_emulator"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    result = python("-m", "codegen", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = {p.name: p.read_bytes() for p in (tmp_path / "generated").iterdir() if p.is_file()}
    committed = {p.name: p.read_bytes() for p in (ROOT / "generated").iterdir() if p.is_file()}
    assert written == committed
