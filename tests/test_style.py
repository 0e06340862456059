"""The hand-written Python is formatted as pyproject.toml says (generated/ is formatted by codegen itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_sources_are_black_clean():
    result = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"run `black .`:\n{result.stderr}"
