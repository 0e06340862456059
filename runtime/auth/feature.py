"""Authentication: HTTP Basic and the device's session cookie (--user), for the device API and the control
API alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ...generated import handler as api
from ..core.options import option
from ..core.wire import Request
from ..device.feature import Device, Feature
from .authenticator import Authenticator, parse_user


def users_of(given: Any) -> dict[str, str]:
    """A fleet file's users: a mapping of name: password, or a list of NAME:PASSWORD; ValueError otherwise."""
    if given is None:
        return {}
    if isinstance(given, dict):
        return {str(name): str(password) for name, password in given.items()}
    if isinstance(given, list):
        return dict(parse_user(str(user)) for user in given)
    raise ValueError("users must be a mapping of name: password, or a list of NAME:PASSWORD")


@dataclass(frozen=True)
class AuthOptions:
    users: Mapping[str, str] | None = option(
        flag="--user",
        parse=parse_user,
        repeat=True,
        collect=dict,
        metavar="NAME:PASSWORD",
        help="require HTTP Basic authentication with these credentials (repeatable)",
        fleet=True,
        read=users_of,
    )
    secure: bool = False  # served over TLS: the session cookie is Secure (the serving layer says so)


class AuthFeature(Feature):
    """`authenticator`: None when the device has no users (the API is open)."""

    options = AuthOptions

    def __init__(self, device: Device, options: AuthOptions) -> None:
        self.authenticator = (
            Authenticator(options.users, cookie_name=api.SESSION_COOKIE, secure=options.secure)
            if options.users
            else None
        )

    def authenticate(self, request: Request) -> list[tuple[str, str]] | None:
        """The headers a request's answer carries (a new session cookie), or None: not authenticated."""
        return [] if self.authenticator is None else self.authenticator.authenticate(request.headers)
