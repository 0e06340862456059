"""The device's users (/user-management-v2/users): created users log in at once, changed passwords take
effect at once, deleted users are refused, only admins manage users, and passwords are never kept or shown."""

from __future__ import annotations

import base64
import json
import signal
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from _support import Cli, assert_error_body, basic, call
from eclypse_emulator.runtime import EmbeddedServer

USERS = "/user-management-v2/users"
ADMIN = {"Authorization": basic("admin", "secret")}
JSON = {"Content-Type": "application/json"}
COOKIE = "ECLYPSERESTSESSIONID"


def encoded(password: str) -> str:
    return base64.b64encode(password.encode()).decode()


def new_user(name: str, password: str, roles: list[str] | None = None) -> bytes:
    """A creation body as the fleet-administration client sends it."""
    body = {"username": name, "password": encoded(password), "passwordReset": False, "welcomePage": ""}
    return json.dumps(body if roles is None else {**body, "roles": roles}).encode()


def create(server: EmbeddedServer, name: str, password: str, roles: list[str] | None = None) -> str:
    answer = call("POST", server.url + USERS, {**ADMIN, **JSON}, new_user(name, password, roles))
    assert answer.status == 200, answer.body
    return answer.json()["id"]


def status(server: EmbeddedServer, headers: dict[str, str], path: str = "/info/device") -> int:
    return call("GET", server.url + path, headers).status


@pytest.fixture(params=["asyncio", "threads"], scope="module")
def server(request):
    with EmbeddedServer(port=0, core=request.param, users={"admin": "secret"}) as running:
        yield running


@pytest.fixture
def device(server):
    server.reset()  # back to the --user admin alone
    return server


def test_the_list_shows_the_admin_with_an_id_and_never_a_password(device):
    answer = call("GET", device.url + USERS + "?$expand=*", ADMIN)
    assert answer.status == 200
    [admin] = answer.json()
    assert admin == {
        "id": admin["id"],
        "username": "admin",
        "roles": ["admin"],
        "passwordReset": False,
        "welcomePage": "",
    }
    assert b"secret" not in answer.body and b'assword"' not in answer.body


def test_a_created_user_logs_in_at_once_and_a_deleted_one_cannot(device):
    uid = create(device, "bob", "pw-of-bob", ["operator"])
    bob = {"Authorization": basic("bob", "pw-of-bob")}
    login = call("GET", device.url + "/info/device", bob)
    assert login.status == 200
    cookie = {"Cookie": login.header("set-cookie")}  # sent back whole, attributes included, as a client does
    assert status(device, cookie) == 200
    assert [u["username"] for u in call("GET", device.url + USERS, ADMIN).json()] == ["admin", "bob"]
    assert call("GET", device.url + f"{USERS}/{uid}", ADMIN).json()["roles"] == ["operator"]

    assert call("DELETE", device.url + f"{USERS}/{uid}", ADMIN).status == 204
    refused = call("GET", device.url + "/info/device", bob)
    assert refused.status == 401
    assert_error_body(refused)
    assert status(device, cookie) == 401, "a deleted user's session ends"
    assert call("GET", device.url + f"{USERS}/{uid}", ADMIN).status == 404


def test_a_changed_password_takes_effect_at_once(device):
    uid = create(device, "carol", "old-one", ["admin"])
    assert status(device, {"Authorization": basic("carol", "old-one")}) == 200  # now in the credential cache
    body = json.dumps({"username": "carol", "password": encoded("new-one"), "passwordReset": False})
    assert call("POST", device.url + f"{USERS}/{uid}", {**ADMIN, **JSON}, body).status == 200
    assert status(device, {"Authorization": basic("carol", "old-one")}) == 401
    assert status(device, {"Authorization": basic("carol", "new-one")}) == 200
    # PUT changes it as POST does (the client's "could also be a PUT").
    body = json.dumps({"password": encoded("third")})
    assert call("PUT", device.url + f"{USERS}/{uid}", {**ADMIN, **JSON}, body).status == 200
    assert status(device, {"Authorization": basic("carol", "new-one")}) == 401
    assert status(device, {"Authorization": basic("carol", "third")}) == 200


def test_a_user_without_the_admin_role_cannot_manage_users(device):
    uid = create(device, "viewer", "pw", ["viewer"])
    viewer = {"Authorization": basic("viewer", "pw")}
    assert status(device, viewer) == 200, "a lesser role uses the rest of the API"
    for method, path, body in [
        ("GET", USERS, None),
        ("POST", USERS, new_user("eve", "pw")),
        ("GET", f"{USERS}/{uid}", None),
        ("DELETE", f"{USERS}/1", None),
    ]:
        answer = call(method, device.url + path, {**viewer, **JSON}, body)
        assert answer.status == 403, (method, path, answer.body)
        assert_error_body(answer)
    assert [u["username"] for u in call("GET", device.url + USERS, ADMIN).json()] == ["admin", "viewer"]


