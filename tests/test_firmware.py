"""Firmware updates over real HTTP on both serving cores: the streamed upload and its bounds, the image's
checks, the install followed through the reboot into the new version (kept by --state), the failures a test
asks for, the client's firmware command, and a rollout across a fleet of 20 as the administration client
drives one."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from _support import Cli, basic, call, make_certificate, raw_exchange, wait_closed
from eclypse_emulator.client import EclypseClient, EclypseError, main as client_main
from eclypse_emulator.runtime import EmbeddedServer
from eclypse_emulator.runtime.core.multipart import FormReader
from eclypse_emulator.runtime.firmware import image as image_module
from eclypse_emulator.runtime.fleet.fleet import DeviceConfig, Fleet, ScheduledFault

OLD, NEW = "1.15.3.12", "1.17.22053.807"
NAME = f"ECYSeries_v{NEW}.zip"
CORES = ["asyncio", "threads"]
JOB, DOWN = 10, 5  # seconds an install takes, and a reboot refuses connections


def make_image(
    directory: Path,
    name: str = NAME,
    manifest: dict[str, Any] | None = None,
    payload: bytes = b"\x7fELF firmware" * 1000,
) -> Path:
    """A firmware zip: `firmware.bin` holding `payload`, and `manifest.json` when given."""
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("firmware.bin", payload)
        if manifest is not None:
            archive.writestr("manifest.json", json.dumps(manifest))
    return path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@contextlib.contextmanager
def device(core: str, **options: Any) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(
        core=core, clock="manual", job_duration=JOB, reboot_seconds=DOWN, **options
    ) as server:
        yield server


def client_of(server: EmbeddedServer, cert: Path | None = None) -> EclypseClient:
    return EclypseClient(server.url, username="admin", password="s3cret", cafile=str(cert) if cert else None)


def unreachable(call: Callable[[], Any]) -> bool:
    """Whether the device is down: the connection refused or dropped."""
    try:
        call()
    except (OSError, ConnectionError):
        return True
    return False


def wait_up(client: EclypseClient) -> None:
    """Wait (real time, briefly) until the device listens again: its serving layer follows the clock."""
    for _ in range(250):
        if not unreachable(client.get_info):
            return
        time.sleep(0.02)
    raise AssertionError("the device did not come back")


@pytest.mark.parametrize("core", CORES)
def test_an_upload_over_https_installs_then_reboots_into_the_new_version_kept_by_the_state_file(
    core: str, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, key = certificate
    state = tmp_path / "device.sqlite"
    image = make_image(tmp_path, payload=os.urandom(3 << 20))
    secure = {"users": {"admin": "s3cret"}, "tls_cert": str(cert), "tls_key": str(key)}
    with device(core, state_file=str(state), **secure) as server:
        client = client_of(server, cert)
        sent: list[int] = []
        update = client.update_firmware(
            image, apply="true", on_progress=lambda done, total: sent.append(done)
        )
        assert sent[-1] == image.stat().st_size and len(sent) > 10  # streamed a piece at a time
        assert (update.status, update.version, update.previous_version) == ("RUNNING", NEW, OLD)
        assert update.sha256 == hashlib.sha256(image.read_bytes()).hexdigest()
        assert client.get_firmware_status().status == "RUNNING"
        assert server.job(update.job_id)["status"] == "RUNNING"  # a job of --job-duration
        server.advance(JOB / 2)
        assert client.get_firmware_status().progress == 50
        assert client.get_device_info().software_version == OLD  # never before the reboot
        server.advance(JOB / 2)  # the install ends: the next request finds the device rebooting
        assert unreachable(client.get_firmware_status)
        assert unreachable(client.get_device_info)
        assert server.firmware_update()["status"] == "REBOOTING"  # (from Python: the device answers nothing)
        server.advance(DOWN)
        wait_up(client)
        assert client.get_device_info().software_version == NEW
        done = client.get_firmware_status()
        assert (done.status, done.progress, done.current_version) == ("OK", 100, NEW)
        xml = client.request("GET", "/system/update/firmware/status", accept="application/xml")[2].decode()
        assert "<Status>OK</Status>" in xml and f"<CurrentVersion>{NEW}</CurrentVersion>" in xml
    with device(core, state_file=str(state), **secure) as restarted:  # --state: the version stays
        client = client_of(restarted, cert)
        assert client.get_device_info().software_version == NEW
        assert client.get_firmware_status().status == "OK"


@pytest.mark.parametrize("core", CORES)
def test_apply_false_checks_the_image_and_installs_nothing(core: str, tmp_path: Path) -> None:
    with device(core) as server:
        client = EclypseClient(server.url)
        checked = client.update_firmware(make_image(tmp_path), apply="false")
        assert (checked.status, checked.version, checked.job_id) == ("CHECKED", NEW, "")
        assert client.get_firmware_status().status == "IDLE"
        server.advance(JOB * 2)
        assert client.get_device_info().software_version == OLD


REFUSALS = [
    # (what, the image's file name, its manifest, its payload, status, code)
    ("not a zip", NAME, None, None, 400, "InvalidFirmware"),
    ("no version in the name", "firmware.zip", None, b"x", 400, "InvalidFirmware"),
    ("another model", NAME, {"model": "ECY-APEX"}, b"x", 422, "FirmwareRefused"),
    ("a wrong checksum", NAME, {"image": "firmware.bin", "sha256": "0" * 64}, b"x", 422, "FirmwareRefused"),
    ("a bad manifest version", NAME, {"version": "1.2"}, b"x", 400, "InvalidFirmware"),
]


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize(
    "what, name, manifest, payload, status, code", REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_a_bad_image_is_refused_and_nothing_changes(
    core: str, tmp_path: Path, what: str, name: str, manifest: Any, payload: Any, status: int, code: str
) -> None:
    if payload is None:
        path = tmp_path / name
        path.write_bytes(b"MZ not a zip at all" * 100)
    else:
        path = make_image(tmp_path, name, manifest, payload)
    with device(core) as server:
        client = EclypseClient(server.url)
        with pytest.raises(EclypseError) as refused:
            client.update_firmware(path)
        assert (refused.value.status, refused.value.code) == (status, code)
        assert "firmware" in refused.value.message
        assert client.get_firmware_status().status == "IDLE"
        assert client.get_device_info().software_version == OLD


BOUNDS = [  # (what, the bound lowered for the test, its new value, the image's entries)
    ("too many entries", "MAX_ENTRIES", 3, [(f"firmware-{n}.bin", b"x") for n in range(4)]),
    ("a central directory too large", "MAX_DIRECTORY", 200, [(f"part-{n:03}.bin", b"x") for n in range(4)]),
    ("entries that inflate too far", "MAX_INFLATED", 10_000, [("firmware.bin", bytes(20_000))]),
]


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("what, bound, value, entries", BOUNDS, ids=[b[0] for b in BOUNDS])
def test_an_image_beyond_the_zip_bounds_is_refused_before_it_is_read_whole(
    core: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
    bound: str,
    value: int,
    entries: Any,
) -> None:
    monkeypatch.setattr(image_module, bound, value)
    path = tmp_path / NAME
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    monkeypatch.setattr(zipfile.ZipFile, "testzip", lambda self: pytest.fail("an entry was inflated"))
    with device(core) as server:
        client = EclypseClient(server.url)
        with pytest.raises(EclypseError) as refused:
            client.update_firmware(path)
        assert (refused.value.status, refused.value.code) == (400, "InvalidFirmware")
        assert client.get_firmware_status().status == "IDLE"
        assert client.get_device_info().software_version == OLD


@pytest.mark.parametrize("core", CORES)
def test_a_manifest_states_the_version_and_a_matching_model_and_checksum_pass(
    core: str, tmp_path: Path
) -> None:
    payload = b"image" * 100
    manifest = {
        "model": ["ECY-S1000", "ECY-S1000E"],
        "version": "2.0.1.5",
        "image": "firmware.bin",
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    with device(core) as server:
        client = EclypseClient(server.url)
        update = client.update_firmware(make_image(tmp_path, "anything.zip", manifest, payload))
        assert (update.status, update.version) == ("RUNNING", "2.0.1.5")
        with pytest.raises(EclypseError) as busy:  # one update at a time
            client.update_firmware(make_image(tmp_path))
        assert busy.value.status == 409


@pytest.mark.parametrize("core", CORES)
def test_what_is_no_form_with_a_file_is_refused(core: str, tmp_path: Path) -> None:
    with device(core) as server:
        client = EclypseClient(server.url)
        status, _, body = client.request("POST", "/system/update/firmware", body={"file": "x"})
        assert (status, json.loads(body)["code"]) == (415, "UnsupportedMediaType")
        form = b'--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nhello\r\n--b--\r\n'
        answer = raw_exchange(
            (server.host, server.port),
            b"POST /api/rest/v1/system/update/firmware HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n%s"
            % (len(form), form),
        )
        assert answer.status == 400 and b"has no field 'file'" in answer.body


class Counted:
    """A spool file whose writes are counted (what the server took of the body)."""

    def __init__(self, file: Any) -> None:
        self.file, self.written = file, 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return self.file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


class SpoolWatch:
    """Every spool the firmware feature makes (real temporary files, their writes counted)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[Counted] = []
        real = image_module.tempfile.TemporaryFile

        def made(*args: Any, **kwargs: Any) -> Counted:
            self.files.append(Counted(real(*args, **kwargs)))
            return self.files[-1]

        monkeypatch.setattr(image_module.tempfile, "TemporaryFile", made)

    @property
    def written(self) -> list[int]:
        return [file.written for file in self.files]

    def all_closed(self) -> bool:
        return all(file.closed for file in self.files)


