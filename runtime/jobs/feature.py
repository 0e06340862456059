"""The device's hooks: the functions that resources of kind `hook` name in spec/resources.yaml.

Each answers the object's values by property name (None: no such entity), called with the route, the
request body (or None), whether raw bytes are asked for, and the path and query parameters. A hook the
spec names but this class lacks is an error at start-up (behaviours.Behaviours). Errors are raised
through the handler module, whose classes a spec reload replaces.
"""

from __future__ import annotations

from typing import Any

from ..generated import handler as api

from .backups import Backups
from .device_clock import DateTimeError, DeviceClock
from .simulator import JobSimulator


class DeviceBackend:
    def __init__(
        self,
        simulator: JobSimulator,
        api_revision: str,
        backup_job_type: str,
        backups: Backups,
        device_clock: DeviceClock,
    ) -> None:
        self.simulator = simulator
        self.api_revision = api_revision
        self.backup_job_type = backup_job_type
        self.backups = backups
        self.device_clock = device_clock

    def backup_job(self, job_id: str, **_: Any) -> dict[str, Any] | None:
        job = self.simulator.get(job_id)
        if job is None:
            return None
        state = self.simulator.state(job)
        return {"Progress": state.progress, "Status": state.status}

    def job(self, job_id: str, **_: Any) -> dict[str, Any] | None:
        job = self.simulator.get(job_id)
        if job is None:
            return None
        state = self.simulator.state(job)
        # State is the emulator's choice (spec/objects.yaml): the values of the backup job's Status.
        return {"Progress": state.progress, "Type": job.type or self.backup_job_type, "State": state.status}

    def cancel_job(self, job_id: str, **_: Any) -> dict[str, Any] | None:
        job = self.simulator.get(job_id)
        if job is None:
            return None
        if not self.simulator.cancel(job):
            raise api.ApiError("conflict", reason=f"job {job.id} is not running: it cannot be cancelled")
        return {}

    def info(self, **_: Any) -> dict[str, Any]:
        # The links are the spec's defaults; the revision is the runtime's (--api-revision).
        return {"ApiRevision": self.api_revision}

    # The backup workflow (runtime/backups.py)

    def create_backup(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {"JobId": self.backups.create(body)}

    def backup_files(self, target: str, **_: Any) -> list[dict[str, Any]]:
        return self.backups.files(target)

    def backup_file(self, target: str, file_name: str, **_: Any) -> dict[str, Any] | None:
        return self.backups.file(target, file_name)

    def delete_backup_file(self, target: str, file_name: str, **_: Any) -> dict[str, Any] | None:
        return {} if self.backups.delete(target, file_name) else None

    def files(self, **_: Any) -> dict[str, Any]:
        return self.backups.root_folder()

    def backup_folder(self, **_: Any) -> dict[str, Any]:
        return self.backups.backup_folder()

    def backup_archive(self, file_name: str, binary: bool, **_: Any) -> bytes | dict[str, Any] | None:
        """A backup file's metadata, or its bytes when encode=bin asks for them."""
        return self.backups.archive(file_name) if binary else self.backups.file_metadata(file_name)

    # The device's clock (runtime/device_clock.py)

    def date_time(self, **_: Any) -> dict[str, Any]:
        return self.device_clock.values()

    def set_date_time(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        try:
            self.device_clock.set(body)
        except DateTimeError as error:
            raise api.ApiError("invalid_date_time", reason=str(error)) from None
        return self.device_clock.values()
