"""Idle and dribbling connections neither block service nor stay open forever (idle_timeout=1)."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import ExitStack

import pytest

from _support import call, wait_closed
from eclypse_emulator.runtime import EmbeddedServer

IDLE_TIMEOUT = 1.0
REQUEST_TIMEOUT = 1.0  # from a request's first byte to the end of its head and body
IDLE, DRIBBLING = 200, 50
DRIBBLE_EVERY = 0.3
PROMPT = 3.0  # seconds a normal request may take while the server is crowded


@pytest.fixture(params=["asyncio", "threads"])
def server(request):
    options = dict(idle_timeout=IDLE_TIMEOUT, request_timeout=REQUEST_TIMEOUT, core=request.param)
    with EmbeddedServer(port=0, clock="manual", **options) as server:
        yield server


class Dribbler:
    """Sends one byte of a never-ending header to each socket every DRIBBLE_EVERY seconds, in one thread."""

    def __init__(self, sockets: list[socket.socket]) -> None:
        self.sockets = sockets
        self.open = set(range(len(sockets)))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for sock in self.sockets:
            try:
                sock.sendall(b"GET /api/rest/v1/info HTTP/1.1\r\nX-Slow: ")
            except OSError:
                pass
        while not self._stop.wait(DRIBBLE_EVERY):
            for index in list(self.open):
                sock = self.sockets[index]
                try:
                    closed = wait_closed(sock, time.monotonic()) or sock.sendall(b"a")
                except OSError:
                    closed = True
                if closed:  # the server hung up on it
                    self.open.discard(index)

    def __enter__(self) -> "Dribbler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def open_connections(stack: ExitStack, server, count: int) -> list[socket.socket]:
    return [
        stack.enter_context(socket.create_connection((server.host, server.port), timeout=10))
        for _ in range(count)
    ]


def served_within(server, seconds: float) -> float:
    """Time a normal GET /info takes; fails if it is not answered 200 within `seconds`."""
    started = time.monotonic()
    answer = call("GET", server.url + "/info")
    elapsed = time.monotonic() - started
    assert answer.status == 200
    assert elapsed < seconds, f"a normal request took {elapsed:.2f} s among idle connections"
    return elapsed


def test_idle_and_dribbling_connections_do_not_block_service(server):
    with ExitStack() as stack:
        idle = open_connections(stack, server, IDLE)
        dribbling = open_connections(stack, server, DRIBBLING)
        with Dribbler(dribbling) as dribbler:
            served_within(server, PROMPT)
            assert len(dribbler.open) == DRIBBLING
            opened = time.monotonic()
            # After idle_timeout the server closes the idle ones, while the dribblers keep going.
            deadline = opened + IDLE_TIMEOUT + 3
            still_open = [sock for sock in idle if not wait_closed(sock, deadline)]
            assert (
                still_open == []
            ), f"{len(still_open)} of {IDLE} idle connections still open after {deadline - opened:.1f} s"
            served_within(server, PROMPT)
            # A new connection is served as promptly as before, and a new idle one is closed too.
            late = stack.enter_context(socket.create_connection((server.host, server.port), timeout=10))
            assert wait_closed(late, time.monotonic() + IDLE_TIMEOUT + 2)


def test_a_connection_idle_after_an_answer_is_closed(server):
    """Keep-alive: a connection that got its answer and then says nothing is closed after idle_timeout."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(b"GET /api/rest/v1/info HTTP/1.1\r\nHost: localhost\r\n\r\n")
        time.sleep(0.2)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert wait_closed(sock, started + IDLE_TIMEOUT + 3)
        assert time.monotonic() - started >= IDLE_TIMEOUT * 0.5, "closed long before its idle timeout"


def test_dribbling_connections_are_cut_off_after_a_bounded_time(server):
    with ExitStack() as stack:
        dribbling = open_connections(stack, server, DRIBBLING)
        with Dribbler(dribbling) as dribbler:
            deadline = time.monotonic() + 3 * REQUEST_TIMEOUT + 0.5
            while dribbler.open and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not dribbler.open, f"{len(dribbler.open)} dribbling connections still open"
