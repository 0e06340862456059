"""Serving a spec other than the committed one (`--spec DIR`), and following its changes (`--reload`).

Generating needs the codegen extras (jinja2, pyyaml, black), so it runs as a subprocess of
`python -m eclypse_emulator.codegen`; the server itself stays standard-library-only. The checkout's own
spec generates into its `generated/` (as `python -m codegen` does); any other spec, and every spec of an
installed package, into a cache folder of its own, never into site-packages. The generated modules are
then loaded from that folder, in place, so that the server's handler and the emulator answer by the new
spec from the next request on. A spec that does not generate leaves the old code serving, and the error
is printed; the next good change reloads again.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

from .. import generated

# In dependency order: the handler imports the serialisers, the client the models.
MODULES = tuple(f"{generated.__name__}.{name}" for name in ("serializers", "models", "handler", "client"))
# The folder holding runtime/, generated/ and spec/: a checkout's root, or the installed package.
PACKAGE = Path(generated.__file__).resolve().parent.parent
PACKAGED_SPEC = PACKAGE / "spec"
CHECKOUT = (PACKAGE / "pyproject.toml").is_file()


class ReloadError(Exception):
    """The spec could not be generated (invalid, or the codegen extras are missing)."""


def output_folder(spec_dir: Path) -> Path:
    """Where `spec_dir` generates: the checkout's generated/ for its own spec, else a per-spec cache folder."""
    spec_dir = spec_dir.resolve()
    if CHECKOUT and spec_dir == PACKAGED_SPEC:
        return PACKAGE / "generated"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "eclypse-emulator"
    return cache / hashlib.sha256(str(spec_dir).encode()).hexdigest()[:16] / "generated"


def spec_snapshot(spec_dir: Path) -> dict[str, tuple[int, int]]:
    """Each spec file's modification time and size: what a change alters."""
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(spec_dir.glob("*.yaml"))}


def run_codegen(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m <package>.codegen ARGS` in a subprocess (the codegen extras stay out of the server)."""
    return subprocess.run(
        [sys.executable, "-m", f"{__package__.rpartition('.')[0]}.codegen", *args],
        cwd=PACKAGE if CHECKOUT else PACKAGE.parent,
        capture_output=True,
        text=True,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed codegen run said last: its message."""
    return ((result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["codegen failed"])[0]


def generate(spec_dir: Path, out_dir: Path) -> None:
    """Render `spec_dir` into `out_dir`, or raise ReloadError with the generator's own message."""
    # Absolute: the generator runs in the package's folder, not in the user's.
    result = run_codegen("--spec", str(spec_dir.resolve()), "--out", str(out_dir.resolve()))
    if result.returncode != 0:
        raise ReloadError(last_line(result))


def load_generated(out_dir: Path | str) -> None:
    """Answer by the modules in `out_dir` from now on, reloading the generated modules in place."""
    generated.__path__[:] = [str(out_dir)]
    for name in MODULES:
        importlib.reload(sys.modules[name]) if name in sys.modules else importlib.import_module(name)


def serve_spec(spec_dir: Path) -> Path:
    """Generate `spec_dir` (unless it is the committed spec, already generated) and load it; the output folder."""
    if not spec_dir.is_dir():
        raise ReloadError(f"the spec folder {spec_dir} does not exist")
    out_dir = output_folder(spec_dir)
    generate(spec_dir, out_dir)
    if out_dir.resolve() != Path(generated.__path__[0]).resolve():
        load_generated(out_dir)
    return out_dir


class SpecReloader:
    """A thread that polls a spec folder and, on a change, regenerates and reloads it."""

    def __init__(
        self,
        on_reload: Callable[[], None],
        *,
        log: Callable[[str], None],
        spec_dir: Path,
        interval: float = 0.5,
    ) -> None:
        if not spec_dir.is_dir():
            raise ReloadError(f"the spec folder {spec_dir} does not exist")
        self.spec_dir, self.on_reload, self.log, self.interval = spec_dir, on_reload, log, interval
        self.out_dir = output_folder(spec_dir)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="spec-reloader", daemon=True)
        self.reloads = 0

    def start(self) -> SpecReloader:
        self._snapshot = spec_snapshot(self.spec_dir)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            snapshot = spec_snapshot(self.spec_dir)
            if snapshot != self._snapshot:
                self._snapshot = snapshot
                self.reload()

    def reload(self) -> bool:
        """Regenerate and reload; False (and the old code keeps serving) when the spec does not generate."""
        try:
            generate(self.spec_dir, self.out_dir)
        except ReloadError as error:
            self.log(f"reload failed, still serving the previous spec: {error}")
            return False
        load_generated(self.out_dir)
        self.on_reload()
        self.reloads += 1
        self.log(f"reloaded the spec ({self.reloads})")
        return True
