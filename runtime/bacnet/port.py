"""BACnet/IP's UDP port: the setting /protocols/bacnet/communication/network/ip-ports/1 reports (one source
of truth), which --bacnet-port sets at start and BACnet/IP binds to."""

from __future__ import annotations

import json

from ..device.resources import resolve
from ..device.store import StateStore, normal_path

IP_PORT = "/protocols/bacnet/communication/network/ip-ports/1"
PORT_KEY = "BacnetIpUdpPort"


class UdpPortSetting:
    """The device's BACnet/IP port setting (ip-ports/1's bacnetIpUdpPort): what BACnet/IP binds to."""

    def __init__(self, state: StateStore) -> None:
        self.state, self.resource = state, resolve(IP_PORT)

    def get(self) -> int:
        return int(self.resource.read(self.state.get)[PORT_KEY]) if self.resource is not None else 0

    def start_with(self, port: int) -> None:
        """The option's port, as the setting's seed (a reset keeps it), over a value kept by --state."""
        path = normal_path(IP_PORT)
        given = self.state.seeds.get(path)
        self.state.seeds[path] = json.dumps({**(json.loads(given) if given else {}), PORT_KEY: port})
        if self.state.holds(IP_PORT) and self.get() != port and self.resource is not None:
            self.resource.write(self.state, {**self.resource.read(self.state.get), PORT_KEY: port})