def test_the_last_admin_stays(device):
    [admin] = call("GET", device.url + USERS, ADMIN).json()
    answer = call("DELETE", device.url + f"{USERS}/{admin['id']}", ADMIN)
    assert answer.status == 409
    assert_error_body(answer)
    demote = json.dumps({"roles": ["viewer"]})
    assert call("POST", device.url + f"{USERS}/{admin['id']}", {**ADMIN, **JSON}, demote).status == 409
    second = create(device, "root", "pw", ["admin"])
    assert call("DELETE", device.url + f"{USERS}/{admin['id']}", ADMIN).status == 204, "not the last one now"
    root = {"Authorization": basic("root", "pw")}
    assert call("DELETE", device.url + f"{USERS}/{second}", root).status == 409


@pytest.mark.parametrize(
    "body, status_",
    [
        ({"username": "x", "password": "not base64!"}, 400),
        ({"username": "x"}, 400),
        ({"username": "x" * 129, "password": encoded("pw")}, 400),
        ({"username": "a:b", "password": encoded("pw")}, 400),
        ({"username": "x", "password": encoded("p" * 1025)}, 400),
        ({"username": "x", "password": encoded("pw"), "roles": []}, 400),
        ({"username": "x", "password": encoded("pw"), "roles": ["root"]}, 400),
        ({"username": "admin", "password": encoded("pw")}, 409),
    ],
)
def test_bad_users_are_refused_and_change_nothing(device, body, status_):
    answer = call("POST", device.url + USERS, {**ADMIN, **JSON}, json.dumps(body))
    assert answer.status == status_, answer.body
    assert_error_body(answer)
    assert b"pw" not in answer.body and b"cHc" not in answer.body, "an error never repeats the password"
    assert [u["username"] for u in call("GET", device.url + USERS, ADMIN).json()] == ["admin"]


def test_users_in_xml(device):
    body = (
        "<User><Username>xavier</Username><Password>" + encoded("pw-x") + "</Password>"
        "<Roles><Role>operator</Role></Roles></User>"
    )
    xml = {"Content-Type": "application/xml", "Accept": "application/xml"}
    answer = call("POST", device.url + USERS, {**ADMIN, **xml}, body)
    assert answer.status == 200, answer.body
    created = ET.fromstring(answer.body)
    assert created.tag == "User" and created.findtext("Username") == "xavier"
    assert created.find("Password") is None
    listed = ET.fromstring(call("GET", device.url + USERS, {**ADMIN, **xml}).body)
    assert listed.tag == "Users" and [u.findtext("Username") for u in listed] == ["admin", "xavier"]
    assert status(device, {"Authorization": basic("xavier", "pw-x")}) == 200


def test_the_journal_keeps_no_password(device):
    create(device, "dave", "journal-secret")
    bodies = [entry["body"] for entry in device.requests()]
    assert bodies and not any(encoded("journal-secret") in body for body in bodies)


def test_without_user_the_device_stays_open_and_users_are_only_stored():
    with EmbeddedServer(port=0) as open_device:
        answer = call("POST", open_device.url + USERS, JSON, new_user("frank", "pw", ["viewer"]))
        assert answer.status == 200
        assert call("GET", open_device.url + USERS).json()[0]["username"] == "frank"
        assert status(open_device, {}) == 200


def test_state_keeps_users_through_sigkill_as_salted_hashes_only(tmp_path):
    state = tmp_path / "device.db"
    with Cli("--port", "0", "--state", str(state), "--user", "admin:secret") as cli:
        url = cli.url()
        answer = call("POST", url + USERS, {**ADMIN, **JSON}, new_user("gina", "kept-password"))
        assert answer.status == 200
        cli.signal(signal.SIGKILL)
        cli.wait()
    dump = "\n".join(sqlite3.connect(state).iterdump())
    assert "kept-password" not in dump and encoded("kept-password") not in dump
    with Cli("--port", "0", "--state", str(state), "--user", "admin:secret") as cli:
        url = cli.url()
        assert (
            call("GET", url + "/info/device", {"Authorization": basic("gina", "kept-password")}).status == 200
        )
        assert call("GET", url + "/info/device", {"Authorization": basic("gina", "wrong")}).status == 401
