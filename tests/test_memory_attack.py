"""About 1 GB pushed at a server run as a subprocess, on both cores: its peak RSS stays under 150 MB, and another
client is answered meanwhile. Asserted by counts and the kernel's peak-RSS figure (VmHWM), never by timing.

The attack: four connections each sending 256 requests with 1 MiB bodies (the largest a body may be) back to
back, the server reading every byte; 32 connections pipelining GETs without reading an answer (held back:
the server stops reading them); chunked bodies that never end (refused at the body bound)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"http://([\d.]+):(\d+)(/api/rest/v1)")
MIB = 1 << 20
PUSHERS, BODIES = 4, 256  # 4 x 256 x 1 MiB = 1 GiB of bodies
HELD = 32  # connections pipelining without reading
MAX_RSS = 150 * MIB


@pytest.fixture(params=["asyncio", "threads"])
def served(request):
    process = subprocess.Popen(
        [sys.executable, "-m", "runtime", "--port", "0", "--quiet", "--core", request.param],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        found = URL.search(line)
        assert found, line + process.stderr.read()
        yield process, (found.group(1), int(found.group(2))), found.group(3)
    finally:
        process.terminate()
        process.wait(timeout=20)


def peak_rss(pid: int) -> int:
    """The process's peak resident set size, in bytes (VmHWM: the kernel keeps it, nothing to sample)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def read_answer(sock: socket.socket, buffer: bytearray) -> int:
    """The status of the next answer on a keep-alive connection (its body read by Content-Length)."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        buffer += data
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        rest += data
    buffer[:] = rest[length:]
    return int(head.split(b" ", 2)[1])


def push_bodies(address, base: str, pushed: list[int], statuses: list[int]) -> None:
    """BODIES requests with 1 MiB bodies on one keep-alive connection, each answered before the next."""
    body = b"x" * MIB
    head = f"POST {base}/nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: {MIB}\r\n\r\n".encode()
    buffer = bytearray()
    with socket.create_connection(address, timeout=60) as sock:
        for _ in range(BODIES):
            sock.sendall(head + body)
            pushed.append(len(head) + MIB)
            statuses.append(read_answer(sock, buffer))


def push_unread(address, base: str, pushed: list[int], held: list[socket.socket]) -> None:
    """Pipelined GETs until the server stops reading; the socket stays open (in `held`), its answers unread."""
    piece = f"GET {base}/info HTTP/1.1\r\nHost: a\r\n\r\n".encode() * 1000
    sock = socket.create_connection(address)
    held.append(sock)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.settimeout(0.5)
    for _ in range(2000):  # at most 80 MB each; the server stops reading far sooner
        try:
            pushed.append(sock.send(piece))
        except (TimeoutError, OSError):
            break


def push_endless_chunks(address, base: str, pushed: list[int]) -> None:
    """A chunked body that never ends: the server refuses it at the body bound and closes."""
    chunk = b"10000\r\n" + b"y" * 0x10000 + b"\r\n"
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(
            f"POST {base}/nowhere HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        try:
            for _ in range(1000):
                sock.sendall(chunk)
                pushed.append(len(chunk))
        except OSError:
            pass  # refused and closed, as it should be


def test_a_gigabyte_pushed_leaves_the_server_small_and_answering(served):
    process, address, base = served
    pushed: list[int] = []
    statuses: list[int] = []
    held: list[socket.socket] = []
    pushers = [
        *(
            threading.Thread(target=push_bodies, args=(address, base, pushed, statuses))
            for _ in range(PUSHERS)
        ),
        *(threading.Thread(target=push_unread, args=(address, base, pushed, held)) for _ in range(HELD)),
        *(threading.Thread(target=push_endless_chunks, args=(address, base, pushed)) for _ in range(4)),
    ]
    for thread in pushers:
        thread.start()
    answered = []  # the other client's statuses, while the attack runs
    with socket.create_connection(address, timeout=30) as sock:
        buffer = bytearray()
        while any(thread.is_alive() for thread in pushers) or len(answered) < 10:
            sock.sendall(f"GET {base}/info HTTP/1.1\r\nHost: a\r\n\r\n".encode())
            answered.append(read_answer(sock, buffer))
    for thread in pushers:
        thread.join()
    rss = peak_rss(process.pid)
    for sock in held:
        sock.close()
    assert sum(pushed) >= 1 << 30, f"only {sum(pushed)} bytes were pushed"
    assert statuses == [404] * (PUSHERS * BODIES)  # every body read to its end, every request answered
    assert len(answered) >= 10 and set(answered) == {200}
    assert rss < MAX_RSS, f"peak RSS {rss / MIB:.0f} MB"
