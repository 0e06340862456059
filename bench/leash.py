"""How the benchmark's helper servers stop: on SIGINT or SIGTERM, when the benchmark closes their stdin
(or dies), or after a time limit at the latest."""

from __future__ import annotations

import signal
import sys
import threading


def wait_until_stopped(exit_on_eof: bool, max_seconds: float) -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def watch_stdin() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    if exit_on_eof:
        threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait(max_seconds)
