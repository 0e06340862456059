"""The client's spec-independent half: HTTP plumbing, errors, the progress bar and the command line's frame.

The generated `client.py` subclasses `ClientBase` with one method per operation of the spec and lists its
commands; this module knows nothing of the spec. Standard library only, so that the client runs on a bare
Python.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import http.client
import json
import os
import secrets
import ssl
import time
import sys
import threading
from http.cookies import SimpleCookie
from typing import Any, Callable, Iterable, Mapping, Self, Sequence, TypeVar
from urllib.parse import quote, urlencode, urlsplit

# One subcommand: (command, client method, help, positional parameters, options as (flag, keyword, is a
# list), whether it takes --select).
Command = tuple[str, str, str, Sequence[str], Sequence[tuple[str, str, bool]], bool]
C = TypeVar("C", bound="ClientBase")  # a generated client
J = TypeVar("J")  # a job, as a generated model
UPLOAD_PIECE = 64 * 1024  # bytes of a file read and sent at a time


class Model:
    """A typed model of one object of the spec (a dataclass of `models.py`), read from and written to JSON
    by its `FIELDS`: (attribute, JSON key) of each property, which the generated models set."""

    __slots__ = ()
    FIELDS: tuple[tuple[str, str], ...] = ()
    JSON_KEYS: dict[str, str] = {}  # JSON key of each property, by case-folded property name

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Self:
        return cls(**{attr: document.get(key) for attr, key in cls.FIELDS})

    def to_json(self) -> dict[str, Any]:
        """The JSON document of the properties that are set (nested models as their own documents)."""
        values = ((key, getattr(self, attr)) for attr, key in self.FIELDS)
        return {key: _json_of(value) for key, value in values if value is not None}


def _json_of(value: Any) -> Any:
    """A value as JSON data: a nested model by its own to_json, a list item by item."""
    if isinstance(value, list):
        return [_json_of(item) for item in value]
    return value.to_json() if isinstance(value, Model) else value


class EclypseError(Exception):
    """An error answer of the device: its status, the error code and message, the raw body."""

    def __init__(
        self, status: int, code: str | None, message: str, body: bytes, headers: dict[str, str]
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.body, self.headers = status, code, message, body, headers


def fill(path: str, **arguments: str) -> str:
    """A path template with its `{parameters}` filled, each value quoted as one segment."""
    for name, value in arguments.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path


def property_value(document: dict[str, Any], json_keys: dict[str, str], name: str) -> Any:
    """The value of property `name` in a one-property answer."""
    return document.get(json_keys.get(name.casefold(), name))


class ClientBase:
    """Talks to an ECLYPSE controller, real or emulated, at `base_url` (ending in /api/rest/v1).

    Subclasses set `session_cookie`, `select_option`, `value_segment` and `error_model` (a class with
    `from_json` giving `code` and `message`) from the spec."""

    session_cookie: str
    select_option: str
    value_segment: str
    encode_option: str
    binary_encoding: str  # encode= of raw bytes
    error_model: Any

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        cafile: str | None = None,
        verify: bool = True,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host, self._port, self._base = parts.hostname, parts.port, parts.path
        self._timeout = timeout
        if self._https and ssl_context is None:
            ssl_context = ssl.create_default_context(cafile=cafile)
            if not verify:  # an explicit opt-out, for devices with a self-signed certificate
                ssl_context.check_hostname = False
                ssl_context.verify_mode = ssl.CERT_NONE
        self._ssl_context = ssl_context
        self._authorization = None
        if username is not None:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
            self._authorization = f"Basic {token}"
        self._session: str | None = None
        self._local = threading.local()

    def close(self) -> None:
        """Close this thread's connection."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self._https:
                connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=self._ssl_context
                )
            else:
                connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
        return connection

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        accept: str = "application/json",
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request to `base_url + path`; answers (status, headers, body) whatever the status."""
        target = self._base + path + (f"?{urlencode(query, safe='$,*')}" if query else "")
        headers = {"Accept": accept}
        if self._session is not None:
            headers["Cookie"] = f"{self.session_cookie}={self._session}"
        elif self._authorization is not None:
            headers["Authorization"] = self._authorization
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, answer_headers, data = self._exchange(method, target, payload, headers)
        if status == 401 and "Cookie" in headers and self._authorization is not None:
            # The session expired: authenticate again.
            self._session = None
            del headers["Cookie"]
            headers["Authorization"] = self._authorization
            status, answer_headers, data = self._exchange(method, target, payload, headers)
        cookie = SimpleCookie(answer_headers.get("set-cookie", ""))
        if self.session_cookie in cookie:
            self._session = cookie[self.session_cookie].value
        return status, answer_headers, data

    def _exchange(
        self, method: str, target: str, payload: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, target, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed meanwhile: retry once on a new one.
                self.close()
                if attempt == 2:
                    raise
                continue
            except (OSError, http.client.HTTPException):
                self.close()  # refused, timed out: the next request starts on a new connection
                raise
            if response.will_close:
                self.close()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise AssertionError("unreachable")

    def _call(self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None) -> Any:
        """A JSON answer (None for an empty one), or EclypseError."""
        status, headers, data = self.request(method, path, query=query, body=body)
        self._raise_for(status, headers, data)
        return json.loads(data) if data else None

    def _wait(
        self,
        poll: Callable[[], J],
        done: Callable[[J], bool],
        timeout: float,
        interval: float,
        on_progress: Callable[[J], None] | None,
        sleep: Callable[[float], None],
    ) -> J:
        """Poll a job until `done`; TimeoutError after `timeout` seconds counted in the intervals slept."""
        waited = 0.0
        while True:
            job = poll()
            if on_progress is not None:
                on_progress(job)
            if done(job):
                return job
            if waited >= timeout:
                last = getattr(job, "progress", None)
                raise TimeoutError(f"the job did not end within {timeout} s (last progress {last})")
            sleep(interval)
            waited += interval

    def _get(self, path: str, select: Iterable[str] | None, query: dict[str, str] | None = None) -> Any:
        """An entity, or some of its properties (and the operation's own query parameters)."""
        query = dict(query or {})
        if select is not None:
            query[self.select_option] = ",".join(select)
        return self._call("GET", path, query=query or None)

    def _raw(self, path: str) -> str:
        """A `$value` answer, or EclypseError."""
        status, headers, data = self.request("GET", path, accept="text/plain, application/json;q=0.5")
        self._raise_for(status, headers, data)
        return data.decode("utf-8")

    def _download(self, path: str, target: str | os.PathLike[str]) -> int:
        """Save a binary resource's bytes at `target`; answers how many were written."""
        status, headers, data = self.request(
            "GET", path, query={self.encode_option: self.binary_encoding}, accept="*/*"
        )
        self._raise_for(status, headers, data)
        with open(target, "wb") as file:
            file.write(data)
        return len(data)

    def _upload(
        self,
        method: str,
        path: str,
        field: str,
        source: str | os.PathLike[str],
        *,
        query: dict[str, str] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Any:
        """Send the file at `source` as the field `field` of a multipart/form-data body, read and sent a
        piece at a time (never whole in memory); `on_progress(sent, total)` hears of each piece. A JSON
        answer, or EclypseError."""
        boundary = "eclypse-" + secrets.token_hex(16)
        name = os.path.basename(os.fspath(source)).replace('"', "%22")
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        total = os.path.getsize(source)
        target = self._base + path + (f"?{urlencode(query)}" if query else "")
        # Basic credentials rather than the session cookie: an expired session would refuse the upload
        # after its body was sent.
        headers = {
            "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + total + len(tail)),
        }
        if self._authorization is not None:
            headers["Authorization"] = self._authorization
        elif self._session is not None:
            headers["Cookie"] = f"{self.session_cookie}={self._session}"
        self.close()  # a fresh connection: a keep-alive one may have been closed meanwhile
        connection = self._connection()
        try:
            connection.putrequest(method, target, skip_accept_encoding=True)
            for header, value in headers.items():
                connection.putheader(header, value)
            connection.endheaders()
            connection.send(head)
            sent = 0
            with open(source, "rb") as file:
                while piece := file.read(UPLOAD_PIECE):
                    connection.send(piece)
                    sent += len(piece)
                    if on_progress is not None:
                        on_progress(sent, total)
            connection.send(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole body was sent: its answer may still be there to read
        try:
            response = connection.getresponse()
            status, answer_headers, data = response.status, dict(response.getheaders()), response.read()
        finally:
            self.close()
        self._raise_for(status, {k.lower(): v for k, v in answer_headers.items()}, data)
        return json.loads(data) if data else None

    def _raise_for(self, status: int, headers: dict[str, str], data: bytes) -> None:
        if status < 400:
            return
        try:
            document = json.loads(data)
        except ValueError:
            document = {}
        error = self.error_model.from_json(document if isinstance(document, dict) else {})
        raise EclypseError(
            status, error.code, error.message or data.decode("utf-8", "replace"), data, headers
        )


def prog() -> str:
    """The name this was run as: `python -m generated.client` (or `eclypse_emulator.client`), or `eclypse`."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if name and argv0 and os.path.realpath(argv0) == os.path.realpath(getattr(main, "__file__", None) or "/"):
        return "python -m " + name.removesuffix(".__main__")
    return os.path.basename(argv0) or "eclypse"


def parser(default_url: str, commands: Iterable[Command]) -> tuple[argparse.ArgumentParser, Any]:
    """The command line's parser, one subcommand per command, and its subparsers (for more commands)."""
    parser = argparse.ArgumentParser(prog=prog(), description="Talk to an ECLYPSE controller.")
    url = os.environ.get("ECLYPSE_URL", default_url)
    parser.add_argument("--url", default=url, help=f"base URL (default: $ECLYPSE_URL or {default_url})")
    parser.add_argument("--user", metavar="NAME:PASSWORD", help="Basic credentials")
    parser.add_argument("--cafile", help="trust this CA certificate (PEM) for HTTPS")
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify the HTTPS certificate (self-signed devices)"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command, _, help_, parameters, options, entity in commands:
        sub = subparsers.add_parser(command, help=help_)
        for name in parameters:
            sub.add_argument(name)
        for flag, keyword, is_list in options:
            sub.add_argument(flag, dest=keyword, nargs="*" if is_list else None)
        if entity:
            sub.add_argument("--select", help="comma-separated property names")
    return parser, subparsers


def client_of(args: argparse.Namespace, client_class: Callable[..., C]) -> C:
    """The client the command line's options describe."""
    name, _, password = (args.user or "").partition(":")
    return client_class(
        args.url,
        username=name or None,
        password=password,
        timeout=args.timeout,
        cafile=args.cafile,
        verify=not args.insecure,
    )


def run_command(client: ClientBase, args: argparse.Namespace, commands: Iterable[Command]) -> Any:
    """Call the client method of the command `args` names, with its arguments."""
    _, method, _, parameters, options, entity = next(c for c in commands if c[0] == args.command)
    keywords = {keyword: _cli_value(getattr(args, keyword)) for _, keyword, _ in options}
    if entity and args.select is not None:
        keywords["select"] = [n for n in args.select.split(",") if n]
    return getattr(client, method)(*(getattr(args, p) for p in parameters), **keywords)


def _cli_value(value: Any) -> Any:
    """An option's value: the items of a list option that are JSON objects or arrays as JSON (a multiple
    request's references: --property-references '{"type": "analogValue", ...}'), the rest as given."""
    if not isinstance(value, list):
        return value
    return [json.loads(item) if item.lstrip().startswith(("{", "[")) else item for item in value]


def printable(result: Any) -> Any:
    """An answer as JSON values: a model by the device's own names (jobId, apiRevision), without the
    properties left out; a list item by item."""
    if isinstance(result, list):
        return [printable(item) for item in result]
    return result.to_json() if hasattr(result, "to_json") else result


def print_result(result: Any) -> None:
    if result is not None:
        print(json.dumps(printable(result)))


def add_backup_command(commands: Any) -> None:
    """The `backup` command: create a backup, follow its job with a progress bar, download the file."""
    backup = commands.add_parser(
        "backup", help="create a backup, follow its job with a progress bar, download the file"
    )
    backup.add_argument(
        "--file-name", default="backup", help="the file's name before _<timestamp> (default: backup)"
    )
    backup.add_argument(
        "--target", default="Device", help="Device (the default) or USB; a USB backup is not downloaded"
    )
    backup.add_argument("--data-types", nargs="*", help="what to back up (default: every data type)")
    backup.add_argument("--output", help="where to save the file (default: its name and extension, here)")
    backup.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    backup.add_argument("--wait", type=float, default=3600.0, help="give up after this many seconds")


def run_backup(client: Any, args: argparse.Namespace, spec: dict[str, Any]) -> int:
    """The `backup` command, with the client's methods and values that `spec` names (from the spec's
    backup_command): create, wait, list, download, extension, data_types, state_attr, success_status."""
    data_types = args.data_types if args.data_types is not None else spec["data_types"]
    created = getattr(client, spec["create"])(
        data_types=data_types, target=args.target, file_name=args.file_name
    )
    progress = Progress(spec["state_attr"])
    try:
        job = getattr(client, spec["wait"])(
            created.job_id, timeout=args.wait, interval=args.interval, on_progress=progress
        )
    finally:
        progress.end()
    state = getattr(job, spec["state_attr"])
    if state != spec["success_status"]:
        print(f"error: the backup job {created.job_id} ended {state}", file=sys.stderr)
        return 1
    # The name ends with the device's timestamp, which sorts chronologically: the greatest is the newest.
    listed = getattr(client, spec["list"])(args.target)
    names = [f.name for f in listed if (f.name or "").startswith(args.file_name + "_")]
    if not names:
        print(f"error: the backup job {created.job_id} ended OK but left no file", file=sys.stderr)
        return 1
    result: dict[str, Any] = {"jobId": created.job_id, "name": max(names)}
    if args.target.lower() == "device":
        result["path"] = args.output or max(names) + spec["extension"]
        result["size"] = getattr(client, spec["download"])(max(names), result["path"])
    print(json.dumps(result))
    return 0


def add_user_command(commands: Any) -> None:
    """The `user` command: list the users, add one, delete one, set one's password."""
    user = commands.add_parser("user", help="the device's users: list, add, delete, password")
    actions = user.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="list the users")
    add = actions.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--roles", nargs="*", help="its roles (default: the device's)")
    actions.add_parser("delete", help="delete a user").add_argument("name")
    password = actions.add_parser("password", help="set a user's password")
    password.add_argument("name")
    for sub in (add, password):
        sub.add_argument(
            "--password", help="the password (default: asked on a terminal, else one line of stdin)"
        )


def encoded_password(given: str | None, stream: Any = None) -> str:
    """The password as the device takes it, base64 of its UTF-8 text: `given`, else asked on a terminal,
    else the first line of `stream` (stdin), so that a script can pipe it in."""
    stream = stream if stream is not None else sys.stdin
    if given is None:
        given = getpass.getpass("Password: ") if stream.isatty() else stream.readline().rstrip("\r\n")
    if not given:
        raise ValueError("a password is needed: --password, or typed when asked")
    return base64.b64encode(given.encode("utf-8")).decode("ascii")


def run_user(client: Any, args: argparse.Namespace, spec: dict[str, str]) -> int:
    """The `user` command, with the client's methods that `spec` names (spec/emulator.yaml user_command):
    list, create, set, delete. A user is named, and found in the list by its name as the fleet client
    finds it; its password travels base64-encoded, without a password reset, as the client sends it."""
    if args.action == "list":
        print_result(getattr(client, spec["list"])())
        return 0
    if args.action == "add":
        password = encoded_password(args.password)
        created = getattr(client, spec["create"])(
            username=args.name, password=password, password_reset=False, welcome_page="", roles=args.roles
        )
        print_result(created)
        return 0
    user_id = next((u.id for u in getattr(client, spec["list"])() if u.username == args.name), None)
    if user_id is None:
        raise ValueError(f"the device has no user named {args.name!r}")
    if args.action == "delete":
        getattr(client, spec["delete"])(user_id)
        return 0
    password = encoded_password(args.password)
    print_result(
        getattr(client, spec["set"])(user_id, username=args.name, password=password, password_reset=False)
    )
    return 0


def add_reboot_command(commands: Any) -> None:
    """The `reboot` command: a cold start (the default) or a warm one."""
    reboot = commands.add_parser("reboot", help="restart the device: cold (the default) or warm")
    reboot.add_argument("kind", nargs="?", choices=("cold", "warm"), default="cold", help="default: cold")


def run_reboot(client: Any, args: argparse.Namespace, spec: dict[str, str]) -> int:
    """The `reboot` command, with the client's methods that `spec` names by kind (reboot_command)."""
    getattr(client, spec[args.kind])()
    return 0


def add_firmware_command(commands: Any) -> None:
    """The `firmware` command: upload an image, follow its install, wait out the reboot, read the version."""
    firmware = commands.add_parser(
        "firmware",
        help="upload a firmware image with a progress bar, follow its install, wait out the reboot, "
        "read the new version",
    )
    firmware.add_argument("source", help="the firmware zip, e.g. ECYSeries_v1.17.22053.807.zip")
    firmware.add_argument(
        "--check-only", action="store_true", help="only check the image (apply=false): nothing is installed"
    )
    firmware.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    firmware.add_argument("--wait", type=float, default=3600.0, help="give up after this many seconds")


def run_firmware(
    client: Any, args: argparse.Namespace, spec: dict[str, Any], sleep: Callable[[float], None] = time.sleep
) -> int:
    """The `firmware` command, with the client's methods `spec` names (the spec's firmware_command):
    upload, status, device; and the statuses running_status and success_status. The reboot is waited out
    by polling the status until the device answers again (refused connections and 503s are the reboot)."""
    before = getattr(client, spec["device"])().software_version
    sending = Progress("status")
    try:
        update = getattr(client, spec["upload"])(
            args.source,
            apply="false" if args.check_only else "true",
            on_progress=lambda sent, total: sending(
                _Shown(int(sent * 100 / total) if total else 100, "UPLOADING")
            ),
        )
    finally:
        sending.end()
    if args.check_only:
        print(json.dumps(printable(update)))
        return 0
    installing, waited = Progress("status"), 0.0
    try:
        while True:
            try:
                update = getattr(client, spec["status"])()
                installing(update)
                if update.status != spec["running_status"]:  # (its reboot answers nothing)
                    break
            except (OSError, http.client.HTTPException):
                installing(_Shown(100, "REBOOTING"))  # the device is down: its reboot
            except EclypseError as error:
                if error.status != 503:  # 503: the device is starting
                    raise
                installing(_Shown(100, "STARTING"))
            if waited >= args.wait:
                raise TimeoutError(f"the update did not end within {args.wait} s")
            sleep(args.interval)
            waited += args.interval
    finally:
        installing.end()
    after = getattr(client, spec["device"])().software_version
    print(json.dumps({"status": update.status, "previousVersion": before, "version": after}))
    if update.status != spec["success_status"]:
        print(f"error: the update failed: {update.reason}", file=sys.stderr)
        return 1
    return 0


class _Shown:
    """What a progress bar shows of something that is not a job: a percentage and a word."""

    def __init__(self, progress: int, status: str) -> None:
        self.progress, self.status = progress, status


# The commands that chain operations: how each adds its arguments and runs, given what the spec names for it
# (the generated client's CHAINED table, from spec/emulator.yaml's *_command choices).
CHAINED_COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[Any, argparse.Namespace, Any], int]]] = {
    "backup": (add_backup_command, run_backup),
    "user": (add_user_command, run_user),
    "reboot": (add_reboot_command, run_reboot),
    "firmware": (add_firmware_command, run_firmware),
}


