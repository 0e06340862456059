"""The device's reboots: coldStart and warmStart, their timeline on the device's clock, and its options
(--reboot-seconds, --starting-seconds)."""
