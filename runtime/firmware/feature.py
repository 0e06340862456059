"""Firmware updates: the upload (POST /system/update/firmware, a streamed multipart form), the install and
its status (GET /system/update/firmware/status), the failures a test can ask for, and their options.

An accepted image starts an install: a job of the job duration (also at /jobs/{jobId}/). When it ends
the device reboots (runtime/reboot/, a warm start: the emulator's choice) and comes back on the new
version, which /info/device's softwareVersion shows from the reboot on, never before: the version and the
update's record change in one transaction of the state store (a state file survives SIGKILL). What the
clock brings about (an install's end, a power loss at some progress) happens before the next request
(`settle`), dated when it happened.

A failure, asked for with --firmware-failure, the fleet file's `firmware_failure` or the control API
(`POST /_emulator/firmware/failure`), befalls the next install (or the one running): `bad-image` fails it
at its progress (the device runs its version on), `power-loss` reboots the device there (a cold start) and
it comes back on its previous version. Any reboot during an install (a coldStart, a fleet's reboot fault or
schedule) is a power loss too. A device restarted with its state file while an install ran comes back on
its previous version, the update FAILED.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Mapping

from ...generated import handler as api
from ..clock.feature import ClockFeature
from ..core.deviceapi import parse_revision
from ..core.options import option, positive
from ..core.wire import ApiError
from ..device.events import REBOOT, RESET
from ..device.feature import BodyField, Device, Feature, Hook, HookCall, HookResult, Operation
from ..device.resources import Resource, resolve
from ..jobs.feature import JobsFeature
from ..jobs.simulator import Scenario
from ..reboot.feature import RebootFeature
from .image import Image, ImageSpool

DEFAULT_MAX_SIZE = 512 << 20  # bytes of an image (the emulator's choice: real images are tens of MB)
STATE_PATH = "/system/update/firmware"  # the last update's record, in the device's state store
JOB_TYPE = "FIRMWARE_UPDATE"  # what /jobs/{jobId}/ shows of an install
FAILURES = ("bad-image", "power-loss")
DEFAULT_FAILURE_AT = 50  # % of the install
REBOOT_KIND = "warm"  # an update's own reboot (the emulator's choice: the program and its points stay)
IDLE, RUNNING, REBOOTING, OK, FAILED, CHECKED = "IDLE", "RUNNING", "REBOOTING", "OK", "FAILED", "CHECKED"
REASONS = {
    "bad-image": "the image failed its verification during the install",
    "power-loss": "the power was lost during the install",
}


def failure_text(text: str) -> str:
    """`bad-image` or `power-loss`, optionally `@PROGRESS` (0 to 100): a failure asked for; ValueError."""
    parse_failure(text)
    return text


def parse_failure(text: str) -> tuple[str, int]:
    """A failure's kind and the install's progress it befalls at."""
    kind, at, progress = str(text).partition("@")
    if kind not in FAILURES:
        raise ValueError(
            f"a firmware failure is {' or '.join(FAILURES)} (optionally @PROGRESS), not {text!r}"
        )
    if not at:
        return kind, DEFAULT_FAILURE_AT
    if not (progress.isascii() and progress.isdigit() and 0 <= int(progress) <= 100):
        raise ValueError(f"a firmware failure's progress is 0 to 100, not {progress!r}")
    return kind, int(progress)


def size_of(given: Any) -> int:
    """A fleet file's image bound: a whole number of bytes >= 1."""
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise ValueError(f"expected a whole number of bytes >= 1, not {given!r}")
    return given


@dataclass(frozen=True)
class FirmwareOptions:
    max_firmware_size: int = option(
        DEFAULT_MAX_SIZE,
        flag="--max-firmware-size",
        parse=positive,
        metavar="BYTES",
        help=f"largest firmware image in bytes, beyond --max-body (default: {DEFAULT_MAX_SIZE >> 20} MiB)",
        fleet=True,
        read=size_of,
    )
    firmware_failure: str | None = option(
        flag="--firmware-failure",
        parse=failure_text,
        metavar="KIND[@PROGRESS]",
        help="make the next firmware update fail: bad-image or power-loss, at PROGRESS %% "
        f"(default {DEFAULT_FAILURE_AT})",
        fleet=True,
        read=failure_text,
    )


