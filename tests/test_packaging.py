"""The package as a user gets it: the wheel and the sdist built, the wheel installed into a fresh virtual
environment and used from another project, and the sdist passing its own tests.

These tests are slow (a build, a virtual environment, one more run of the whole suite: a few minutes), and
marked `slow`; they run with every plain `python -m pytest`, CI included (deselect them with
`-m "not slow"` while working). They need `git` and a checkout: inside an unpacked sdist (no `.git`) they
skip, so that the sdist's own run of the suite does not build itself again. Installing into the fresh
virtual environment uses pip's configured index for pytest and the codegen extra (jinja2, pyyaml, black);
the wheel itself is installed without dependencies, since it has none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 60.0  # seconds for one quick command, generous for a loaded CI machine
INSTALL_DEADLINE = 900.0  # a build, a pip install from the index
SUITE_DEADLINE = 3600.0  # the sdist's whole test suite
URL = re.compile(r"https?://127\.0\.0\.1:\d+/api/rest/v1")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (ROOT / ".git").exists(), reason="not a git checkout (an unpacked sdist): nothing to build"
    ),
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = DEADLINE):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The wheel and the sdist built by `python -m build` from a copy of the working tree (its files that
    git tracks or would track), so that building leaves nothing in the checkout."""
    source = tmp_path_factory.mktemp("source")
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    result = run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        cwd=source,
        timeout=INSTALL_DEADLINE,
    )
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist, "log": result.stdout + result.stderr}


def test_the_build_has_no_deprecation_or_packaging_warnings(dists) -> None:
    log = dists["log"]
    assert "Deprecat" not in log and "deprecat" not in log, log
    # No warning about the license format: the only lines naming it are setuptools' notes adding its file.
    notes = re.compile(r"adding license file 'license'|copying license -> |adding '.*/licenses/license'")
    about_license = [
        line for line in log.lower().splitlines() if "license" in line and not notes.match(line.strip())
    ]
    assert about_license == [], about_license
    assert "Package would be ignored" not in log and "not in the packages" not in log.lower(), log
    warnings = [line for line in log.splitlines() if "warning" in line.lower()]
    # What is left are setuptools' notes that the sdist has no caches and that byte-compiling is off.
    assert all(
        "no previously-included files" in w or "byte-compiling is disabled" in w for w in warnings
    ), warnings


def test_the_wheel_installs_two_top_level_names_and_carries_the_spec(dists) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
        top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(info).decode()
    assert top_level == {"eclypse_emulator", "pytest_eclypse"}
    for name in ("api", "emulator", "errors", "objects", "resources"):
        assert f"eclypse_emulator/spec/{name}.yaml" in names
    for name in ("__init__.py", "client.py", "handler.py", "models.py", "serializers.py"):
        assert f"eclypse_emulator/codegen/templates/{name}.jinja" in names
    assert "eclypse_emulator/runtime/core/codec.py" in names
    assert "eclypse_emulator/generated/openapi.json" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), "the license text travels"
    assert "License-Expression: MIT" in metadata
    assert not [
        line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]


def test_the_sdist_carries_what_its_tests_need(dists) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        names = {n.partition("/")[2] for n in sdist.getnames()}
    for name in (
        "spec/objects.yaml",
        "tests/_support.py",
        "tests/conftest.py",
        "tests/fixtures",
        "tests/golden",
        "bench/run.py",
        ".ci/run",
        "codegen/templates/client.py.jinja",
        "generated/openapi.json",
        "MANIFEST.in",
        "mkdocs.yml",
        "docs/index.md",
    ):
        assert name in names, name


# ---------------------------------------------------------------------------------------------------
# The wheel in a fresh virtual environment, used from a project with its own generated/, runtime/, codegen/


@pytest.fixture(scope="module")
def venv(dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain virtual environment (no system site-packages) with the wheel, pytest and the codegen extra."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", str(home)], cwd=home.parent, timeout=INSTALL_DEADLINE)
    python = str(home / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, "--no-deps", str(dists["wheel"])], cwd=home.parent, timeout=INSTALL_DEADLINE)
    # The codegen extra and pytest, from the index (the wheel is there already: only its extras come).
    run(
        [*pip, f"eclypse-emulator[codegen] @ {dists['wheel'].as_uri()}", "pytest"],
        cwd=home.parent,
        timeout=INSTALL_DEADLINE,
    )
    return home


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Someone else's project, with packages of the generic names the emulator must not take."""
    root = tmp_path_factory.mktemp("project")
    for name in ("generated", "runtime", "codegen"):
        (root / name).mkdir()
        (root / name / "__init__.py").write_text(f'OWNER = "project"\nNAME = "{name}"\n')
    (root / "generated" / "client.py").write_text('def hello():\n    return "the project\'s own client"\n')
    return root


