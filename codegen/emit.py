"""Write the spec YAML of imported pages: the words of the spec language and the layout in one place.

The key orders below are the spec language's words (see spec/*.yaml); adjust them here when the
language changes. Comments ride along as `notes`: {key: text} on a mapping, written after the key.
"""

from __future__ import annotations

from typing import Any

import yaml

RESOURCE_KEYS = (
    "operation",
    "method",
    "path",
    "from_revision",
    "deprecated",
    "summary",
    "description",
    "parameters",
    "request",
    "xml_body_from_revision",
    "response",
    "response_shape",
    "xml_root",
    "behaviour",
    "seed",
    "examples",
)
PARAMETER_KEYS = ("name", "type", "format", "values", "description", "in")
OBJECT_KEYS = ("xml_element", "description", "properties")
PROPERTY_KEYS = (
    "name",
    "type",
    "values",
    "object",
    "items",
    "xml_item",
    "format",
    "minimum",
    "maximum",
    "description",
    "methods",
    "json_key",
    "xml_element",
    "order",
    "default",
    "example",
)
FLOW_KEYS = {"order", "behaviour", "items", "methods", "values"}


class Notes(dict):
    """A mapping that carries a comment per key (`notes`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notes: dict[str, str] = {}


def ordered(mapping: dict, keys: tuple[str, ...]) -> Notes:
    """The mapping with the known keys first, in the language's order, then any others as they came."""
    result = Notes()
    for key in [k for k in keys if k in mapping] + [k for k in mapping if k not in keys]:
        result[key] = mapping[key]
    result.notes = dict(getattr(mapping, "notes", {}))
    return result


def scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True).strip()
    return text[: -len("...")].strip() if text.endswith("...") else text


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _comment(mapping: dict, key: str) -> str:
    note = getattr(mapping, "notes", {}).get(key)
    return f"  # {note}" if note else ""


def _is_flat(value: Any) -> bool:
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list)) or _is_flat(v) for v in value.values()) and len(value) <= 4
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    return True


def mapping_lines(mapping: dict, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, value in mapping.items():
        comment = _comment(mapping, key)
        if isinstance(value, str) and "\n" in value:
            lines.append(f"{pad}{key}: |{'2' if value[:1] == ' ' else ''}{comment}")
            lines += [f"{pad}  {line}" if line else "" for line in value.rstrip("\n").split("\n")]
        elif isinstance(value, (dict, list)) and value and not (key in FLOW_KEYS and _is_flat(value)):
            if isinstance(value, list) and not all(isinstance(v, dict) for v in value):
                lines.append(f"{pad}{key}: {flow(value)}{comment}")
                continue
            lines.append(f"{pad}{key}:{comment}")
            lines += block_lines(value, indent + 2)
        else:
            lines.append(f"{pad}{key}: {flow(value)}{comment}")
    return lines


def block_lines(value: Any, indent: int) -> list[str]:
    if isinstance(value, dict):
        return mapping_lines(value, indent)
    lines: list[str] = []
    for item in value:
        inner = mapping_lines(item, indent + 2)
        inner[0] = " " * indent + "- " + inner[0][indent + 2 :]
        lines += inner
    return lines


def document(header: list[str], resources: list[dict], objects: dict[str, dict]) -> str:
    """A page file: the header comment, `resources:` and `objects:` in the language's key orders."""
    lines = [f"# {line}" if line else "#" for line in header]
    lines.append("resources:")
    for resource in resources:
        item = ordered(resource, RESOURCE_KEYS)
        if "parameters" in item:
            item["parameters"] = [ordered(p, PARAMETER_KEYS) for p in item["parameters"]]
        lines += block_lines([item], 2)
        lines.append("")
    lines.append("objects:")
    for name, obj in objects.items():
        item = ordered(obj, OBJECT_KEYS)
        item["properties"] = [ordered(p, PROPERTY_KEYS) for p in obj.get("properties", [])]
        lines.append(f"  {name}:{_comment(objects, name)}")
        lines += mapping_lines(item, 4)
    return "\n".join(lines).rstrip("\n") + "\n"
