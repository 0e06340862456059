"""The spec's smaller sections: `api`, `encodings`, `query_options`, `errors` and `status_codes`."""

from __future__ import annotations

import re
import string
from typing import Any

from ..loader import LocatedDict, LocatedList
from .checker import Checker
from .names import IDENTIFIER, is_revision
from .spec import Encoding, ErrorDef

# The api section's fields that are text, in the order they are checked.
API_TEXTS = (
    "title",
    "description",
    "base_path",
    "server_header",
    "session_cookie",
    "auth_realm",
    "success_status",
)
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Errors the generated handler raises by key; the spec must define each.
HANDLER_ERRORS = (
    "bad_request",
    "invalid_query",
    "unknown_select",
    "invalid_parameter",
    "invalid_body",
    "unauthorized",
    "not_found",
    "property_not_found",
    "method_not_allowed",
    "not_acceptable",
    "body_too_large",
    "uri_too_long",
    "unsupported_media_type",
    "headers_too_large",
    "not_implemented",
)
QUERY_OPTION_FIELDS = (
    ("encode", ("name", "binary_value", "binary_media_type")),
    ("select", ("name", "all", "separator")),
    ("value", ("segment", "content_type")),
)


def read_api(root: Checker) -> dict[str, Any]:
    """The API's title, base path, default revision and the headers every answer carries."""
    api = root.child("api")
    api.only({*API_TEXTS, "default_revision", "response_headers"})
    headers = api.get("response_headers", LocatedDict, LocatedDict())
    for name, value in headers.items():
        if not (isinstance(name, str) and HEADER_NAME.fullmatch(name)):
            raise api.child("response_headers").fail(name, f"{name!r} is not a header name")
        if not isinstance(value, str) or any(c in value for c in "\r\n"):
            raise api.child("response_headers").fail(name, "a header value is one line of text")
    for key in API_TEXTS:
        api.get(key, str)
    if not is_revision(api.get("default_revision", str)):
        raise api.fail("default_revision", "not a revision like 8.0")
    return dict(api.node)


def read_encodings(root: Checker) -> list[Encoding]:
    """JSON then XML: their media types, charset and the XML prolog."""
    encodings_checker = root.child("encodings", LocatedList)
    encodings = []
    for index in range(len(encodings_checker.node)):
        ec = encodings_checker.child(index)
        ec.only(set(Encoding.__dataclass_fields__))
        encodings.append(
            Encoding(
                name=ec.get("name", str, choices=("json", "xml")),
                media_types=tuple(ec.get("media_types", LocatedList)),
                charset=ec.get("charset", str),
                prolog=ec.get("prolog", str, ""),
            )
        )
    if [e.name for e in encodings] != ["json", "xml"]:
        raise encodings_checker.fail(None, "expected json then xml")
    return encodings


def read_query_options(root: Checker) -> dict[str, dict[str, Any]]:
    """The words of the query options ($encode, $select) and the $value segment."""
    query = root.child("query_options")
    query.only({key for key, _ in QUERY_OPTION_FIELDS})
    for key, fields in QUERY_OPTION_FIELDS:
        option = query.child(key)
        for name in (*fields, "description"):
            option.get(name, str)
    return {key: dict(value) for key, value in query.node.items()}


def read_errors(root: Checker) -> dict[str, ErrorDef]:
    """Every error by key; those the generated handler raises must be among them."""
    errors_checker = root.child("errors")
    errors = {key: read_error(errors_checker.child(key), key) for key in errors_checker.node}
    for key in HANDLER_ERRORS:
        if key not in errors:
            raise errors_checker.fail(None, f"missing error {key!r}, which the handler answers")
    return errors


def read_error(checker: Checker, key: str) -> ErrorDef:
    checker.only({"status", "code", "message"})
    status = checker.get("status", int)
    if not 400 <= status <= 599:
        raise checker.fail("status", f"{status} is not an error status (400 to 599)")
    code = checker.get("code", str)
    if not IDENTIFIER.match(code):
        raise checker.fail("code", f"{code!r} is not an identifier")
    message = checker.get("message", str)
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(message) if name is not None]
    except ValueError as error:
        raise checker.fail("message", f"not a valid format string: {error}") from None
    for name in fields:
        if not name.isidentifier():
            raise checker.fail("message", f"{{{name}}} is not a plain field name")
    return ErrorDef(key=key, status=status, code=code, message=message)


def read_status_codes(root: Checker) -> dict[int, str]:
    """The reason phrase of each status code."""
    status_checker = root.child("status_codes")
    return {int(code): status_checker.get(code, str) for code in status_checker.node}
