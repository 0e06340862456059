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
from typing import Callable, Mapping, Protocol

from ..core.wire import HeaderFields


def parse_user(text: str) -> tuple[str, str]:
    """`NAME:PASSWORD` -> (name, password); ValueError when there is no name or no colon."""
    name, colon, password = text.partition(":")
    if not colon or not name:
        raise ValueError(f"expected NAME:PASSWORD, got {text!r}")
    return name, password


class Credentials(Protocol):
    """Where users are found: the id of the user a name and password belong to, and whether an id is still
    a user (runtime/users/directory.py keeps the device's)."""

    def verify(self, name: bytes, password: bytes) -> str | None: ...

    def exists(self, uid: str) -> bool: ...


class FixedCredentials:
    """Users given as name: password, which never change (a user's id is its name)."""

    def __init__(self, users: Mapping[str, str]) -> None:
        # Passwords by the SHA-256 of the user's name: one lookup per request however many users there are,
        # and its timing tells nothing about which names exist (digests, not names, are compared).
        self._users = {_digest(name): password.encode() for name, password in users.items()}

    def verify(self, name: bytes, password: bytes) -> str | None:
        secret = self._users.get(hashlib.sha256(name).digest())
        # An unknown name is compared too (with itself), so that it takes as long as a wrong password.
        matched = hmac.compare_digest(password, password if secret is None else secret)
        return name.decode(errors="replace") if matched and secret is not None else None

    def exists(self, uid: str) -> bool:
        return True


class Authenticator:
    """`users`: the Credentials, or name: password. A session belongs to the user who logged in: it ends
    when that user is deleted (or `forget_sessions`, a reboot)."""

    def __init__(
        self,
        users: Credentials | Mapping[str, str],
        *,
        cookie_name: str,
        secure: bool = False,
        session_ttl: float = 1800.0,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = FixedCredentials(users) if isinstance(users, Mapping) else users
        self.cookie_name = cookie_name
        self._cookie_attributes = "; Path=/" + ("; Secure; HttpOnly" if secure else "")
        self.session_ttl, self.max_sessions, self._clock = session_ttl, max_sessions, clock
        # Sessions by the SHA-256 of their id: a lookup's timing then tells nothing about the ids.
        self._sessions: dict[bytes, tuple[float, str]] = {}  # digest -> (expiry, user id)
        # The same sessions, oldest first: every session lives session_ttl on a clock that never goes
        # back, so the oldest expires first, and expiry and eviction pop from the left in O(1).
        self._queue: deque[tuple[float, bytes]] = deque()
        self._lock = threading.Lock()

    def authenticate(self, headers: HeaderFields) -> list[tuple[str, str]] | None:
        """The headers to add to the answer when the request may pass, None when it may not."""
        found = self.identify(headers)
        return None if found is None else found[0]

    def identify(self, headers: HeaderFields) -> tuple[list[tuple[str, str]], str] | None:
        """The headers to add to the answer and the id of the user asking; None: not authenticated."""
        authorization = headers.get("Authorization")
        if authorization is not None:
            uid = self._credentials(authorization)
            return None if uid is None else (self._new_session(uid), uid)
        uid = self._session(headers.get("Cookie"))
        return None if uid is None else ([], uid)

    def forget_sessions(self) -> None:
        """Every session ends (the device rebooted)."""
        with self._lock:
            self._sessions.clear()
            self._queue.clear()

    def _credentials(self, authorization: str) -> str | None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, colon, password = base64.b64decode(token.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return None
        uid = self.users.verify(name, password)
        return uid if colon else None

    def _new_session(self, uid: str) -> list[tuple[str, str]]:
        session = secrets.token_urlsafe(24)
        now = self._clock()
        digest = _digest(session)
        with self._lock:
            sessions, queue = self._sessions, self._queue
            while queue and (queue[0][0] <= now or len(sessions) >= self.max_sessions):
                _, oldest = queue.popleft()  # expired, or the oldest beyond max_sessions
                sessions.pop(oldest, None)
            sessions[digest] = (now + self.session_ttl, uid)
            queue.append((now + self.session_ttl, digest))
        return [("Set-Cookie", f"{self.cookie_name}={session}{self._cookie_attributes}")]

    def _session(self, cookie_header: str | None) -> str | None:
        """The id of the user whose live session the cookie names."""
        session = _cookie(cookie_header or "", self.cookie_name)
        if session is None:
            return None
        found = self._sessions.get(_digest(session))
        if found is None or found[0] <= self._clock() or not self.users.exists(found[1]):
            return None
        return found[1]


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
