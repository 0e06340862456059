"""The backup workflow: backup files on the device and on a USB key, their hooks (the files, the folders,
the archive), their control operations (the USB key, a file's compatibility) and the --usb-key option."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ...generated import handler as api
from ..core.options import option
from ..device.events import RESET
from ..device.feature import BodyField, Device, Feature, Hook, HookCall, HookResult, Operation, not_found
from ..device.resources import concrete_path
from ..clock.feature import ClockFeature
from ..jobs.feature import JobsFeature
from .backups import Backups

# The object of the device's identity, which a backup records (spec/info.yaml), but for its live uptime.
IDENTITY = "DeviceInfo"
LIVE = "Uptime"


@dataclass(frozen=True)
class BackupOptions:
    usb_key: bool = option(
        False,
        flag="--usb-key",
        store_true=True,
        help="start with a USB key inserted (the backup target USB needs one)",
    )


class BackupsFeature(Feature):
    """`backups`: the files, and whether a USB key is inserted (back to the option's on a reset)."""

    options = BackupOptions

    def __init__(self, device: Device, options: BackupOptions) -> None:
        self.state = device.state
        jobs = device.feature(JobsFeature)
        self.backups = Backups(
            jobs.simulator,
            device.state,
            device.feature(ClockFeature).device_clock,
            identity=self._identity,
            job_type=api.CHOICES["backup_job_type"],
            timestamp_format=api.CHOICES["backup_timestamp_format"],
            usb_key=options.usb_key,
        )
        jobs.file_jobs = self.backups.create  # a control-API job that names a file is a backup
        device.events.subscribe(RESET, lambda: self.set_usb_key(options.usb_key))

    def busy(self) -> bool:
        """Backups may have ended since the last read: reading the files settles them, thousands maybe."""
        return self.backups.unsettled > 0

    def _identity(self) -> dict[str, Any]:
        """The device's identity (the DeviceInfo entity, JSON keys), as a backup records it."""
        route = next((r for r in api.ROUTES if r.response is not None and r.response.name == IDENTITY), None)
        if route is None:
            return {}
        values = self.state.get(concrete_path(route, {}), route.answers.defaults)
        recorded = frozenset(f.name for f in route.answers.fields if f.name != LIVE)
        return route.answers.json_value(values, recorded)

    # Hooks

    def hooks(self) -> Mapping[str, Hook]:
        return {
            "create_backup": self.create_backup,
            "backup_files": self.backup_files,
            "backup_file": self.backup_file,
            "delete_backup_file": self.delete_backup_file,
            "files": self.files,
            "backup_folder": self.backup_folder,
            "backup_archive": self.backup_archive,
        }

    def create_backup(self, call: HookCall) -> HookResult:
        return {"JobId": self.backups.create(call.body or {})}

    def backup_files(self, call: HookCall) -> HookResult:
        return self.backups.files(call.parameters["target"])

    def backup_file(self, call: HookCall) -> HookResult:
        return self.backups.file(call.parameters["target"], call.parameters["file_name"])

    def delete_backup_file(self, call: HookCall) -> HookResult:
        return {} if self.backups.delete(call.parameters["target"], call.parameters["file_name"]) else None

    def files(self, call: HookCall) -> HookResult:
        return self.backups.root_folder()

    def backup_folder(self, call: HookCall) -> HookResult:
        return self.backups.backup_folder()

    def backup_archive(self, call: HookCall) -> HookResult:
        """A backup file's metadata, or its bytes when encode=bin asks for them."""
        name = call.parameters["file_name"]
        return self.backups.archive(name) if call.binary else self.backups.file_metadata(name)

    # Control operations

    def usb_key_inserted(self) -> bool:
        """Whether the emulated USB key is inserted."""
        return self.backups.usb_key

    def set_usb_key(self, inserted: bool) -> None:
        """Insert (True) or remove (False) the emulated USB key: the target USB needs one."""
        self.backups.usb_key = inserted

    def set_backup_compatibility(
        self, name: str, level: str, target: str = "device"
    ) -> dict[str, Any] | None:
        """Set a backup file's Compatibility (OK, WARNING_*, ERROR_*); answers the file as its resource
        shows it in JSON, None when there is no such file."""
        if target.lower() not in ("device", "usb"):
            raise ValueError(f"target must be device or usb, not {target!r}")
        if not self.backups.set_compatibility(target, name, level):
            return None
        found = self.backups.file(target, name)
        return None if found is None else api.CODECS["BackupFile"].json_value(found)

    operations = (
        Operation("GET", "/usb", "usb_key_inserted", shows=lambda _, inserted: {"inserted": inserted}),
        Operation(
            "POST",
            "/usb",
            "set_usb_key",
            body=(BodyField("inserted", "inserted", bool, "inserted must be true or false", required=True),),
            strict=False,
            what="USB key",
            shows=lambda backups, _: {"inserted": backups.usb_key_inserted()},
        ),
        Operation(
            "POST",
            "/backups/{target}/{name}",
            "set_backup_compatibility",
            body=(BodyField("compatibility", "level", str, "compatibility must be a string", required=True),),
            strict=False,
            what="backup file",
            shows=lambda _, file: file,
            missing=not_found,
        ),
    )
