"""HTTP Basic authentication and the ECLYPSERESTSESSIONID session cookie, as the device does them."""

from __future__ import annotations

import base64
import re
import secrets

import pytest

from _support import Answer, assert_error_body, basic, call, run_cli, Cli
from eclypse_emulator.generated.client import EclypseClient, EclypseError
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.auth.authenticator import Authenticator

USER, PASSWORD = "admin", "secret"
COOKIE = "ECLYPSERESTSESSIONID"
# The device's challenge: `basic realm="..."` (the scheme is case-insensitive, RFC 9110 section 11.1).
CHALLENGE = re.compile(r'^basic realm="[^"]+"$', re.IGNORECASE)
SET_COOKIE = re.compile(rf"^{COOKIE}=(?P<id>[^;\s]+)(?P<attributes>(?:; *[^;]+)*)$")


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def module_server():
    with EmbeddedServer(port=0, clock="manual", users={USER: PASSWORD}) as server:
        yield server


@pytest.fixture
def server(module_server):
    """An emulator that requires Basic authentication (admin/secret), without jobs; what a test changes
    in its Authenticator is put back afterwards."""
    module_server.reset()
    auth = module_server.emulator.auth
    saved = auth._clock, auth.session_ttl
    yield module_server
    auth._clock, auth.session_ttl = saved


def session_of(answer: Answer) -> str:
    """The session id the answer sets; fails when it sets none or sets it badly."""
    cookies = answer.headers.get("set-cookie", [])
    assert len(cookies) == 1, f"expected one Set-Cookie, got {cookies}"
    match = SET_COOKIE.match(cookies[0])
    assert match, f"not an {COOKIE} cookie: {cookies[0]!r}"
    return match["id"]


def with_cookie(session: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={session}"}


def login(server: EmbeddedServer) -> str:
    """A session id from a request with the right credentials."""
    answer = call("GET", server.url + "/info", {"Authorization": basic(USER, PASSWORD)})
    assert answer.status == 200, answer.body
    return session_of(answer)


def assert_refused(answer: Answer, encoding: str = "json") -> None:
    """A 401 with the device's challenge, the error body, and no session."""
    assert answer.status == 401, (answer.status, answer.body)
    assert CHALLENGE.match(answer.header("www-authenticate") or ""), answer.headers
    assert "set-cookie" not in answer.headers
    assert_error_body(answer, encoding)


# --- Without credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix, headers, encoding",
    [
        ("/info", {}, "json"),
        ("/info", {"Accept": "application/xml"}, "xml"),
        ("/info?encode=xml", {}, "xml"),
        ("/info?encode=xml", {"Accept": "application/json"}, "xml"),
        ("/system/backup/jobs/c83b7cd2-e5df-4dcc-9e9e-301927c76a30", {}, "json"),
        ("/no/such/resource", {}, "json"),
    ],
    ids=["json-default", "xml-by-accept", "xml-by-encode", "encode-wins-over-accept", "job", "unknown-path"],
)
def test_no_credentials_is_401_with_challenge_and_error_body(server, suffix, headers, encoding):
    assert_refused(call("GET", server.url + suffix, headers), encoding)


def test_head_without_credentials_is_401_without_body(server):
    answer = call("HEAD", server.url + "/info")
    assert answer.status == 401
    assert CHALLENGE.match(answer.header("www-authenticate") or "")
    assert answer.body == b""


def test_unauthenticated_requests_change_nothing(server):
    job_id = server.create_job()
    created = call("POST", server.url + "/system/backup/create", {"Content-Type": "application/json"}, b"{}")
    reset = call("POST", server.control_url + "/reset")
    cancelled = call("POST", f"{server.url}/jobs/{job_id}/cancel")
    for answer in (created, reset, cancelled):
        assert_refused(answer)
    assert [job["jobId"] for job in server.jobs()] == [job_id]
    assert server.job(job_id)["running"] is True


# --- Wrong credentials -----------------------------------------------------------------------------


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@pytest.mark.parametrize(
    "authorization",
    [
        basic(USER, "wrong"),
        basic(USER, PASSWORD[:-1]),
        basic(USER, PASSWORD + "x"),
        basic(USER, PASSWORD + ":"),
        basic(USER, ""),
        basic("nobody", PASSWORD),
        basic("", PASSWORD),
        basic(USER.upper(), PASSWORD),
        "Basic " + b64(f"{USER}{PASSWORD}".encode()),  # no colon
        "Basic !!!not-base64!!!",
        "Basic " + b64(f"{USER}:{PASSWORD}".encode())[:-2],  # bad padding
        "Basic",
        "Basic ",
        "Bearer " + b64(f"{USER}:{PASSWORD}".encode()),
        f"Digest username={USER}",
        b64(f"{USER}:{PASSWORD}".encode()),  # no scheme at all
        "",
    ],
    ids=[
        "wrong-password",
        "password-prefix",
        "password-suffix",
        "password-extra-colon",
        "empty-password",
        "unknown-user",
        "empty-user",
        "user-other-case",
        "no-colon",
        "not-base64",
        "bad-padding",
        "scheme-only",
        "scheme-and-space",
        "bearer-scheme",
        "digest-scheme",
        "no-scheme",
        "empty-header",
    ],
)
def test_wrong_or_malformed_credentials_are_401(server, authorization):
    assert_refused(call("GET", server.url + "/info", {"Authorization": authorization}))


