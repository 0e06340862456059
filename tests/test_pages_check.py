"""`python -m codegen pages --check DIR`: the committed spec agrees with the vendor's pages (issue 7/7, item 3).

This test is the CI check: on ../shared/vendor-pages/ every difference is one spec/page-differences.yaml accepts
with its reason (skipped, with the reason, where ../shared is not next to the checkout). On the pages of
tests/fixtures/pages/check/, written for this test, the known differences are defects; a difference the spec
accepts is listed with its reason, and an accepted difference its page no longer shows is a defect. The MS/TP
port answers as its page says: an Id, and only the baud rates the page supports.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from _support import ROOT, call
from eclypse_emulator.runtime import EmbeddedServer

SHARED_PAGES = ROOT.parent / "shared" / "vendor-pages"
CHECK_PAGES = ROOT / "tests" / "fixtures" / "pages" / "check"
JOB = "GET /system/backup/jobs/{JobId}/"
MSTP = "/protocols/bacnet/communication/network/mstp-ports/1/"


def pages_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "codegen", "pages", "--check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(
    not SHARED_PAGES.is_dir(), reason=f"{SHARED_PAGES} is absent (../shared is not next to the checkout)"
)
def test_the_spec_agrees_with_the_vendor_pages() -> None:
    result = pages_check(str(SHARED_PAGES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in result.stdout.splitlines() if line.startswith("defect")]
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith(f"{len(list(SHARED_PAGES.glob('*.txt')))} page(s)") and "0 defect(s)" in summary
    # what the issue found is fixed, not accepted: the MS/TP port has the page's Id and baud rates
    assert "MstpPort" not in result.stdout


def test_each_difference_of_a_page_is_a_defect_naming_file_and_line() -> None:
    result = pages_check(str(CHECK_PAGES))
    assert result.returncode == 1
    job = CHECK_PAGES / "System__Backup__Jobs__ID__GET-job.txt"
    fans = CHECK_PAGES / "Hvac__Fans__GET-fans.txt"
    assert result.stdout.splitlines() == [
        f"defect: {fans}:3: GET /hvac/fans: documented, not in the spec",
        f"defect: {job}:3: {JOB} Job.Progress.type: the page says 'string', the spec 'integer'",
        f"defect: {job}:3: {JOB} Job.Eta: on the page, not in the spec",
        "2 page(s), 3 difference(s): 0 accepted, 3 defect(s)",
    ]


def _spec_accepting(tmp_path: Path, accepted: list[dict[str, str]]) -> Path:
    spec = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec)
    path = spec / "page-differences.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["page_differences"] += accepted
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return spec


def test_an_accepted_difference_is_listed_with_its_reason_and_a_stale_one_is_a_defect(tmp_path: Path) -> None:
    spec = _spec_accepting(
        tmp_path,
        [
            {"difference": "GET /hvac/fans", "reason": "Fans are for a later revision."},
            {"difference": f"{JOB} Job.Eta", "reason": "The emulator's jobs give no estimate."},
            {"difference": f"{JOB} Job.Status.type", "reason": "A difference this page no longer shows."},
        ],
    )
    result = pages_check(str(CHECK_PAGES), "--spec", str(spec))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("accepted: ") and line.endswith("(Fans are for a later revision.)") for line in lines
    )
    assert any(
        "Job.Eta: on the page, not in the spec (The emulator's jobs give no estimate.)" in line
        for line in lines
    )
    assert (
        f"page_differences lists '{JOB} Job.Status.type', which its page no longer shows: remove it"
        in result.stdout
    )
    assert (
        lines[-1] == "2 page(s), 3 difference(s): 2 accepted, 2 defect(s)"
    )  # Progress.type, and the stale one


def test_an_unreadable_page_or_spec_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("FETCH /hvac/x\n", encoding="utf-8")
    result = pages_check(str(bad))
    assert result.returncode == 2 and f"page error: {bad}:1: expected `METHOD /path`" in result.stderr
    spec = _spec_accepting(tmp_path, [{"difference": "GET /hvac/fans"}])
    result = pages_check(str(CHECK_PAGES), "--spec", str(spec))
    assert result.returncode == 2 and "missing field 'reason'" in result.stderr


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_the_mstp_port_answers_as_its_page_says(core: str) -> None:
    json = {"Content-Type": "application/json"}
    with EmbeddedServer(port=0, core=core) as server:
        assert call("GET", server.url + MSTP).json()["id"] == 1
        refused = call("POST", server.url + MSTP, json, b'{"baudRate": 12345}')
        assert refused.status == 400
        assert (
            "must be one of 9600, 19200, 38400, 57600, 76800, 115200, got 12345" in refused.json()["message"]
        )
        assert call("POST", server.url + MSTP, json, b'{"baudRate": 76800}').json()["baudRate"] == 76800
        assert (
            call("POST", server.url + MSTP, json, b'{"id": 2}').status == 400
        )  # read-only, as the page says
