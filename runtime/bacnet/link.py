"""BACnet/IP's link layer for one emulated device: bacpypes3's normal B/IP stack on a socket the emulator
bound itself (without SO_REUSEPORT, so that a port in use is an error at start rather than datagrams
shared silently with another process: BACNET-FACTS.md section 9, pitfalls 3 and 4).

Incoming datagrams are dropped while the device is silent (offline, rebooting) and beyond MAX_DATAGRAM
bytes. Outgoing unicasts go on the wire whatever their address: bacpypes3 would hand one for any 127.x
address on its own port back to itself (pitfall 1), so that a client on another loopback address at the
device's port would never get an answer.
"""

from __future__ import annotations

import socket
from typing import Callable

from bacpypes3.comm import bind
from bacpypes3.ipv4 import IPv4DatagramServer
from bacpypes3.ipv4.bvll import BVLLCodec
from bacpypes3.ipv4.service import BIPNormal, UDPMultiplexer
from bacpypes3.pdu import PDU, IPv4Address, LocalStation

# The largest datagram read: BACnet/IP's largest APDU (1476 bytes, what the device's I-Am says it
# accepts) with the NPDU and BVLL headers around it; anything longer is not BACnet/IP and is dropped.
MAX_DATAGRAM = 1497


class DeviceDatagramServer(IPv4DatagramServer):
    def __init__(self, address: IPv4Address, sock: socket.socket, silent: Callable[[], bool]) -> None:
        super().__init__(address, no_broadcast=True, bind_socket=sock)
        self.silent = silent

    async def confirmation(self, pdu: PDU) -> None:
        if len(pdu.pduData) > MAX_DATAGRAM or self.silent():
            return
        await super().confirmation(pdu)

    async def indication(self, pdu: PDU) -> None:
        destination = pdu.pduDestination
        if isinstance(destination, (LocalStation, IPv4Address)) and self.local_transport is not None:
            target = (
                destination if isinstance(destination, IPv4Address) else IPv4Address(destination)
            ).addrTuple
            if target != self.local_address:
                self.local_transport.sendto(pdu.pduData, target)
                return
        await super().indication(pdu)


class DeviceLinkLayer(BIPNormal):
    """bacpypes3's NormalLinkLayer with the device's datagram server."""

    def __init__(self, address: IPv4Address, sock: socket.socket, silent: Callable[[], bool]) -> None:
        BIPNormal.__init__(self)
        self.codec = BVLLCodec()
        self.multiplexer = UDPMultiplexer()
        self.server = DeviceDatagramServer(address, sock, silent)
        bind(self, self.codec, self.multiplexer.annexJ)
        bind(self.multiplexer, self.server)

    def close(self) -> None:
        self.server.close()
