"""What every part of the benchmark shares: where things are, what is measured, progress lines."""

from __future__ import annotations

import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
BASE_PATH = "/api/rest/v1"
URL_PATTERN = re.compile(r"(https?)://([^\s/]+)(/api/rest/v1)")
CONNECTIONS = (1, 16, 64)
VARIANTS = (  # (name, path template relative to BASE_PATH)
    ("JSON", "/system/backup/jobs/{id}"),
    ("XML", "/system/backup/jobs/{id}?encode=xml"),
    ("$select", "/system/backup/jobs/{id}?$select=progress"),
    ("$value", "/system/backup/jobs/{id}/progress/$value"),
)
CREATE_BODY = b'{"dataTypes": []}'
MAX_REQUESTS_PER_CELL = 50_000_000  # a bound on every load loop besides its duration
SOCKET_TIMEOUT = 5.0  # a response slower than this counts as a socket error (timeout)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
