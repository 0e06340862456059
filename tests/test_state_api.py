"""The state API (/_emulator/state/<device path>), the device data file (--device-data) and one state file
for every kind (--state), over HTTP on both serving cores: the committed spec's MS/TP port entity, and the
fixture spec's entity and collection (tests/fixtures/spec, served with --spec)."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading

import pytest

from _support import ROOT, Cli, call, run_cli
from eclypse_emulator.runtime import EmbeddedServer

pytest_plugins = ["pytester"]
PORT = "/protocols/bacnet/communication/network/mstp-ports/1"
PORT_DEFAULTS = {
    "enabled": False,
    "networkNumber": 1,
    "baudRate": 38400,
    "macAddress": 0,
    "maxMaster": 127,
    "maxInfoFrame": 20,
    "id": 1,
}
JSON = {"Content-Type": "application/json"}
FIXTURE_SPEC = ROOT / "tests" / "fixtures" / "spec"
V0_JOBS = (
    "CREATE TABLE jobs (id TEXT PRIMARY KEY, started REAL NOT NULL, duration REAL NOT NULL, "
    "status TEXT NOT NULL, fail_at INTEGER, never_finish INTEGER NOT NULL, data_types TEXT NOT NULL, "
    "cancelled_at REAL, seq INTEGER NOT NULL)"
)
V0_JOB_ID = "c83b7cd2-e5df-4dcc-9e9e-301927c76a30"


def control(url: str) -> str:
    return url.replace("/api/rest/v1", "/_emulator")


def state_url(url: str, path: str) -> str:
    return control(url) + "/state" + path


def get(url: str) -> dict:
    answer = call("GET", url)
    assert answer.status == 200, answer.body
    return answer.json()


# --- The state API on the embedded server, both cores ---------------------------------------------


def test_get_answers_the_stored_value_as_the_device_json_shows_it(server):
    assert call("POST", server.url + PORT + "/", JSON, b'{"enabled": true}').status == 200
    stored = get(state_url(server.url, PORT))
    assert stored == {**PORT_DEFAULTS, "enabled": True}
    assert stored == get(server.url + PORT + "/"), "the wire's keys and values"
    assert get(state_url(server.url, PORT + "/")) == stored, "a trailing slash makes no difference"
    alias = "/protocols/bacnet/communication/network/mstpPorts/01"
    assert get(state_url(server.url, alias)) == stored, "the same port, however the path spells it"


def test_put_replaces_the_value_and_the_device_shows_it(server):
    call("POST", server.url + PORT + "/", JSON, b'{"enabled": true, "maxMaster": 10}')
    answer = call("PUT", state_url(server.url, PORT), JSON, b'{"macaddress": 9}')
    assert answer.status == 200, answer.body
    assert answer.json() == {
        **PORT_DEFAULTS,
        "macAddress": 9,
    }, "replaced: what it does not give is the default"
    assert get(server.url + PORT + "/") == answer.json()
    other = "/protocols/bacnet/communication/network/mstp-ports/2"
    assert get(server.url + other + "/") == PORT_DEFAULTS, "each port is its own resource"


@pytest.mark.parametrize(
    "body, words",
    [
        (b'{"macAddress": 200}', "macAddress must be from 0 to 127, got 200"),
        (b'{"speed": 1}', "unknown property 'speed'"),
        (b'{"enabled": "yes"}', "enabled must be of type boolean"),
        (b"[1]", "must be a JSON object"),
        (b"{", "not valid JSON"),
    ],
)
def test_put_refuses_what_the_device_would_and_changes_nothing(server, body, words):
    before = get(state_url(server.url, PORT))
    answer = call("PUT", state_url(server.url, PORT), JSON, body)
    assert answer.status == 400, answer.body
    assert answer.json()["code"] == "InvalidBody" and words in answer.json()["message"]
    assert get(state_url(server.url, PORT)) == before


@pytest.mark.parametrize(
    "path",
    [
        "/no/such/resource",
        "/info",  # a hook: the runtime's own values (the API revision)
        "/system/backup/create",  # a job
        "/protocols/bacnet/communication/network/mstp-ports/0",  # not a valid port id
        PORT + "/enabled",  # a property, not a resource
    ],
)
def test_a_path_without_state_is_a_404(server, path):
    for method, body in (("GET", None), ("PUT", b"{}"), ("DELETE", None)):
        answer = call(method, state_url(server.url, path), JSON, body)
        assert answer.status == 404, (method, answer.body)
        assert answer.json()["code"] == "NotFound"


def test_delete_restores_the_seed(server):
    server.set_state(PORT, {"enabled": True})
    answer = call("DELETE", state_url(server.url, PORT))
    assert (answer.status, answer.body) == (204, b"")
    assert get(server.url + PORT + "/") == PORT_DEFAULTS


def test_reset_restores_every_resource(server):
    ports = [f"/protocols/bacnet/communication/network/mstp-ports/{n}" for n in (1, 2)]
    server.set_state(ports[0], {"maxMaster": 5})
    call("POST", server.url + ports[1] + "/", JSON, b'{"enabled": true}')
    assert call("POST", control(server.url) + "/reset").status == 200
    assert [get(server.url + port + "/") for port in ports] == [PORT_DEFAULTS, PORT_DEFAULTS]


def test_the_embedded_server_reads_and_sets_state_in_one_line(server):
    assert server.set_state(PORT + "/", {"enabled": True}) == {**PORT_DEFAULTS, "enabled": True}
    assert get(server.url + PORT + "/")["enabled"] is True
    assert server.state(PORT) == {**PORT_DEFAULTS, "enabled": True}
    server.restore_state(PORT)
    assert server.state(PORT) == PORT_DEFAULTS
    with pytest.raises(ValueError, match="0 to 127"):
        server.set_state(PORT, {"macAddress": 128})
    with pytest.raises(LookupError, match="/info"):
        server.state("/info")


def test_the_pytest_plugin_sets_state_in_one_line(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_port=f"""
def test_port(eclypse):
    eclypse.set_state({PORT!r}, {{"enabled": True}})
    assert eclypse.client.get_mstp_port("1").enabled is True
    assert eclypse.state({PORT!r})["enabled"] is True


