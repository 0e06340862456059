"""The ECLYPSE REST API emulator: the hand-written runtime around the generated device API."""

from .app import Emulator
from .clock import ManualClock, RealClock
from .server import EmbeddedServer

__all__ = ["EmbeddedServer", "Emulator", "ManualClock", "RealClock"]
