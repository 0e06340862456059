"""List answers written by filling holes: the same bytes as `Codec.encode_list`, without an encoder per member.

A list answer whose members repeat what the request named and differ in one property (read-property-multiple
echoes each reference and adds its value) gives each member as a Stencil, the member's other values, and the
value of its hole. A stencil is encoded once per encoding, through its codec, with a marker in the hole, and
cut there; each member is then the two halves around its value's encoding. Whatever a hole cannot take
plainly (XML's empty element, a structured value) is written whole, by the codec, as `encode_list` would.
"""

from __future__ import annotations

from typing import Any, Mapping

from .codec import Codec, scalar_json, xml_text

# The marker a stencil's hole holds while it is encoded: a private-use character, which no spec value holds
# (a stencil whose other values hold it too is not cut, and its members are written whole).
HOLE = "\ue000"
XML = "xml"


class Stencil:
    """The values a member shares with the members before and after it, but for the property `hole`."""

    __slots__ = ("values", "hole", "halves")

    def __init__(self, values: Mapping[str, Any], hole: str) -> None:
        self.values, self.hole = values, hole
        # By encoding: the member's text before and after the hole's value (None: cannot be cut).
        self.halves: dict[str, tuple[str, str] | None] = {}

    def cut(self, codec: Codec, encoding: str) -> tuple[str, str] | None:
        if encoding in self.halves:
            return self.halves[encoding]
        text = codec.member_text(encoding, {**self.values, self.hole: HOLE})
        marker = f">{xml_text(HOLE)}<" if encoding == XML else scalar_json(HOLE)
        halves: tuple[str, str] | None = None
        if text.count(marker) == 1:
            before, _, after = text.partition(marker)
            # XML: the element's brackets stay with the halves
            halves = (before + ">", "<" + after) if encoding == XML else (before, after)
        self.halves[encoding] = halves
        return halves


class FilledList:
    """A list answer as its members: (stencil, the hole's value), or (None, a whole member's values)."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: list[tuple[Stencil | None, Any]] = []

    def encode(self, codec: Codec, encoding: str, root: str) -> bytes:
        """The answer, byte for byte what `codec.encode_list` writes for the same members."""
        xml = encoding == XML
        fill = xml_text if xml else scalar_json  # a string's text in the hole
        members: list[str] = []
        append = members.append
        for stencil, value in self.rows:
            if stencil is not None:
                halves = stencil.halves.get(encoding) or stencil.cut(codec, encoding)
                if halves is not None and type(value) is str and (value or not xml):
                    append(halves[0] + fill(value) + halves[1])
                    continue
                value = {**stencil.values, stencil.hole: value}
            append(codec.member_text(encoding, value))
        return codec.join_members(encoding, members, root)
