"""The generated CLI's administration commands, run as a user runs them (a subprocess) against an embedded
emulator over HTTPS with --user: `user list|add|delete|password` (the password given, or piped in, sent
base64-encoded) and `reboot [cold|warm]`."""

from __future__ import annotations

import time

import pytest

from _support import basic, make_certificate
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.device.events import REBOOT
from test_cli_client import client, failed, output
from test_admin_https import status_of
from test_reboot import wait_refused


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    cert, key = make_certificate(tmp_path_factory.mktemp("tls"))
    options = dict(tls_cert=cert, tls_key=key, users={"admin": "secret"}, clock="manual", reboot_seconds=1)
    with EmbeddedServer(port=0, **options) as server:
        yield server


@pytest.fixture
def admin(device):
    device.reset()  # back to the --user admin alone, the device up

    def run(*args: str, stdin: bytes = b""):
        return client("--url", device.url, "--insecure", "--user", "admin:secret", *args, stdin=stdin)

    return run


def logs_in(device: EmbeddedServer, name: str, password: str) -> int:
    return status_of(device.url, {"Authorization": basic(name, password)})


def test_a_user_added_logs_in_gets_a_new_password_and_is_deleted(device, admin):
    added = output(admin("user", "add", "bob", "--password", "s3cret: ü", "--roles", "operator"))
    assert (added["username"], added["roles"]) == ("bob", ["operator"]) and "password" not in added
    assert logs_in(device, "bob", "s3cret: ü") == 200
    listed = output(admin("user", "list"))
    assert [(u["username"], u["id"]) for u in listed] == [("admin", "1"), ("bob", added["id"])]

    changed = output(admin("user", "password", "bob", stdin=b"n3w-secret\n"))  # piped in, as a script does
    assert changed["id"] == added["id"]
    assert (logs_in(device, "bob", "n3w-secret"), logs_in(device, "bob", "s3cret: ü")) == (200, 401)

    deleted = admin("user", "delete", "bob")
    assert (deleted.returncode, deleted.stdout) == (0, b"")
    assert logs_in(device, "bob", "n3w-secret") == 401
    assert [u["username"] for u in output(admin("user", "list"))] == ["admin"]


def test_user_commands_fail_with_a_message(device, admin):
    assert "no user named 'carol'" in failed(admin("user", "delete", "carol"))
    assert "no user named 'carol'" in failed(admin("user", "password", "carol", "--password", "x"))
    assert "a password is needed" in failed(admin("user", "add", "carol"))  # nothing piped in
    output(admin("user", "add", "vic", "--password", "pw", "--roles", "viewer"))
    as_viewer = client(
        "--url", device.url, "--insecure", "--user", "vic:pw", "user", "add", "eve", "--password", "x"
    )
    assert "403" in failed(as_viewer)
    assert [u["username"] for u in output(admin("user", "list"))] == ["admin", "vic"]


@pytest.mark.parametrize("kind, heard", [([], "cold"), (["warm"], "warm")])
def test_reboot_restarts_the_device(device, admin, kind, heard):
    kinds: list[str] = []
    device.emulator.events.subscribe(REBOOT, lambda kind: kinds.append(kind))
    result = admin("reboot", *kind)
    assert (result.returncode, result.stdout, kinds) == (0, b"", [heard])
    wait_refused(device.host, device.port)
    device.advance(1)
    deadline = time.monotonic() + 5
    while True:
        try:
            assert logs_in(device, "admin", "secret") == 200
            break
        except OSError:
            assert time.monotonic() < deadline, "the device did not come back"
            time.sleep(0.02)
