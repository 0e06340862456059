"""Codegen at scale (issue 7/7, item 2). The time at 1,000 resources is a benchmark (bench/codegen_scale.py),
not a test. Here: the pure-Python YAML loader (where libyaml is missing) reads the spec as libyaml's does.
"""

from __future__ import annotations

import yaml

from _support import ROOT
from eclypse_emulator.codegen import loader
from eclypse_emulator.codegen.model import load_spec


def test_the_pure_python_loader_reads_the_spec_as_libyaml_does(monkeypatch) -> None:
    assert loader.SafeLoader is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    fast = load_spec(ROOT / "spec")
    monkeypatch.setattr(loader, "SafeLoader", yaml.SafeLoader)
    assert load_spec(ROOT / "spec") == fast
