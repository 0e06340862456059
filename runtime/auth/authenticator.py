"""HTTP Basic authentication and the device's session cookie, as the ECLYPSE does them.

A request with right Basic credentials gets a new session cookie; later requests may send only the
cookie. Secrets are compared in constant time; sessions expire after `session_ttl` seconds, and beyond
`max_sessions` the oldest goes: each login costs O(1) however many sessions there are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from typing import Callable, Mapping

from ..core.wire import HeaderFields


def parse_user(text: str) -> tuple[str, str]:
    """`NAME:PASSWORD` -> (name, password); ValueError when there is no name or no colon."""
    name, colon, password = text.partition(":")
    if not colon or not name:
        raise ValueError(f"expected NAME:PASSWORD, got {text!r}")
    return name, password


class Authenticator:
    def __init__(
        self,
        users: Mapping[str, str],
        *,
        cookie_name: str,
        secure: bool = False,
        session_ttl: float = 1800.0,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Passwords by the SHA-256 of the user's name: one lookup per request however many users there are,
        # and its timing tells nothing about which names exist (digests, not names, are compared).
        self._users = {_digest(name): password.encode() for name, password in users.items()}
        self.cookie_name = cookie_name
        self._cookie_attributes = "; Path=/" + ("; Secure; HttpOnly" if secure else "")
        self.session_ttl, self.max_sessions, self._clock = session_ttl, max_sessions, clock
        # Sessions by the SHA-256 of their id: a lookup's timing then tells nothing about the ids.
        self._sessions: dict[bytes, float] = {}  # digest -> expiry
        # The same sessions, oldest first: every session lives session_ttl on a clock that never goes
        # back, so the oldest expires first, and expiry and eviction pop from the left in O(1).
        self._queue: deque[tuple[float, bytes]] = deque()
        self._lock = threading.Lock()

    def authenticate(self, headers: HeaderFields) -> list[tuple[str, str]] | None:
        """The headers to add to the answer when the request may pass, None when it may not."""
        authorization = headers.get("Authorization")
        if authorization is not None:
            return self._new_session() if self._credentials_valid(authorization) else None
        return [] if self._session_valid(headers.get("Cookie")) else None

    def _credentials_valid(self, authorization: str) -> bool:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            name, colon, password = base64.b64decode(token.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        secret = self._users.get(hashlib.sha256(name).digest())
        # An unknown name is compared too (with itself), so that it takes as long as a wrong password.
        matched = hmac.compare_digest(password, password if secret is None else secret)
        return matched and secret is not None and bool(colon)

    def _new_session(self) -> list[tuple[str, str]]:
        session = secrets.token_urlsafe(24)
        now = self._clock()
        digest = _digest(session)
        with self._lock:
            sessions, queue = self._sessions, self._queue
            while queue and (queue[0][0] <= now or len(sessions) >= self.max_sessions):
                _, oldest = queue.popleft()  # expired, or the oldest beyond max_sessions
                sessions.pop(oldest, None)
            sessions[digest] = now + self.session_ttl
            queue.append((now + self.session_ttl, digest))
        return [("Set-Cookie", f"{self.cookie_name}={session}{self._cookie_attributes}")]

    def _session_valid(self, cookie_header: str | None) -> bool:
        session = _cookie(cookie_header or "", self.cookie_name)
        if session is None:
            return False
        expiry = self._sessions.get(_digest(session))
        return expiry is not None and expiry > self._clock()


def _cookie(header: str, name: str) -> str | None:
    """The value of cookie `name` in a Cookie header; other cookies, however malformed, are skipped
    (http.cookies stops at the first one it cannot read)."""
    for pair in header.split(";"):
        key, equals, value = pair.strip().partition("=")
        if equals and key == name:
            return value.strip().strip('"')
    return None


def _digest(session: str) -> bytes:
    return hashlib.sha256(session.encode()).digest()
