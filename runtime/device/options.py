"""The device's own options: what it serves, where it keeps its state, what it starts with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ...generated import handler as api
from ..core.deviceapi import parse_revision
from ..core.options import option


def revision_text(text: Any) -> str:
    """An API revision as given (`8.0`); ValueError when it is none."""
    parse_revision(str(text))
    return str(text)


def device_paths(data: Any) -> Mapping[str, Any]:
    """A fleet file's device data: a mapping of device paths; ValueError otherwise."""
    if not isinstance(data, dict) or not all(isinstance(k, str) and k.startswith("/") for k in data):
        raise ValueError("device_data must map device paths (from /) to their values")
    return data


@dataclass(frozen=True)
class DeviceOptions:
    api_revision: str | None = option(
        flag="--api-revision",
        parse=revision_text,
        help=f"API revision served (default: {api.DEFAULT_REVISION})",
        fleet=True,
        read=revision_text,
    )
    state_file: str | Path | None = option(
        flag="--state",
        metavar="FILE",
        help="keep the device's state (resources and jobs) in this SQLite file across restarts",
    )
    device_data: str | Path | Mapping[str, Any] | None = option(
        flag="--device-data",
        metavar="FILE",
        help="initial resource values: a YAML or JSON mapping of device paths to values (see docs/serving.md)",
        fleet=True,
        read=device_paths,
    )
    seed: int | None = option(
        flag="--seed",
        parse=int,
        help="seed of the faults' random choices, the devices' generated identities and the building's noise, "
        "for repeatable runs",
    )
