"""Authentication: HTTP Basic and the device's session cookie, for the device API and the control API
alike, checked against the device's users (runtime/users/) when --user gave any."""

from __future__ import annotations

from dataclasses import dataclass

from ...generated import handler as api
from ..core.wire import Request
from ..device.events import REBOOT
from ..device.feature import Device, Feature
from ..users.feature import UsersFeature, acting_user
from .authenticator import Authenticator


@dataclass(frozen=True)
class AuthOptions:
    secure: bool = False  # served over TLS: the session cookie is Secure (the serving layer says so)


class AuthFeature(Feature):
    """`authenticator`: None when the device has no --user (the API is open)."""

    options = AuthOptions

    def __init__(self, device: Device, options: AuthOptions) -> None:
        users = device.feature(UsersFeature)
        self.authenticator = (
            Authenticator(users.directory, cookie_name=api.SESSION_COOKIE, secure=options.secure)
            if users.required
            else None
        )
        if self.authenticator is not None:
            authenticator = self.authenticator
            device.events.subscribe(REBOOT, lambda **_: authenticator.forget_sessions())

    def authenticate(self, request: Request) -> list[tuple[str, str]] | None:
        """The headers a request's answer carries (a new session cookie), or None: not authenticated.
        The user asking is who the users' hooks see (acting_user)."""
        if self.authenticator is None:
            acting_user.set(None)
            return []
        found = self.authenticator.identify(request.headers)
        acting_user.set(None if found is None else found[1])
        return None if found is None else found[0]
