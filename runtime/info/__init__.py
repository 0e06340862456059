"""The device's information (/info)."""
