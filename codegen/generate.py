"""Write or check `generated/` against `spec/`."""

from __future__ import annotations

from pathlib import Path

from .model import load_spec
from .render import render


def stale_files(spec_dir: Path, out_dir: Path) -> list[str]:
    """Generated files that differ from what the spec renders, are missing, or are left over."""
    expected = render(load_spec(spec_dir))
    stale = [name for name, text in expected.items() if _read(out_dir / name) != text]
    present = {p.name for p in out_dir.glob("*") if p.is_file()} if out_dir.is_dir() else set()
    return sorted(stale + [name for name in present - set(expected)])


def write_files(spec_dir: Path, out_dir: Path) -> list[str]:
    """Render the spec into `out_dir`; returns the names of the files that changed."""
    expected = render(load_spec(spec_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in expected.items():
        path = out_dir / name
        if _read(path) != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(name)
    for path in out_dir.glob("*"):
        if path.is_file() and path.name not in expected:
            path.unlink()
            changed.append(path.name)
    return changed


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
