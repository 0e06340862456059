"""The control API writes its documents with camelCase keys, like the device API's JSON."""

from __future__ import annotations

from typing import Any


def camel_case(name: str) -> str:
    """`fail_at` -> `failAt`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def camel_keys(values: dict[str, Any]) -> dict[str, Any]:
    return {camel_case(key): value for key, value in values.items()}
