"""The generator: loads and validates spec/, renders codegen/templates/ into generated/, formats with black."""

from eclypse_emulator.checkout import alias

alias(__name__)  # `codegen` in a checkout is `eclypse_emulator.codegen`
