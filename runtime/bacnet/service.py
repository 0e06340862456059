"""One device's BACnet/IP service on the serving layer's event loop: its UDP socket, its bacpypes3
application (application.py) over the device's points database, and how the device's life reaches the
wire: offline and rebooting are silent (nothing read, nothing sent), a reboot ends with an I-Am; a reset
and a reboot forget the COV subscriptions; a write over REST or the control API is checked for COV at
once, on the loop.

After a reboot the I-Am goes to the addresses that asked something of the device since it started
(at most RECENT_PEERS): on loopback there is no broadcast to send it to (BACNET-FACTS.md section 9).
"""

from __future__ import annotations

import asyncio
import datetime
import socket
from typing import Any

from bacpypes3.app import Application
from bacpypes3.appservice import ApplicationServiceAccessPoint
from bacpypes3.comm import bind
from bacpypes3.local.device import DeviceObject
from bacpypes3.netservice import NetworkServiceAccessPoint, NetworkServiceElement
from bacpypes3.pdu import IPv4Address

from ..clock.feature import ClockFeature
from ..device.events import OFFLINE, ONLINE, REBOOT, RESET
from ..device.feature import Device
from ..points.feature import PointsFeature
from ..points.models import PointDef
from ..reboot.feature import RebootFeature
from .application import MAX_APDU, DeviceApplication
from .cov import POLL_SECONDS, Subscriptions
from .port import UdpPortSetting
from .readrange import NO_TREND_LOGS, TrendLogs

RECENT_PEERS = 16
UP_POLL = 0.05  # seconds between looks at a rebooting device's phase


class BacnetService:
    """A LoopService (runtime/device/feature.py): bind() in the starting thread, the rest on the loop."""

    def __init__(self, device: Device, port: UdpPortSetting, trend_logs: TrendLogs = NO_TREND_LOGS) -> None:
        self.objects = device.feature(PointsFeature).objects
        self.reboots = device.feature(RebootFeature)
        self.device_clock = device.feature(ClockFeature).device_clock
        self.port, self.trend_logs = port, trend_logs
        self.offline = False
        self.socket: socket.socket | None = None
        self.address: tuple[str, int] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.app: DeviceApplication | None = None
        self.peers: dict[Any, None] = {}  # recent clients, oldest first
        self.subscriptions = Subscriptions(self.objects, self._send, self._now, self.objects.device_instance)
        self._poller: asyncio.TimerHandle | None = None
        device.events.subscribe(OFFLINE, self._offline)
        device.events.subscribe(ONLINE, self._online)
        device.events.subscribe(REBOOT, self._rebooting)
        device.events.subscribe(RESET, lambda: self._on_loop(self.subscriptions.clear))
        self.objects.subscribe(self._changed)

    # LoopService

    def bind(self, host: str) -> None:
        port = self.port.get()
        try:
            address = socket.gethostbyname(host)
        except OSError:
            raise OSError(f"BACnet/IP is IPv4: {host} names no IPv4 address") from None
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((address, port))  # no SO_REUSEPORT: a port in use is refused, not shared
        except OSError as error:
            sock.close()
            raise OSError(
                error.errno, f"its BACnet/IP UDP port {address}:{port} is taken: {error.strerror or error}"
            ) from None
        self.socket, self.address = sock, sock.getsockname()[:2]
        if port == 0:
            self.port.start_with(self.address[1])  # ip-ports/1 shows the port taken

    async def start(self) -> None:
        if self.socket is None or self.address is None:
            raise RuntimeError("BACnet/IP starts after bind()")
        self.loop = asyncio.get_running_loop()
        self.app = self._application()

    def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self.app is not None:
            self.app.close()
            self.app = None
        elif self.socket is not None:
            self.socket.close()
        self.socket = None

    def _application(self) -> DeviceApplication:
        from .link import DeviceLinkLayer  # noqa: PLC0415 (its classes need the running loop)

        device = self.objects.points.device
        stored = self.objects.stored
        device_object = DeviceObject(
            objectIdentifier=("device", self.objects.device_instance()),
            objectName=stored(device, "objectName"),
            vendorIdentifier=stored(device, "vendorIdentifier"),
            maxApduLengthAccepted=MAX_APDU,
            segmentationSupported=stored(device, "segmentationSupported"),
        )
        app = DeviceApplication()
        app.side = self
        app.asap = ApplicationServiceAccessPoint(device_object, app.device_info_cache)
        app.nsap = NetworkServiceAccessPoint()
        app.nse = NetworkServiceElement()
        bind(app.nse, app.nsap)
        bind(app, app.asap, app.nsap)
        app.add_object(device_object)
        assert self.socket is not None and self.address is not None
        local = IPv4Address(f"{self.address[0]}/32:{self.address[1]}")
        link = DeviceLinkLayer(local, self.socket, self.silent)
        app.link_layers[("network-port", 1)] = link
        app.nsap.bind(link, address=local)
        return app

    # The device's life

    def silent(self) -> bool:
        return self.offline or self.reboots.phase() != "up"

    def met(self, peer: Any) -> None:
        """A client asked something: it hears of the end of a reboot."""
        self.peers.pop(peer, None)
        self.peers[peer] = None
        if len(self.peers) > RECENT_PEERS:
            del self.peers[next(iter(self.peers))]

    def _on_loop(self, function: Any, *arguments: Any) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(function, *arguments)

    def _offline(self, **_: Any) -> None:
        self.offline = True

    def _online(self, **_: Any) -> None:
        self.offline = False
        self._on_loop(self._announce)

    def _rebooting(self, **_: Any) -> None:
        self._on_loop(self.subscriptions.clear)
        self._on_loop(self._wait_up)

    def _wait_up(self) -> None:
        if self.loop is None or self.app is None:
            return
        if self.reboots.phase() != "up":
            self.loop.call_later(UP_POLL, self._wait_up)
            return
        self._announce()

    def _announce(self) -> None:
        """An I-Am to the device's recent clients."""
        if self.app is not None and not self.silent():
            for peer in list(self.peers):
                self.app.i_am(peer)

    def set_time(self, moment: datetime.datetime) -> None:
        """TimeSynchronization: the device clock (/system/date-time) takes this local (or UTC) time."""
        self.device_clock.set({"ISODateTime": moment.isoformat()})

    def reinitialize(self, kind: str) -> None:
        self.reboots.reboot(kind)

    # COV

    def _now(self) -> float:
        return self.loop.time() if self.loop is not None else 0.0

    def _send(self, request: Any) -> Any:
        assert self.app is not None
        return Application.request(self.app, request)

    def _changed(self, point: PointDef, name: str) -> None:
        """A write or a forced value (in any thread): COV is checked on the loop."""
        if point.key in self.subscriptions.by_key:
            self._on_loop(self._check, point.key)

    def _check(self, key: Any) -> None:
        if self.app is not None and not self.silent():
            self.subscriptions.changed(key)

    def subscribed(self) -> None:
        """A subscription was added: the poll runs while there are any (an idle device has no timer)."""
        if self._poller is None and self.loop is not None:
            self._poller = self.loop.call_later(POLL_SECONDS, self._poll)

    def _poll(self) -> None:
        """What the device's programs move is seen here (the database works it out as it is read)."""
        self._poller = None
        if self.loop is None or self.app is None:
            return
        if not self.silent():
            self.subscriptions.changed(None)
        if self.subscriptions.by_key:
            self._poller = self.loop.call_later(POLL_SECONDS, self._poll)
