"""The documentation as a reader uses it: the commands of the README's tour and of the `console` blocks in
docs/ run, in order, against an embedded server, and answer what the page shows; the README's links lead
to files that exist; every page of docs/ is in the site's navigation.

A `console` block holds `$ command` lines, each followed by the output it shows (none: not checked). The
commands are read by a small reader of shell words (quotes, `\\`, `$NAME`, `;`, `&`, `#` comments) and run
without a shell and without curl: `python -m runtime ...` starts an `EmbeddedServer` with those options,
`curl ...` becomes a request made with urllib, `NAME=value` sets a variable, any other `python ...` runs
with this interpreter. In a shown output, `...` stands for anything, and an id (a UUID) shown stands for
the one the server answered there, in the commands that follow too. A comment starting with a status
(`# 404`) is the status the command must answer; otherwise a request must succeed (2xx).
"""

from __future__ import annotations

import base64
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from runtime import EmbeddedServer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
# The address the pages show; the tests replace it with the embedded server's.
SHOWN_ORIGIN = "http://127.0.0.1:8080"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BLOCK = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)
STATUS_COMMENT = re.compile(r"\s*(\d{3})\b")
ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")
# `python -m runtime` options the pages use, as EmbeddedServer arguments (None: a flag).
SERVER_OPTIONS: dict[str, tuple[str, Any]] = {
    "--clock": ("clock", str),
    "--job-duration": ("job_duration", float),
    "--device-time": ("device_time", str),
    "--api-revision": ("api_revision", str),
    "--seed": ("seed", int),
    "--usb-key": ("usb_key", None),
    "--quiet": ("quiet", None),
}


@dataclass
class Command:
    line: str
    shown: str  # the output the page shows after it ("" when none)
    where: str  # file:line, for the messages


def commands(page: Path) -> list[Command]:
    """The `$ ` lines of the page's console blocks, in order, each with the output shown below it."""
    text = page.read_text(encoding="utf-8")
    found: list[Command] = []
    for block in BLOCK.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        for number, line in enumerate(block.group(1).splitlines(), first):
            if line.startswith("$ "):
                found.append(Command(line[2:], "", f"{page.relative_to(ROOT)}:{number}"))
            elif found:
                found[-1].shown += line + "\n"
            else:
                pytest.fail(f"{page.relative_to(ROOT)}:{number}: output before any `$ ` command")
    return found


# --- a few shell words --------------------------------------------------------------------------------


def segments(line: str) -> tuple[list[str], str]:
    """The line's commands (split at `;` and `&` outside quotes) and its comment."""
    parts, current, quote, index = [], "", None, 0
    while index < len(line):
        char = line[index]
        if quote is None and char == "#" and (not current or current[-1].isspace()):
            return [*parts, current], line[index + 1 :]
        if char == "\\" and quote != "'":
            current += line[index : index + 2]
            index += 2
            continue
        if char in "'\"" and quote in (None, char):
            quote = None if quote else char
        if quote is None and char in ";&":
            parts, current = [*parts, current], ""
        else:
            current += char
        index += 1
    return [*parts, current], ""


def words(segment: str, env: dict[str, str]) -> list[str]:
    """The words of one command, with quotes removed and `$NAME` / `${NAME}` expanded (not in '...')."""
    result: list[str] = []
    current: str | None = None
    quote, index = None, 0
    while index < len(segment):
        char = segment[index]
        if quote is None and char.isspace():
            if current is not None:
                result.append(current)
            current, index = None, index + 1
            continue
        current = current or ""
        if char in "'\"" and quote in (None, char):
            quote = None if quote else char
        elif char == "\\" and quote != "'":
            following = segment[index + 1 : index + 2]
            current += following if quote is None or following in '$"\\' else char + following
            index += 1
        elif char == "$" and quote != "'":
            name = re.match(r"\{(\w+)\}|(\w+)", segment[index + 1 :])
            assert name, f"a lone $ in {segment!r}"
            variable = name.group(1) or name.group(2)
            assert variable in env, f"${variable} is used before it is set"
            current += env[variable]
            index += name.end()
        else:
            current += char
        index += 1
    assert quote is None, f"an unclosed quote in {segment!r}"
    return result if current is None else [*result, current]


