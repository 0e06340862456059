"""The device data file (`--device-data FILE`, `EmbeddedServer(device_data=...)`): a device's initial
resource values, by device path.

    /protocols/bacnet/communication/network/mstp-ports/1/:
      enabled: true
      macAddress: 12

Each key is a path below the base path (/api/rest/v1) of an entity or a collection (a trailing slash
makes no difference); each value is what the state API's PUT takes there: an entity's properties (those
not given keep the spec's defaults), or a collection's list of members. The keys are the device's JSON
keys (matched case-insensitively). A fleet file holds one such mapping per device.

The file is JSON or YAML. The server imports the standard library only, so YAML is read by
`python -m codegen data FILE` in a subprocess (as --spec generates), which needs the codegen extras.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from ..core.codec import BodyError

from .generator import last_line, run_codegen
from .resources import resolve


class DeviceDataError(ValueError):
    """A device data file that cannot be used; the message names the file and what is wrong."""


def read_document(path: Path) -> Any:
    """The file's document: JSON as it is, YAML through codegen."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DeviceDataError(f"cannot read the device data file {path}: {error}") from None
    try:
        return json.loads(text)
    except ValueError:
        pass  # not JSON: YAML
    result = run_codegen("data", str(path.resolve()))  # codegen runs in the package's folder
    if result.returncode != 0:
        raise DeviceDataError(f"cannot read the device data file {path}: {last_line(result)}")
    return json.loads(result.stdout)


def device_seeds(source: Any, where: str | None = None) -> dict[str, Any]:
    """The initial values by state path of a device data file or mapping, checked as the state API's PUT
    checks a value; DeviceDataError naming `where` (the file, or `device data`), the path and the problem."""
    if source is None:
        return {}
    is_file = isinstance(source, (str, Path))
    if where is None:
        where = f"device data file {source}" if is_file else "device data"
    document = read_document(Path(source)) if is_file else source
    if not isinstance(document, Mapping):
        raise DeviceDataError(f"{where}: expected a mapping of device paths to values")
    seeds: dict[str, Any] = {}
    for path, value in document.items():
        resource = resolve(path) if isinstance(path, str) else None
        if resource is None:
            raise DeviceDataError(
                f"{where}: {path!r} is not the path of an entity or a collection of the spec "
                "(hooks and jobs hold the runtime's own values, which no seed replaces)"
            )
        if resource.member is not None:
            raise DeviceDataError(
                f"{where}: {path!r} is a member of the collection {resource.path}: give it in that list"
            )
        if resource.path in seeds:
            raise DeviceDataError(f"{where}: {path!r} is given twice (as {resource.path})")
        try:
            seeds[resource.path] = resource.parse_seed(value)
        except BodyError as error:
            raise DeviceDataError(f"{where}: {path}: {error}") from None
    return seeds
