"""The checkout's own import names: `runtime`, `generated` and `codegen` as they are at the repository's root.

Imported by one of those names (`python -m runtime` in a checkout, `from runtime import EmbeddedServer`),
a package calls `alias(__name__)`, which makes the name and each of its submodules the very module of
`eclypse_emulator.<name>`: one module object per file, whichever name imported it. Installed, the
packages are only `eclypse_emulator.<name>`, and `alias` does nothing.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType
from typing import Sequence

PACKAGES = ("runtime", "generated", "codegen")


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `runtime.x` as the already imported (or newly imported) `eclypse_emulator.runtime.x`."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.partition(".")[0] not in PACKAGES or "." not in name:
            return None
        real = importlib.util.find_spec(f"{__package__}.{name}")
        if real is None:
            return None
        return importlib.util.spec_from_loader(
            name, self, origin=real.origin, is_package=real.submodule_search_locations is not None
        )

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return importlib.import_module(f"{__package__}.{spec.name}")

    def exec_module(self, module: ModuleType) -> None:
        pass  # the real module ran already

    def get_code(self, name: str) -> CodeType | None:
        """What `python -m runtime` (runpy) runs as `__main__`: the real module's code."""
        real = importlib.util.find_spec(f"{__package__}.{name}")
        loader = real.loader if real is not None else None
        if real is None or not isinstance(loader, importlib.abc.InspectLoader):
            raise ImportError(f"no module named {__package__}.{name}")
        return loader.get_code(real.name)


_FINDER = _AliasFinder()


def alias(name: str) -> None:
    """Called by a package's `__init__` with its `__name__`: alias it when that is the checkout's name."""
    if name not in PACKAGES:
        return
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    sys.modules[name] = importlib.import_module(f"{__package__}.{name}")
