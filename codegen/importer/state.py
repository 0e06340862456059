"""The spec folder as the importer sees it: hand-written files, page files (with their `# inferred:` notes)
and the report of one page's import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..emit import Notes

PAGE_FILE_PREFIX = "path."


@dataclass
class Report:
    took: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)
    unsaid: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)
    result: str = ""


@dataclass
class State:
    """The spec folder as the importer sees it: hand-written files and page files."""

    hand_resources: list[dict]
    hand_objects: dict[str, dict]
    page_docs: dict[str, dict]  # file name -> {"resources": [...], "objects": {...}}
    gets: set[str] = field(default_factory=set)  # paths with a GET in the spec or this run

    def siblings(self, path: str) -> list[dict]:
        """The resources of `path` (other methods) already in the spec."""
        every = self.hand_resources + [r for d in self.page_docs.values() for r in d["resources"]]
        return [r for r in every if r.get("path", "").rstrip("/") == path.rstrip("/")]

    def revision_of(self, path: str) -> str | None:
        """The from-revision a page stated for another method of `path` (None: no page stated one)."""
        stated = [
            r for r in self.siblings(path) if r.get("from_revision") and not guessed(r, "from_revision")
        ]
        return stated[0]["from_revision"] if stated else None

    def parameter_of(self, path: str, name: str) -> dict | None:
        """The declaration of the path parameter `name` by another method of `path`."""
        declared = [
            p for r in self.siblings(path) for p in r.get("parameters") or [] if p.get("name") == name
        ]
        return declared[0] if declared else None

    def owners(self) -> dict[str, set[str]]:
        """Object name -> the paths whose resources use it (directly or nested)."""
        result: dict[str, set[str]] = {}
        for resource in self.hand_resources:
            for name in (resource.get("request"), resource.get("response")):
                for reached in _reach(name, self.hand_objects):
                    result.setdefault(reached, set()).add(resource.get("path", ""))
        for name in self.hand_objects:
            result.setdefault(name, set())
        for doc in self.page_docs.values():
            paths = {r.get("path", "") for r in doc["resources"]}
            for name in doc["objects"]:
                result.setdefault(name, set()).update(paths)
        return result


def _reach(name: str | None, objects: dict[str, dict]) -> set[str]:
    seen: set[str] = set()
    todo = [name] if name else []
    while todo:
        current = todo.pop()
        if current in seen or current not in objects:
            continue
        seen.add(current)
        for prop in objects[current].get("properties") or []:
            items = prop.get("items")
            todo += [
                n for n in (prop.get("object"), items.get("object") if isinstance(items, dict) else None) if n
            ]
    return seen


def same_path(first: str | None, second: str) -> bool:
    """Whether two paths are one (the API answers a path with or without its trailing slash)."""
    return first is not None and first.rstrip("/") == second.rstrip("/")


def page_file_name(path: str) -> str:
    segments = [s for s in path.strip("/").split("/") if s]
    words = [f"_{s[1:-1]}_" if s.startswith("{") else s for s in segments] or ["root"]
    return PAGE_FILE_PREFIX + ".".join(words) + ".yaml"


def load_state(spec_dir: Path) -> State:
    hand_resources: list[dict] = []
    hand_objects: dict[str, dict] = {}
    page_docs: dict[str, dict] = {}
    for path in sorted(spec_dir.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if path.name.startswith(PAGE_FILE_PREFIX):
            data = with_notes(text) or {}
            page_docs[path.name] = {
                "resources": data.get("resources") or [],
                "objects": data.get("objects") or {},
            }
        else:
            data = yaml.safe_load(text) or {}
            hand_resources += data.get("resources") or []
            hand_objects.update(data.get("objects") or {})
    state = State(hand_resources, hand_objects, page_docs)
    for resource in hand_resources + [r for d in page_docs.values() for r in d["resources"]]:
        if resource.get("method") == "GET":
            state.gets.add(resource.get("path", ""))
    return state


def with_notes(text: str) -> Any:
    """A page file's YAML with each mapping a `Notes` holding the `# ...` comment on each key's line, so
    that a later import knows what was inferred (and a person who deleted the comment confirmed it)."""
    lines = text.splitlines()

    def build(node: yaml.Node, value: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            result = Notes(value)
            for key_node, value_node in node.value:
                key, line = key_node.value, lines[key_node.start_mark.line]
                same_line = value_node.end_mark.line == key_node.start_mark.line
                tail = line[value_node.end_mark.column if same_line else key_node.end_mark.column + 1 :]
                tail = tail.strip().lstrip("|2").strip()
                if tail.startswith("#"):
                    result.notes[key] = tail[1:].strip()
                result[key] = build(value_node, value[key])
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(n, v) for n, v in zip(node.value, value)]
        return value

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return build(node, yaml.safe_load(text)) if node is not None else None


def guessed(mapping: dict, key: str) -> bool:
    return getattr(mapping, "notes", {}).get(key, "").startswith("inferred")
