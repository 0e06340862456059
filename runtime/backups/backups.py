"""Backup files: what a backup job leaves when it ends OK, on the device or on a USB key.

A creation checks its body, starts a job and records a pending backup. A pending backup becomes a file
when its job is found ended OK (never before; a failed, cancelled or forgotten job leaves nothing): each
read of the files settles the pending ones first, so a manual clock decides exactly when a file appears.
Files and pending backups are values of the device's state store (`store.put` after every change, so that
a state file keeps them); the bytes are made again from the record on each download (archive.py).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping
from urllib.parse import quote

from ...generated import handler as api

from . import archive
from ..device.store import StateStore
from ..clock.device_clock import FILE_TIME_FORMAT, DeviceClock
from ..jobs.simulator import JobSimulator

# Not device paths, so no resource shows them: one record per pending backup, so that a creation writes one.
PENDING_PREFIX = "/backups/pending"
EXTENSION = ".ecybackup"  # the vendor's
# A target keeps at most this many files; beyond, the oldest go (every table of the emulator is bounded).
MAX_FILES = 10_000
# Pending backups kept at most: every MAX_PENDING // 2 creations settle them, then forget the oldest of those
# still running beyond MAX_PENDING // 2 (their jobs run on; they leave no file): creating stays O(1) amortised.
MAX_PENDING = 10_000
FORBIDDEN_IN_NAMES = ("/", "\\", "..")
COMPATIBILITY_OK = "OK"


def files_path(target: str) -> str:
    """The store's path of a target's files (`device`, `usb`), as the resource's URL names it."""
    return f"/system/backup/targets/{target.lower()}/files"


def _route_path(hook: str) -> str:
    """The path (below the base path) of the resource answered by `hook`."""
    return next(r.path for r in api.ROUTES if r.behaviour.get("hook") == hook)


