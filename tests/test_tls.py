"""HTTPS with a self-signed certificate made by openssl, as the README shows."""

from __future__ import annotations

import socket
import ssl
import time
import warnings

import pytest

from _support import Cli, basic, call, make_certificate, raw_exchange, run_cli, wait_closed
from eclypse_emulator.generated.client import EclypseClient
from eclypse_emulator.runtime import EmbeddedServer

USER, PASSWORD = "admin", "secret"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """(cert.pem, key.pem) of a self-signed certificate for localhost and 127.0.0.1."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_server(certificate):
    cert, key = certificate
    with EmbeddedServer(port=0, clock="manual", tls_cert=cert, tls_key=key, idle_timeout=5) as server:
        yield server


@pytest.fixture(scope="module")
def tls_auth_server(certificate):
    cert, key = certificate
    with EmbeddedServer(port=0, tls_cert=cert, tls_key=key, users={USER: PASSWORD}) as server:
        yield server


def trusting(cafile) -> ssl.SSLContext:
    """A verifying client context that trusts the test certificate."""
    return ssl.create_default_context(cafile=str(cafile))


def unverified(
    minimum: ssl.TLSVersion | None = None, maximum: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    """A client context without verification, limited to the given protocol versions."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # naming TLS 1.0/1.1 is deprecated
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    return context


def test_the_url_says_https(tls_server):
    assert tls_server.url.startswith("https://127.0.0.1:")
    assert tls_server.url.endswith("/api/rest/v1")


def test_client_with_cafile_works(tls_server, certificate):
    with EclypseClient(tls_server.url, cafile=str(certificate[0])) as client:
        assert client.get_info().api_revision == "8.0"
        job_id = client.create_backup(["TIMEZONE"]).job_id
        assert client.get_job(job_id).progress == 0


def test_client_with_ssl_context_works(tls_server, certificate):
    with EclypseClient(tls_server.url, ssl_context=trusting(certificate[0])) as client:
        assert client.get_info().api_revision == "8.0"


def test_client_with_verification_off_works(tls_server):
    with EclypseClient(tls_server.url, verify=False) as client:
        assert client.get_info().api_revision == "8.0"


def test_client_with_default_verification_refuses_the_self_signed_certificate(tls_server):
    with EclypseClient(tls_server.url) as client:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.get_info()


def test_a_certificate_for_another_name_is_refused(certificate):
    """The client checks the host name: localhost's certificate does not do for 127.0.0.2."""
    cert, key = certificate
    server = EmbeddedServer("127.0.0.2", 0, tls_cert=cert, tls_key=key)
    try:
        server.start()
    except OSError as error:
        pytest.skip(f"cannot listen on 127.0.0.2 here: {error}")
    try:
        with EclypseClient(server.url, cafile=str(cert)) as client:
            with pytest.raises(ssl.SSLCertVerificationError):
                client.get_info()
    finally:
        server.stop()


def test_over_https_the_session_cookie_is_secure_and_httponly(tls_auth_server, certificate):
    context = trusting(certificate[0])
    answer = call(
        "GET", tls_auth_server.url + "/info", {"Authorization": basic(USER, PASSWORD)}, context=context
    )
    assert answer.status == 200
    cookie = answer.header("set-cookie")
    name_value, *attributes = [part.strip() for part in cookie.split(";")]
    assert name_value.startswith("ECLYPSERESTSESSIONID=") and len(name_value) > len("ECLYPSERESTSESSIONID=")
    assert {a.lower() for a in attributes} == {"path=/", "secure", "httponly"}, cookie
    assert call("GET", tls_auth_server.url + "/info", {"Cookie": name_value}, context=context).status == 200


def test_over_https_a_missing_password_is_401(tls_auth_server, certificate):
    answer = call("GET", tls_auth_server.url + "/info", context=trusting(certificate[0]))
    assert answer.status == 401
    assert answer.header("www-authenticate").lower().startswith("basic realm=")


def test_client_with_credentials_over_https(tls_auth_server, certificate):
    with EclypseClient(
        tls_auth_server.url, cafile=str(certificate[0]), username=USER, password=PASSWORD
    ) as client:
        assert client.get_info().api_revision == "8.0"
        status, headers, _ = client.request("GET", "/info")
        assert status == 200 and "set-cookie" not in headers, "the client reuses its Secure cookie over HTTPS"


