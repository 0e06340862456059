"""The bytes of Project.gfx: a zip archive whose Main.xml names the project, as EC-gfxProgram's do.

What the fleet client reads (BACNET-FACTS.md section 0) decides the shape: Main.xml's root element holds a
`Project` element whose `Props` hold `Name` and `LastModifDate`. The root's name (`GfxProgram`), the
value blocks beside `Project` (one per value object of the point list, as EC-gfxProgram's resources name
them) and everything else are the emulator's choice. The bytes are a function of their inputs alone
(entries dated by the project's last change), so that every download gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime

MAIN = "Main.xml"
ROOT = "GfxProgram"
# EC-gfxProgram's resource blocks of the value objects a program reads and writes.
VALUE_BLOCKS = {
    "analogValue": "BacnetAnalogValueResource",
    "binaryValue": "BacnetBinaryValueResource",
    "multiStateValue": "BacnetMultiStateValueResource",
}


@dataclass(frozen=True)
class ValueBlock:
    """One value object as the program declares it: its type's block, name, instance and default."""

    block: str
    name: str
    index: int
    default: str


def build(name: str, last_change: str, dated: datetime, values: tuple[ValueBlock, ...]) -> bytes:
    """The archive: Main.xml naming the project (`last_change` as text), entries dated `dated`."""
    root = ET.Element(ROOT)
    props = ET.SubElement(ET.SubElement(root, "Project"), "Props")
    ET.SubElement(props, "Name").text = name
    ET.SubElement(props, "LastModifDate").text = last_change
    for value in values:
        block = ET.SubElement(root, value.block)
        ET.SubElement(block, "NAME").text = value.name
        ET.SubElement(block, "IDX").text = str(value.index)
        ET.SubElement(block, "DefaultValue").text = value.default
    ET.indent(root)
    document = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    stamp = (max(dated.year, 1980), dated.month, dated.day, dated.hour, dated.minute, dated.second)
    info = zipfile.ZipInfo(MAIN, stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(info, document.encode("utf-8"))
    return buffer.getvalue()