def test_wrong_credentials_win_over_a_valid_cookie(server):
    """A request that sends Authorization is judged by it, as the device does."""
    session = login(server)
    headers = {**with_cookie(session), "Authorization": basic(USER, "wrong")}
    assert_refused(call("GET", server.url + "/info", headers))


# --- Right credentials and the session cookie ------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        basic(USER, PASSWORD),
        "basic " + b64(f"{USER}:{PASSWORD}".encode()),
        "BASIC " + b64(f"{USER}:{PASSWORD}".encode()),
    ],
    ids=["Basic", "lower-case-scheme", "upper-case-scheme"],
)
def test_right_credentials_answer_and_set_the_session_cookie(server, authorization):
    answer = call("GET", server.url + "/info", {"Authorization": authorization})
    assert answer.status == 200
    assert answer.json()["apiRevision"] == "8.0"
    assert "www-authenticate" not in answer.headers
    cookie = answer.header("set-cookie")
    match = SET_COOKIE.match(cookie)
    assert match, cookie
    attributes = [a.strip().lower() for a in match["attributes"].split(";") if a.strip()]
    assert attributes == ["path=/"], f"over HTTP the cookie has only Path=/ (no Secure): {cookie!r}"
    assert len(match["id"]) >= 16, "a session id must be long enough not to be guessed"


def test_session_ids_are_random(server):
    ids = {login(server) for _ in range(20)}
    assert len(ids) == 20
    prefixes = {session[:8] for session in ids}
    assert len(prefixes) == 20, "session ids share a predictable prefix"


def test_a_later_request_with_only_the_cookie_is_accepted(server):
    session = login(server)
    for suffix in ("/info", "/info/apirevision/$value", "/no/such/thing"):
        answer = call("GET", server.url + suffix, with_cookie(session))  # each on a new connection
        assert answer.status != 401, (suffix, answer.body)
        assert "set-cookie" not in answer.headers, "only a request with Authorization gets a new cookie"
    created = call(
        "POST",
        server.url + "/system/backup/create",
        {**with_cookie(session), "Content-Type": "application/json"},
        b"{}",
    )
    assert created.status == 200
    assert server.job(created.json()["jobId"]) is not None


def test_the_cookie_is_found_among_other_cookies(server):
    session = login(server)
    headers = {"Cookie": f"theme=dark; {COOKIE}={session}; lang=fr"}
    assert call("GET", server.url + "/info", headers).status == 200


def test_the_cookie_is_found_after_a_cookie_with_an_unusual_value(server):
    session = login(server)
    headers = {"Cookie": f'prefs={{"a":1}}; {COOKIE}={session}'}
    assert call("GET", server.url + "/info", headers).status == 200


@pytest.mark.parametrize(
    "forge",
    [
        lambda real: secrets.token_urlsafe(24),
        lambda real: real[:-1] + ("A" if real[-1] != "A" else "B"),
        lambda real: real + "x",
        lambda real: real[:-4],
        lambda real: "",
        lambda real: real.upper() if real.upper() != real else real.lower(),
    ],
    ids=["random", "last-char-changed", "extended", "truncated", "empty", "other-case"],
)
def test_a_forged_cookie_is_refused(server, forge):
    real = login(server)
    assert_refused(call("GET", server.url + "/info", with_cookie(forge(real))))


@pytest.mark.parametrize(
    "cookie",
    ["", "garbage", f"OTHER={'a' * 32}", f"{COOKIE.lower()}=abc", f'{COOKIE}="unterminated', ";;;==;="],
    ids=["empty", "garbage", "other-name", "name-lower-case", "unterminated-quote", "separators"],
)
def test_a_malformed_cookie_header_is_refused(server, cookie):
    assert_refused(call("GET", server.url + "/info", {"Cookie": cookie}))


def test_a_session_of_another_server_is_refused(server):
    with EmbeddedServer(port=0, users={USER: PASSWORD}) as other:
        foreign = login(other)
    assert_refused(call("GET", server.url + "/info", with_cookie(foreign)))


def test_every_request_with_authorization_gets_a_new_cookie(server):
    sessions = [login(server) for _ in range(3)]
    assert len(set(sessions)) == 3
    assert call("GET", server.url + "/info", with_cookie(sessions[-1])).status == 200


