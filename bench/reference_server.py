"""The benchmark's reference: the fastest honest `http.server` handler, answering a constant body.

    python bench/reference_server.py --body-size 36

`ThreadingHTTPServer` (one thread per connection, like the emulator's server), HTTP/1.1 keep-alive,
TCP_NODELAY, a backlog of 1024, no logging, and one write per response of pre-built bytes: the request
line and headers are still parsed by http.server, as they must be, but nothing else is done. Prints

    reference serving http://127.0.0.1:PORT/api/rest/v1

and serves until SIGTERM (or stdin closing, with --exit-on-eof).
"""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from leash import wait_until_stopped


def make_handler(response: bytes) -> type[BaseHTTPRequestHandler]:
    class ConstantHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive
        disable_nagle_algorithm = True  # TCP_NODELAY

        def do_GET(self) -> None:
            self.wfile.write(response)  # wbufsize 0: one sendall

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ConstantHandler


class ReferenceServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body-size", type=int, default=36, help="bytes of the constant body (default 36)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop by itself after this long")
    parser.add_argument(
        "--exit-on-eof", action="store_true", help="stop when stdin closes (the benchmark's leash)"
    )
    args = parser.parse_args(argv)

    body = (b'{"progress": 0, "status": "RUNNING"}' * (args.body_size // 36 + 1))[: args.body_size]
    response = (
        b"HTTP/1.1 200 OK\r\n"
        b"Server: reference\r\n"
        b"Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
        b"Content-Type: application/json;charset=UTF-8\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    server = ReferenceServer((args.host, 0), make_handler(response))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    print(f"reference serving http://{host}:{port}/api/rest/v1", flush=True)

    wait_until_stopped(args.exit_on_eof, args.max_seconds)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