# --- running the commands -------------------------------------------------------------------------------


@dataclass
class Session:
    """One page's run: its server, its variables, the ids shown and the ids answered, its folder."""

    folder: Path
    core: str
    server: EmbeddedServer | None = None
    env: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def run(self, command: Command) -> None:
        line = command.line.replace(SHOWN_ORIGIN, self.origin) if self.server else command.line
        for shown, actual in self.ids.items():
            line = line.replace(shown, actual)
        parts, comment = segments(line)
        expected = STATUS_COMMENT.match(comment)
        outputs = []
        for part in filter(str.strip, parts):
            argv = words(part, self.env)
            if all(ASSIGNMENT.match(word) for word in argv):
                self.env.update(word.split("=", 1) for word in argv)
            elif argv[:3] == ["python", "-m", "runtime"]:
                self.start(argv[3:], command)
            elif argv[0] == "curl":
                status, output = self.curl(argv[1:], command)
                if expected:
                    assert status == int(expected.group(1)), f"{command.where}: {status} {output}"
                else:
                    assert 200 <= status < 300, f"{command.where}: {status} {output}"
                outputs.append(output)
            elif argv[0] == "python":
                done = subprocess.run(
                    [sys.executable, *argv[1:]], cwd=self.folder, capture_output=True, text=True, timeout=60
                )
                assert done.returncode == 0, f"{command.where}: {done.stderr}"
                outputs.append(done.stdout)
            else:
                pytest.fail(f"{command.where}: the docs' tests run no {argv[0]!r}")
        if command.shown.strip():
            self.compare(command, "".join(outputs))

    @property
    def origin(self) -> str:
        assert self.server is not None
        return self.server.url.removesuffix("/api/rest/v1")

    def start(self, options: list[str], command: Command) -> None:
        assert self.server is None, f"{command.where}: a second server on one page"
        arguments: dict[str, Any] = {"port": 0, "core": self.core}
        given = iter(options)
        for option in given:
            assert option in SERVER_OPTIONS, f"{command.where}: the docs' tests do not know {option}"
            name, convert = SERVER_OPTIONS[option]
            arguments[name] = True if convert is None else convert(next(given))
        self.server = EmbeddedServer(**arguments).__enter__()

    def curl(self, options: list[str], command: Command) -> tuple[int, str]:
        """What `curl OPTIONS` answers: the status and what it prints."""
        assert self.server is not None, f"{command.where}: curl before `python -m runtime`"
        method, body, output, url = None, None, None, None
        headers = {"Accept": "*/*", "User-Agent": "curl/8"}  # as curl sends them
        context = None
        given = iter(options)
        for option in given:
            if option in ("-s", "-S", "-sS", "--silent"):
                continue
            if option in ("-X", "--request"):
                method = next(given)
            elif option in ("-H", "--header"):
                name, _, value = next(given).partition(":")
                headers[name.strip()] = value.strip()
            elif option in ("-d", "--data", "--data-raw"):
                body = next(given).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            elif option in ("-u", "--user"):
                headers["Authorization"] = "Basic " + base64.b64encode(next(given).encode()).decode()
            elif option in ("-k", "--insecure"):
                context = ssl.create_default_context()
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            elif option in ("-o", "--output"):
                output = self.folder / next(given)
            elif not option.startswith("-") and url is None:
                url = option
            else:
                pytest.fail(f"{command.where}: the docs' tests do not know curl's {option}")
        assert url, f"{command.where}: curl without a URL"
        request = urllib.request.Request(url, body, headers, method=method or ("POST" if body else "GET"))
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as answer:
                status, data = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        if output is not None:
            output.write_bytes(data)
            return status, ""
        return status, data.decode("utf-8")

    def compare(self, command: Command, actual: str) -> None:
        """The output matches the one shown (`...`: anything; a shown id: the answered one, remembered)."""
        shown = command.shown.strip()
        pattern, shown_ids = "", []
        for piece in re.split(rf"(\.\.\.|{UUID.pattern})", shown):
            if piece == "...":
                pattern += ".*?"
            elif UUID.fullmatch(piece):
                pattern += f"({UUID.pattern})"
                shown_ids.append(piece)
            else:
                pattern += re.escape(piece)
        match = re.fullmatch(pattern, actual.strip(), re.DOTALL)
        assert (
            match
        ), f"{command.where}: `{command.line}` answered\n{actual.strip()}\nwhere the page shows\n{shown}"
        self.ids.update(zip(shown_ids, match.groups()))

    def close(self) -> None:
        if self.server is not None:
            self.server.__exit__(None, None, None)


