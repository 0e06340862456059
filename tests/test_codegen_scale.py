"""Codegen at scale (issue 7/7, item 2): the generated code grows by data, not by repeated code, per resource.

A resource adds one row to the handler's route table and an object one row to the serialisers' codec table;
what else it adds is its client methods and its typed model. The time at 1,000 resources is a benchmark
(bench/codegen_scale.py), not a test. Also: black's output is the same formatted a method at a time, and the
pure-Python YAML loader (where libyaml is missing) reads the spec as libyaml's does.
"""

from __future__ import annotations

import sys

import black
import yaml

from _support import ROOT
from eclypse_emulator.codegen import loader
from eclypse_emulator.codegen.model import load_spec
from eclypse_emulator.codegen.render import LINE_LENGTH, _environment, context, format_methods, render

sys.path.insert(0, str(ROOT / "bench"))
from bigspec import write_big_spec  # noqa: E402  (bench/ is no package)

ADDED = 40
# Generated Python lines per resource of GET/POST pairs of an object of five properties each (as imported
# pages are), measured by bench/codegen_scale.py at 1,000 resources: 132 before the tables, 26 since (most of
# them the client's typed methods and the models' typed attributes).
MAX_LINES_PER_RESOURCE = 35


def python_lines(files: dict[str, str]) -> dict[str, int]:
    return {name: text.count("\n") for name, text in files.items() if name.endswith(".py")}


def test_each_resource_adds_rows_of_data_not_code(tmp_path) -> None:
    base = python_lines(render(load_spec(ROOT / "spec")))
    added = write_big_spec(tmp_path / "spec", len(load_spec(ROOT / "spec").resources) + ADDED, objects=True)
    assert added == ADDED
    big = python_lines(render(load_spec(tmp_path / "spec")))
    growth = {name: big[name] - base[name] for name in base}
    assert growth["handler.py"] == ADDED  # one route a line
    assert growth["serializers.py"] == ADDED // 2  # one codec a line, an object per GET/POST pair
    assert sum(growth.values()) / ADDED <= MAX_LINES_PER_RESOURCE, growth


def test_formatting_a_method_at_a_time_is_what_black_makes_of_the_module() -> None:
    mode = black.Mode(line_length=LINE_LENGTH, target_versions={black.TargetVersion.PY311})
    for spec_dir in (ROOT / "spec", ROOT / "tests" / "fixtures" / "spec"):
        source = _environment().get_template("client.py.jinja").render(context(load_spec(spec_dir)))
        assert format_methods(source, mode) == black.format_str(source, mode=mode)


def test_the_pure_python_loader_reads_the_spec_as_libyaml_does(monkeypatch) -> None:
    assert loader.SafeLoader is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    fast = load_spec(ROOT / "spec")
    monkeypatch.setattr(loader, "SafeLoader", yaml.SafeLoader)
    assert load_spec(ROOT / "spec") == fast