def test_reset_before_each_test(eclypse):
    assert eclypse.state({PORT!r})["enabled"] is False
""")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_a_locked_state_file_answers_503_for_every_kind_of_change(tmp_path, core, monkeypatch):
    from eclypse_emulator.runtime.device import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.5)
    path = tmp_path / "state.sqlite"
    with EmbeddedServer(port=0, clock="manual", state_file=path, core=core) as server:
        changes = [
            ("POST", server.url + PORT + "/", b'{"enabled": true}'),  # an entity
            ("PUT", state_url(server.url, PORT), b'{"enabled": true}'),  # the state API
            ("DELETE", state_url(server.url, PORT), None),
            ("POST", control(server.url) + "/reset", None),
        ]
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            for method, url, body in changes:
                refused = call(method, url, JSON, body)
                assert refused.status == 503, (method, url, refused.body)
                assert refused.header("Retry-After") == "1"
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert server.state(PORT) == PORT_DEFAULTS, "a refused change changed nothing"
        assert call("POST", server.url + PORT + "/", JSON, b'{"enabled": true}').status == 200


# --- --state: every kind survives SIGKILL; the previous version's file -----------------------------


@pytest.fixture
def processes():
    """Starts `python -m runtime ...` and makes sure none outlives the test."""
    started: list[Cli] = []

    def start(*args: str) -> str:
        started.append(Cli("--port", "0", "--quiet", *args))
        return started[-1].url()

    def kill() -> None:
        started[-1].signal(signal.SIGKILL)
        assert started[-1].wait() == -signal.SIGKILL

    start.kill = kill
    yield start
    for cli in started:
        cli.stop()


@pytest.fixture
def fixture_spec(tmp_path_factory, monkeypatch):
    """The options serving the fixture spec (an entity and a collection), generated into a cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    return ("--spec", str(FIXTURE_SPEC))


