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

from .runtime import EmbeddedServer, Emulator, ManualClock, RealClock  # noqa: E402

__all__ = ["EmbeddedServer", "Emulator", "ManualClock", "RealClock"]
