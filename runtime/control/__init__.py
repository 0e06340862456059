"""The control APIs: /_emulator/ (one device, made from the declared control operations) and /_fleet/."""
