"""The project feature: Project.gfx (its metadata, or its bytes with encode=bin) and the folders of the
file tree from /files/common down to it.

The project's name and last change come from the point list's project (an EDE's PROJECT_NAME and
TIMESTAMP_OF_LAST_CHANGE, a JSON or YAML point list's `project`); without one, the name is the
controller's (/info/device's controllerName, which the device data gives) and the last change the
emulator's fixed date. A last change that reads as a date is written as the device writes times; free
text (an EDE's `19. Dez 05`) is kept as it is, and the file is then dated by the fixed date.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from ...generated import handler as api
from ..clock.device_clock import FILE_TIME_FORMAT
from ..device.feature import Device, Feature, Hook, HookCall, HookResult
from ..device.resources import resolve
from ..device.store import StateStore
from ..points.feature import PointsFeature
from ..points.models import PointList
from .archive import VALUE_BLOCKS, ValueBlock, build

FILE_NAME = "Project.gfx"
# The date of a project whose point list gives none (or gives free text): the emulator's choice.
DEFAULT_DATE = datetime(2026, 1, 1)
DATE_FORMATS = (FILE_TIME_FORMAT, "%m/%d/%Y", "%Y-%m-%d %H:%M:%S")


def as_date(text: str) -> datetime | None:
    """A last change that reads as a date (ISO 8601, or as the device writes times), else None."""
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=None)
    except ValueError:
        pass
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), form)
        except ValueError:
            continue
    return None


def value_blocks(points: PointList) -> tuple[ValueBlock, ...]:
    """The point list's value objects as the program declares them."""
    return tuple(
        ValueBlock(
            VALUE_BLOCKS[point.kind.name],
            str(point.value("objectName")),
            point.instance,
            str(point.value("relinquishDefault" if point.commandable else "presentValue")),
        )
        for point in points.points
        if point.kind.name in VALUE_BLOCKS
    )


class ProjectFeature(Feature):
    """Project.gfx of one device: its project from the shared point list (or the device's name), its
    archive kept while those inputs stay the same."""

    def __init__(self, device: Device, options: None) -> None:
        self.state: StateStore = device.state
        self.points = device.feature(PointsFeature).point_list
        self._archive: tuple[tuple[str, str], bytes] | None = None  # the last one built, by its inputs

    def hooks(self) -> Mapping[str, Hook]:
        return {"project_folder": self.project_folder, "project_file": self.project_file}

    def project(self) -> tuple[str, str, datetime]:
        """The project's name, its last change as Main.xml writes it, and the date of the file."""
        project = self.points.project
        if project is None:
            found = resolve("/info/device")
            name = str(found.read(self.state.get)["ControllerName"]) if found is not None else FILE_NAME
            return name, DEFAULT_DATE.strftime(FILE_TIME_FORMAT), DEFAULT_DATE
        dated = as_date(project.last_change)
        if dated is None:
            return project.name, project.last_change, DEFAULT_DATE
        return project.name, dated.strftime(FILE_TIME_FORMAT), dated

    def archive(self) -> tuple[bytes, datetime]:
        name, last_change, dated = self.project()
        cached = self._archive
        if cached is None or cached[0] != (name, last_change):
            # Built when a client first asks (a fleet's devices need not each walk a large point list).
            cached = (name, last_change), build(name, last_change, dated, value_blocks(self.points))
            self._archive = cached
        return cached[1], dated

    def metadata(self) -> dict[str, Any]:
        data, dated = self.archive()
        return {"FileName": FILE_NAME, "Size": len(data), "Modified": dated.strftime(FILE_TIME_FORMAT)}

    def project_file(self, call: HookCall) -> HookResult:
        """Project.gfx's metadata, or its bytes when encode=bin asks for them."""
        return self.archive()[0] if call.binary else self.metadata()

    def project_folder(self, call: HookCall) -> HookResult:
        """A folder on the way to Project.gfx: what the spec serves right below it."""
        folder = call.route.path.rstrip("/")
        below = [
            r
            for r in api.ROUTES
            if r.method == "GET" and r.path.rpartition("/")[0] == folder and "{" not in r.path
        ]
        folders = [{"Path": link(r.path)} for r in below if r.behaviour.get("hook") == "project_folder"]
        file = self.metadata()
        files = [
            {"Path": link(r.path), "Modified": file["Modified"], "Size": file["Size"]}
            for r in below
            if r.behaviour.get("hook") == "project_file"
        ]
        return {
            "DirectoryName": folder.rsplit("/", 1)[-1],
            "NbFilesDir": len(folders) + len(files),
            "FileFolders": folders,
            "Files": files,
        }


def link(path: str) -> dict[str, str]:
    return {"href": api.BASE_PATH + path, "name": path.rsplit("/", 1)[-1]}
