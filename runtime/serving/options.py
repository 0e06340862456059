"""The serving options: which core serves, and the limits that protect it from its clients."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.options import option, positive, seconds


@dataclass(frozen=True)
class ServingOptions:
    core: str = option(
        "asyncio",
        flag="--core",
        choices=("asyncio", "threads"),
        help="serving core: asyncio (an event loop, the default) or threads (http.server, a thread per connection)",
    )
    idle_timeout: float = option(
        15.0, flag="--idle-timeout", parse=seconds, help="close a connection idle this long (default: 15)"
    )
    request_timeout: float = option(
        10.0,
        flag="--request-timeout",
        parse=seconds,
        help="cut off a client that takes longer to send a request (default: 10)",
    )
    write_timeout: float = option(
        10.0,
        flag="--write-timeout",
        parse=seconds,
        help="abort a connection whose answers the client has not read for this long (default: 10)",
    )
    max_body_size: int = option(
        1 << 20, flag="--max-body", parse=positive, help="largest request body in bytes (default: 1 MiB)"
    )

    def limits(self) -> dict[str, float]:
        """The keyword arguments of a serving core: its timeouts and sizes."""
        return {
            "idle_timeout": self.idle_timeout,
            "request_timeout": self.request_timeout,
            "write_timeout": self.write_timeout,
            "max_body_size": self.max_body_size,
        }
