"""Load spec/ and validate it section by section into a `Spec`."""

from __future__ import annotations

from pathlib import Path

from ..loader import LocatedDict, load_documents, spec_digest
from .checker import Checker
from .choices import read_choices, read_page_differences
from .objects import read_objects
from .resources import read_resources
from .sections import read_api, read_encodings, read_errors, read_query_options, read_status_codes
from .spec import Spec

SECTIONS = {
    "api",
    "encodings",
    "query_options",
    "status_codes",
    "objects",
    "resources",
    "errors",
    "choices",
    "page_differences",
}


def build_spec(document: LocatedDict, digest: str) -> Spec:
    """Validate the merged document and turn it into a `Spec`."""
    root = Checker(document, "")
    root.only(SECTIONS)
    api = read_api(root)
    encodings = read_encodings(root)
    query_options = read_query_options(root)
    errors = read_errors(root)
    objects = read_objects(root)
    resources = read_resources(root, objects, errors)
    choices = read_choices(root, objects, resources)
    return Spec(
        digest=digest,
        api=api,
        encodings=tuple(encodings),
        query_options=query_options,
        status_codes=read_status_codes(root),
        objects=objects,
        resources=tuple(resources),
        errors=errors,
        choices=choices,
        page_differences=read_page_differences(root),
    )


def load_spec(spec_dir: Path) -> Spec:
    """Load, validate and return the spec in `spec_dir`; raises SpecError naming file and place."""
    return build_spec(load_documents(spec_dir), spec_digest(spec_dir))
