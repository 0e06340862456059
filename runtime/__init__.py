"""The ECLYPSE REST API emulator: the hand-written runtime around the generated device API.

The public names are imported when first asked for, so that importing a subpackage (the generator imports
`runtime.core`) does not load the emulator, nor the generated code the emulator serves.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from eclypse_emulator.checkout import alias

alias(__name__)  # `runtime` in a checkout is `eclypse_emulator.runtime`

if TYPE_CHECKING:
    from .clock.clocks import ManualClock, RealClock
    from .device.emulator import Emulator
    from .serving.embedded import EmbeddedServer

__all__ = ["EmbeddedServer", "Emulator", "ManualClock", "RealClock"]
# Each public name's module.
_HOMES = {
    "EmbeddedServer": ".serving.embedded",
    "Emulator": ".control.emulator",  # the device, answering its control API beside its own
    "ManualClock": ".clock.clocks",
    "RealClock": ".clock.clocks",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