class FirmwareUpload:
    """The sink of one upload (runtime/core/multipart.py FileSink): the image spooled, then checked and
    installed (or only checked) when the body is complete."""

    def __init__(self, feature: FirmwareFeature, apply: bool) -> None:
        self.feature, self.apply = feature, apply
        self.limit = feature.max_size
        self.spool = ImageSpool()

    def begin(self, filename: str | None, content_type: str | None) -> None:
        self.spool.begin(filename)

    def write(self, data: bytes) -> None:
        self.spool.write(data)

    def finish(self) -> dict[str, Any]:
        try:
            image = self.spool.check(self.feature.model())
        finally:
            self.spool.close()  # the image is not kept: what installs is known
        return self.feature.install(image) if self.apply else self.feature.checked(image)

    def abort(self) -> None:
        self.spool.close()


class FirmwareFeature(Feature):
    options = FirmwareOptions

    def __init__(self, device: Device, options: FirmwareOptions) -> None:
        self.state, self.max_size = device.state, options.max_firmware_size
        self.clock = device.feature(ClockFeature).clock
        self.simulator = device.feature(JobsFeature).simulator
        self.reboots = device.feature(RebootFeature)
        # The identity whose softwareVersion an install changes (None: a spec without it, which has no
        # firmware either).
        self.device_info: Resource | None = resolve("/info/device", parse_revision(device.api_revision))
        self.option_failure = (
            None if options.firmware_failure is None else parse_failure(options.firmware_failure)
        )
        self.lock = threading.RLock()
        self.load()
        device.events.subscribe(REBOOT, self._rebooted)
        device.events.subscribe(RESET, self.load)

    def load(self) -> None:
        """The record as stored (at start, after a reset); an install that ran when the device stopped
        failed, unless its time had come (then it completed)."""
        with self.lock:
            self.armed = self.option_failure
            self.record: dict[str, Any] = self.state.get(STATE_PATH, dict)
            if self.record.get("status") == RUNNING:
                self.settle()
            if self.record.get("status") == RUNNING:  # its job is gone with the process, or still runs
                self._fail("the device restarted during the install", self.record)

    # Hooks

    def hooks(self) -> Mapping[str, Hook]:
        return {"update_firmware": self.update_firmware, "firmware_status": self.firmware_status}

    def update_firmware(self, call: HookCall) -> FirmwareUpload:
        if self.running():
            raise ApiError("conflict", reason="a firmware update is running already")
        return FirmwareUpload(self, call.parameters.get("apply", "true") == "true")

    def firmware_status(self, call: HookCall) -> HookResult:
        return self.status()

    def status(self) -> dict[str, Any]:
        """The update's status now, by property name."""
        with self.lock:
            self.settle()
            record = self.record
            status, progress = record.get("status", IDLE), record.get("progress", 0)
            if status == RUNNING:
                job = self.simulator.get(record["jobId"])
                progress = self.simulator.state(job).progress if job is not None else progress
            elif status == OK and self.reboots.phase() != "up" and self.clock.now() < record.get("upAt", 0):
                status = REBOOTING  # its own reboot (seldom seen: the device answers nothing meanwhile)
            return {
                "Status": status,
                "Progress": progress,
                "CurrentVersion": self.version(),
                "Version": record.get("version", ""),
                "PreviousVersion": record.get("previousVersion", ""),
                "FileName": record.get("fileName", ""),
                "Size": record.get("size", 0),
                "Sha256": record.get("sha256", ""),
                "JobId": record.get("jobId", ""),
                "Reason": record.get("reason", ""),
            }

    # The device's identity

    def _info(self) -> dict[str, Any]:
        values: dict[str, Any] = {} if self.device_info is None else self.device_info.read(self.state.get)
        return values

    def version(self) -> str:
        return str(self._info().get("SoftwareVersion", ""))

    def model(self) -> str:
        """The device's model: the first word of its modelName (as the client reads it)."""
        return (str(self._info().get("ModelName", "")).split() or [""])[0]

    # The install

    def running(self) -> bool:
        with self.lock:
            self.settle()
            return self.record.get("status") == RUNNING

    def checked(self, image: Image) -> dict[str, Any]:
        """apply=false: the image passed its checks; nothing is installed, nothing is kept."""
        return {
            **self._image_values(image),
            "Status": CHECKED,
            "Progress": 0,
            "CurrentVersion": self.version(),
        }

    @staticmethod
    def _image_values(image: Image) -> dict[str, Any]:
        return {
            "Version": image.version,
            "FileName": image.file_name,
            "Size": image.size,
            "Sha256": image.sha256,
        }

    def install(self, image: Image) -> dict[str, Any]:
        """Start installing a checked image (409 if an install runs meanwhile)."""
        with self.lock:
            if self.running():
                raise ApiError("conflict", reason="a firmware update is running already")
            armed, self.armed = self.armed, None
            duration = self.simulator.default_scenario.duration
            scenario = Scenario(duration, self.simulator.success_status, None if armed is None else armed[1])
            job = self.simulator.create(scenario, job_type=JOB_TYPE)
            record = {
                "status": RUNNING,
                "progress": 0,
                "version": image.version,
                "previousVersion": self.version(),
                "fileName": image.file_name,
                "size": image.size,
                "sha256": image.sha256,
                "jobId": job.id,
                "reason": "",
                "started": job.started,
                "duration": duration,
                "failure": None if armed is None else list(armed),
            }
            self.state.put(STATE_PATH, record)
            self.record = record
        return self.status()

    def settle(self) -> None:
        """An install whose job ended: completed (the device reboots into the new version) or failed (a
        bad image; a power loss reboots the device), dated when it happened."""
        if self.record.get("status") != RUNNING:  # the usual case, on every request: no lock taken
            return
        with self.lock:
            record = self.record
            if record.get("status") != RUNNING:
                return
            job = self.simulator.get(record["jobId"])
            if job is None:
                return
            state = self.simulator.state(job)
            if state.running:
                return
            failure = record.get("failure")
            if state.status == self.simulator.success_status:
                self._complete(record)
            elif failure is not None and state.progress == failure[1]:
                when = record["started"] + record["duration"] * failure[1] / 100
                self._fail(REASONS[failure[0]], record, state.progress)
                if failure[0] == "power-loss":
                    self.reboots.reboot("cold", at=when)
            else:  # a reboot failed its job; _rebooted has said so unless the job was failed otherwise
                self._fail("the install's job ended " + state.status, record, state.progress)

    def _complete(self, record: dict[str, Any]) -> None:
        ended = record["started"] + record["duration"]
        up_at = ended + self.reboots.settings.reboot_seconds + self.reboots.settings.starting_seconds
        done = {**record, "status": OK, "progress": 100, "upAt": up_at}
        info = {**self._info(), "SoftwareVersion": record["version"]}
        paths = (
            {STATE_PATH: done}
            if self.device_info is None
            else {STATE_PATH: done, self.device_info.path: info}
        )
        self.state.change(paths, [])
        self.record = done
        self.reboots.reboot(REBOOT_KIND, at=ended)

    def _fail(self, reason: str, record: dict[str, Any], progress: int | None = None) -> None:
        given = record.get("progress", 0) if progress is None else progress
        failed = {
            **record,
            "status": FAILED,
            "progress": given,
            "reason": f"{reason}: it runs {self.version()}",
        }
        self.state.put(STATE_PATH, failed)
        self.record = failed

    def _rebooted(self, kind: str, **_: Any) -> None:
        """A reboot during an install (not the install's own): the power went; the old version runs."""
        with self.lock:
            if self.record.get("status") == RUNNING:
                job = self.simulator.get(self.record["jobId"])
                progress = self.simulator.state(job).progress if job is not None else 0
                self._fail(f"the device restarted during the install (a {kind} start)", self.record, progress)

    # Control operations

    def fail_firmware_update(self, failure: str, at_progress: int = DEFAULT_FAILURE_AT) -> dict[str, Any]:
        """Make the running install (or else the next one) fail: `bad-image` or `power-loss`, at
        `at_progress` % (now, if the install is past it)."""
        kind, at = parse_failure(f"{failure}@{at_progress}")
        with self.lock:
            if not self.running():
                self.armed = (kind, at)
                return {"failure": kind, "atProgress": at, "install": "next"}
            record = self.record
            job = self.simulator.get(record["jobId"])
            now = self.simulator.state(job).progress if job is not None else at
            at = max(at, now)
            if job is not None:
                job.scenario = Scenario(job.scenario.duration, job.scenario.status, at)
                if self.simulator.store is not None:
                    self.simulator.store.update(job)
            record = {**record, "failure": [kind, at]}
            self.state.put(STATE_PATH, record)
            self.record = record
            self.settle()
            return {"failure": kind, "atProgress": at, "install": "running"}

    def firmware_update(self) -> dict[str, Any]:
        """The update's status, as the device API shows it (JSON keys)."""
        return api.CODECS["FirmwareUpdate"].json_value(self.status())

    operations = (
        Operation("GET", "/firmware", "firmware_update", shows=lambda _, status: status),
        Operation(
            "POST",
            "/firmware/failure",
            "fail_firmware_update",
            body=(
                BodyField(
                    "failure", "failure", str, "failure must be bad-image or power-loss", required=True
                ),
                BodyField(
                    "atProgress", "at_progress", int, "atProgress must be a whole number from 0 to 100"
                ),
            ),
            what="firmware failure",
            refused="firmware failure",
            shows=lambda _, armed: armed,
        ),
    )
