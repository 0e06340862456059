"""Loading a point list (`--points FILE`, or the default building): read once, shared by every device that
loads the same unchanged file (point definitions are immutable; a device keeps only its own changes)."""

from __future__ import annotations

import threading
from pathlib import Path

from .ede import read_ede
from .models import PointList
from .pointfile import MAX_FILE_BYTES, PointFileError, read_points_document

_cache: dict[tuple[str, int, int], PointList] = {}
_cache_lock = threading.Lock()


def load(path: str | Path) -> PointList:
    """The point list of a file (EDE `.csv`, JSON or YAML), shared by every device that loads the same file
    unchanged; PointFileError naming file, line and column."""
    path = Path(path)
    try:
        stat = path.stat()
        if stat.st_size > MAX_FILE_BYTES:
            raise PointFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        data = path.read_bytes()
    except OSError as error:
        raise PointFileError(f"{path}: cannot read the point file: {error.strerror or error}") from None
    if path.suffix.lower() == ".csv":
        points = read_ede(path, data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise PointFileError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
        points = read_points_document(path, text)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        return _cache.setdefault(key, points)


DEFAULT_BUILDING = Path(__file__).with_name("default_building.json")


def point_list(points: str | Path | PointList | None) -> PointList:
    """What `--points` gives: a file's point list, a PointList as it is, or the default building (None)."""
    if points is None:
        return default_building()
    return points if isinstance(points, PointList) else load(points)


def default_building() -> PointList:
    """The building `python -m runtime` serves without --points (a point list shipped with the package)."""
    return load(DEFAULT_BUILDING)
