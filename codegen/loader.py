"""Read the YAML files of `spec/` into plain data that remembers where each value came from.

Every mapping and list is loaded as a `Located` container, so that a validation error can name the
file, the line and the dotted place of the value at fault.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when pyyaml was built with it (about ten times faster), else the pure-Python one.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecError(Exception):
    """A problem in the spec, with the file, the line and the place it concerns."""

    def __init__(self, file: str, line: int | None, place: str, problem: str) -> None:
        self.file, self.line, self.place, self.problem = file, line, place, problem
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {place}: {problem}" if place else f"{where}: {problem}")


class LocatedDict(dict):
    """A YAML mapping that knows its file and the line of each key."""

    file: str = ""
    line: int | None = None
    key_lines: dict[Any, int]


class LocatedList(list):
    """A YAML sequence that knows its file and the line of each item."""

    file: str = ""
    line: int | None = None
    item_lines: list[int]


def _loader_for(file: str) -> type[yaml.SafeLoader]:
    """A SafeLoader that builds Located containers."""

    class Loader(SafeLoader):  # the C loader or the pure one, as available
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LocatedDict:
        result = LocatedDict()
        result.file, result.line, result.key_lines = file, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LocatedList:
        result = LocatedList(loader.construct_object(item, deep=True) for item in node.value)
        result.file, result.line = file, node.start_mark.line + 1
        result.item_lines = [item.start_mark.line + 1 for item in node.value]
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, sequence)
    return Loader


def _refuse_duplicate_keys(node: yaml.Node, file: str, place: str = "") -> None:
    """YAML lets a later key silently replace an earlier one; the spec refuses it, naming the place."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            here = f"{place}.{key}" if place else str(key)
            if key in seen:
                raise SpecError(file, key_node.start_mark.line + 1, here, "duplicate key")
            seen.add(key)
            _refuse_duplicate_keys(value_node, file, here)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(item, file, f"{place}[{index}]")


def spec_files(spec_dir: Path) -> list[Path]:
    """The spec's YAML files, in a stable order."""
    return sorted(spec_dir.glob("*.yaml"))


def spec_digest(spec_dir: Path) -> str:
    """A SHA-256 over the names and bytes of the spec's files: the hash generated files carry."""
    digest = hashlib.sha256()
    for path in spec_files(spec_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# Sections that several files may each hold a part of (an imported page, or a feature, writes a file of its own).
MERGED_SECTIONS = ("objects", "resources", "errors")


def _merge_section(into: Any, part: Any, file: str, line: int, section: str, origins: dict[str, str]) -> None:
    """Add one file's objects (a mapping) or resources (a list) to those of the files before it."""
    if isinstance(into, LocatedList) and isinstance(part, LocatedList):
        into.extend(part)
        into.item_lines.extend(part.item_lines)
        return
    if not (isinstance(into, LocatedDict) and isinstance(part, LocatedDict)):
        raise SpecError(file, line, section, f"must be of the same kind as in {origins[section]}")
    for key, value in part.items():
        if key in into:
            raise SpecError(
                file, part.key_lines[key], f"{section}.{key}", f"also defined in {origins[section]}"
            )
        into[key] = value
        into.key_lines[key] = part.key_lines[key]


def _load(text: str, name: str) -> Any:
    """One file's document, parsed once: duplicate keys refused on its nodes, then built from them."""
    loader = _loader_for(name)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_duplicate_keys(node, name)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_documents(spec_dir: Path) -> LocatedDict:
    """Merge the top-level sections of every spec file into one located mapping."""
    files = spec_files(spec_dir)
    if not files:
        raise SpecError(str(spec_dir), None, "", "no *.yaml files")
    merged = LocatedDict()
    merged.file, merged.line, merged.key_lines = str(spec_dir), None, {}
    origins: dict[str, str] = {}
    for path in files:
        name = f"{spec_dir.name}/{path.name}"
        try:
            document = _load(path.read_text(encoding="utf-8"), name)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else None
            raise SpecError(name, line, "", f"invalid YAML: {error.problem}") from None
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise SpecError(name, None, "", f"invalid YAML: {error}") from None
        if document is None:
            continue
        if not isinstance(document, LocatedDict):
            raise SpecError(name, 1, "", "a spec file must be a mapping of sections")
        for section, value in document.items():
            if section in MERGED_SECTIONS and section in merged:  # objects and resources of several files
                _merge_section(merged[section], value, name, document.key_lines[section], section, origins)
                continue
            if section in merged:
                raise SpecError(
                    name, document.key_lines[section], section, f"section also in {origins[section]}"
                )
            merged[section], origins[section] = value, name
            merged.key_lines[section] = document.key_lines[section]
    return merged
