"""An emulator of the Distech Controls ECLYPSE REST API: the one import name of the installed package.

    from eclypse_emulator import EmbeddedServer
    from eclypse_emulator.client import EclypseClient

Installed, `runtime/`, `generated/`, `codegen/` and `spec/` are this package's subfolders. In a checkout
they stay at the repository's root (the layout of the design card), and this folder only gives them
their face: the root is added to the package's search path so that `eclypse_emulator.runtime` is
`runtime/`.
"""

from pathlib import Path

if not (Path(__file__).parent / "runtime").is_dir():  # a checkout: the subpackages sit beside this folder
    __path__.append(str(Path(__file__).resolve().parent.parent))

from typing import Any

__all__ = ["EmbeddedServer", "Emulator", "ManualClock", "RealClock"]


def __getattr__(name: str) -> Any:
    """The runtime's names, imported when first asked for: `python -m codegen` imports this package too,
    and the generator must not depend on the runtime it generates for."""
    if name in __all__:
        from . import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