# --- Expiry ----------------------------------------------------------------------------------------


def authenticator(clock: FakeClock, ttl: float = 60.0) -> Authenticator:
    return Authenticator({USER: PASSWORD}, cookie_name=COOKIE, session_ttl=ttl, clock=clock)


def cookie_from(added: list[tuple[str, str]]) -> str:
    [(name, value)] = added
    assert name == "Set-Cookie"
    return value.split(";")[0]  # NAME=ID


def test_authenticator_sessions_expire_after_their_ttl():
    clock = FakeClock()
    auth = authenticator(clock, ttl=60.0)
    cookie = cookie_from(auth.authenticate({"Authorization": basic(USER, PASSWORD)}))
    clock.now += 59.9
    assert auth.authenticate({"Cookie": cookie}) == [], "a live session passes without a new cookie"
    clock.now += 0.2
    assert auth.authenticate({"Cookie": cookie}) is None, "an expired session is refused"
    renewed = auth.authenticate({"Authorization": basic(USER, PASSWORD)})
    assert renewed is not None and cookie_from(renewed) != cookie


def test_sessions_expire_and_are_evicted_oldest_first_without_rebuilding_the_table():
    clock = FakeClock()
    auth = Authenticator({USER: PASSWORD}, cookie_name="S", session_ttl=60.0, max_sessions=100, clock=clock)
    login = {"Authorization": basic(USER, PASSWORD)}
    first = cookie_from(auth.authenticate(login))
    cookies = [cookie_from(auth.authenticate(login)) for _ in range(250)]
    assert len(auth._sessions) == len(auth._queue) == 100  # the oldest went, one per login
    assert auth.authenticate({"Cookie": first}) is None
    assert auth.authenticate({"Cookie": cookies[-1]}) == []
    table = auth._sessions
    clock.now += 61  # every session has expired: the next login drops them all, in the same table
    cookie_from(auth.authenticate(login))
    assert len(auth._sessions) == len(auth._queue) == 1
    assert auth._sessions is table, "the session table was rebuilt"


def test_authenticator_refuses_wrong_credentials_and_unknown_cookies():
    auth = authenticator(FakeClock())
    assert auth.authenticate({}) is None
    assert auth.authenticate({"Authorization": basic(USER, "nope")}) is None
    assert auth.authenticate({"Cookie": f"{COOKIE}={secrets.token_urlsafe(24)}"}) is None


def test_authenticator_keeps_every_session_apart():
    clock = FakeClock()
    auth = authenticator(clock, ttl=10.0)
    first = cookie_from(auth.authenticate({"Authorization": basic(USER, PASSWORD)}))
    clock.now += 8
    second = cookie_from(auth.authenticate({"Authorization": basic(USER, PASSWORD)}))
    clock.now += 4  # the first is 12 s old, the second 4 s
    assert auth.authenticate({"Cookie": first}) is None
    assert auth.authenticate({"Cookie": second}) == []


def test_an_expired_cookie_is_refused_over_http(server):
    auth = server.emulator.auth
    assert auth is not None
    clock = FakeClock()
    auth._clock = clock  # the Authenticator's clock (runtime/auth.py): expiry without sleeping
    auth.session_ttl = 30.0
    session = login(server)
    clock.now += 29
    assert call("GET", server.url + "/info", with_cookie(session)).status == 200
    clock.now += 2
    assert_refused(call("GET", server.url + "/info", with_cookie(session)))
    assert_refused(call("GET", server.url + "/info?encode=xml", with_cookie(session)), "xml")


# --- The control API -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, suffix",
    [("GET", "/jobs"), ("POST", "/jobs"), ("POST", "/reset"), ("GET", "/clock"), ("GET", "/openapi.json")],
)
def test_the_control_api_needs_the_same_credentials(server, method, suffix):
    url = server.control_url + suffix
    assert_refused(call(method, url, {"Content-Type": "application/json"}, b"{}"))
    assert_refused(
        call(method, url, {"Authorization": basic(USER, "wrong"), "Content-Type": "application/json"}, b"{}")
    )
    answer = call(
        method, url, {"Authorization": basic(USER, PASSWORD), "Content-Type": "application/json"}, b"{}"
    )
    assert answer.status in (200, 201), answer.body
    session = session_of(answer)
    assert call("GET", server.control_url + "/jobs", with_cookie(session)).status == 200


def test_a_device_api_session_opens_the_control_api(server):
    session = login(server)
    answer = call(
        "POST",
        server.control_url + "/jobs",
        {**with_cookie(session), "Content-Type": "application/json"},
        b"{}",
    )
    assert answer.status == 201
    assert server.job(answer.json()["jobId"]) is not None


# --- The generated client --------------------------------------------------------------------------


