"""A list answer written by filling stencils' holes (runtime/core/stencil.py) is byte for byte what the codec's
encode_list writes for the same members, in JSON and in XML, whatever the values: strings with slashes,
quotes, markup, non-ASCII, control characters or the hole's own marker, empty strings, null, numbers and
structures, and members given whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generated.serializers import CODECS
from runtime.core.stencil import HOLE, FilledList, Stencil

CODEC = CODECS["PropertyResult"]  # read-property-multiple's answer
ROOT = "PropertyReferences"
TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "20.5", "a/b", '"quoted"', "<b>&amp;</b>", "é€😀", "\x01\x1f", HOLE, f"x{HOLE}y", "null"]
    ),
)
HOLE_VALUES = st.one_of(
    TEXTS,
    st.none(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.dictionaries(st.sampled_from(["errorClass", "errorCode"]), TEXTS, max_size=2),
)
ECHOES = st.fixed_dictionaries(
    {
        "Type": TEXTS,
        "Instance": st.integers(-1, 4194303),
        "Property": TEXTS,
        "ArrayIndex": st.integers(-1, 9),
    },
    optional={"Message": st.one_of(st.none(), TEXTS), "Error": st.none()},
)


@st.composite
def answers(draw: st.DrawFn) -> tuple[FilledList, list[dict[str, object]]]:
    """A FilledList and the plain members it stands for; stencils are shared between members sometimes, as
    a request naming one property twice shares one."""
    stencils = [Stencil(echo, "Value") for echo in draw(st.lists(ECHOES, min_size=1, max_size=4))]
    answer, members = FilledList(), []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 5)) == 0:  # a member given whole (an error)
            whole = {**draw(ECHOES), "Value": None, "Message": draw(TEXTS), "Error": {"errorCode": "x/y"}}
            answer.rows.append((None, whole))
            members.append(whole)
            continue
        stencil = draw(st.sampled_from(stencils))
        value = draw(HOLE_VALUES)
        answer.rows.append((stencil, value))
        members.append({**stencil.values, "Value": value})
    return answer, members


@settings(max_examples=300, deadline=None)
@given(answers(), st.sampled_from(["json", "xml"]))
def test_a_filled_list_is_what_encode_list_writes(drawn: tuple[FilledList, list], encoding: str) -> None:
    answer, members = drawn
    assert answer.encode(CODEC, encoding, ROOT) == CODEC.encode_list(encoding, members, ROOT)


def test_a_stencil_is_cut_once_per_encoding_and_not_where_its_values_hold_the_marker() -> None:
    plain = Stencil(
        {"Type": "analogValue", "Instance": 1, "Property": "presentValue", "ArrayIndex": -1}, "Value"
    )
    before, after = plain.cut(CODEC, "json")
    assert before.endswith('"value":') and after.startswith(',"message":null')
    assert plain.cut(CODEC, "json") is plain.halves["json"]
    before, after = plain.cut(CODEC, "xml")
    assert before.endswith("<Value>") and after.startswith("</Value>")
    marked = Stencil({"Type": HOLE, "Instance": 1, "Property": "p", "ArrayIndex": -1}, "Value")
    assert marked.cut(CODEC, "json") is None and marked.cut(CODEC, "xml") is None
    answer = FilledList()
    answer.rows.append((marked, "1.0"))
    assert answer.encode(CODEC, "json", ROOT) == CODEC.encode_list(
        "json", [{**marked.values, "Value": "1.0"}], ROOT
    )