def create_backup(url: str) -> str:
    answer = call("POST", url + "/system/backup/create", JSON, b'{"DataTypes": []}')
    assert answer.status == 200, answer.body
    return answer.json()["jobId"]


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_an_entity_a_collection_and_a_job_survive_sigkill(processes, fixture_spec, tmp_path, core):
    options = ("--state", str(tmp_path / "state.sqlite"), "--core", core, *fixture_spec)
    url = processes(*options)
    assert call("PUT", url + "/network-ports/2/", JSON, b'{"mode": "MANUAL"}').status == 200
    assert call("POST", url + "/members", JSON, b'{"name": "first", "tags": ["a"]}').status == 201
    assert call("POST", url + "/members", JSON, b'{"name": "second"}').status == 201
    assert call("DELETE", url + "/members/second/").status == 204
    assert call("DELETE", url + "/members/seeded/").status == 204  # a member of the spec's seed
    job_id = create_backup(url)
    processes.kill()

    url = processes(*options)
    assert get(url + "/network-ports/2/")["mode"] == "MANUAL"
    assert get(url + "/members") == [{"name": "first", "tags": ["a"]}]
    assert [job["jobId"] for job in get(control(url) + "/jobs")["jobs"]] == [job_id]


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_an_mstp_change_and_a_state_api_change_survive_sigkill(processes, tmp_path, core):
    options = ("--state", str(tmp_path / "state.sqlite"), "--core", core)
    url = processes(*options)
    assert call("POST", url + PORT + "/", JSON, b'{"enabled": true}').status == 200
    other = "/protocols/bacnet/communication/network/mstp-ports/2"
    assert call("PUT", state_url(url, other), JSON, b'{"maxMaster": 3}').status == 200
    processes.kill()

    url = processes(*options)
    assert get(url + PORT + "/") == {**PORT_DEFAULTS, "enabled": True}
    assert get(url + other + "/")["maxMaster"] == 3
    assert call("DELETE", state_url(url, PORT)).status == 204
    processes.kill()
    url = processes(*options)
    assert get(url + PORT + "/") == PORT_DEFAULTS, "a restored seed stays restored"


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_backup_files_and_the_clock_settings_survive_sigkill(processes, tmp_path, core):
    options = ("--state", str(tmp_path / "state.sqlite"), "--core", core, "--clock", "manual")
    url = processes(*options, "--job-duration", "1")
    body = b'{"target": "Device", "fileName": "nightly", "dataTypes": ["WEATHER"]}'
    assert call("POST", url + "/system/backup/create", JSON, body).status == 200
    assert call("POST", control(url) + "/clock/advance", JSON, b'{"seconds": 2}').status == 200
    files = url + "/system/backup/targets/device/files"
    (listed,) = get(files)
    answer = call("POST", url + "/system/date-time", JSON, b'{"timeZone": "Europe/Paris"}')
    assert answer.status == 200, answer.body
    processes.kill()

    url = processes(*options)
    assert get(url + "/system/backup/targets/device/files") == [listed]
    assert get(url + "/system/date-time")["timeZone"] == "Europe/Paris"
    download = call("GET", f"{url}/files/backup/{listed['name']}.ecybackup?encode=bin")
    assert download.status == 200 and download.body.startswith(b"PK")


