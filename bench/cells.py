"""What a cell sends (a Target) and what it measured (a Result)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    method: str
    path: str  # absolute, e.g. /api/rest/v1/system/backup/jobs/<id>
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def raw(self) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body

    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


@dataclass
class Result:
    tool: str
    connections: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    socket_errors: int
    non_2xx: int
    notes: list[str] = field(default_factory=list)
    server_cpu: float | None = None  # cores the server process(es) used during the cell
    loadgen_cpu: float | None = None  # cores the load generator used
    other_cpu: float | None = None  # cores used by anything else on the machine (noise)
    server_us_per_request: float | None = None  # server CPU time per answered request: noise-resistant
    attempts: int = 1