@pytest.mark.parametrize("core", CORES)
def test_an_image_over_its_bound_is_refused_with_413_having_read_a_bounded_amount(
    core: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 256 * 1024
    spools = SpoolWatch(monkeypatch)
    head = (
        "POST /api/rest/v1/system/update/firmware?apply=true HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
    )
    part = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="'
        + NAME.encode()
        + b'"\r\n\r\nPK\x03\x04'
    )
    with device(core, max_firmware_size=limit, max_body_size=64 * 1024) as server:
        address = (server.host, server.port)
        # Announced too large: refused before a byte of the body is read, the connection closed.
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(f"{head}Content-Length: {10 ** 12}\r\n\r\n".encode())
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 413 ") and b"BodyTooLarge" in answer
            assert wait_closed(sock, time.monotonic() + 5)
        # Chunked, so that its size shows only as it arrives: refused once the file passes the bound.
        chunk = os.urandom(32 * 1024)
        pieces = [f"{head}Transfer-Encoding: chunked\r\n\r\n".encode(), b"%x\r\n%s\r\n" % (len(part), part)]
        pieces += [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 64  # 2 MiB, eight times the bound
        answer = raw_exchange(address, pieces)
        assert answer.status == 413 and b"262144 bytes" in answer.body
        assert spools.written and max(spools.written) <= limit
        assert spools.all_closed()  # the temporary files are gone
        # A client that hangs up halfway: its spool goes too.
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(f"{head}Content-Length: {limit}\r\n\r\n".encode() + part + chunk)
            for _ in range(250):
                if len(spools.files) == 2 and spools.written[-1] == len(chunk) + 4:
                    break
                time.sleep(0.02)
        for _ in range(250):
            if spools.all_closed():
                break
            time.sleep(0.02)
        assert len(spools.files) == 2 and spools.all_closed()  # (none for a head refused at once)
        client = EclypseClient(server.url)
        assert client.get_firmware_status().status == "IDLE"


@pytest.mark.parametrize("core", CORES)
def test_a_large_image_streams_in_bounded_memory_and_leaves_no_file(
    core: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 32 << 20
    path = tmp_path / NAME
    with zipfile.ZipFile(path, "w") as archive:  # stored: the zip is as large as its content
        with archive.open("firmware.bin", "w", force_zip64=True) as entry:
            for _ in range(size >> 20):
                entry.write(os.urandom(1 << 20))
    spools = SpoolWatch(monkeypatch)
    with device(core) as server:
        client = EclypseClient(server.url)
        tracemalloc.start()
        try:
            update = client.update_firmware(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert update.size == path.stat().st_size > size
        assert peak < 8 << 20, f"{peak} bytes at the peak for a {size}-byte image"
        assert spools.written == [update.size] and spools.all_closed()


@pytest.mark.parametrize("core", CORES)
def test_failures_asked_for_leave_the_old_version_and_the_status_says_why(core: str, tmp_path: Path) -> None:
    image = make_image(tmp_path)
    with device(core, users={"admin": "s3cret"}) as server:
        client = client_of(server)
        # A bad image, from Python (EmbeddedServer): the install fails at 30 %, no reboot.
        armed = server.fail_firmware_update("bad-image", 30)
        assert armed == {"failure": "bad-image", "atProgress": 30, "install": "next"}
        client.update_firmware(image)
        server.advance(JOB)
        failed = client.get_firmware_status()
        assert (failed.status, failed.progress, failed.current_version) == ("FAILED", 30, OLD)
        assert "verification" in failed.reason
        # A power loss while the install runs, through the control API: the device reboots and comes
        # back on its old version.
        client.update_firmware(image)
        server.advance(JOB / 5)
        answer = call(
            "POST",
            server.control_url + "/firmware/failure",
            {"Content-Type": "application/json", "Authorization": basic("admin", "s3cret")},
            '{"failure": "power-loss", "atProgress": 60}',
        )
        assert answer.json()["install"] == "running"
        server.advance(JOB * 0.4)  # 60 %: the power goes
        assert unreachable(client.get_firmware_status)
        server.advance(DOWN)
        wait_up(client)
        failed = client.get_firmware_status()
        assert (failed.status, failed.progress) == ("FAILED", 60) and "power" in failed.reason
        assert client.get_device_info().software_version == OLD
        # A coldStart during an install is a power loss too.
        client.update_firmware(image)
        client.request("POST", "/protocols/bacnet/local/management/coldStart", body={})
        server.advance(DOWN)
        wait_up(client)
        assert client.get_firmware_status().status == "FAILED"
        assert client.get_device_info().software_version == OLD


def test_the_firmware_command_draws_its_bars_and_reads_the_new_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = make_image(tmp_path, payload=os.urandom(1 << 20))
    with EmbeddedServer(clock="real", job_duration=0.3, reboot_seconds=0.3) as server:
        code = client_main(["--url", server.url, "firmware", str(image), "--interval", "0.1", "--wait", "30"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == {"status": "OK", "previousVersion": OLD, "version": NEW}
    assert "100% UPLOADING" in err and "RUNNING" in err and "100% OK" in err


def test_a_rollout_across_a_fleet_of_20_where_one_update_fails_and_one_device_is_offline(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    """As the administration client does it: read each device's version, upload the image, follow the
    status, wait out the reboot, read the version again. Device 3 loses its power during its install (a
    scheduled reboot), device 11 is offline."""
    cert, key = certificate
    image = make_image(tmp_path, payload=os.urandom(256 * 1024))
    configs = [
        DeviceConfig(i, schedule=(ScheduledFault(4, "reboot", seconds=DOWN),) if i == 3 else ())
        for i in range(20)
    ]
    options = {"users": {"admin": "s3cret"}, "tls_cert": str(cert), "tls_key": str(key)}
    with Fleet(configs, clock="manual", job_duration=JOB, reboot_seconds=DOWN, **options) as fleet:
        fleet.offline(11)
        clients = [
            EclypseClient(d.url, username="admin", password="s3cret", cafile=str(cert)) for d in fleet.devices
        ]
        before: dict[int, str] = {}
        for index, client in enumerate(clients):
            try:
                before[index] = client.get_device_info().software_version
            except OSError:
                continue  # unreachable: left out of the rollout, reported
        assert set(before) == set(range(20)) - {11} and set(before.values()) == {OLD}
        for index in before:
            assert clients[index].update_firmware(image).status == "RUNNING"
        outcome: dict[int, str] = {}
        for _ in range(40):  # follow every status, one clock step at a time
            fleet.advance(1)
            for index in set(before) - set(outcome):
                try:
                    status = clients[index].get_firmware_status()
                except (OSError, EclypseError):
                    continue  # rebooting (refused, dropped) or starting (503): wait it out
                if status.status in ("OK", "FAILED"):
                    outcome[index] = status.status
            if len(outcome) == len(before):
                break
        after = {index: clients[index].get_device_info().software_version for index in before}
    assert outcome == {index: "FAILED" if index == 3 else "OK" for index in before}
    assert after == {index: OLD if index == 3 else NEW for index in before}


def form_of(path: Path, boundary: str = "b0undary") -> bytes:
    """A multipart/form-data body as the administration client sends it: the file in the field `file`."""
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )


UPLOAD_HEAD = (
    "POST /api/rest/v1/system/update/firmware HTTP/1.1\r\nHost: x\r\n"
    "Content-Type: multipart/form-data; boundary=b0undary\r\n"
)


@pytest.mark.parametrize("core", CORES)
def test_a_chunked_upload_in_small_chunks_and_an_expect_continue_are_read_as_they_come(
    core: str, tmp_path: Path
) -> None:
    body = form_of(make_image(tmp_path, payload=os.urandom(64 * 1024)))
    with device(core) as server:
        address = (server.host, server.port)
        # Chunks of 1 to 13 bytes: boundaries and part heads split anywhere.
        pieces, at, size = [f"{UPLOAD_HEAD}Transfer-Encoding: chunked\r\n\r\n".encode()], 0, 1
        while at < len(body):
            piece = body[at : at + size]
            pieces.append(b"%x\r\n%s\r\n" % (len(piece), piece))
            at, size = at + len(piece), size % 13 + 1
        answer = raw_exchange(address, b"".join(pieces) + b"0\r\n\r\n")
        assert answer.status == 200 and json.loads(answer.body)["version"] == NEW
        server.reset()
        # Expect: 100-continue: the head is accepted before the body is sent; refused, no body is asked.
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(f"{UPLOAD_HEAD}Expect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n".encode())
            assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(body)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(f"{UPLOAD_HEAD}Expect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n".encode())
            assert sock.recv(65536).startswith(b"HTTP/1.1 409 Conflict\r\n")  # an update runs


def test_a_fleet_devices_firmware_failure_option_fails_its_update(tmp_path: Path) -> None:
    image = make_image(tmp_path)
    configs = [DeviceConfig(0), DeviceConfig(1, firmware_failure="bad-image@20")]
    with Fleet(configs, clock="manual", job_duration=JOB) as fleet:
        clients = [EclypseClient(d.url) for d in fleet.devices]
        for client in clients:
            client.update_firmware(image)
        fleet.advance(JOB / 2)
        failed = clients[1].get_firmware_status()
        assert (failed.status, failed.progress, failed.current_version) == ("FAILED", 20, OLD)
        assert clients[0].get_firmware_status().status == "RUNNING"
    with pytest.raises(ValueError, match="bad-image or power-loss"):
        EmbeddedServer(firmware_failure="brownout")


@pytest.mark.parametrize("core", CORES)
def test_the_version_and_the_update_survive_sigkill(core: str, tmp_path: Path) -> None:
    state = tmp_path / "device.sqlite"
    options = ("--port", "0", "--quiet", "--state", str(state), "--clock", "manual", "--core", core)
    options += ("--job-duration", "2", "--reboot-seconds", "1")
    image = make_image(tmp_path)
    advance = {"Content-Type": "application/json"}

    def killed(cli: Cli) -> None:
        cli.signal(signal.SIGKILL)
        assert cli.wait() == -signal.SIGKILL

    with Cli(*options) as cli:  # killed while it installs: it comes back on its old version
        client = EclypseClient(cli.url())
        client.update_firmware(image)
        killed(cli)
    with Cli(*options) as cli:
        url = cli.url()
        client = EclypseClient(url)
        update = client.get_firmware_status()
        assert (update.status, update.current_version) == ("FAILED", OLD) and "restarted" in update.reason
        client.update_firmware(image)
        control = url.replace("/api/rest/v1", "/_emulator")
        assert call("POST", control + "/clock/advance", advance, '{"seconds": 2}').status == 200
        assert unreachable(client.get_firmware_status)  # installed: rebooting into the new version
        killed(cli)
    with Cli(*options) as cli:
        client = EclypseClient(cli.url())
        assert client.get_device_info().software_version == NEW
        assert client.get_firmware_status().status == "OK"


class Kept:
    """A sink that keeps what the form gives it (for the reader's own test)."""

    limit = 1 << 20

    def __init__(self) -> None:
        self.name: str | None = None
        self.data = b""

    def begin(self, filename: str | None, content_type: str | None) -> None:
        self.name = filename

    def write(self, data: bytes) -> None:
        self.data += data

    def finish(self) -> None: ...

    def abort(self) -> None: ...


@pytest.mark.parametrize("size", range(1, 24))
def test_the_form_reader_takes_the_body_in_pieces_of_any_size(size: int) -> None:
    """Whatever the pieces the network brings, the file is its bytes, those that look like the start of
    a boundary included."""
    data = b"\r\n--b0undar\r\n-" + bytes(range(256)) + b"\r\n--b0undaR\r"
    body = (
        b'preamble\r\n--b0undary  \r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="f.zip"\r\n\r\n'
        + data
        + b"\r\n--b0undary--\r\nepilogue"
    )
    sink = Kept()
    form = FormReader("b0undary", "file", sink)
    for at in range(0, len(body), size):
        form.write(body[at : at + size])
    form.close()
    assert (sink.name, sink.data) == ("f.zip", data)
