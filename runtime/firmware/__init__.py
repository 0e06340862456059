"""Firmware updates: POST /system/update/firmware and its status (runtime/firmware/feature.py)."""
