"""A firmware image as it is uploaded: spooled to an unnamed temporary file as it arrives (never whole in
memory, gone when closed, even if the process is killed), hashed on the way, then checked.

The image is a zip. Its version comes from its file name, as the fleet-administration client's help names
them (`ECYSeries_v1.17.22053.807.zip`: version 1.17.22053.807), unless a manifest inside says otherwise.
The manifest, the emulator's own format, is `manifest.json` at the zip's root, every key optional:

    {"model": "ECY-S1000", "version": "1.17.22053.807", "image": "firmware.bin", "sha256": "<hex>"}

`model` (a text or a list of them) names the models the image is for (the first word of /info/device's
modelName, compared without regard to case); `version` the version it installs (four dotted integers);
`sha256` the SHA-256 of the zip's entry `image`. Other keys are ignored.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from ..core.wire import ApiError

VERSION = re.compile(r"\d{1,9}(?:\.\d{1,9}){3}")  # four dotted integers
FILE_NAME = re.compile(r"[A-Za-z0-9-]+_v(" + VERSION.pattern + r")\.zip", re.IGNORECASE)
MANIFEST = "manifest.json"
MAX_MANIFEST = 65536  # bytes
MAX_ENTRIES = 10_000  # entries of one image's zip
MAX_DIRECTORY = 4 << 20  # bytes of its central directory, which zipfile reads whole (10,000 long names fit)
MAX_INFLATED = 2 << 30  # bytes its entries inflate to, in all: the CRC check inflates every one
END_RECORD = b"PK\x05\x06"  # the end of central directory record: its 22 bytes and a comment of < 64 KiB
ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or the end record of an empty zip
READ_PIECE = 1 << 20  # bytes read at a time when checking an entry


@dataclass(frozen=True)
class Image:
    """What a checked image installs."""

    file_name: str
    version: str
    size: int
    sha256: str


def invalid(reason: str) -> ApiError:
    return ApiError("invalid_firmware", reason=reason)


def refused(reason: str) -> ApiError:
    return ApiError("firmware_refused", reason=reason)


class ImageSpool:
    """The uploaded file, written to a temporary file as it arrives: refused at its first bytes when it
    is no zip, hashed on the way; `check` reads what it holds; `close` deletes it."""

    def __init__(self) -> None:
        self.file: IO[bytes] | None = None  # made when the file's part begins
        self.file_name = ""
        self.size = 0
        self._digest = hashlib.sha256()
        self._start = b""

    def begin(self, filename: str | None) -> None:
        self.file_name = filename or ""
        self.file = tempfile.TemporaryFile(prefix="eclypse-firmware-")

    def write(self, data: bytes) -> None:
        if self.file is None:
            return
        if len(self._start) < 4:  # the first bytes say whether it is a zip at all
            self._start += data[: 4 - len(self._start)]
            if not any(start.startswith(self._start) for start in ZIP_STARTS):
                raise invalid("it is not a zip file")
        self.size += len(data)
        self._digest.update(data)
        self.file.write(data)

    def check(self, model: str) -> Image:
        """The image the spool holds, for a device of `model`; ApiError `invalid_firmware` (not a
        firmware zip) or `firmware_refused` (another model, a checksum that does not match)."""
        if self.file is None or self.size < 4:
            raise invalid("it is not a zip file")
        _check_directory(self.file, self.size)
        self.file.seek(0)
        try:
            with zipfile.ZipFile(self.file) as archive:
                if sum(info.file_size for info in archive.infolist()) > MAX_INFLATED:
                    raise invalid(f"its entries inflate to more than {MAX_INFLATED} bytes")
                manifest = _manifest(archive)
                version = self._version(manifest)
                _check_model(manifest, model)
                _check_checksum(archive, manifest)
                broken = archive.testzip()  # every entry's CRC, a piece at a time
                if broken is not None:
                    raise invalid(f"its entry {broken!r} is corrupt")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, ValueError) as error:
            raise invalid(f"it is not a readable zip file ({error})") from None
        return Image(self.file_name, version, self.size, self._digest.hexdigest())

    def _version(self, manifest: dict[str, Any]) -> str:
        given = manifest.get("version")
        if given is not None:
            if not (isinstance(given, str) and VERSION.fullmatch(given)):
                raise invalid("the manifest's version is not four dotted integers")
            return given
        named = FILE_NAME.fullmatch(self.file_name)
        if named is None:
            raise invalid(
                f"its name {self.file_name[:200]!r} gives no version (expected a name like "
                "ECYSeries_v1.17.22053.807.zip) and it has no manifest stating one"
            )
        return named.group(1)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def _check_directory(file: IO[bytes], size: int) -> None:
    """Refuse a zip whose central directory is too large, or has too many entries, by its end record,
    before zipfile reads the directory whole (and makes an object per entry)."""
    tail = min(size, 22 + 65535)
    file.seek(size - tail)
    end = file.read(tail)
    at = end.rfind(END_RECORD)
    if at < 0 or len(end) - at < 22:
        raise invalid("it is not a zip file (it has no end of central directory)")
    entries, directory = struct.unpack("<HI", end[at + 10 : at + 16])
    if entries == 0xFFFF or directory == 0xFFFFFFFF:
        raise invalid("it is a Zip64 archive, which an image of at most 4 GiB does not need")
    if entries > MAX_ENTRIES:
        raise invalid(f"it holds more than {MAX_ENTRIES} entries")
    if directory > MAX_DIRECTORY:
        raise invalid(f"its central directory is larger than {MAX_DIRECTORY} bytes")


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        return {}
    if info.file_size > MAX_MANIFEST:
        raise invalid(f"its {MANIFEST} is larger than {MAX_MANIFEST} bytes")
    try:
        document = json.loads(archive.read(info))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid(f"its {MANIFEST} is not JSON ({error})") from None
    if not isinstance(document, dict):
        raise invalid(f"its {MANIFEST} is not a JSON object")
    return document


def _check_model(manifest: dict[str, Any], model: str) -> None:
    given = manifest.get("model")
    if given is None:
        return
    models = [given] if isinstance(given, str) else given
    if not (isinstance(models, list) and all(isinstance(m, str) for m in models)):
        raise invalid("the manifest's model is not a text or a list of texts")
    if model.casefold() not in {m.casefold() for m in models}:
        raise refused(f"it is for {', '.join(models)}, not for this {model}")


def _check_checksum(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    expected = manifest.get("sha256")
    if expected is None:
        return
    entry = manifest.get("image")
    if not (isinstance(expected, str) and isinstance(entry, str)):
        raise invalid("the manifest's sha256 and image must be texts (image names the entry it sums)")
    try:
        info = archive.getinfo(entry)
    except KeyError:
        raise invalid(f"the manifest names an image {entry!r} the zip does not hold") from None
    digest = hashlib.sha256()
    with archive.open(info) as stream:
        while piece := stream.read(READ_PIECE):
            digest.update(piece)
    if digest.hexdigest() != expected.strip().lower():
        raise refused(f"the SHA-256 of {entry} is {digest.hexdigest()}, not the manifest's {expected[:64]}")