def test_a_state_file_of_the_previous_version_is_migrated(processes, tmp_path):
    path = tmp_path / "state.sqlite"
    database = sqlite3.connect(path)
    database.execute(V0_JOBS)
    database.execute(
        f"INSERT INTO jobs VALUES ('{V0_JOB_ID}', 0, 5, 'OK', NULL, 0, '[\"WEATHER\"]', NULL, 1)"
    )
    database.commit()
    database.close()
    url = processes("--state", str(path))
    [job] = get(control(url) + "/jobs")["jobs"]
    assert (job["jobId"], job["dataTypes"], job["status"]) == (V0_JOB_ID, ["WEATHER"], "OK")
    assert get(f"{url}/jobs/{V0_JOB_ID}/")["type"] == "BACKUP"
    assert call("POST", url + PORT + "/", JSON, b'{"enabled": true}').status == 200
    processes.kill()
    url = processes("--state", str(path))
    assert get(url + PORT + "/")["enabled"] is True
    assert [job["jobId"] for job in get(control(url) + "/jobs")["jobs"]] == [V0_JOB_ID]
    with sqlite3.connect(path) as database:
        assert database.execute("PRAGMA user_version").fetchone()[0] == 1


@pytest.mark.parametrize("kind", ["newer", "half-migrated"])
def test_a_state_file_of_another_version_is_refused_naming_it(tmp_path, kind):
    path = tmp_path / "state.sqlite"
    database = sqlite3.connect(path)
    database.execute(V0_JOBS)
    if kind == "newer":
        database.execute("PRAGMA user_version = 99")
    else:  # the previous version's jobs, and a table it never had
        database.execute("CREATE TABLE resources (path TEXT)")
    database.commit()
    database.close()
    result = run_cli("--port", "0", "--state", str(path))
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr and "Traceback" not in result.stderr
    assert ("newer version" if kind == "newer" else "other tables") in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_the_state_of_a_collection_and_of_its_members(processes, fixture_spec, core):
    url = processes("--core", core, *fixture_spec)
    members = state_url(url, "/members")
    answer = call("PUT", members, JSON, b'[{"name": "a"}, {"Name": "b", "tags": ["t"]}]')
    assert answer.status == 200, answer.body
    assert get(url + "/members") == [{"name": "a", "tags": []}, {"name": "b", "tags": ["t"]}]
    assert get(state_url(url, "/members/b/")) == {"name": "b", "tags": ["t"]}
    assert call("PUT", state_url(url, "/members/c"), JSON, b'{"tags": ["new"]}').status == 200
    assert get(url + "/members/c/") == {"name": "c", "tags": ["new"]}, "the key comes from the path"
    refused = call("PUT", state_url(url, "/members/c"), JSON, b'{"name": "d"}')
    assert refused.status == 400 and "the key of the member" in refused.json()["message"]
    twice = call("PUT", members, JSON, b'[{"name": "a"}, {"name": "a"}]')
    assert twice.status == 400 and "same Name: a" in twice.json()["message"]
    assert call("GET", state_url(url, "/members/zz")).status == 404
    assert call("DELETE", state_url(url, "/members/a")).status == 204, "no seed: the member goes"
    assert [m["name"] for m in get(url + "/members")] == ["b", "c"]
    port = call("PUT", state_url(url, "/network-ports/1"), JSON, b'{"serial": "SN-7"}')
    assert port.status == 200 and port.json()["serial"] == "SN-7", "read-only for a client, not for a test"
    assert call("DELETE", state_url(url, "/members")).status == 204
    assert get(url + "/members") == [{"name": "seeded", "tags": ["x"]}], "back to the spec's seed"


def test_concurrent_changes_of_one_collection_lose_none(processes, fixture_spec, tmp_path):
    url = processes("--core", "threads", "--state", str(tmp_path / "state.sqlite"), *fixture_spec)
    names = [f"m{n}" for n in range(16)]
    answers = []
    creators = [
        threading.Thread(
            target=lambda name=name: answers.append(
                call("POST", url + "/members", JSON, json.dumps({"name": name})).status
            )
        )
        for name in names
    ]
    for creator in creators:
        creator.start()
    for creator in creators:
        creator.join(20)
    assert answers == [201] * len(names)
    assert sorted(member["name"] for member in get(url + "/members")) == sorted([*names, "seeded"])


# --- --device-data ---------------------------------------------------------------------------------

