"""`python -m eclypse_emulator [serve] [options]`: serve the emulator (the same as `eclypse-emulator`)."""

import sys

from .runtime.cli import main

sys.exit(main())