class Backups:
    """The backup files of one device, and its USB key."""

    def __init__(
        self,
        simulator: JobSimulator,
        store: StateStore,
        clock: DeviceClock,
        *,
        identity: Callable[[], dict[str, Any]],
        job_type: str,
        timestamp_format: str,
        usb_key: bool = False,
    ) -> None:
        self.simulator, self.store, self.clock = simulator, store, clock
        self.identity, self.job_type, self.timestamp_format = identity, job_type, timestamp_format
        self.usb_key = usb_key  # whether a USB key is inserted (configuration, not device state)
        self._lock = store.lock  # the device state's own: a reset never lands between a settle's reads
        self._creations = 0  # since the last bound check
        self.unsettled = 0  # pending backups at most (a reset may forget some): reading may settle them

    # Creating

    def check_target(self, target: str) -> None:
        if target.lower() == "usb" and not self.usb_key:
            raise api.ApiError("usb_absent")

    def create(self, body: Mapping[str, Any], scenario: Any = None) -> str:
        """Start a backup job for a creation body (property names); answers the job's id."""
        target = body.get("Target", "Device")
        file_name = body.get("FileName", "backup")
        if not file_name or any(part in file_name for part in FORBIDDEN_IN_NAMES):
            raise api.ApiError("invalid_file_name", value=file_name)
        self.check_target(target)
        data_types = list(dict.fromkeys(body.get("DataTypes", ())))  # a type given twice is backed up once
        job = self.simulator.create(scenario, tuple(data_types), job_type=self.job_type)
        utc, local = self.clock.moment()
        local = local.replace(microsecond=0)
        record = {
            "JobId": job.id,
            "Name": f"{file_name}_{utc.strftime(self.timestamp_format)}",
            "FileName": file_name,
            "Target": target,
            "DataTypes": data_types,
            "EnvysionProjects": list(body.get("EnvysionProjects", ())),
            "Compatibility": COMPATIBILITY_OK,
            "CreatedIso": local.isoformat(),
            "CreationTime": local.strftime(FILE_TIME_FORMAT),
        }
        with self._lock:
            self._creations += 1
            if self._creations >= MAX_PENDING // 2:
                self._creations = 0
                self._settle()
                running = self.store.paths(PENDING_PREFIX)
                for path in running[: max(0, len(running) - MAX_PENDING // 2)]:
                    self.store.forget(path)
            self.store.put(f"{PENDING_PREFIX}/{job.id}", record)
            self.unsettled += 1
        return job.id

    def _settle(self) -> None:
        """Turn the pending backups whose job ended OK into files; drop those that failed or are gone.
        Each target's file list is read and written once, however many backups ended (O(1) per file), and
        the changes are stored together."""
        ended, by_target = [], {}  # by_target: a target's files by name, in order
        identity = None
        pending = self.store.paths(PENDING_PREFIX)
        for path in pending:
            record = self.store.get(path, dict)
            job = self.simulator.get(record["JobId"])
            state = self.simulator.state(job) if job is not None else None
            if state is not None and state.running:
                continue
            ended.append(path)
            if state is None or state.status != self.simulator.success_status:
                continue
            # The device's identity when the files are written (read once per settling, not per creation).
            identity = self.identity() if identity is None else identity
            file = {key: value for key, value in record.items() if key != "JobId"}
            file["Device"] = identity
            file["Size"] = len(archive.build(file))
            files_at = files_path(file["Target"])
            if files_at not in by_target:
                by_target[files_at] = {f["Name"]: f for f in self.store.get(files_at, list)}
            files = by_target[files_at]
            files.pop(file["Name"], None)  # a file of the same name is replaced, and goes last
            files[file["Name"]] = file
        if ended:
            changes = {at: list(files.values())[-MAX_FILES:] for at, files in by_target.items()}
            self.store.change(changes, ended)
        self.unsettled = len(pending) - len(ended)

    # Reading

    def files(self, target: str) -> list[dict[str, Any]]:
        """A target's files, oldest first (values of the BackupFile object)."""
        self.check_target(target)
        with self._lock:
            self._settle()
            return list(self.store.get(files_path(target), list))

    def file(self, target: str, name: str) -> dict[str, Any] | None:
        return next((f for f in self.files(target) if f["Name"] == name), None)

    def archive(self, name: str) -> bytes | None:
        """The bytes of a device backup file."""
        found = self.file("device", name)
        return None if found is None else archive.build(found)

    # Changing

    def _change(
        self, target: str, name: str, change: Callable[[list[dict[str, Any]], dict[str, Any]], None]
    ) -> bool:
        """Apply `change(files, file)` to a target's file list and store it; False when there is no such file."""
        self.check_target(target)
        with self._lock:
            self._settle()
            files = list(self.store.get(files_path(target), list))
            found = next((f for f in files if f["Name"] == name), None)
            if found is None:
                return False
            change(files, found)
            self.store.put(files_path(target), files)
            return True

    def delete(self, target: str, name: str) -> bool:
        return self._change(target, name, lambda files, found: files.remove(found))

    def set_compatibility(self, target: str, name: str, level: str) -> bool:
        """Set a file's Compatibility (a value of the BackupFile object's list; ValueError otherwise)."""
        compatibility = api.CODECS["BackupFile"].field("Compatibility")
        levels = [str(value) for value in compatibility.kind.values] if compatibility is not None else []
        if level not in levels:
            raise ValueError(f"compatibility must be one of {', '.join(levels)}, not {level!r}")
        return self._change(target, name, lambda files, found: found.update(Compatibility=level))

    # The file tree (/files)

    def folder_entries(self) -> list[dict[str, Any]]:
        """The device's backup files as their folder lists them: a link, the time, the size."""
        path = _route_path("backup_archive")
        return [
            {
                "Path": {
                    "href": api.BASE_PATH + path.replace("{fileName}", quote(f["Name"], safe="")),
                    "name": f["Name"] + EXTENSION,
                },
                "Modified": f["CreationTime"],
                "Size": f["Size"],
            }
            for f in self.files("device")
        ]

    def backup_folder(self) -> dict[str, Any]:
        entries = self.folder_entries()
        name = _route_path("backup_folder").rsplit("/", 1)[-1]
        return {"DirectoryName": name, "NbFilesDir": len(entries), "FileFolders": [], "Files": entries}

    def root_folder(self) -> dict[str, Any]:
        """The top of the tree: every folder the spec serves right below /files (backup, common)."""
        root = _route_path("files")
        paths = [
            r.path
            for r in api.ROUTES
            if r.method == "GET"
            and r.path.rpartition("/")[0] == root
            and "{" not in r.path
            and r.response is not None
            and r.response.name == "Folder"
        ]
        folders = [
            {"Path": {"href": api.BASE_PATH + path, "name": path.rsplit("/", 1)[-1]}} for path in paths
        ]
        return {"DirectoryName": "", "NbFilesDir": len(folders), "FileFolders": folders, "Files": []}

    def file_metadata(self, name: str) -> dict[str, Any] | None:
        found = self.file("device", name)
        if found is None:
            return None
        return {
            "FileName": found["Name"] + EXTENSION,
            "Size": found["Size"],
            "Modified": found["CreationTime"],
        }