def environment(venv: Path, project: Path, **extra: str) -> dict[str, str]:
    """The venv first on PATH and the project's folder on PYTHONPATH (its packages win over any other)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(project),
        VIRTUAL_ENV=str(venv),
    )
    env.update(extra)
    return env


def site_packages(venv: Path) -> Path:
    (path,) = venv.glob("lib/python*/site-packages")
    return path


def test_installed_the_package_has_no_generic_names(venv: Path, project: Path) -> None:
    names = sorted(p.name for p in site_packages(venv).iterdir())
    assert "eclypse_emulator" in names and "pytest_eclypse" in names
    assert not {"runtime", "generated", "codegen", "spec"} & set(names)
    script = (
        "import generated, runtime, codegen, eclypse_emulator, sys;"
        "print(generated.OWNER, runtime.OWNER, codegen.OWNER, eclypse_emulator.__file__)"
    )
    out = run(
        [str(venv / "bin" / "python"), "-c", script], cwd=project, env=environment(venv, project)
    ).stdout
    assert out.startswith("project project project ") and str(site_packages(venv)) in out


def serve(command: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Start a server; its base URL from the first line of its output."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = process.stdout.readline()
    match = URL.search(first)
    if match is None:
        process.kill()
        raise AssertionError(f"no URL on the first line: {first!r}\n{process.stderr.read()}")
    return process, match.group(0)


def stop(process: subprocess.Popen) -> str:
    """SIGTERM, then the exit status must be 0; the rest of stderr."""
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, err
    return err


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=DEADLINE) as response:
        return json.loads(response.read())


def test_the_console_scripts_serve_and_talk(venv: Path, project: Path) -> None:
    env = environment(venv, project)
    process, url = serve(
        [str(venv / "bin" / "eclypse-emulator"), "--port", "0", "--quiet"], cwd=project, env=env
    )
    try:
        assert get(url + "/info")["apiRevision"] == "8.0"
        help_ = run([str(venv / "bin" / "eclypse"), "--help"], cwd=project, env=env).stdout
        assert help_.startswith("usage: eclypse ") and "get-backup-job" in help_
        out = run([str(venv / "bin" / "eclypse"), "--url", url, "get-info"], cwd=project, env=env).stdout
        assert json.loads(out)["apiRevision"] == "8.0"
        out = run(
            [str(venv / "bin" / "eclypse"), "--url", url, "create-backup", "--data-types", "TIMEZONE"],
            cwd=project,
            env=env,
        )
        assert set(json.loads(out.stdout)) == {"jobId"}
    finally:
        stop(process)
    help_ = run([str(venv / "bin" / "eclypse-emulator"), "--help"], cwd=project, env=env).stdout
    assert help_.startswith("usage: eclypse-emulator ")


EMBEDDED = """
import warnings
warnings.simplefilter("error")
import generated.client
from eclypse_emulator import EmbeddedServer
from eclypse_emulator.client import EclypseClient
from eclypse_emulator.models import Job

assert generated.client.hello() == "the project's own client"
with EmbeddedServer(port=0, clock="manual", job_duration=10, quiet=True) as server:
    with EclypseClient(server.url) as client:
        job_id = client.create_backup(["TIMEZONE"]).job_id
        server.advance(10)
        job = client.get_job(job_id)
        assert (job.progress, job.type, job.state) == (100, "BACKUP", "OK"), job
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            backup_job = client.get_backup_job(job_id)
        assert isinstance(backup_job, Job) and backup_job.status == "OK", backup_job
print("embedded OK")
"""


def test_the_embedded_server_and_the_client_from_another_project(
    venv: Path, project: Path, tmp_path: Path
) -> None:
    (tmp_path / "embedded.py").write_text(EMBEDDED)
    out = run(
        [str(venv / "bin" / "python"), str(tmp_path / "embedded.py")],
        cwd=project,
        env=environment(venv, project),
    )
    assert out.stdout.strip() == "embedded OK"


PLUGIN_TEST = """
import sys

import generated


def test_the_plugin_has_imported_nothing_of_the_emulator_before_a_fixture_is_used():
    assert [name for name in sys.modules if name.startswith("eclypse_emulator")] == []


