"""`--reload`: follow spec changes while serving, without dropping jobs or connections.

A thread polls spec/ for changes; on one it runs `python -m codegen` (which needs the codegen extras)
and reloads the generated modules in place, so that the server's handler and the emulator answer by
the new spec from the next request on. A spec that does not generate leaves the old code serving,
and the error is printed; the next good change reloads again.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import generated

# In dependency order: the handler imports the serialisers, the client the models.
MODULES = ("generated.serializers", "generated.models", "generated.handler", "generated.client")
ROOT = Path(generated.__file__).resolve().parent.parent


def spec_snapshot(spec_dir: Path) -> dict[str, tuple[int, int]]:
    """Each spec file's modification time and size: what a change alters."""
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(spec_dir.glob("*.yaml"))}


class SpecReloader:
    def __init__(
        self,
        on_reload: Callable[[], None],
        *,
        log: Callable[[str], None],
        spec_dir: Path = ROOT / "spec",
        interval: float = 0.5,
    ) -> None:
        if not spec_dir.is_dir():
            raise ValueError(f"--reload needs the spec next to generated/: {spec_dir} is not a folder")
        self.spec_dir, self.on_reload, self.log, self.interval = spec_dir, on_reload, log, interval
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
        result = subprocess.run(
            [sys.executable, "-m", "codegen", "--spec", str(self.spec_dir), "--out", str(ROOT / "generated")],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            reason = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["codegen failed"]
            if "No module named" in reason[0]:
                reason = [f"{reason[0]}: --reload needs the codegen extras (pip install -e '.[codegen]')"]
            self.log(f"reload failed, still serving the previous spec: {reason[0]}")
            return False
        for name in MODULES:
            importlib.reload(sys.modules[name]) if name in sys.modules else importlib.import_module(name)
        self.on_reload()
        self.reloads += 1
        self.log(f"reloaded the spec ({self.reloads})")
        return True
