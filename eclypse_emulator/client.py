"""The generated standard-library client of the device API: this name is `eclypse_emulator.generated.client`.

`python -m eclypse_emulator.client` runs its command line (the same as `eclypse`).
"""

import sys

from .generated import client

if __name__ == "__main__":
    sys.exit(client.main())
sys.modules[__name__] = client  # one module under both names, so that --reload updates both
