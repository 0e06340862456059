"""A real browser: headless Chromium opens the device API the way a user without curl does, with `?encode=`.

The `encode` query option exists for browsers, which cannot set Accept (spec/api.yaml). These tests open a
backup job as JSON and as XML, and /info, in headless Chromium against a live emulator, and check what the
browser shows: the JSON text, and the XML document's values.

Chromium is installed when it is missing (as root, with apt-get: `apt-get install -y chromium`); the tests
are skipped, with the reason, only where that cannot be done.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from eclypse_emulator.generated.handler import CHOICES
from eclypse_emulator.runtime import EmbeddedServer

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_TIMEOUT = 900  # seconds for apt-get update + install, on a slow mirror
RUN_TIMEOUT = 90  # seconds for one headless page load
INSTALL_LOCK = Path(tempfile.gettempdir()) / "eclypse-emulator-chromium-install.lock"
JOB_DURATION = 10


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def install_chromium() -> str | None:
    """Install Chromium with apt-get; None when done, else why it could not be."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "it is not installed, and installing it needs root (apt-get install -y chromium)"
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        return "it is not installed, and there is no apt-get to install it with"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # One installation at a time (pytest-xdist workers, parallel runs): apt holds a lock of its own and fails.
    with open(INSTALL_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if find_browser():
            return None
        for command in ([apt_get, "update"], [apt_get, "install", "-y", "chromium"]):
            try:
                done = subprocess.run(
                    command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
                )
            except subprocess.TimeoutExpired:
                return f"`{' '.join(command)}` did not finish within {INSTALL_TIMEOUT} s"
            if done.returncode != 0:
                return f"`{' '.join(command)}` failed (exit {done.returncode}):\n{_tail(done.stdout + done.stderr)}"
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a working Chromium (or Chrome), installed if need be."""
    browser = find_browser()
    if browser is None:
        problem = install_chromium()
        browser = find_browser()
        if browser is None:
            pytest.skip(
                f"headless Chromium is not available: {problem or 'apt-get installed no chromium binary'}"
            )
    try:
        version = subprocess.run(
            [browser, "--version"], capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"{browser} cannot be run: {error}")
    if version.returncode != 0:
        pytest.skip(f"{browser} --version failed (exit {version.returncode}): {_tail(version.stderr)}")
    return browser


def headless(browser: str, url: str, *mode: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once on `url`, in a throwaway profile, without talking to Google."""
    with tempfile.TemporaryDirectory(prefix="eclypse-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",  # root in a container has no user namespace for the sandbox
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            *mode,
            url,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=profile, check=False
        )
    assert done.returncode == 0, f"{' '.join(command)} failed (exit {done.returncode}):\n{_tail(done.stderr)}"
    return done


def dump_dom(browser: str, url: str) -> str:
    """The DOM the browser built for `url`, serialized (what `--dump-dom` prints)."""
    return headless(browser, url, "--dump-dom").stdout


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer(port=0, clock="manual", job_duration=JOB_DURATION) as server:
        yield server


@pytest.fixture
def job(server) -> str:
    """A backup job that has just started."""
    server.reset()
    return server.create_job()


# --- what the browser shows -------------------------------------------------------------------------------


class _Shown(HTMLParser):
    """The text of a page's <pre> elements, and the lines of Chromium's XML viewer (div.line in
    div.pretty-print), as a user reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pre: list[str] = []
        self.lines: list[str] = []
        self.header = ""
        self._pre_depth = 0
        self._line_depth = 0
        self._header_depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "pre":
            self._pre_depth += 1
            self._text = []
        if tag == "div":
            if self._line_depth:
                self._line_depth += 1
            elif "line" in classes:
                self._line_depth, self._text = 1, []
            if self._header_depth:
                self._header_depth += 1
            elif "header" in classes:
                self._header_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._pre_depth:
            self._pre_depth -= 1
            self.pre.append("".join(self._text))
        if tag == "div" and self._line_depth:
            self._line_depth -= 1
            if not self._line_depth:
                self.lines.append("".join(self._text).strip())
        if tag == "div" and self._header_depth:
            self._header_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._pre_depth or self._line_depth:
            self._text.append(data)
        if self._header_depth:
            self.header += data


def shown(dom: str) -> _Shown:
    parser = _Shown()
    parser.feed(dom)
    parser.close()
    return parser


def shown_json(browser: str, url: str) -> object:
    """The JSON document the browser shows as text (Chromium puts a JSON answer in a <pre>)."""
    page = shown(dump_dom(browser, url))
    assert len(page.pre) == 1, f"expected the JSON text in one <pre>, got {page.pre}"
    return json.loads(page.pre[0])


def shown_xml(browser: str, url: str) -> tuple[list[str], ET.Element]:
    """The lines of the XML tree the browser shows, and the XML document it shows them of."""
    dom = dump_dom(browser, url)
    page = shown(dom)
    assert "XML file does not appear to have any style information" in page.header, "no XML viewer"
    # Chromium's viewer keeps the document it shows in div#webkit-xml-viewer-source-xml.
    source = re.search(r'<div id="webkit-xml-viewer-source-xml">(.*?)</div>', dom, re.S)
    assert source is not None, dom[-2000:]
    return page.lines, ET.fromstring(source.group(1))


def children(element: ET.Element) -> list[tuple[str, str]]:
    return [(child.tag, child.text or "") for child in element]


# --- the tests --------------------------------------------------------------------------------------------


def test_the_browser_shows_the_job_as_json(chromium, server, job):
    url = f"{server.url}/system/backup/jobs/{job}?encode=json"
    assert shown_json(chromium, url) == {"progress": 0, "status": CHOICES["running_status"]}
    server.advance(JOB_DURATION / 2)
    assert shown_json(chromium, url) == {"progress": 50, "status": CHOICES["running_status"]}
    server.advance(JOB_DURATION)
    assert shown_json(chromium, url) == {"progress": 100, "status": "OK"}


def test_the_browser_shows_the_job_as_an_xml_tree(chromium, server, job):
    url = f"{server.url}/system/backup/jobs/{job}?encode=xml"
    lines, document = shown_xml(chromium, url)
    assert lines == [
        "<Job>",
        f"<Status>{CHOICES['running_status']}</Status>",
        "<Progress>0</Progress>",
        "</Job>",
    ]
    server.advance(JOB_DURATION)
    lines, document = shown_xml(chromium, url)
    # The seed's order: Status before Progress.
    assert lines == ["<Job>", "<Status>OK</Status>", "<Progress>100</Progress>", "</Job>"]
    assert document.tag == "Job"
    assert children(document) == [("Status", "OK"), ("Progress", "100")]


def test_encode_wins_over_the_browsers_accept(chromium, server, job):
    """Chromium asks for text/html, XHTML and XML before */*: without `encode` it gets XML, with
    `encode=json` JSON."""
    server.advance(JOB_DURATION)
    lines, _ = shown_xml(chromium, f"{server.url}/system/backup/jobs/{job}")
    assert lines == ["<Job>", "<Status>OK</Status>", "<Progress>100</Progress>", "</Job>"]
    assert shown_json(chromium, f"{server.url}/system/backup/jobs/{job}/?encode=json") == {
        "progress": 100,
        "status": "OK",
    }


def test_the_browser_shows_info(chromium, server):
    assert shown_json(chromium, f"{server.url}/info?encode=json")["apiRevision"] == "8.0"
    lines, document = shown_xml(chromium, f"{server.url}/info?encode=xml")
    assert lines[:2] == ["<Info>", "<ApiRevision>8.0</ApiRevision>"]
    assert children(document)[0] == ("ApiRevision", "8.0")
    # A raw value is plain text, which the browser shows as it is.
    assert shown(dump_dom(chromium, f"{server.url}/info/apirevision/$value")).pre == ["8.0"]


def test_the_browser_shows_a_property_and_an_error(chromium, server, job):
    server.advance(JOB_DURATION)
    assert shown_json(chromium, f"{server.url}/system/backup/jobs/{job}/progress?encode=json") == {
        "progress": 100
    }
    lines, _ = shown_xml(chromium, f"{server.url}/system/backup/jobs/{job}/status?encode=xml")
    assert lines == ["<Job>", "<Status>OK</Status>", "</Job>"]
    error = shown_json(chromium, f"{server.url}/system/backup/jobs/not-a-job?encode=json")
    assert error["code"] == "InvalidJobId"


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, the decompressed scanlines) of a PNG image."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG image"
    position, idat, width, height = 8, b"", 0, 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    return width, height, zlib.decompress(idat)


def test_a_screenshot_of_the_xml_page_is_not_blank(chromium, server, job, tmp_path):
    server.advance(JOB_DURATION)
    picture = tmp_path / "job.png"
    headless(
        chromium,
        f"{server.url}/system/backup/jobs/{job}?encode=xml",
        f"--screenshot={picture}",
        "--window-size=800,600",
        "--hide-scrollbars",
    )
    width, height, pixels = png_pixels(picture.read_bytes())
    assert (width, height) == (800, 600)
    assert len(set(pixels)) > 8, "the page rendered blank"


def test_without_root_the_reason_to_skip_is_clear(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert (
        install_chromium()
        == "it is not installed, and installing it needs root (apt-get install -y chromium)"
    )


def test_without_apt_get_the_reason_to_skip_is_clear(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert install_chromium() == "it is not installed, and there is no apt-get to install it with"
