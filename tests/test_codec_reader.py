"""The codec's fast body reader agrees with its exact reader on every body: the same values for a body both
take, the same refusal (and message) for a body the exact one refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generated.serializers import CODECS
from runtime.core.codec import BodyError, Codec, Kind

NAMES = sorted(CODECS)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.integers(min_value=-3, max_value=3),  # about the bounds the spec gives (-1, 0)
    st.sampled_from([2**53, 2**53 + 1, -(2**53) - 1, 58.0, 1e400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["text", "asn", "12:00:00", "01-01-2026", "analogValue", "Etc/GMT", "", "-1"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def spellings(codec: Codec) -> st.SearchStrategy[str]:
    keys = [f.key for f in codec.fields] or ["x"]
    return st.sampled_from(keys).flatmap(
        lambda key: st.sampled_from([key, key.upper(), key.title(), key + "x"])
    )


@st.composite
def documents(draw: st.DrawFn, codec: Codec, depth: int = 0) -> object:
    """Mostly objects with the codec's keys (in any case), their values of any shape, nested objects by
    their own codec; sometimes anything at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)
    document = {}
    for key in draw(st.lists(spellings(codec), max_size=len(codec.fields) + 1)):
        field = codec.field(key)
        kind = field.kind if field is not None else None
        if kind is not None and depth < 2 and draw(st.booleans()):
            if kind.type == "object":
                document[key] = draw(documents(codec.registry[kind.object_name], depth + 1))
                continue
            if kind.type == "array" and kind.item_kind.type == "object":
                nested = codec.registry[kind.item_kind.object_name]
                document[key] = draw(st.lists(documents(nested, depth + 1), max_size=3))
                continue
        document[key] = draw(value_of(kind) if kind is not None and draw(st.integers(0, 9)) else VALUES)
    return document


def value_of(kind: Kind) -> st.SearchStrategy[object]:
    """Values near what a kind takes: its type, about its bounds, its closed list."""
    if kind.type == "enum" or kind.values:
        return st.sampled_from(list(kind.values) + ["other"])
    if kind.type in ("integer", "number"):
        low = -3 if kind.minimum is None else int(kind.minimum) - 2
        high = 3 if kind.maximum is None else int(kind.maximum) + 2
        return st.integers(low, high) | st.builds(float, st.integers(low, high))
    if kind.type == "array":
        return st.lists(value_of(kind.item_kind), max_size=3)
    if kind.type == "string":
        return st.text(max_size=8) | st.sampled_from(["12:00:00", "01-01-2026", "01/01/2026 00:00:00"])
    if kind.type == "boolean":
        return st.booleans()
    return VALUES


def exactly(codec: Codec, document: object, read_only: bool) -> object:
    try:
        return codec._read_json_exactly(document, "", read_only)
    except BodyError as error:
        return ("refused", str(error))


def fast_then_exact(codec: Codec, document: object, read_only: bool) -> object:
    try:
        return codec.read_json(document, "", read_only)
    except BodyError as error:
        return ("refused", str(error))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data(), read_only=st.booleans())
def test_the_fast_reader_reads_as_the_exact_one(name: str, data: st.DataObject, read_only: bool) -> None:
    codec = CODECS[name]
    document = data.draw(documents(codec))
    assert fast_then_exact(codec, document, read_only) == exactly(codec, document, read_only)


def test_a_plain_read_property_multiple_body_is_read_without_the_exact_reader(monkeypatch) -> None:
    """The point of the fast reader: a valid poll is not read twice (nor its messages built)."""
    codec = CODECS["ReadPropertyMultiple"]
    calls = []
    exact = Codec._read_json_exactly
    monkeypatch.setattr(Codec, "_read_json_exactly", lambda *a: calls.append(1) or exact(*a))
    body = {
        "encode": "text",
        "propertyReferences": [
            {"type": "analogValue", "instance": i, "property": "presentValue"} for i in range(3)
        ],
    }
    assert codec.read_json(body, "") == {
        "Encode": "text",
        "PropertyReferences": [
            {"Type": "analogValue", "Instance": i, "Property": "presentValue"} for i in range(3)
        ],
    }
    assert calls == []
    with pytest.raises(BodyError, match=r"propertyReferences\[1\]\.instance must be from -1"):
        codec.read_json({**body, "propertyReferences": [body["propertyReferences"][0], {"instance": -2}]}, "")
    assert calls  # a refused body is read exactly, for its message
