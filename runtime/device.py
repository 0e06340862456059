"""The device's operations, as the generated handler calls them, answered from the simulator.

Each method is named after an operation of spec/resources.yaml and answers the object's values by
property name (None: no such entity). An operation without a method here answers the spec's defaults.
Errors are raised through the handler module, whose classes a spec reload replaces.
"""

from __future__ import annotations

from typing import Any

from ..generated import handler as api

from .simulator import JobSimulator


class DeviceBackend:
    def __init__(self, simulator: JobSimulator, api_revision: str, backup_job_type: str) -> None:
        self.simulator = simulator
        self.api_revision = api_revision
        self.backup_job_type = backup_job_type

    def get_backup_job(self, job_id: str) -> dict[str, Any] | None:
        job = self.simulator.get(job_id)
        if job is None:
            return None
        state = self.simulator.state(job)
        return {"Progress": state.progress, "Status": state.status}

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        job = self.simulator.get(job_id)
        if job is None:
            return None
        state = self.simulator.state(job)
        # State is the emulator's choice (spec/objects.yaml): the values of the backup job's Status.
        return {"Progress": state.progress, "Type": self.backup_job_type, "State": state.status}

    def cancel_job(self, job_id: str) -> dict[str, Any] | None:
        job = self.simulator.get(job_id)
        if job is None:
            return None
        if not self.simulator.cancel(job):
            raise api.ApiError("conflict", reason=f"job {job.id} is not running: it cannot be cancelled")
        return {}

    def create_backup(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self.simulator.create(data_types=tuple(body.get("DataTypes", ())))
        return {"JobId": job.id}

    def get_info(self) -> dict[str, Any]:
        return {"ApiRevision": self.api_revision}
