"""The pytest plugin as a user meets it: installed, loaded through its `pytest11` entry point, used from
a test file of their own (run in a separate pytest process)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parent.parent

# The README's example: a user can copy it as it is.
EXAMPLE = """\
def test_backup_completes(eclypse):
    job_id = eclypse.client.create_backup(["TIMEZONE"]).job_id
    eclypse.advance(60)  # the emulator's clock: no sleeping
    assert eclypse.client.get_job(job_id).state == "OK"


def test_each_test_starts_afresh(eclypse):
    assert eclypse.server.jobs() == []  # the job of the test above is gone
"""


@pytest.fixture(autouse=True)
def this_checkout_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest subprocesses import this checkout's code, whichever tree the plugin was installed from."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def test_the_readme_shows_the_example() -> None:
    assert EXAMPLE in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_example_passes_with_the_plugin_loaded_by_its_entry_point(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_example=EXAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, warnings=0)  # no DeprecationWarning: the example uses the successor
    assert "warning" not in result.stdout.str().lower()
    strict = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    strict.assert_outcomes(passed=2)


def test_without_the_plugin_the_fixture_does_not_exist(pytester: pytest.Pytester) -> None:
    """What provides the fixtures is the entry point named `eclypse`: disabling it removes them."""
    pytester.makepyfile(test_example=EXAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:eclypse")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*fixture 'eclypse' not found*"])


USER_TESTS = """
import time

import pytest
from eclypse_emulator.generated.client import EclypseError


def test_dirty(eclypse):
    eclypse.server.create_job(duration=100)
    eclypse.client.get_info()
    eclypse.server.add_fault(path="/info", error_rate=1.0)
    with pytest.raises(EclypseError):
        eclypse.client.get_info()


def test_clean(eclypse):
    assert eclypse.server.jobs() == []
    assert eclypse.server.requests() == []
    assert eclypse.client.get_info().api_revision == "8.0"


def test_defaults(eclypse):
    job_id = eclypse.client.create_backup(["TIMEZONE"]).job_id
    eclypse.advance(2.5)
    assert eclypse.client.get_job(job_id).progress == 50
    assert eclypse.url.endswith("/api/rest/v1")


def test_wait(eclypse):
    job_id = eclypse.client.create_backup(["TIMEZONE"]).job_id
    started = time.monotonic()
    job = eclypse.client.wait_for_backup_job(job_id, interval=1.0, sleep=eclypse.sleep)
    assert job.status == "OK" and job.progress == 100
    assert time.monotonic() - started < 3


def test_not_done_yet(eclypse):
    job_id = eclypse.client.create_backup(["TIMEZONE"]).job_id
    eclypse.advance(1)
    assert eclypse.client.get_backup_job(job_id).status == "OK"
"""


def test_the_fixture_behaves_as_documented(pytester: pytest.Pytester) -> None:
    """In one user run: state does not leak between tests (jobs, faults, journal), the defaults are
    revision 8.0 and 5-second jobs, `eclypse.sleep` makes waiting instant, and a failing assertion
    still fails (a job 1 s old is RUNNING)."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.stdout.fnmatch_lines(
        [
            "*::test_dirty PASSED*",
            "*::test_clean PASSED*",
            "*::test_defaults PASSED*",
            "*::test_wait PASSED*",
            "*::test_not_done_yet FAILED*",
        ]
    )
    result.stdout.fnmatch_lines(["*AssertionError*RUNNING*"])
    result.assert_outcomes(passed=4, failed=1)


def test_pytest_fixtures_shows_what_each_fixture_gives(pytester: pytest.Pytester) -> None:
    """`pytest --fixtures` documents both fixtures, as a user sees them before writing a test."""
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fixtures")
    text = " ".join(result.stdout.str().split())
    assert "eclypse_server [session scope]" in text and "One emulator for the whole session" in text, text
    assert "The session's emulator, reset before the test, with a ready client" in text, text


SETTINGS_TESTS = """
import pytest
from eclypse_emulator.generated.client import EclypseError


def test_revision(eclypse):
    assert eclypse.client.get_info().api_revision == "5.0"
    with pytest.raises(EclypseError) as raised:  # /jobs/{jobId}/ exists from revision 6.0
        eclypse.client.get_job("c83b7cd2-e5df-4dcc-9e9e-301927c76a30")
    assert raised.value.status == 404


def test_duration(eclypse):
    job_id = eclypse.client.create_backup(["TIMEZONE"]).job_id
    eclypse.advance(10)
    job = eclypse.client.get_backup_job(job_id)
    assert (job.progress, job.status) == (50, "RUNNING")
    eclypse.advance(10)
    assert eclypse.client.get_backup_job(job_id).status == "OK"
"""


def test_ini_options_set_the_api_revision_and_job_duration(pytester: pytest.Pytester) -> None:
    pytester.makeini("""
        [pytest]
        eclypse_api_revision = 5.0
        eclypse_job_duration = 20
        """)
    pytester.makepyfile(test_settings=SETTINGS_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.stdout.fnmatch_lines(["*::test_revision PASSED*", "*::test_duration PASSED*"])
    result.assert_outcomes(passed=2)
