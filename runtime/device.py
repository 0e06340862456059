"""The device's hooks: the functions that resources of kind `hook` name in spec/resources.yaml.

Each answers the object's values by property name (None: no such entity), called with the route, the
request body (or None), whether raw bytes are asked for, and the path and query parameters. A hook the
spec names but this class lacks is an error at start-up (behaviours.Behaviours). Errors are raised
through the handler module, whose classes a spec reload replaces.
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
        return {"ApiRevision": self.api_revision}
