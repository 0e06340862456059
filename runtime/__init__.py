"""The ECLYPSE REST API emulator: the hand-written runtime around the generated device API."""

from eclypse_emulator.checkout import alias

alias(__name__)  # `runtime` in a checkout is `eclypse_emulator.runtime`

from .app import Emulator  # noqa: E402
from .clock import ManualClock, RealClock  # noqa: E402
from .server import EmbeddedServer  # noqa: E402

__all__ = ["EmbeddedServer", "Emulator", "ManualClock", "RealClock"]
