"""Where the generator and the importer read and write: a checkout's own folders, or folders the user names.

In a checkout the folders default to its own spec/ and generated/; installed, an output folder must be
given, so that nothing is written into site-packages.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# The folder holding spec/ and generated/: a checkout's root, or the installed package.
ROOT = Path(__file__).resolve().parent.parent
# Installed, ROOT is inside site-packages, which the generator never writes into.
CHECKOUT = (ROOT / "pyproject.toml").is_file()


def add_output_folder(parser: argparse.ArgumentParser, flag: str, folder: str, what: str) -> None:
    """A folder the generator writes into: in a checkout its own `folder` by default; installed, given."""
    if CHECKOUT:
        parser.add_argument(flag, type=Path, default=ROOT / folder, help=f"{what} (default: {folder}/)")
    else:
        parser.add_argument(flag, type=Path, required=True, help=f"{what} (installed: a folder of yours)")
