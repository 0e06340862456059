"""The device data file (`--device-data FILE`, `EmbeddedServer(device_data=...)`): a device's initial
resource values, by device path.

    /protocols/bacnet/communication/network/mstp-ports/1/:
      enabled: true
      macAddress: 12

Each key is a path below the base path (/api/rest/v1) of an entity or a collection (a trailing slash
makes no difference); each value is what the state API's PUT takes there: an entity's properties (those
not given keep the spec's defaults), or a collection's list of members. The keys are the device's JSON
keys (matched case-insensitively). A fleet file holds one such mapping per device.

The file is JSON or YAML, read in process by the standard library (YAML by the reader fleet files use,
which refuses anchors and aliases), at most MAX_FILE_BYTES: a hostile file is an error naming it, never a
memory bomb or a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..core.codec import BodyError, parse_json
from ..core.miniyaml import YamlError, loads
from .resources import resolve

MAX_FILE_BYTES = 16 << 20


class DeviceDataError(ValueError):
    """A device data file that cannot be used; the message names the file and what is wrong."""


def read_document(path: Path) -> Any:
    """The file's document: JSON when it is JSON, else YAML."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise DeviceDataError(f"cannot read the device data file {path}: {error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise DeviceDataError(f"the device data file {path} is larger than {MAX_FILE_BYTES >> 20} MiB")
    try:
        return parse_json(data)  # the codec's strict reader: bounded numbers and nesting
    except BodyError:
        pass  # not JSON: YAML (a superset, whose reader names the line of what is wrong)
    try:
        return loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise DeviceDataError(f"cannot read the device data file {path}: {error}") from None
    except YamlError as error:
        raise DeviceDataError(f"cannot read the device data file {path}: {error}") from None


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