DEVICE_DATA = f"""\
# MS/TP port 1 as the site has it
{PORT}/:
  enabled: true
  macAddress: 12
"""


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_the_device_data_file_seeds_resources(processes, tmp_path, core):
    data = tmp_path / "device.yaml"
    data.write_text(DEVICE_DATA)
    url = processes("--device-data", str(data), "--core", core)
    seeded = {**PORT_DEFAULTS, "enabled": True, "macAddress": 12}
    assert get(url + PORT + "/") == seeded
    assert get(url + "/protocols/bacnet/communication/network/mstp-ports/2/") == PORT_DEFAULTS
    call("POST", url + PORT + "/", JSON, b'{"macAddress": 1}')
    assert call("POST", control(url) + "/reset").status == 200
    assert get(url + PORT + "/") == seeded, "reset restores the seed: the device data"
    assert get(url + "/info")["apiRevision"] == "8.0"


def test_a_json_device_data_file_and_a_collection_seed(processes, fixture_spec, tmp_path):
    data = tmp_path / "device.json"
    members = [{"name": "a", "tags": ["x"]}, {"name": "b"}]
    data.write_text(json.dumps({"/members/": members, "/network-ports/1": {"serial": "SN-9"}}))
    url = processes("--device-data", str(data), *fixture_spec)
    assert get(url + "/members") == [{"name": "a", "tags": ["x"]}, {"name": "b", "tags": []}]
    assert get(url + "/network-ports/1/")["serial"] == "SN-9", "a read-only property is the device's to seed"
    assert get(state_url(url, "/members/b")) == {"name": "b", "tags": []}


@pytest.mark.parametrize(
    "text, words",
    [
        ("/no/such/path: {}\n", "'/no/such/path' is not the path of an entity or a collection"),
        ("/info: {apiRevision: '1.0'}\n", "hooks and jobs hold the runtime's own values"),
        (f"{PORT}:\n  macAddress: 200\n", "macAddress must be from 0 to 127"),
        (f"{PORT}:\n  colour: red\n", "unknown property 'colour'"),
        (f"{PORT}: 5\n", "must be a JSON object"),
        (f"{PORT}: {{}}\n{PORT}/: {{}}\n", "given twice"),
        ("- a list\n", "expected a mapping of device paths"),
        ("{{ not yaml\n", "cannot read the device data file"),
    ],
)
def test_a_bad_device_data_file_is_a_clear_error(tmp_path, text, words):
    data = tmp_path / "device.yaml"
    data.write_text(text)
    result = run_cli("--port", "0", "--device-data", str(data))
    assert result.returncode == 2, result.stderr
    assert str(data) in result.stderr and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_missing_device_data_file_is_a_clear_error(tmp_path):
    result = run_cli("--port", "0", "--device-data", str(tmp_path / "nowhere.yaml"))
    assert result.returncode == 2 and "nowhere.yaml" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_the_embedded_server_takes_a_device_data_file_or_mapping(tmp_path, core, monkeypatch):
    data = tmp_path / "device.yaml"
    data.write_text(DEVICE_DATA)
    seeded = {**PORT_DEFAULTS, "enabled": True, "macAddress": 12}
    monkeypatch.chdir(tmp_path)
    with EmbeddedServer(port=0, device_data="device.yaml", core=core) as server:  # relative to the cwd
        assert get(server.url + PORT + "/") == seeded
    with EmbeddedServer(port=0, device_data={PORT: {"maxMaster": 7}}, core=core) as server:
        assert get(server.url + PORT + "/")["maxMaster"] == 7
        server.set_state(PORT, {})
        server.restore_state(PORT)
        assert server.state(PORT)["maxMaster"] == 7
    data.write_text(f"{PORT}: {{maxMaster: 300}}\n")
    with pytest.raises(ValueError, match=f"{data}.*maxMaster must be from 0 to 127"):
        EmbeddedServer(port=0, device_data=data, core=core)
