"""`python -m codegen [--check] [--spec DIR] [--out DIR]`: regenerate `generated/` from `spec/`.

`python -m codegen import PAGE.txt [...] [--into DIR]` writes vendor pages into the spec (codegen/importer/).
`python -m codegen pages --check DIR...` compares the spec with vendor pages (codegen/importer/check.py).

In a checkout the folders default to its own spec/ and generated/; installed, `--out` and `--into` must
be given, so that nothing is written into site-packages (`eclypse-emulator --spec DIR` generates into a
cache folder by itself).

Exit codes: 0 done (or up to date), 1 `--check` found stale files, 2 the spec is invalid (or the codegen
extras are not installed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .folders import CHECKOUT, ROOT, add_output_folder

PROG = f"python -m {__package__}"  # codegen in a checkout, eclypse_emulator.codegen installed
EXTRAS_HINT = "pip install 'eclypse-emulator[codegen]' (in a checkout: pip install -e '.[codegen]')"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["import"]:
        try:
            from .importer import main as import_main
        except ModuleNotFoundError as missing:  # pyyaml
            print(f"{PROG} needs {missing.name}: {EXTRAS_HINT}", file=sys.stderr)
            return 2
        return import_main(argv[1:], prog=f"{PROG} import")
    if argv[:1] == ["pages"]:
        try:
            from .importer.check import main as pages_main
        except ModuleNotFoundError as missing:  # pyyaml
            print(f"{PROG} needs {missing.name}: {EXTRAS_HINT}", file=sys.stderr)
            return 2
        return pages_main(argv[1:], prog=f"{PROG} pages", spec_dir=ROOT / "spec")
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Generate the server's handler, serialisers, models and client from a spec folder.",
        epilog=f"{PROG} import PAGE.txt ... turns copies of the vendor's pages into spec YAML.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 naming each stale file; write nothing")
    spec_default = "spec/" if CHECKOUT else "the packaged spec"
    parser.add_argument(
        "--spec", type=Path, default=ROOT / "spec", help=f"the spec folder (default: {spec_default})"
    )
    add_output_folder(parser, "--out", "generated", "the output folder")
    args = parser.parse_args(argv)
    try:  # after parsing, so that --help works without the extras
        from .generate import stale_files, write_files
        from .loader import SpecError
    except ModuleNotFoundError as missing:  # jinja2, pyyaml or black
        print(f"{PROG} needs {missing.name}: {EXTRAS_HINT}", file=sys.stderr)
        return 2
    try:
        if args.check:
            stale = stale_files(args.spec, args.out)
            for name in stale:
                print(
                    f"stale: {args.out / name} does not match {args.spec}/; run {PROG}",
                    file=sys.stderr,
                )
            return 1 if stale else 0
        for name in write_files(args.spec, args.out):
            print(f"wrote {args.out / name}")
    except SpecError as error:
        print(f"spec error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
