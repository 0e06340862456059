"""The BACnet/IP feature (--bacnet): the device's objects served over UDP as well as over REST.

Standard library only: bacpypes3 (the `bacnet` extra) is imported when --bacnet asks for it (service.py),
so that the core server needs nothing else. The UDP port is the one /protocols/bacnet/communication/
network/ip-ports/1 reports (one source of truth): --bacnet-port sets that setting at start, and BACnet/IP
binds to what it says. The emulator's choices: in a fleet each device takes --bacnet-port plus its index
(its own port, as its HTTP port: BACNET-FACTS.md section 9 shows that bacpypes3 loops back unicasts to any
127.x address on its own port, so that devices sharing a port on loopback addresses would answer a
bacpypes3 client on that port with its own objects); a port changed over REST takes effect at the next
start of the process.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from ..building.feature import BuildingFeature
from ..core.options import option
from ..device.feature import Device, Feature, LoopService
from .port import UdpPortSetting

MISSING_EXTRA = "--bacnet needs the bacnet extra (bacpypes3): pip install 'eclypse-emulator[bacnet]'"
DEFAULT_PORT = 47808


def udp_port(text: str) -> int:
    """A UDP port, 0 (any free one) to 65535, from its text; ValueError otherwise."""
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise ValueError(f"not a UDP port (0 to 65535): {text!r}")
    return int(text)


def _port_of(given: Any) -> int:
    """A fleet file's port: a whole number 0 to 65535."""
    if isinstance(given, bool) or not isinstance(given, int):
        raise ValueError(f"expected a UDP port number, not {given!r}")
    return udp_port(str(given))


def _flag_of(given: Any) -> bool:
    if not isinstance(given, bool):
        raise ValueError(f"expected true or false, not {given!r}")
    return given


def _spread_port(port: int, index: int) -> int:
    """A fleet device's port: the command line's plus its index (0 stays 0: any free port)."""
    return port + index if port else 0


@dataclass(frozen=True)
class BacnetOptions:
    bacnet: bool = option(
        False,
        flag="--bacnet",
        store_true=True,
        help="also serve the points over BACnet/IP (UDP; needs the bacnet extra)",
        fleet=True,
        read=_flag_of,
    )
    bacnet_port: int = option(
        DEFAULT_PORT,
        flag="--bacnet-port",
        metavar="PORT",
        parse=udp_port,
        help=f"BACnet/IP's UDP port (default: {DEFAULT_PORT}; a fleet's devices count up from it; 0: any free one)",
        fleet=True,
        read=_port_of,
        spread=_spread_port,
    )


class BacnetFeature(Feature):
    """`bacnet`: with --bacnet, one BACnet/IP device (service.py) over the points feature's database."""

    options = BacnetOptions

    def __init__(self, device: Device, options: BacnetOptions) -> None:
        self._services: tuple[LoopService, ...] = ()
        if not options.bacnet:
            return
        if importlib.util.find_spec("bacpypes3") is None:
            raise ValueError(MISSING_EXTRA)
        setting = UdpPortSetting(device.state)
        setting.start_with(options.bacnet_port)
        from .readrange import BuildingTrendLogs  # bacpypes3: only now
        from .service import BacnetService

        trend_logs = BuildingTrendLogs(device.feature(BuildingFeature))
        self._services = (BacnetService(device, setting, trend_logs),)

    def services(self) -> tuple[LoopService, ...]:
        return self._services
