"""Authentication: HTTP Basic and the device's session cookie."""