def test_the_projects_own_generated_package():
    assert generated.OWNER == "project"


def test_backup_completes(eclypse):
    job_id = eclypse.client.create_backup(["TIMEZONE"]).job_id
    eclypse.advance(60)
    assert eclypse.client.get_job(job_id).state == "OK"
"""


def test_the_pytest_plugin_in_a_project_with_its_own_generated_package(venv: Path, project: Path) -> None:
    tests = project / "tests_of_the_project"
    tests.mkdir(exist_ok=True)
    (tests / "test_mine.py").write_text(PLUGIN_TEST)
    command = [
        str(venv / "bin" / "python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        str(tests),
    ]
    out = run(command, cwd=project, env=environment(venv, project)).stdout
    assert "3 passed" in out and "warning" not in out, out


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


OWNER = """\
      - name: Owner
        type: string
        description: Who asked for the backup (a property the packaged spec does not have).
        methods: [GET]
        json_key: owner
        xml_element: Owner
        order: {json: 3, xml: 3}
        default: admin
        example: admin
"""


def test_serving_an_own_spec_folder_generates_into_the_cache(
    venv: Path, project: Path, tmp_path: Path
) -> None:
    spec = project / "my-spec"  # named relative to the folder the user is in, as the README does
    shutil.copytree(site_packages(venv) / "eclypse_emulator" / "spec", spec)
    objects = (spec / "objects.yaml").read_text()
    first = objects.index("    properties:\n", objects.index("  Job:\n")) + len("    properties:\n")
    (spec / "objects.yaml").write_text(objects[:first] + OWNER + objects[first:])
    cache = tmp_path / "cache"
    before = snapshot(site_packages(venv))
    env = environment(venv, project, XDG_CACHE_HOME=str(cache))
    command = [str(venv / "bin" / "eclypse-emulator"), "--port", "0", "--quiet", "--spec", "my-spec"]
    process, url = serve(command, cwd=project, env=env)
    try:
        request = urllib.request.Request(
            url + "/system/backup/create",
            data=b'{"dataTypes": ["TIMEZONE"]}',
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            job_id = json.loads(response.read())["jobId"]
        assert get(f"{url}/system/backup/jobs/{job_id}")["owner"] == "admin"
    finally:
        stop(process)
    assert snapshot(site_packages(venv)) == before  # nothing written into site-packages
    generated = list(cache.glob("eclypse-emulator/*/generated/models.py"))
    assert len(generated) == 1 and "owner: str | None" in generated[0].read_text()


def test_the_installed_generator_names_itself_and_never_writes_into_site_packages(
    venv: Path, project: Path, tmp_path: Path
) -> None:
    python, env = str(venv / "bin" / "python"), environment(venv, project)
    before = snapshot(site_packages(venv))

    def codegen(*args: str) -> subprocess.CompletedProcess:
        command = [python, "-m", "eclypse_emulator.codegen", *args]
        return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=DEADLINE)

    help_ = codegen("--help").stdout
    assert (
        help_.startswith("usage: python -m eclypse_emulator.codegen ") and "the packaged spec" in help_
    ), help_
    assert "python -m codegen" not in help_
    for refused, flag in ((codegen(), "--out"), (codegen("import", str(tmp_path / "page.txt")), "--into")):
        assert refused.returncode == 2 and flag in refused.stderr, refused.stderr
    assert codegen("--out", "mine").returncode == 0  # the packaged spec, into the user's folder
    assert (project / "mine" / "handler.py").is_file()
    assert codegen("--check", "--out", "mine").returncode == 0
    assert snapshot(site_packages(venv)) == before


# ---------------------------------------------------------------------------------------------------
# The sdist passes its own tests


def test_the_sdist_passes_its_own_test_suite(dists, tmp_path: Path) -> None:
    """The whole suite of the unpacked sdist, with this interpreter (its test dependencies installed);
    the packaging tests skip there (no .git). The unpacked folder is first on sys.path, so its own code
    is what is tested."""
    with tarfile.open(dists["sdist"]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (root,) = tmp_path.iterdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = run(
        [sys.executable, "-c", "import eclypse_emulator; print(eclypse_emulator.__file__)"], cwd=root, env=env
    )
    assert where.stdout.strip() == str(root / "eclypse_emulator" / "__init__.py")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=SUITE_DEADLINE
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "error" not in result.stdout.splitlines()[-1], result.stdout[-2000:]