def test_client_sends_credentials_once_then_reuses_the_cookie(server):
    with EclypseClient(server.url, username=USER, password=PASSWORD) as client:
        status, headers, _ = client.request("GET", "/info")
        assert status == 200 and COOKIE in headers.get("set-cookie", "")
        # Only a request with Authorization gets a new cookie: none means the client sent the cookie.
        for _ in range(3):
            status, headers, _ = client.request("GET", "/info")
            assert status == 200
            assert (
                "set-cookie" not in headers
            ), "the client sent Basic credentials again instead of its cookie"
        assert client.create_backup(["TIMEZONE"]).job_id
        assert client.get_info().api_revision == "8.0"


def test_client_authenticates_again_when_the_server_forgets_its_session(server):
    with EclypseClient(server.url, username=USER, password=PASSWORD) as client:
        assert client.get_info().api_revision == "8.0"
        server.emulator.auth._sessions = {}  # the device forgot every session (e.g. they expired)
        status, headers, _ = client.request("GET", "/info")
        assert status == 200, "the client should re-authenticate transparently"
        assert COOKIE in headers.get("set-cookie", ""), "re-authentication brings a new session cookie"
        server.emulator.auth._sessions = {}
        job_id = client.create_backup().job_id
        assert server.job(job_id) is not None
        assert len(server.jobs()) == 1, "the POST refused with 401 was not executed twice"


def test_client_with_wrong_password_raises_401(server):
    with EclypseClient(server.url, username=USER, password="wrong") as client:
        with pytest.raises(EclypseError) as raised:
            client.get_info()
    assert raised.value.status == 401
    assert raised.value.code == "Unauthorized"


def test_client_without_credentials_raises_401(server):
    with EclypseClient(server.url) as client:
        with pytest.raises(EclypseError) as raised:
            client.create_backup()
    assert raised.value.status == 401
    assert server.jobs() == []


UNUSUAL_PASSWORDS = {
    "colons": "a:b:c",
    "non-ascii": "sécret-ünïcode",
    "spaces": " spaced  out ",
    "long": "x" * 300,
}


@pytest.fixture(scope="module")
def unusual_server():
    """One user per unusual password, each user named after its password's kind."""
    with EmbeddedServer(port=0, users=UNUSUAL_PASSWORDS) as server:
        yield server


@pytest.mark.parametrize("kind", UNUSUAL_PASSWORDS)
def test_unusual_passwords_work_end_to_end(unusual_server, kind):
    password = UNUSUAL_PASSWORDS[kind]
    with EclypseClient(unusual_server.url, username=kind, password=password) as client:
        assert client.get_info().api_revision == "8.0"
    other = next(name for name in UNUSUAL_PASSWORDS if name != kind)
    with EclypseClient(unusual_server.url, username=other, password=password) as client:
        with pytest.raises(EclypseError) as raised:
            client.get_info()
    assert raised.value.status == 401


# --- Open API without users, and the CLI's start-up lines ------------------------------------------


def test_without_users_the_api_is_open():
    with EmbeddedServer(port=0) as server:
        for url in (server.url + "/info", server.control_url + "/jobs"):
            answer = call("GET", url)
            assert answer.status == 200
            assert "set-cookie" not in answer.headers and "www-authenticate" not in answer.headers
        assert call("GET", server.url + "/info", {"Authorization": basic("anyone", "anything")}).status == 200


def cli_url(line: str) -> str:
    return next(word for word in line.split() if "/api/rest/v1" in word).rstrip(".,;)")


def start_lines(*args: str) -> tuple[str, str, Cli]:
    cli = Cli("--port", "0", "--quiet", *args)
    return cli.readline(), cli.readline(), cli


def test_cli_says_authentication_is_off_without_user():
    first, second, cli = start_lines()
    with cli:
        assert "authentication off" in second.lower(), second
        assert call("GET", cli_url(first) + "/info").status == 200


def test_cli_with_user_says_basic_authentication_and_requires_it():
    first, second, cli = start_lines("--user", f"{USER}:{PASSWORD}", "--user", "guest:guest-pw")
    with cli:
        assert "basic authentication" in second.lower(), second
        assert (
            PASSWORD not in first + second and "guest-pw" not in first + second
        ), "passwords are never printed"
        url = cli_url(first)
        assert_refused(call("GET", url + "/info"))
        for user, password in ((USER, PASSWORD), ("guest", "guest-pw")):
            assert call("GET", url + "/info", {"Authorization": basic(user, password)}).status == 200


@pytest.mark.parametrize("value", ["nocolon", ":password-only"], ids=["no-colon", "no-name"])
def test_cli_refuses_a_malformed_user(value):
    result = run_cli("--port", "0", "--user", value)
    assert result.returncode == 2
    assert "NAME:PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr
