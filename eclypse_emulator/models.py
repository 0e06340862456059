"""The generated dataclasses of the device API's objects: this name is `eclypse_emulator.generated.models`."""

import sys

from .generated import models

sys.modules[__name__] = models  # one module under both names, so that --reload updates both
