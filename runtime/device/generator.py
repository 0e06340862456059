"""The generator (`python -m eclypse_emulator.codegen`) run in a subprocess: the codegen extras (jinja2,
pyyaml, black) stay out of the server, which imports the standard library only. It reads YAML device data
and generates a spec other than the committed one (runtime/reload.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ... import generated

# The folder holding runtime/, generated/ and spec/: a checkout's root, or the installed package.
PACKAGE = Path(generated.__file__).resolve().parent.parent
CHECKOUT = (PACKAGE / "pyproject.toml").is_file()


def run_codegen(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m <package>.codegen ARGS` in a subprocess, run in the package's folder."""
    return subprocess.run(
        [sys.executable, "-m", f"{generated.__name__.rpartition('.')[0]}.codegen", *args],
        cwd=PACKAGE if CHECKOUT else PACKAGE.parent,
        capture_output=True,
        text=True,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed codegen run said last: its message."""
    return ((result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["codegen failed"])[0]
