"""The device's users: the /user-management-v2/users hooks and the --user option (admins at start).

With --user the device requires Basic authentication (runtime/auth/), checked against these users: a user
created through the API logs in at once, and only an admin may manage users (403 otherwise, the emulator's
choice). Without --user the device is open, and the users are only stored.
"""

from __future__ import annotations

import base64
import binascii
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Mapping

from ...generated import handler as api
from ..auth.authenticator import parse_user
from ..core.options import option
from ..device.events import RESET
from ..device.feature import Device, Feature, Hook, HookCall, HookResult
from .directory import Directory, LastAdmin, UserError

# The id of the user the request being answered comes from (None: the device is open). Set per request
# by the auth feature; the hooks run in the same thread and context as the authentication.
acting_user: ContextVar[str | None] = ContextVar("acting_user", default=None)


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
class UsersOptions:
    users: Mapping[str, str] | None = option(
        flag="--user",
        parse=parse_user,
        repeat=True,
        collect=dict,
        metavar="NAME:PASSWORD",
        help="require HTTP Basic authentication; these users are admins (repeatable)",
        fleet=True,
        read=users_of,
    )


def decoded_password(text: str, action: str) -> str:
    """The password a body gives: the base64 of its UTF-8 text. The refusal never repeats it."""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise api.ApiError("invalid_user", action=action, reason="the password must be base64 of UTF-8 text")


class UsersFeature(Feature):
    """`directory`: the users; `required`: whether requests must authenticate (--user given)."""

    options = UsersOptions

    def __init__(self, device: Device, options: UsersOptions) -> None:
        admin_role = api.CHOICES.get("admin_role") or "admin"
        self.directory = Directory(device.state, admin_role, options.users or {})
        self.required = bool(options.users)
        device.events.subscribe(RESET, self.directory.load)

    def hooks(self) -> Mapping[str, Hook]:
        return {
            "users": self.users,
            "create_user": self.create_user,
            "user": self.user,
            "set_user": self.set_user,
            "delete_user": self.delete_user,
        }

    def _allowed(self) -> None:
        if self.required and not self.directory.is_admin(acting_user.get()):
            raise api.ApiError("forbidden", reason="only a user with the admin role may manage users")

    def users(self, call: HookCall) -> HookResult:
        self._allowed()
        return self.directory.users()

    def user(self, call: HookCall) -> HookResult:
        self._allowed()
        return self.directory.user(call.parameters["id"])

    def create_user(self, call: HookCall) -> HookResult:
        return self._change("create", call.body or {}, None)

    def set_user(self, call: HookCall) -> HookResult:
        return self._change("change", call.body or {}, call.parameters["id"])

    def _change(self, action: str, body: dict[str, Any], uid: str | None) -> dict[str, Any] | None:
        self._allowed()
        values = dict(body)
        if "Password" in values:
            values["Password"] = decoded_password(values["Password"], action)
        try:
            return self.directory.create(values) if uid is None else self.directory.change(uid, values)
        except UserError as error:
            raise api.ApiError("invalid_user", action=action, reason=str(error)) from None
        except (LookupError, LastAdmin) as error:
            raise api.ApiError("conflict", reason=str(error)) from None

    def delete_user(self, call: HookCall) -> HookResult:
        self._allowed()
        try:
            return {} if self.directory.delete(call.parameters["id"]) else None
        except LastAdmin as error:
            raise api.ApiError("conflict", reason=str(error)) from None
