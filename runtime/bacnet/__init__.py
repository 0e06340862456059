"""BACnet/IP: the device's points on the wire (bacpypes3, the `bacnet` extra, imported only by --bacnet)."""