def add_chained_commands(commands: Any, chained: Mapping[str, Any]) -> None:
    """Add the chained commands the spec gives (`chained`: command name -> what it calls)."""
    for name in chained:
        CHAINED_COMMANDS[name][0](commands)


def run_chained(client: Any, args: argparse.Namespace, chained: Mapping[str, Any]) -> int:
    return CHAINED_COMMANDS[args.command][1](client, args, chained[args.command])


def main_guard(body: Callable[[], int], url: Callable[[], str]) -> int:
    """Run a command's body; errors as one line on stderr (exit 1), Ctrl-C quietly (130, as SIGINT)."""
    try:
        return body()
    except (EclypseError, TimeoutError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (OSError, http.client.HTTPException) as error:
        print(f"error: cannot talk to {url()}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


class Progress:
    """What `watch` shows of each poll: on a terminal one bar redrawn in place (the line cleared each time),
    else one line per change, for a log. `state_attr` names the job's status attribute."""

    def __init__(self, state_attr: str, stream: Any = None) -> None:
        self.state_attr = state_attr
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty()
        self.last = ""

    def __call__(self, job: Any) -> None:
        progress = job.progress or 0
        state = getattr(job, self.state_attr, None) or ""
        if self.terminal:
            done = int(progress / 100 * 30)
            text = f"[{'#' * done}{'.' * (30 - done)}] {progress:3d}% {state}"
            # Padded to the previous frame's width, so that a shorter status leaves nothing behind.
            self.stream.write("\r" + text.ljust(len(self.last)))
        else:
            text = f"{progress}% {state}".rstrip()
            if text != self.last:
                self.stream.write(text + "\n")
        self.last = text
        self.stream.flush()

    def end(self) -> None:
        """End the bar's line on a terminal."""
        if self.terminal and self.last:
            self.stream.write("\n")
            self.stream.flush()
