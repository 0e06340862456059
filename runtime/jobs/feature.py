"""The jobs: the simulator behind every job resource, its hooks, its control operations and its options."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Callable, Mapping

from ...generated import handler as api
from ..core.camel import camel_keys
from ..core.deviceapi import Route
from ..core.options import option, positive, seconds
from ..clock.feature import ClockFeature
from ..core.wire import ApiError
from ..device.events import REBOOT
from ..device.feature import BodyField, Device, Feature, Hook, HookCall, HookResult, Operation
from .simulator import Job, JobSimulator, JobState, Scenario

NUMBER = (int, float)
# The object of a backup creation's body (spec/objects.yaml), whose checks the control API's jobs share.
BACKUP_BODY = "Backup"
JOB_FIELDS = ("duration", "status", "fail_at", "never_finish")


def job_scenario(given: Any) -> Mapping[str, Any]:
    """A fleet file's default job scenario: a mapping of JOB_FIELDS whose values the job's own rules
    take; ValueError otherwise."""
    if not isinstance(given, dict) or set(given) - set(JOB_FIELDS):
        raise ValueError(f"jobs must be a mapping of {', '.join(JOB_FIELDS)}")
    try:
        Scenario(**{"duration": 0, "status": "-", **given})
    except (TypeError, ValueError) as error:
        raise ValueError(f"jobs: {error}") from None
    return given


@dataclass(frozen=True)
class JobsOptions:
    job_duration: float | None = option(
        flag="--job-duration",
        parse=seconds,
        metavar="SECONDS",
        help="seconds a backup job takes from 0 to 100 %% "
        f"(default: {api.CHOICES['default_job_duration']:g})",
    )
    max_jobs: int = option(
        1_000_000,
        flag="--max-jobs",
        parse=positive,
        help="evict the oldest finished jobs beyond this many (default: 1000000)",
    )
    # The default job scenario (duration, status, fail_at, never_finish) over job_duration.
    jobs: Mapping[str, Any] = option(
        factory=dict,
        fleet=True,
        read=job_scenario,
        merge=lambda lower, upper: {**(lower or {}), **(upper or {})},
    )


def job_document(job: Job, state: JobState) -> dict[str, Any]:
    """A job as the control API shows it (camelCase keys, like the device API's JSON)."""
    scenario = {key: value for key, value in asdict(job.scenario).items() if value is not None}
    return {
        "jobId": job.id,
        "progress": state.progress,
        "status": state.status,
        "running": state.running,
        "dataTypes": list(job.data_types),
        "startedAt": job.started,
        "scenario": camel_keys(scenario),
    }


class JobsFeature(Feature):
    """The device's jobs: created by the device API (a `job` resource, a backup) or the control API,
    progressing on the emulator's clock; a reboot fails those running."""

    options = JobsOptions

    def __init__(self, device: Device, options: JobsOptions) -> None:
        duration = (
            api.CHOICES["default_job_duration"] if options.job_duration is None else options.job_duration
        )
        if not (math.isfinite(duration) and duration >= 0):
            raise ValueError(f"job duration must be a number of seconds >= 0, not {options.job_duration!r}")
        if options.max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, not {options.max_jobs!r}")
        self.backup_job_type = api.CHOICES["backup_job_type"]
        self.simulator = JobSimulator(
            device.feature(ClockFeature).clock,
            default_duration=duration,
            success_status=api.SUCCESS_STATUS,
            running_status=api.CHOICES["running_status"],
            failure_status=api.CHOICES["failure_status"],
            cancelled_status=api.CHOICES["cancelled_status"],
            max_jobs=options.max_jobs,
            store=device.file,
        )
        if options.jobs:
            default = self.simulator.default_scenario
            given = {"duration": default.duration, "status": default.status, **options.jobs}
            self.simulator.default_scenario = Scenario(**given)
        device.events.subscribe(REBOOT, lambda **_: self.simulator.fail_running())
        # Who makes a job that leaves a file (the backups feature, when the device has it).
        self.file_jobs: Callable[[dict[str, Any], Scenario], str] | None = None

    # Hooks

    def hooks(self) -> Mapping[str, Hook]:
        return {"backup_job": self.backup_job, "job": self.job_resource, "cancel_job": self.cancel_job}

    def backup_job(self, call: HookCall) -> HookResult:
        job = self.simulator.get(call.parameters["job_id"])
        if job is None:
            return None
        state = self.simulator.state(job)
        return {"Progress": state.progress, "Status": state.status}

    def job_resource(self, call: HookCall) -> HookResult:
        job = self.simulator.get(call.parameters["job_id"])
        if job is None:
            return None
        state = self.simulator.state(job)
        # State is the emulator's choice (spec/objects.yaml): the values of the backup job's Status.
        return {"Progress": state.progress, "Type": job.type or self.backup_job_type, "State": state.status}

    def cancel_job(self, call: HookCall) -> HookResult:
        job = self.simulator.get(call.parameters["job_id"])
        if job is None:
            return None
        if not self.simulator.cancel(job):
            raise api.ApiError("conflict", reason=f"job {job.id} is not running: it cannot be cancelled")
        return {}

    def start(self, route: Route, body: dict[str, Any]) -> dict[str, Any]:
        """A resource of kind `job`: start a job of the type it names; answers its id."""
        job = self.simulator.create(
            data_types=tuple(body.get("DataTypes", ())), job_type=route.behaviour["type"]
        )
        id_field = next(f for f in route.answers.fields if f.kind.format == "uuid")
        return {id_field.name: job.id}

    # Control operations

    def create_job(
        self,
        *,
        duration: float | None = None,
        status: str | None = None,
        fail_at: int | None = None,
        never_finish: bool = False,
        data_types: tuple[str, ...] = (),
        file_name: str | None = None,
        target: str = "Device",
    ) -> str:
        """Start a job that unfolds as the scenario says (status: the final one, by default the spec's
        success status); answers its id. With a `file_name`, a backup job that leaves that file on
        `target` when it ends OK, as one created through the device API does."""
        duration = self.simulator.default_scenario.duration if duration is None else duration
        status = self.simulator.success_status if status is None else status
        scenario = Scenario(duration, status, fail_at, never_finish)
        if scenario == self.simulator.default_scenario:
            scenario = self.simulator.default_scenario  # one object for every default job: 64 bytes a job
        # The device API's own checks of a creation body (data types of its list, a file name that stays
        # in its folder, a known target): a job made here shows nothing the device could not.
        given: dict[str, Any] = {"dataTypes": list(data_types)}
        if file_name is not None:
            given.update(fileName=file_name, target=target)
        body = api.CODECS[BACKUP_BODY].read_json(given, "")
        if file_name is not None:
            if self.file_jobs is None:
                raise ValueError("this device keeps no files: a job cannot leave one")
            return self.file_jobs(body, scenario)
        return self.simulator.create(scenario, tuple(dict.fromkeys(body["DataTypes"]))).id

    def job(self, job_id: str) -> dict[str, Any] | None:
        """A job as the control API shows it; None when there is no such job."""
        job = self.simulator.get(job_id)
        return None if job is None else job_document(job, self.simulator.state(job))

    def jobs(self) -> list[dict[str, Any]]:
        """Every job, as the control API shows it."""
        return [job_document(job, self.simulator.state(job)) for job in self.simulator.jobs()]

    operations = (
        Operation("GET", "/jobs", "jobs", shows=lambda _, jobs: {"jobs": jobs}),
        Operation(
            "POST",
            "/jobs",
            "create_job",
            body=(
                BodyField("duration", "duration", NUMBER),
                BodyField("status", "status", str),
                BodyField("failAt", "fail_at", int),
                BodyField("neverFinish", "never_finish", bool),
                BodyField("dataTypes", "data_types", list),  # of strings
                # A backup job that leaves this file when it ends OK (the device API's create body).
                BodyField("fileName", "file_name", str),
                BodyField("target", "target", str),
            ),
            what="scenario",
            status=201,
            shows=lambda jobs, job_id: jobs.job(job_id),
        ),
        Operation(
            "GET",
            "/jobs/{job_id}",
            "job",
            shows=lambda _, job: job,
            missing=lambda path, parameters: ApiError("job_not_found", value=parameters["job_id"]),
        ),
    )
