"""The words and names the spec language accepts, and the Python name a spec name becomes."""

from __future__ import annotations

import keyword
import re

from ...runtime.core.deviceapi import parse_revision

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
OPERATION = re.compile(r"^[a-z][a-z0-9_]*$")
PATH_PARAMETER = re.compile(r"\{([^{}]*)\}")
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


def is_revision(text: str) -> bool:
    try:
        parse_revision(text)
    except ValueError:
        return False
    return True


def is_keyword(name: str) -> bool:
    """Whether `name` is a Python keyword (or soft keyword), which generated code cannot use as a name."""
    return keyword.iskeyword(name) or keyword.issoftkeyword(name)


def snake_case(name: str) -> str:
    """`ApiRevision` -> `api_revision`, `ISODateTime` -> `iso_date_time`: the Python name of a property or
    parameter (`from_` for `From`)."""
    attr = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    return attr + "_" if is_keyword(attr) else attr
