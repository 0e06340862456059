"""The spec as plain objects, validated on the way in: one module per section of the spec language.

`build.py` runs the sections in order (`sections.py`: api, encodings, query options, errors and status codes;
`objects.py`; `resources.py` with `parameters.py` and `behaviours.py`; `choices.py`); `kinds.py` reads a
property's kind; `spec.py` holds the objects the templates render.
"""

from .build import build_spec, load_spec
from .spec import Encoding, ErrorDef, Object, Parameter, Property, Resource, Seed, Spec

__all__ = [
    "Encoding",
    "ErrorDef",
    "Object",
    "Parameter",
    "Property",
    "Resource",
    "Seed",
    "Spec",
    "build_spec",
    "load_spec",
]
