"""The bytes of a backup file: a zip archive (the content is the emulator's choice).

It holds `manifest.json` (the file's name, its data types and ENVYSION projects, the device's identity and
the time it was made) and one `<DATA_TYPE>.json` per data type. The archive is a function of the backup's
record alone, entries dated by its creation time, so that a download gives the same bytes every time and
the recorded size stays true.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping

MANIFEST = "manifest.json"


def build(record: Mapping[str, Any]) -> bytes:
    """The archive of one backup record (see backups.py), built once for its size and then served from a
    small cache to the downloads that follow."""
    return _build(json.dumps(record, sort_keys=True))


@lru_cache(maxsize=64)  # a few KB each: data types are folded, names bounded
def _build(record_json: str) -> bytes:
    record = json.loads(record_json)
    created = datetime.fromisoformat(record["CreatedIso"])
    stamp = (
        max(created.year, 1980),
        created.month,
        created.day,
        created.hour,
        created.minute,
        created.second,
    )
    manifest = {
        "name": record["Name"],
        "fileName": record["FileName"],
        "target": record["Target"],
        "created": record["CreatedIso"],
        "dataTypes": record["DataTypes"],
        "envysionProjects": record["EnvysionProjects"],
        "device": record["Device"],
        "emulated": True,
    }
    entries = [(MANIFEST, manifest)] + [
        (f"{data_type}.json", {"dataType": data_type, "emulated": True}) for data_type in record["DataTypes"]
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, document in entries:
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, json.dumps(document, indent=2, sort_keys=True) + "\n")
    return buffer.getvalue()
