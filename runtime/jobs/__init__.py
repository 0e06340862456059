"""The jobs: the simulator of job progress, its hooks and its control operations (/_emulator/jobs)."""
