"""The clocks: the emulator's (real or manual) and the device's own (/system/date-time)."""
