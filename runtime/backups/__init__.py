"""The backup workflow: backup files on the device and a USB key, their archive, hooks and control
operations."""
