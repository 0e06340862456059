"""A resource's `parameters`: its path and query parameters, their kinds and the error a bad value answers."""

from __future__ import annotations

from ..loader import LocatedList
from .checker import Checker
from .kinds import read_kind
from .names import IDENTIFIER, snake_case
from .spec import ErrorDef, Parameter

PARAMETER_TYPES = ("string", "integer", "enum")
# Keyword arguments the generated client and handler already use beside path parameters.
RESERVED_PARAMETERS = {
    "self",
    "name",
    "select",
    "body",
    "timeout",
    "interval",
    "on_progress",
    "sleep",
    "path",
}
PARAMETER_FIELDS = {
    "name",
    "type",
    "description",
    "format",
    "invalid_error",
    "in",
    "values",
    "minimum",
    "maximum",
}


def read_parameters(checker: Checker, errors: dict[str, ErrorDef]) -> list[Parameter]:
    """The parameters a resource declares (none when it has no `parameters`)."""
    if "parameters" not in checker.node:
        return []
    params_checker = checker.child("parameters", LocatedList)
    return [read_parameter(params_checker.child(index), errors) for index in range(len(params_checker.node))]


def read_parameter(pc: Checker, errors: dict[str, ErrorDef]) -> Parameter:
    pc.only(PARAMETER_FIELDS)
    invalid = pc.get("invalid_error", str, "invalid_parameter")
    if invalid not in errors:
        raise pc.fail("invalid_error", f"no error {invalid!r} in errors")
    name = pc.get("name", str)
    if not IDENTIFIER.match(name):
        raise pc.fail("name", f"{name!r} is not an identifier")
    if snake_case(name) in RESERVED_PARAMETERS:
        raise pc.fail("name", f"{name!r} clashes with the client's own argument {snake_case(name)!r}")
    pc.get("type", str, choices=PARAMETER_TYPES)
    kind = read_kind(pc, set())
    return Parameter(
        name=name,
        type=kind.type,
        description=pc.get("description", str),
        format=kind.format,
        invalid_error=invalid,
        kind=kind,
        location=pc.get("in", str, "path", choices=("path", "query")),
    )
