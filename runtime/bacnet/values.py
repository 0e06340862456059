"""Between the points database and bacpypes3's wire types: a value's application tags (the database's own
encoding, the bytes REST's asnValue shows) in a bacpypes3 Any and back, property identifiers, errors."""

from __future__ import annotations

import base64
from typing import Any as AnyValue

from bacpypes3.constructeddata import Any
from bacpypes3.errors import ExecutionError
from bacpypes3.pdu import PDUData
from bacpypes3.primitivedata import TagClass, TagList

from ..points import datatypes as dt
from ..points.datatypes import camel
from ..points.encoding import encode
from ..points.errors import BacnetError, unknown_property


def to_any(datatype: dt.Datatype, value: AnyValue) -> Any:
    """A property's value as the wire carries it: the database's application-tagged bytes."""
    return Any(TagList.decode(PDUData(encode(datatype, value))))


def tags_text(value: Any) -> str:
    """A written value's application tags, base64 (the database's `encode: asn` form of a write), without
    the context tag that brackets them in the request."""
    tags = list(value.tagList)
    if len(tags) >= 2 and tags[0].tag_class == TagClass.opening and tags[-1].tag_class == TagClass.closing:
        tags = tags[1:-1]
    return base64.b64encode(TagList(tags).encode().pduData).decode("ascii")


def property_name(identifier: AnyValue) -> str:
    """The database's name of a property identifier (`present-value` for 85); unknown-property for one the
    emulator's objects never have."""
    name = dt.PROPERTY_IDENTIFIER.numbers.get(int(identifier))
    if name is None:
        raise unknown_property(f"no object here has property {int(identifier)}")
    return camel(name)


def execution_error(error: BacnetError) -> ExecutionError:
    """The database's error as bacpypes3 answers it: an Error PDU of the same class and code."""
    return ExecutionError(errorClass=camel(error.error_class), errorCode=camel(error.error_code))