PAGES_WITH_COMMANDS = [page for page in PAGES if BLOCK.search(page.read_text(encoding="utf-8"))]


def test_the_readme_has_a_tour_to_run() -> None:
    assert ROOT / "README.md" in PAGES_WITH_COMMANDS
    assert any(c.line.startswith("curl") for c in commands(ROOT / "README.md"))


@pytest.mark.parametrize("core", ["asyncio", "threads"])
@pytest.mark.parametrize("page", PAGES_WITH_COMMANDS, ids=lambda page: str(page.relative_to(ROOT)))
def test_the_commands_a_page_shows_answer_what_it_shows(page: Path, core: str, tmp_path: Path) -> None:
    session = Session(tmp_path, core)
    try:
        for command in commands(page):
            session.run(command)
    finally:
        session.close()


def test_the_shown_output_is_checked() -> None:
    """The comparison fails on a different answer, and takes `...` and ids as the module says."""
    session = Session(Path("."), "asyncio")
    command = Command("curl", '{"jobId":"0b7c6f5e-6a57-4a3e-9d0c-6f4f1b1d7c2e",...}\n', "here")
    session.compare(command, '{"jobId":"c83b7cd2-e5df-4dcc-9e9e-301927c76a30","more":1}')
    assert session.ids == {"0b7c6f5e-6a57-4a3e-9d0c-6f4f1b1d7c2e": "c83b7cd2-e5df-4dcc-9e9e-301927c76a30"}
    with pytest.raises(AssertionError):
        session.compare(Command("curl", '{"progress":0}\n', "here"), '{"progress":40}')


def test_shell_words_are_read_as_a_shell_reads_them() -> None:
    env = {"B": "http://h/api", "J": "42"}
    assert segments("B=1; C=2 &") == (["B=1", " C=2 ", ""], "")
    assert segments("curl -s '$B#x' # 404 NotFound") == (["curl -s '$B#x' "], " 404 NotFound")
    assert words("""curl -d '{"a": "$B"}' "$B/jobs/$J?\\$select=a" ${J}x""", env) == [
        "curl",
        "-d",
        '{"a": "$B"}',
        "http://h/api/jobs/42?$select=a",
        "42x",
    ]


# --- links and navigation ---------------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_of_the_readme_leads_to_a_file() -> None:
    links = [link for link in LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))]
    relative = [link.partition("#")[0] for link in links if not re.match(r"[a-z]+:|#", link)]
    assert relative, "the README links into docs/"
    missing = [link for link in relative if not (ROOT / link).is_file()]
    assert not missing, missing


def _nav_pages(entries: Any) -> list[str]:
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, dict):
        return [page for value in entries.values() for page in _nav_pages(value)]
    return [page for entry in entries for page in _nav_pages(entry)]


def test_every_page_of_docs_is_in_the_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = set(_nav_pages(config["nav"]))
    pages = {page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md")}
    assert pages and not pages - nav, sorted(pages - nav)
    assert config["strict"] is True


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Test it") :]
    start = section.index("```sh\n") + 6
    command = section[start : section.index("\n```", start)]
    assert command.startswith("python -m pip install") and "pytest" in command
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
