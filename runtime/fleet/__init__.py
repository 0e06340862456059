"""A fleet: many devices in one process, its command line, its fleet file and generated identities.

from eclypse_emulator.runtime.fleet import DeviceConfig, Fleet
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fleet import DeviceConfig, Fleet

__all__ = ["DeviceConfig", "Fleet"]


def __getattr__(name: str) -> Any:
    """The fleet's public names, imported when first asked for (the package's modules import each other)."""
    if name in __all__:
        from . import fleet

        return getattr(fleet, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
