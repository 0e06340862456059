"""Fault injection and the request journal."""