def handshake(server: EmbeddedServer, context: ssl.SSLContext) -> str:
    """The protocol version a TLS handshake with `server` settles on."""
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.version()


def test_tls_1_1_is_refused(tls_server):
    old = unverified(ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)
    try:
        old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer TLS 1.1 at all
    except ssl.SSLError:
        pytest.skip("this OpenSSL cannot offer TLS 1.1 even at security level 0")
    with pytest.raises(ssl.SSLError) as raised:
        handshake(tls_server, old)
    assert (
        raised.value.reason != "NO_PROTOCOLS_AVAILABLE"
    ), "the client never offered TLS 1.1: nothing was tested"
    assert (
        call("GET", tls_server.url + "/info", context=unverified()).status == 200
    ), "the server keeps serving"


@pytest.mark.parametrize(
    "version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["TLSv1.2", "TLSv1.3"]
)
def test_tls_1_2_and_later_are_accepted(tls_server, version):
    assert (
        handshake(tls_server, unverified(version, version))
        == {
            ssl.TLSVersion.TLSv1_2: "TLSv1.2",
            ssl.TLSVersion.TLSv1_3: "TLSv1.3",
        }[version]
    )
    assert call("GET", tls_server.url + "/info", context=unverified(version, version)).status == 200


def test_plain_http_on_the_tls_port_does_not_break_the_server(tls_server, capfd):
    address = (tls_server.host, tls_server.port)
    answer = raw_exchange(address, b"GET /api/rest/v1/info HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout=10)
    assert answer.status is None or answer.status < 500  # closed, or an answer: never a crash
    assert call("GET", tls_server.url + "/info", context=unverified()).status == 200
    assert "Traceback" not in capfd.readouterr().err


def test_a_silent_client_does_not_hold_up_the_handshakes_of_others(tls_server):
    """TLS handshakes happen in each connection's thread, not in the one that accepts."""
    with socket.create_connection((tls_server.host, tls_server.port), timeout=10):
        started = time.monotonic()
        assert call("GET", tls_server.url + "/info", context=unverified()).status == 200
        assert time.monotonic() - started < 2


def test_a_client_that_never_finishes_its_handshake_is_dropped(certificate):
    cert, key = certificate
    with EmbeddedServer(port=0, tls_cert=cert, tls_key=key, idle_timeout=0.5) as server:
        with socket.create_connection((server.host, server.port), timeout=10) as silent:
            assert wait_closed(silent, time.monotonic() + 5), "a silent TLS client kept its connection"


# --- Certificate files -----------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["cert", "key"])
def test_a_missing_file_is_a_value_error_naming_it(certificate, tmp_path, missing):
    cert, key = certificate
    absent = tmp_path / f"absent-{missing}.pem"
    files = {
        "tls_cert": absent if missing == "cert" else cert,
        "tls_key": absent if missing == "key" else key,
    }
    with pytest.raises(ValueError, match="absent-" + missing):
        EmbeddedServer(port=0, **files)


def test_a_file_that_is_no_certificate_is_a_value_error_naming_it(certificate, tmp_path):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ValueError, match="garbage.pem"):
        EmbeddedServer(port=0, tls_cert=garbage, tls_key=certificate[1])


def test_a_certificate_without_its_key_is_a_value_error(certificate):
    with pytest.raises(ValueError):
        EmbeddedServer(port=0, tls_cert=certificate[0])


def test_cli_serves_https_and_prints_an_https_url(certificate):
    cert, key = certificate
    with Cli("--port", "0", "--quiet", "--tls-cert", str(cert), "--tls-key", str(key)) as cli:
        url = cli.url()
        assert url.startswith("https://"), url
        with EclypseClient(url, cafile=str(cert)) as client:
            assert client.get_info().api_revision == "8.0"


@pytest.mark.parametrize("missing", ["cert", "key"])
def test_cli_with_a_missing_file_exits_2_with_a_clear_message(certificate, tmp_path, missing):
    cert, key = certificate
    absent = tmp_path / "absent.pem"
    result = run_cli(
        "--port",
        "0",
        "--tls-cert",
        str(absent if missing == "cert" else cert),
        "--tls-key",
        str(absent if missing == "key" else key),
    )
    assert result.returncode == 2
    assert str(absent) in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == "", "nothing is served, so no URL is printed"
