"""The device's users: names, roles and salted password hashes, kept in the device's state store.

A password is kept only as its scrypt hash with a salt of its own (never in clear, nor in the base64 a
client sends); checking one costs a hash, so the passwords verified recently are remembered, under a keyed
digest of name and password, in a bounded cache: Basic authentication on every request stays one
dictionary lookup. Users are found by name through an index, never by a scan. Each user is one state
path (`/user-management-v2/users/{id}`), so a state file keeps them, each change in one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from typing import Any, Iterable, Mapping

from ..device.store import StateStore

PREFIX = "/user-management-v2/users"
LAST_ID = "/user-management-v2/last-id"  # the last id assigned: ids are never reused
MAX_USERS = 256  # per device (the emulator's bound)
MAX_NAME = 128
MAX_PASSWORD = 1024
CACHE_SIZE = 1024  # verified credentials remembered
# scrypt's cost: about 20 ms a check on a small machine, paid once per credentials thanks to the cache.
SCRYPT = {"n": 2**12, "r": 8, "p": 1, "dklen": 32}


class UserError(ValueError):
    """A user the directory refuses (a bad name or password, too many users); the message says why."""


class LastAdmin(RuntimeError):
    """A change that would leave the device without an admin."""


def password_hash(password: bytes, salt: bytes) -> bytes:
    return hashlib.scrypt(password, salt=salt, **SCRYPT)


def check_name(name: str) -> str:
    if not 1 <= len(name) <= MAX_NAME or ":" in name or not name.isprintable():
        raise UserError(f"a user name is 1 to {MAX_NAME} printable characters without a colon")
    return name


def check_password(password: str) -> str:
    if not 1 <= len(password) <= MAX_PASSWORD:
        raise UserError(f"a password is 1 to {MAX_PASSWORD} characters")
    return password


class Directory:
    """The users of one device. `admin_role` is the role that manages users; `admins` (name: password,
    from --user) are made admins at start and after a reset, their given passwords set."""

    def __init__(self, state: StateStore, admin_role: str, admins: Mapping[str, str]) -> None:
        self.state, self.admin_role, self.admins = state, admin_role, dict(admins)
        self._key = secrets.token_bytes(32)  # keys the cache's digests: they tell nothing outside
        self._cache: OrderedDict[bytes, str] = OrderedDict()  # digest of name and password -> id
        self._dummy_salt = secrets.token_bytes(16)
        self.load()

    def load(self) -> None:
        """Read the users from the state store (at start, after a reset), then set the --user admins."""
        with self.state.lock:
            self._users: dict[str, dict[str, Any]] = {}
            for path in self.state.paths(PREFIX):
                record = self.state.get(path, dict)
                self._users[record["id"]] = record
            self._ids = {record["username"]: uid for uid, record in self._users.items()}
            self._cache.clear()
            for name, password in self.admins.items():
                uid = self._ids.get(name)
                if uid is None:
                    self.create({"Username": name, "Password": password, "Roles": [self.admin_role]})
                elif not self._matches(self._users[uid], password.encode()) or not self.is_admin(uid):
                    roles = sorted({*self._users[uid]["roles"], self.admin_role})
                    self.change(uid, {"Password": password, "Roles": roles})

    # Authentication

    def verify(self, name: bytes, password: bytes) -> str | None:
        """The id of the user with this name and password, None when there is none."""
        digest = hmac.digest(self._key, len(name).to_bytes(4, "big") + name + password, "sha256")
        with self.state.lock:
            uid = self._cache.get(digest)
            if uid is not None and uid in self._users:
                self._cache.move_to_end(digest)
                return uid
            try:
                uid = self._ids.get(name.decode())
            except UnicodeDecodeError:
                uid = None
            record = self._users.get(uid) if uid is not None else None
        # An unknown name costs a hash too, so that it takes as long as a wrong password.
        matched = self._matches(record, password) if record is not None else self._dummy(password)
        if not matched or uid is None:
            return None
        with self.state.lock:
            if self._users.get(uid) is record:  # unchanged while the hash was computed
                self._cache[digest] = uid
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return uid

    def _matches(self, record: Mapping[str, Any], password: bytes) -> bool:
        expected = bytes.fromhex(record["hash"])
        return hmac.compare_digest(password_hash(password, bytes.fromhex(record["salt"])), expected)

    def _dummy(self, password: bytes) -> bool:
        password_hash(password, self._dummy_salt)
        return False

    def exists(self, uid: str) -> bool:
        return uid in self._users

    def is_admin(self, uid: str | None) -> bool:
        record = self._users.get(uid) if uid is not None else None
        return record is not None and self.admin_role in record["roles"]

    # Management: values by the spec's property names (UserChange in, User out)

    def users(self) -> list[dict[str, Any]]:
        return [shown(record) for record in self._users.values()]

    def user(self, uid: str) -> dict[str, Any] | None:
        record = self._users.get(uid)
        return None if record is None else shown(record)

    def create(self, values: Mapping[str, Any]) -> dict[str, Any]:
        if not values.get("Username") or not values.get("Password"):
            raise UserError("a new user needs a username and a password")
        with self.state.lock:
            if len(self._users) >= MAX_USERS:
                raise UserError(f"the device keeps at most {MAX_USERS} users")
            if values["Username"] in self._ids:
                raise LookupError(f"a user named {values['Username']!r} exists already")
            uid = str(int(self.state.get(LAST_ID, lambda: 0)) + 1)
            record = {"id": uid, "roles": ["viewer"], "passwordReset": False, "welcomePage": ""}
            record = updated(record, values)
            self._store({PREFIX + "/" + uid: record, LAST_ID: int(uid)}, [])
            return shown(record)

    def change(self, uid: str, values: Mapping[str, Any]) -> dict[str, Any] | None:
        with self.state.lock:
            record = self._users.get(uid)
            if record is None:
                return None
            name = values.get("Username", record["username"])
            if name != record["username"] and name in self._ids:
                raise LookupError(f"a user named {name!r} exists already")
            new = updated(record, values)
            if self.is_admin(uid) and self.admin_role not in new["roles"] and self._admin_count() == 1:
                raise LastAdmin("the last admin must keep the admin role")
            self._store({PREFIX + "/" + uid: new}, [])
            return shown(new)

    def delete(self, uid: str) -> bool:
        with self.state.lock:
            if uid not in self._users:
                return False
            if self.is_admin(uid) and self._admin_count() == 1:
                raise LastAdmin("the last admin cannot be deleted")
            self._store({}, [PREFIX + "/" + uid])
            return True

    def _admin_count(self) -> int:
        return sum(self.admin_role in record["roles"] for record in self._users.values())

    def _store(self, puts: Mapping[str, Any], forgets: Iterable[str]) -> None:
        """Write the change (a state file has it when this returns), then update the index; a changed or
        deleted user's cached credentials go (the whole cache: changes are rare, checks are many)."""
        self.state.change(puts, forgets)
        for path in forgets:
            record = self._users.pop(path.rsplit("/", 1)[1])
            del self._ids[record["username"]]
        for path, record in puts.items():
            if path.startswith(PREFIX + "/"):
                old = self._users.get(record["id"])
                if old is not None:
                    del self._ids[old["username"]]
                self._users[record["id"]] = record
                self._ids[record["username"]] = record["id"]
        self._cache.clear()


def updated(record: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The record with the values a body gives (checked; a password hashed with a new salt)."""
    new = dict(record)
    if "Username" in values:
        new["username"] = check_name(values["Username"])
    if "Password" in values:
        salt = secrets.token_bytes(16)
        new["salt"] = salt.hex()
        new["hash"] = password_hash(check_password(values["Password"]).encode(), salt).hex()
    if "Roles" in values:
        if not values["Roles"]:
            raise UserError("a user has at least one role")
        new["roles"] = sorted(set(values["Roles"]))
    for key, name in (("passwordReset", "PasswordReset"), ("welcomePage", "WelcomePage")):
        if name in values:
            new[key] = values[name]
    if len(new.get("welcomePage", "")) > 256:
        raise UserError("a welcome page is at most 256 characters")
    return new


def shown(record: Mapping[str, Any]) -> dict[str, Any]:
    """A user as the device shows it: never its password's hash nor salt."""
    return {
        "Id": record["id"],
        "Username": record["username"],
        "Roles": list(record["roles"]),
        "PasswordReset": record["passwordReset"],
        "WelcomePage": record["welcomePage"],
    }
